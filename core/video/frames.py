"""Sequential frame sampling with real timestamps.

Frames are decoded in order (no seeking: seeks in VP9/H.264 land on keyframes and are slow or
inexact); frames that are skipped are only grabbed, and only the used ones are converted to RGB.
Timestamps come from the container (CAP_PROP_POS_MSEC), so variable-frame-rate phone video keeps
its real timing; index / fps is the fallback when the container gives none.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core.errors import InputError
from core.limits import MAX_IMAGE_PIXELS, MAX_VIDEO_FRAMES
from core.video.probe import check_video_limits, info_from_capture, open_capture


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the video (0-based), time_s (seconds from the start) and
    rgb (H, W, 3) uint8 with the rotation metadata applied."""

    index: int
    time_s: float
    rgb: np.ndarray = field(repr=False)


def _check_options(
    every: int, max_frames: int | None, start_s: float | None, end_s: float | None
) -> None:
    if int(every) != every or every < 1:
        raise InputError(f"every must be a whole number >= 1 (1 = every frame), got {every}")
    if max_frames is not None and max_frames < 1:
        raise InputError(f"max_frames must be >= 1, got {max_frames}")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise InputError(f"end_s ({end_s}) must be after start_s ({start_s})")


def iter_frames(
    path: str | Path,
    *,
    every: int = 1,
    max_frames: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    limit_frames: int = MAX_VIDEO_FRAMES,
    limit_pixels: int = MAX_IMAGE_PIXELS,
    fps: float | None = None,
) -> Generator[Frame, None, None]:
    """Yield every ``every``-th frame of a video, in order.

    Parameters
    ----------
    path : str or Path
    every : int
        Keep frame indices 0, every, 2*every, ... (counted from the first frame at or after start_s).
    max_frames : int, optional
        Stop after yielding this many frames.
    start_s, end_s : float, optional, seconds
        Only frames with start_s <= time_s <= end_s.
    limit_frames, limit_pixels : int, optional
        Refuse videos whose [start_s, end_s] part has more frames, or whose frames have more
        pixels, than this. Default: ``core.limits``; callers with settings pass theirs.
    fps : float, optional
        The frame rate of a video whose header states none (refused without it); frame times are
        then index / fps.

    Yields
    ------
    Frame(index, time_s, rgb): time_s strictly increasing.

    Raises
    ------
    InputError
        Not a video, no video stream, no frame rate (``NoFrameRate``) and no ``fps``, zero frames (also when the header promised some but none
        decodes), too long or too large, bad options.
    """
    _check_options(every, max_frames, start_s, end_s)
    name = Path(path).name
    cap = open_capture(path)
    try:
        info = info_from_capture(cap, name, path=Path(path), fps=fps)
        check_video_limits(
            info,
            start_s=start_s,
            end_s=end_s,
            max_frames=limit_frames,
            max_pixels=limit_pixels,
            name=name,
        )
        # The header count can be wrong; a small tolerance stops a lying file from running forever.
        hard_stop = info.n_frames + max(10, info.n_frames // 10)
        index, kept, used, last_t = -1, 0, 0, -np.inf
        while True:
            if not cap.grab():
                break
            index += 1
            if index > hard_stop:
                raise InputError(
                    f"{name} holds more frames than its header says ({info.n_frames}); re-encode it"
                )
            t_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
            nominal = info.fps_given or not (np.isfinite(t_ms) and t_ms >= 0)
            t = index / info.fps if nominal else t_ms / 1000.0
            if t <= last_t:  # a missing or repeated timestamp: fall back to the nominal clock
                t = max(index / info.fps, np.nextafter(last_t, np.inf))
            last_t = t
            if start_s is not None and t < start_s:
                continue
            if end_s is not None and t > end_s:
                break
            kept += 1
            if (kept - 1) % every:
                continue
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                raise InputError(
                    f"{name}: frame {index} could not be decoded (the file may be truncated)"
                )
            yield Frame(index=index, time_s=float(t), rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            used += 1
            if max_frames is not None and used >= max_frames:
                break
        if index < 0:
            raise InputError(f"{name} has zero decodable frames")
    finally:
        cap.release()
