"""The default input limits, one definition each: ``core.config`` reads overrides of them from the
environment, and ``core.imaging`` / ``core.video`` take them as parameters (they read no settings).
"""

from __future__ import annotations

import math

from core.errors import InputError

#: Decoded images (and video frames) with more pixels than this are refused.
MAX_IMAGE_PIXELS = 100_000_000
#: Videos with more frames than this to decode are refused (10 min at 30 fps).
MAX_VIDEO_FRAMES = 18_000
#: Seconds of video a gait analysis reads by default (5 minutes: dozens of passes across a room).
DEFAULT_MAX_SECONDS = 300.0


def check_max_seconds(value: float | None) -> float | None:
    """The gait time budget in seconds as a float, None for "no budget" (None or 0); ``InputError``
    otherwise."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise InputError(f"--max-seconds must be a number of seconds, got {value!r}") from None
    if seconds == 0:
        return None
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(f"--max-seconds must be > 0 (0 for no limit), got {value!r}")
    return seconds
