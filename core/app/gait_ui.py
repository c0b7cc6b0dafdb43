"""Gait session building blocks: analysed frame rate and time estimate, the analysis with per-frame
progress (cached), the parameters, the time-series chart, the overlay video and the frame inspector.

Every number shown comes from ``core.analysis.analyze_gait_video`` / ``core.measure.gait``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from core.app import cache, gait3d_ui
from core.app.charts import time_series_panels
from core.app.errors import attempt, show_error
from core.app.resources import backend_key, get_settings, inference_lock
from core.app.tables import format_value
from core.app.uploads import Upload
from core.config import Settings
from core.errors import SapiensMeasureError
from core.keypoints import Pose
from core.store.artifacts import SCRATCH_DIRNAME

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis
    from core.backends.base import Backend
    from core.measure.gait_result import GaitResult
    from core.store import Store
    from core.store.records import Subject
    from core.video import VideoInfo

#: Signals drawn over time (filtered columns of ``GaitResult.series``) and their axis titles.
SERIES = {
    "trunk_lean_deg": "trunk lean (°)",
    "head_lateral_deviation": "head deviation (frame widths)",
    "ankle_height_asymmetry": "ankle-height asymmetry (frame heights)",
}
#: (parameter key pattern, label, unit) of the parameters table.
PARAMETERS = (
    ("step_time_{}_s", "step time", "s"),
    ("stride_time_{}_s", "stride time", "s"),
    ("stance_share_{}_pct", "stance share", "%"),
    ("swing_share_{}_pct", "swing share", "%"),
    ("step_length_{}_bh", "step length", "body heights"),
    ("step_length_{}_m", "step length", "m"),
)


def default_every(backend: Backend, fps: float) -> int:
    """Full rate for lite; for Sapiens2 about 10 analysed frames a second (the least events need)."""
    if backend.name == "lite" or not math.isfinite(fps) or fps <= 0:
        return 1
    from core.measure.gait import MIN_EVENT_FPS

    return max(1, int(fps // MIN_EVENT_FPS))


def probe(path: Path) -> tuple[VideoInfo | None, float | None]:
    """The video's info and the frame rate the user gave (None when the video states one).

    For a video whose header states no frame rate a number box asks for it; until it is filled
    in (and on any other error, shown) the info is None.
    """
    from core.video import NoFrameRate, probe_video

    try:
        return probe_video(path), None
    except NoFrameRate as exc:
        st.warning(str(exc))
        fps = st.number_input(
            "Frame rate of this video (frames per second)",
            min_value=1.0,
            max_value=1000.0,
            value=None,
            placeholder="e.g. 30",
            key="gait_fps",
        )
        return (None, None) if fps is None else (attempt(probe_video, path, fps=fps), fps)
    except SapiensMeasureError as exc:
        show_error(exc)
        return None, None


def _limits() -> dict[str, int]:
    """The configured video limits for ``iter_frames`` (``core.video`` reads no settings itself)."""
    settings = get_settings()
    return {"limit_frames": settings.max_video_frames, "limit_pixels": settings.max_image_pixels}


def seconds_per_frame(
    path: Path, upload: Upload, backend: Backend, fps: float | None = None
) -> float | None:
    """Decode plus pose time per frame, measured on the video's first frames (once per file and backend)."""
    from core.video import iter_frames

    def measure() -> float:
        frames = iter_frames(path, max_frames=4, fps=fps, **_limits())
        with inference_lock(backend):
            backend.estimate_pose(next(frames).rgb)  # warm-up: the first call loads the model
            start, n = time.perf_counter(), 0
            for frame in frames:
                backend.estimate_pose(frame.rgb)
                n += 1
            return (time.perf_counter() - start) / max(n, 1)

    found = attempt(cache.cached, ("gait_spf", upload.sha256, backend_key(backend)), measure)
    return None if found is None else float(found[0])


def analysis_key(
    upload: Upload, backend: Backend, every: int, height_m: float | None, fps: float | None = None
) -> tuple:
    given = () if fps is None else (fps,)  # a given frame rate changes every frame time
    return ("gait", upload.sha256, backend_key(backend), every, height_m, *given)


def run_analysis(
    path: Path,
    upload: Upload,
    backend: Backend,
    every: int,
    height_m: float | None,
    fps: float | None = None,
) -> GaitAnalysis | None:
    """Analyse with a progress bar (frame i of n, time left); a cached result returns at once.

    A video longer than the time budget (``core.video.DEFAULT_MAX_SECONDS``) is analysed up to
    the budget; the page says so before the bar starts."""
    from core.analysis import analyze_gait_video
    from core.video import DEFAULT_MAX_SECONDS, cut_at_s, cut_message, probe_video

    try:
        info = probe_video(path, fps=fps)
    except SapiensMeasureError:
        info = None  # the analysis below meets the same error and shows it once
    cut = None if info is None else cut_at_s(info, DEFAULT_MAX_SECONDS)
    if info is not None and cut is not None:
        st.info(cut_message(info, cut, upload.name))
    bar = st.progress(0.0, text="Starting ...")
    start = time.perf_counter()

    def progress(done: int, total: int | None) -> None:
        elapsed = time.perf_counter() - start
        if total:
            left = elapsed / done * max(0, total - done)
            bar.progress(
                min(1.0, done / total), text=f"Frame {done} of {total}, about {left:.0f} s left"
            )
        else:
            bar.progress(0.0, text=f"Frame {done}, {elapsed:.0f} s so far")

    def compute() -> GaitAnalysis:
        with inference_lock(backend):
            return analyze_gait_video(
                path, backend, every=every, progress=progress, height_m=height_m, fps=fps
            )

    found = attempt(cache.cached, analysis_key(upload, backend, every, height_m, fps), compute)
    bar.empty()
    return None if found is None else found[0]


def parameters_table(result: GaitResult) -> pd.DataFrame:
    """Left, right and symmetry per parameter; "not visible" where not computed."""
    p = result.params
    rows = []
    for pattern, label, unit in PARAMETERS:
        left, right = (
            p.get(pattern.format("left"), math.nan),
            p.get(pattern.format("right"), math.nan),
        )
        if not (math.isfinite(left) or math.isfinite(right)) and unit == "m":
            continue  # metres only when the subject's height is known
        rows.append(
            {
                "parameter": label,
                "unit": unit,
                "left": format_value(left, "", 3),
                "right": format_value(right, "", 3),
            }
        )
    for key, label in (
        ("symmetry_index_step_time_pct", "symmetry index, step time"),
        ("symmetry_index_step_length_pct", "symmetry index, step length"),
    ):
        rows.append(
            {
                "parameter": label,
                "unit": "%",
                "left": format_value(p.get(key, math.nan), "", 1),
                "right": "",
            }
        )
    return pd.DataFrame(rows)


#: How each grade is shown: the Streamlit call and its headline.
GRADE_SHOWN = {
    "good": (st.success, "Quality: good"),
    "limited": (st.warning, "Quality: limited"),
    "unusable": (st.error, "Quality: unusable"),
}


def render_quality(result: GaitResult) -> None:
    """The session's grade and the reasons behind it (``core.measure.gait_quality``)."""
    quality = result.quality
    if quality is None:
        return
    show, headline = GRADE_SHOWN[quality.grade]
    reasons = [text for _, text in quality.reasons]
    body = "".join(f"\n- {r}" for r in reasons) if reasons else " no problem found."
    show(f"**{headline}**{body}")


def render_summary(analysis: GaitAnalysis) -> None:
    from core.measure.gait_quality import QUALITY_WARNING_PREFIX

    result = analysis.result
    render_quality(result)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Cadence", format_value(result.cadence_spm, "steps/min"))
    c2.metric("Heel strikes", str(result.n_steps))
    c3.metric("Analysed frame rate", f"{result.analysed_fps:.1f} fps")
    c4.metric(
        "Walking direction", (result.walking_direction or "not a side view").replace("_", " ")
    )
    st.dataframe(parameters_table(result), hide_index=True, key="gait_params")
    for warning in result.warnings:
        if not warning.startswith(QUALITY_WARNING_PREFIX):  # the grade above already says it
            st.warning(warning)


def render_chart(analysis: GaitAnalysis) -> None:
    result = analysis.result
    events = pd.DataFrame([e.as_dict() for e in result.heel_strikes], columns=["time_s", "side"])
    for i, panel in enumerate(time_series_panels(result.series, SERIES, events=events)):
        # An explicit element height: with "content" the stretched panels were laid out too flat.
        st.altair_chart(panel, width="stretch", height=220, key=f"gait_chart_{i}")
    st.caption("Filtered signals (4th-order zero-phase Butterworth); dashed lines: heel strikes.")


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
    for frame in iter_frames(path, every=every, fps=fps, end_s=analysis.cut_at_s, **_limits()):
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
    """The annotated video (H.264 MP4), written once per analysis into ``<data>/tmp``."""
    from core.video import write_overlay_video

    fps = info.fps if info.fps_given else None
    key = cache.file_hash(repr(analysis_key(upload, backend, every, None, fps)).encode())[:24]
    out = settings.data_dir / SCRATCH_DIRNAME / f"overlay_{key}.mp4"
    if out.is_file():
        return out
    with st.spinner("Writing the overlay video ..."):
        return attempt(
            write_overlay_video,
            _overlay_frames(path, analysis, every, fps),
            out,
            fps=info.fps / every,
        )


def render_frame_inspector(path: Path, analysis: GaitAnalysis, fps: float | None = None) -> None:
    """A slider over the analysed frames; shows the chosen frame with the tracked skeleton."""
    from core.imaging.overlay import draw_pose
    from core.video import iter_frames

    n = len(analysis.series)
    t = st.slider("Analysed frame", 0, max(0, n - 1), 0, key="gait_frame")
    time_s = float(analysis.series.time_s[t])
    # A frame's timestamp can be a hair off its nominal value: start a little before it.
    frame = attempt(
        lambda: next(
            iter_frames(path, start_s=max(0.0, time_s - 1e-3), max_frames=1, fps=fps, **_limits()),
            None,
        )
    )
    if frame is not None:
        st.image(
            draw_pose(frame.rgb, pose_at(analysis, t)),
            caption=f"frame {int(analysis.series.frame_index[t])} at {time_s:.2f} s",
        )


def render_save(
    store: Store,
    subject: Subject,
    backend: Backend,
    upload: Upload,
    analysis: GaitAnalysis,
    overlay: Path | None,
    every: int,
    fps: float | None = None,
) -> None:
    """Save button; says so when this video with this model and rate is already saved (by the app,
    the CLI or batch: ``core.store.drafts``)."""
    from dataclasses import replace

    from core.sessions.make import gait_draft
    from core.sessions.options import GaitOptions
    from core.store import drafts
    from core.video import DEFAULT_MAX_SECONDS

    options = GaitOptions(every=every, fps=fps, max_seconds=DEFAULT_MAX_SECONDS, height_m=subject.height_m)  # fmt: skip
    draft = gait_draft(analysis, source_hash=upload.sha256, options=options)
    draft = gait3d_ui.draft_to_save(analysis, draft)
    existing = attempt(drafts.find, store, subject.id, draft)
    if existing is not None:
        st.info(
            f"This video with this model and frame rate is already saved for {subject.label} as session {existing}."
        )
        return
    notes = st.text_input("Notes (optional)", key="gait_notes", max_chars=500)
    if st.button(f"Save to {subject.label}", key="gait_save", type="primary"):
        if overlay is not None:  # read only now: the video can be large
            draft = replace(draft, artifacts={"overlay.mp4": overlay.read_bytes()})
        session_id = attempt(drafts.save, store, subject.id, draft, notes=notes)
        if session_id is not None:
            st.success(f"Saved as session {session_id} for {subject.label}.")
