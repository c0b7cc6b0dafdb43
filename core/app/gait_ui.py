"""Gait session building blocks: analysed frame rate, the header probe, the parameters and quality,
the time-series chart with its coverage note, and saving. The two passes over the video (analysis,
overlay) are ``core.app.gait_run``; the frame inspector is ``core.app.gait_inspect``.

Every number shown comes from ``core.analysis.analyze_gait_video`` / ``core.measure.gait``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core.app import gait3d_ui
from core.app.charts import curve_panels, time_series_panels
from core.app.errors import attempt, show_error
from core.app.gait_coverage import Coverage, coverage, coverage_note, untracked_frame
from core.app.gait_table import CURVE_TITLES, curve_table, parameters_table
from core.app.uploads import Upload
from core.errors import SapiensMeasureError
from core.measure.display import format_number

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
    # The unit in the label: "98.2 steps/min" did not fit a quarter of the page ("98.2 steps/…").
    c1.metric(
        "Cadence (steps/min)", format_number(result.cadence_spm, "steps/min", with_unit=False)
    )
    c2.metric("Heel strikes", str(result.n_steps))
    c3.metric("Analysed frame rate", f"{result.analysed_fps:.1f} fps")
    c4.metric(
        "Walking direction", (result.walking_direction or "not a side view").replace("_", " ")
    )
    st.table(parameters_table(result.params), hide_index=True)
    for warning in result.warnings:
        if not warning.startswith(QUALITY_WARNING_PREFIX):  # the grade above already says it
            st.warning(warning)


def _chart_frame(analysis: GaitAnalysis, info: VideoInfo) -> tuple[Coverage, dict[str, Any]]:
    """The coverage of the signals and what every gait chart shares: the heel strikes, the whole
    clip on the time axis (a variable-rate clip's last timestamp can pass its nominal length) and
    the stretches without the walker (an analysed frame lasts 1 / the analysed rate)."""
    result = analysis.result
    cov = coverage(analysis, tuple(SERIES), info.duration_s, result.analysed_fps)
    events = pd.DataFrame([e.as_dict() for e in result.heel_strikes], columns=["time_s", "side"])
    end = max(info.duration_s, float(result.series["time_s"].max()))
    return cov, {"events": events, "x_domain": (0.0, end), "shaded": untracked_frame(cov)}


def render_chart(analysis: GaitAnalysis, info: VideoInfo) -> None:
    """The filtered signals over the whole clip (``info``: the header probe), the stretches without
    the walker greyed, heel strikes dashed, and a note on why the signals start late or end early."""
    cov, frame = _chart_frame(analysis, info)
    panels = time_series_panels(analysis.result.series, SERIES, **frame)
    for i, panel in enumerate(panels):
        # An explicit element height: with "content" the stretched panels were laid out too flat.
        st.altair_chart(panel, width="stretch", height=220, key=f"gait_chart_{i}")
    note = coverage_note(cov)
    if note:
        st.info(note)
    grey = "; grey: the walker not tracked" if cov.untracked else ""
    st.caption(
        f"Filtered signals (4th-order zero-phase Butterworth); dashed lines: heel strikes{grey}."
    )


def render_curves(analysis: GaitAnalysis, info: VideoInfo) -> None:
    """The hip, knee and ankle angles over the walk (left and right), samples not to be relied on
    as hollow rings, and their range over the reliable samples; a line saying why when there are
    none (no walking direction: a signed side-view angle needs it)."""
    result = analysis.result
    table = curve_table(result)
    if table.empty:
        st.info(
            "No joint-angle curves: they are signed toward the walking direction, and this clip "
            "has none (see the warnings above)."
        )
        return
    panels = curve_panels(result.series, CURVE_TITLES, **_chart_frame(analysis, info)[1])
    for i, panel in enumerate(panels):
        st.altair_chart(panel, width="stretch", height=240, key=f"gait_curve_{i}")
    st.caption(
        "Side-view angles, measured toward the walking direction (docs/MEASURES.md, 2b), from the "
        "filtered keypoints; hollow rings: samples not to be relied on (a point below the "
        "reliable score or not seen in that frame, the walker at the picture's edge, or a value "
        "far from its frame's own reading); the table says which."
    )
    st.table(table, hide_index=True)


def render_save(
    store: Store,
    subject: Subject,
    backend: Backend,
    upload: Upload,
    analysis: GaitAnalysis,
    overlay: Path | None,
    every: int,
    fps: float | None = None,
    fast: bool = False,
) -> None:
    """Save button; says so when this video with this model and rate is already saved (by the app,
    the CLI or batch: ``core.store.drafts``)."""
    from dataclasses import replace

    from core.app.gait_run import page_batch
    from core.sessions.make import gait_draft
    from core.sessions.options import GaitOptions
    from core.store import drafts
    from core.video import DEFAULT_MAX_SECONDS

    options = GaitOptions(every=every, fps=fps, max_seconds=DEFAULT_MAX_SECONDS, height_m=subject.height_m,
                          batch=page_batch(backend), fast=fast)  # fmt: skip
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
