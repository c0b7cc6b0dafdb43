"""What a caller asks of a posture or gait session: the typed options of ``core.sessions.make``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import InputError
from core.limits import DEFAULT_MAX_SECONDS
from core.measure.view import DEFAULT_VIEW


@dataclass(frozen=True)
class PostureOptions:
    """view: a ``core.measure.view.VIEW_CHOICES`` entry; fast: skip Sapiens2's flip test (one pose
    forward instead of the mirrored pair; no effect on the lite backend); point: (x, y) pixels, the
    person to measure instead of the largest."""

    view: str = DEFAULT_VIEW
    fast: bool = False
    point: tuple[float, float] | None = None


@dataclass(frozen=True)
class GaitOptions:
    """every: analyse every N-th frame; fps: the frame rate of a video whose header states none;
    max_seconds: the time budget (None or 0: the whole video); height_m: the subject's height
    (step lengths in metres); batch: frames per pose call (speed only, not part of the key)."""

    every: int = 1
    fps: float | None = None
    max_seconds: float | None = DEFAULT_MAX_SECONDS
    height_m: float | None = None
    batch: int = 1

    def budget_s(self) -> float | None:
        """The time budget as the analysis reads it: None for "the whole video" (None or 0)."""
        if self.max_seconds is None or self.max_seconds == 0:
            return None
        seconds = float(self.max_seconds)
        if not (math.isfinite(seconds) and seconds > 0):
            raise InputError(
                f"--max-seconds must be > 0 (0 for no limit), got {self.max_seconds!r}"
            )
        return seconds
