"""The gait page's 3D option (Sapiens2 only): step length in metres from the pointmap of the
heel-strike frames, one scale for the video checked against the subject's height
(docs/MEASURES.md section 9, "Step length in metres"), saved with the session.

The page calls :func:`render` after the parameters; ``gait_ui.render_save`` calls
:func:`draft_to_save`. The numbers come from ``core.analysis3d``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core import analysis3d
from core.app import cache
from core.app.errors import attempt
from core.app.posture3d_ui import offer_download
from core.app.resources import backend_key, get_settings, inference_lock
from core.backends.base import Capability
from core.measure.display import format_number
from core.sessions.draft import with_rows

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis
    from core.backends.base import Backend
    from core.measure.step3d import Step3D
    from core.sessions.draft import SessionDraft

TOGGLE_KEY = "gait_3d"
#: session_state key of the last 3D steps: (id of the analysis, Step3D, rows).
RESULT_KEY = "gait_3d_result"


def cost_text(n_strikes: int, size: str, device: str, dtype: str) -> str:
    """The option's cost, before it runs: the seg and pointmap forwards of each strike frame."""
    sec = analysis3d.extra_seconds_3d(size, device, dtype)
    if sec is None:
        return f"{n_strikes} heel-strike frames; extra time on {device} not measured"
    return (
        f"{n_strikes} heel-strike frames, about {analysis3d.duration_words(sec * n_strikes)} more "
        f"({analysis3d.ESTIMATE_SOURCE})"
    )


def strikes_table(steps: Step3D) -> pd.DataFrame:
    """One row per heel strike: frame, foot, step (m) or why there is none."""
    return pd.DataFrame(
        [
            {"frame": f, "foot": side, "step": format_number(v, "m"), "note": why}
            for f, side, v, why in steps.per_strike
        ],
        columns=["frame", "foot", "step", "note"],
    )


def render(
    path: Path,
    analysis: GaitAnalysis,
    backend: Backend,
    height_m: float | None,
    fps: float | None = None,
) -> None:
    """The 3D step-length section: the option with its cost, then the steps in metres (``fps``:
    the rate given for a video that states none)."""
    st.session_state.pop(RESULT_KEY, None)  # set again below when this analysis has 3D steps
    info = analysis.backend_info
    if info.get("backend") != "sapiens2" or not backend.supports(Capability.POINTMAP):
        st.caption("Step length in metres from the pointmap needs the Sapiens2 backend.")
        return
    strikes = analysis.result.heel_strikes
    if not strikes:
        return
    size, device, dtype = (str(info.get(k, "")) for k in ("size", "device", "dtype"))
    on = st.toggle(
        f"Step length in metres from the pointmap: {cost_text(len(strikes), size, device, dtype)}",
        key=TOGGLE_KEY,
        help="Runs the Sapiens2 seg and pointmap models on the heel-strike frames only.",
    )
    if not on:
        return
    settings = get_settings()
    missing = analysis3d.missing_3d_weights(
        size, settings, loaded=analysis3d.loaded_tasks(backend.describe())
    )
    if missing:
        offer_download(missing, size)
        return

    def run() -> tuple[Step3D, pd.DataFrame]:
        with inference_lock(backend):
            heads = (backend.task_predictor("seg"), backend.task_predictor("pointmap"))
            return analysis3d.gait_steps_3d(
                path, analysis, heads, height_m=height_m, settings=settings, fps=fps
            )

    key = ("gait3d", str(path), backend_key(backend), len(strikes), height_m, fps)
    with st.spinner("3D: seg and pointmap of the heel-strike frames ..."):
        found = attempt(cache.cached, key, run)
    if found is None:
        return
    steps, rows = found[0]
    st.session_state[RESULT_KEY] = (id(analysis), steps, rows)
    _show(steps)


def _show(steps: Step3D) -> None:
    c1, c2 = st.columns(2)
    for col, side in ((c1, "left"), (c2, "right")):
        value = steps.lengths_m[f"step_length_{side}_3d_m"]
        col.metric(f"Step length {side} (3D)", format_number(value, "m"))
    for warning in steps.warnings:
        st.warning(warning)
    st.table(strikes_table(steps), hide_index=True)
    stature = "not measured" if math.isnan(steps.stature_m) else f"{steps.stature_m:.2f} m"
    st.caption(
        "Heel to heel along the walk, in the floor plane, at each heel strike (median per foot). "
        f"One scale for the video: {steps.scale:.3f} (pointmap stature {stature}, from the legs' "
        "segments). Proved on synthetic scenes only; real-weight accuracy is unmeasured."
    )


def _current(analysis: GaitAnalysis) -> pd.DataFrame | None:
    kept = st.session_state.get(RESULT_KEY)
    return kept[2] if kept and kept[0] == id(analysis) else None


def draft_to_save(analysis: GaitAnalysis, draft: SessionDraft) -> SessionDraft:
    """The draft a saved session gets: with the 3D step rows, under its own key (``"3d"`` in its
    parameters), when the option is on; else ``draft``."""
    rows_3d = _current(analysis)
    rows = None if rows_3d is None else analysis3d.with_3d_rows(analysis.rows, rows_3d)
    return with_rows(draft, rows, "3d")
