"""The gait page's two passes over the video: the analysis (cached) and the overlay video (written
once), each with a progress bar whose time left is measured on that pass.

The page decodes the video no other time: the probe reads the header only, the time estimate
comes from the analysis' first frames (``core.app.gait_progress``), and the subject is chosen over
the whole video, so the overlay can only be drawn on a second pass (holding every frame in memory
would cost gigabytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.app import cache
from core.app.errors import attempt
from core.app.gait_progress import TimeLeft, bar_callback, counted, remember_speed
from core.app.resources import backend_key, get_settings, inference_lock
from core.app.uploads import Upload
from core.config import Settings
from core.keypoints import Pose
from core.store.artifacts import SCRATCH_DIRNAME

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis
    from core.backends.base import Backend
    from core.video import VideoInfo

#: Frames per Sapiens2 forward on a GPU: the 0.4b pose model goes from 41 images/s at batch 1 to
#: 71 at batch 8 on an H100 (docs/PERFORMANCE.md). On a CPU a forward is compute-bound and a batch
#: buys nothing, and the lite backend takes frames one by one (MediaPipe's VIDEO mode).
GPU_BATCH = 8


def page_batch(backend: Backend) -> int:
    """Frames per pose call for the page, as the CLI's ``--batch``: ``GPU_BATCH`` for Sapiens2 on
    CUDA, else 1."""
    info = backend.describe()
    on_cuda = str(info.get("device", "")).startswith("cuda")
    return GPU_BATCH if info.get("backend") == "sapiens2" and on_cuda else 1


def limits() -> dict[str, int]:
    """The configured video limits for ``iter_frames`` (``core.video`` reads no settings itself)."""
    settings = get_settings()
    return {"limit_frames": settings.max_video_frames, "limit_pixels": settings.max_image_pixels}


def analysis_key(
    upload: Upload,
    backend: Backend,
    every: int,
    height_m: float | None,
    fps: float | None = None,
    fast: bool = False,
) -> tuple:
    """The cache key of one analysis (``batch`` is speed only, so not part of it)."""
    given = () if fps is None else (fps,)  # a given frame rate changes every frame time
    quick = ("fast",) if fast else ()  # no lite flip test on the frames: other poses
    return ("gait", upload.sha256, backend_key(backend), every, height_m, *given, *quick)


def speed_key(backend: Backend, fast: bool) -> tuple:
    """What a measured time per frame is remembered under: the backend, and whether the frames ran
    the flip test (fast skips it: about 2.3x faster with lite)."""
    return (backend_key(backend), bool(fast))


def run_analysis(
    path: Path,
    upload: Upload,
    backend: Backend,
    info: VideoInfo,
    every: int,
    height_m: float | None,
    fps: float | None = None,
    fast: bool = False,
) -> GaitAnalysis | None:
    """Analyse with a progress bar (frame i of n, time left); a cached result returns at once.

    ``info``: the page's header probe. A video longer than the time budget
    (``core.video.DEFAULT_MAX_SECONDS``) is analysed up to the budget; the page says so before the
    bar starts. ``fast``: no lite flip test on the frames (``GaitOptions.fast``)."""
    from core.analysis import analyze_gait_video
    from core.video import DEFAULT_MAX_SECONDS, cut_at_s, cut_message

    cut = cut_at_s(info, DEFAULT_MAX_SECONDS)
    if cut is not None:
        st.info(cut_message(info, cut, upload.name))
    batch = page_batch(backend)
    bar = st.progress(0.0, text="Starting ...")
    clock = TimeLeft(None, batch=batch)

    def compute() -> GaitAnalysis:
        with inference_lock(backend):
            found = analyze_gait_video(
                path,
                backend,
                every=every,
                progress=bar_callback(bar, clock),
                height_m=height_m,
                batch=batch,
                fps=fps,
                fast=fast,
            )
        remember_speed(speed_key(backend, fast), clock.seconds_per_frame)
        return found

    key = analysis_key(upload, backend, every, height_m, fps, fast)
    found = attempt(cache.cached, key, compute)
    bar.empty()
    return None if found is None else found[0]


def pose_at(analysis: GaitAnalysis, t: int) -> Pose:
    """The tracked person's canonical pose in analysed frame ``t`` (drawn in the canonical skeleton)."""
    s = analysis.series
    return Pose(np.asarray(s.xy[t]), np.asarray(s.scores[t]), "", s.model, 0.0)


def _overlay_frames(
    path: Path, analysis: GaitAnalysis, every: int, fps: float | None
) -> Iterator[np.ndarray]:
    from core.imaging.overlay import draw_pose
    from core.video import iter_frames

    positions = {int(f): i for i, f in enumerate(analysis.series.frame_index)}
    # Up to where the time budget stopped the analysis: past it there is nothing to draw.
    for frame in iter_frames(path, every=every, fps=fps, end_s=analysis.cut_at_s, **limits()):
        t = positions.get(int(frame.index))
        yield frame.rgb if t is None else draw_pose(frame.rgb, pose_at(analysis, t))


def overlay_video(
    path: Path,
    upload: Upload,
    analysis: GaitAnalysis,
    backend: Backend,
    info: VideoInfo,
    every: int,
    settings: Settings,
) -> Path | None:
    """The annotated video (H.264 MP4), written once per analysis into ``<data>/tmp``, with a
    progress bar over its frames."""
    from core.video import write_overlay_video

    fps = info.fps if info.fps_given else None
    key = cache.file_hash(repr(analysis_key(upload, backend, every, None, fps)).encode())[:24]
    out = settings.data_dir / SCRATCH_DIRNAME / f"overlay_{key}.mp4"
    if out.is_file():
        return out
    bar = st.progress(0.0, text="Writing the overlay video ...")
    clock = TimeLeft(analysis.n_frames, verb="Overlay video: frame")

    def step(done: int) -> None:
        text = clock.update(done)
        bar.progress(clock.share(), text=text)

    frames = counted(_overlay_frames(path, analysis, every, fps), step)
    written = attempt(write_overlay_video, frames, out, fps=info.fps / every)
    bar.empty()
    return written
