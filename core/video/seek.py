"""One frame of a video by its index, without decoding every frame before it when the container
lets OpenCV seek there exactly (the gait page's frame inspector).

A seek lands on a keyframe and decodes forward to the frame asked for; on a variable-rate or badly
muxed file the frame it counts to can be another one. So the frame found is checked against the
time the sequential decode gave that frame (``Frame.time_s`` of ``iter_frames``), and when they
differ the frame is read by decoding in order from the start, as ``iter_frames`` does.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import cv2
import numpy as np

from core.limits import MAX_IMAGE_PIXELS, MAX_VIDEO_FRAMES
from core.video.frames import Frame, iter_frames
from core.video.probe import info_from_capture, open_capture


def _seek(
    path: Path, index: int, fps: float | None, limit_pixels: int
) -> tuple[Frame, float] | None:
    """Frame ``index`` after a seek, with its container time, and the video's frame rate; None
    when the seek failed or there is no container clock to check it against."""
    cap = open_capture(path)
    try:
        info = info_from_capture(cap, path.name, path=path, fps=fps)
        if info.fps_given or info.width * info.height > limit_pixels:
            return None  # no clock to check against / the sequential read gives the error
        if not 0 <= index < info.n_frames:
            return None
        if index and not cap.set(cv2.CAP_PROP_POS_FRAMES, float(index)):
            return None
        if not cap.grab():
            return None
        t_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
        if not (np.isfinite(t_ms) and t_ms >= 0):
            return None
        ok, bgr = cap.retrieve()
        if not ok or bgr is None:
            return None
        return Frame(index, t_ms / 1000.0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), info.fps
    finally:
        cap.release()


def frame_at(
    path: str | Path,
    index: int,
    time_s: float,
    *,
    fps: float | None = None,
    limit_frames: int = MAX_VIDEO_FRAMES,
    limit_pixels: int = MAX_IMAGE_PIXELS,
) -> Frame | None:
    """Frame ``index`` (0-based, as ``iter_frames`` counts) of the video at ``path``, whose time
    the sequential decode gave as ``time_s`` seconds; None when the video has no such frame.

    A seek is kept only when its frame's time is within half a frame of ``time_s``; otherwise (and
    for a video whose header states no rate, ``fps`` given) the frames are decoded in order up to
    it. Limits and errors as :func:`core.video.iter_frames`.
    """
    path = Path(path)
    sought = _seek(path, int(index), fps, limit_pixels)
    if sought is not None and abs(sought[0].time_s - time_s) <= 0.5 / sought[1]:
        return sought[0]
    # A frame's timestamp can be a hair off its nominal value: start a little before it.
    frames = iter_frames(
        path,
        start_s=max(0.0, time_s - 1e-3),
        fps=fps,
        limit_frames=limit_frames,
        limit_pixels=limit_pixels,
    )
    with contextlib.closing(frames):
        return next((f for f in frames if f.index >= index), None)
