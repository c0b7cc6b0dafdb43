"""The posture page's 3D option (Sapiens2 only): the seg and pointmap heads turn the photo's 2D
keypoints into 3D joint angles, shown beside the 2D ones with their difference, a turned-away
warning, and saved with the session (docs/MEASURES.md section 9).

``posture_ui`` calls :func:`render` after the 2D results and :func:`draft_to_save`
when saving; everything measured comes from ``core.analysis3d``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import pandas as pd
import streamlit as st

from core import analysis3d
from core.app import cache
from core.app.errors import attempt
from core.app.resources import backend_key, get_backend, get_settings, get_store, inference_lock
from core.app.sidebar import chosen_backend
from core.backends.base import Capability
from core.measure.display import display_info, format_number
from core.measure.pose3d_rows import twin_2d
from core.measure.summary import split_side
from core.sessions.draft import with_rows

if TYPE_CHECKING:
    import numpy as np

    from core.analysis import PostureResult
    from core.analysis3d import Posture3D
    from core.app.uploads import Upload
    from core.sessions.draft import SessionDraft


class Snapshot(Protocol):
    """What this module reads of ``posture_ui.Snapshot`` (not imported: posture_ui imports this)."""

    @property
    def upload(self) -> Upload: ...
    @property
    def image(self) -> np.ndarray: ...
    @property
    def result(self) -> PostureResult: ...
    @property
    def draft(self) -> SessionDraft: ...


TOGGLE_KEY = "posture_3d"
#: session_state key of the last 3D result: ((photo hash, measured person's box), Posture3D).
RESULT_KEY = "posture_3d_result"
NOTE_3D = (
    "3D angles come from the Sapiens2 pointmap (a metric 3D point per pixel) and the body-part "
    "map: free of the camera's foreshortening, but never validated against a goniometer with real "
    "weights here; use them as a cross-check of the 2D ones. ± is one statistical sigma."
)


def cost_text(size: str, device: str, dtype: str) -> str:
    """The option's cost, shown before the user turns it on ("about N s more", and the source)."""
    sec = analysis3d.extra_seconds_3d(size, device, dtype)
    if sec is None:
        return f"extra time on {device} not measured (two more forwards of the {size} model)"
    return f"about {analysis3d.duration_words(sec)} more ({analysis3d.ESTIMATE_SOURCE})"


def comparison_table(measures_2d: dict[str, float], result: Posture3D) -> pd.DataFrame:
    """One row per 3D measure: its name (the 2D twin's words, side included), 2D, 3D (± sigma),
    3D − 2D, and a note (why the 3D value is missing)."""
    m = result.measures
    rows = []
    for name, value in m.values.items():
        twin = twin_2d(name)
        flat = measures_2d.get(twin, math.nan) if twin else math.nan
        words = display_info(*split_side(twin or name.replace("_3d_deg", "_deg")), "deg").name
        three = format_number(value, "deg")
        if math.isfinite(value) and math.isfinite(m.sigma_deg.get(name, math.nan)):
            three += f" ± {m.sigma_deg[name]:.1f}"
        diff = value - flat if math.isfinite(value) and math.isfinite(flat) else math.nan
        rows.append(
            {
                "measure": words,
                "2D": format_number(flat, "deg") if twin else "(no 2D twin)",
                "3D": three,
                "3D − 2D": "" if not math.isfinite(diff) else f"{diff:+.1f}°",
                "note": m.reasons.get(name, "") if not math.isfinite(value) else "",
                "key": name,
            }
        )
    return pd.DataFrame(rows, columns=["measure", "2D", "3D", "3D − 2D", "note", "key"])


def _stature_m() -> float | None:
    from core.app.subjects import current_subject

    subject = current_subject(get_store(get_settings()))
    return subject.height_m if subject else None


def offer_download(missing: list[str], size: str) -> None:
    from core.app.status import _download_sapiens2  # the Start page's download, with progress

    st.info(
        f"3D angles need the Sapiens2 {' and '.join(missing)} weights ({size}), not found here. "
        "Download them from Hugging Face (facebook/sapiens2-<task>-<size>; the Sapiens2 License "
        f"applies), or run `python -m core fetch sapiens2 --task <task> --size {size}`.",
        icon=":material/download:",
    )
    for task in missing:
        if st.button(f"Download Sapiens2 {task} {size}", key=f"posture_3d_download_{task}"):
            _download_sapiens2(task, size)


def _compute(snap: Snapshot, backend, stature_m: float | None) -> Posture3D | None:  # noqa: ANN001
    def run() -> Posture3D:
        with inference_lock(backend):
            heads = (backend.task_predictor("seg"), backend.task_predictor("pointmap"))
            return analysis3d.analyze_posture_3d(
                snap.image, snap.result.pose, heads, stature_m=stature_m
            )

    key = ("posture3d", snap.upload.sha256, backend_key(backend), snap.result.pose.box, stature_m)
    found = attempt(cache.cached, key, run)
    return None if found is None else found[0]


def render(snap: Snapshot) -> None:
    """The 3D section under the 2D results: the option with its cost, then the comparison."""
    info = snap.result.backend_info
    st.session_state.pop(RESULT_KEY, None)  # set again below when this photo has a 3D result
    if info.get("backend") != "sapiens2":
        st.caption("3D joint angles (from the pointmap) need the Sapiens2 backend (sidebar).")
        return
    size, device, dtype = (str(info.get(k, "")) for k in ("size", "device", "dtype"))
    on = st.toggle(
        f"3D angles from the pointmap: {cost_text(size, device, dtype)}",
        key=TOGGLE_KEY,
        help="Runs the Sapiens2 seg and pointmap models on the photo as well (two more forwards).",
    )
    if not on:
        return
    settings = get_settings()
    backend = attempt(get_backend, *chosen_backend(), settings)
    if backend is None or not backend.supports(Capability.POINTMAP):
        return
    loaded = analysis3d.loaded_tasks(backend.describe())
    missing = analysis3d.missing_3d_weights(size, settings, loaded=loaded)
    if missing:
        offer_download(missing, size)
        return
    with st.spinner("3D: seg and pointmap ..."):
        result = _compute(snap, backend, _stature_m())
    if result is None:
        return
    st.session_state[RESULT_KEY] = (_whose(snap), result)
    _show(snap, result)


def _show(snap: Snapshot, result: Posture3D) -> None:
    st.markdown(f"**2D and 3D side by side** (vertical: {result.measures.vertical})")
    for warning in result.measures.warnings:
        st.warning(warning, icon=":material/3d_rotation:")
    table = comparison_table(snap.result.measures, result)
    st.table(table.drop(columns=["key"]), hide_index=True)
    source = result.points.stature_source
    st.caption(
        f"{NOTE_3D} Stature for the surface-to-joint offset: {result.points.stature_m:.2f} m "
        f"({source}). Models: {', '.join(result.models)}."
    )


def _whose(snap: Snapshot) -> tuple[str, object]:
    return snap.upload.sha256, snap.result.pose.box  # the photo and the person measured in it


def _current(snap: Snapshot) -> Posture3D | None:
    kept = st.session_state.get(RESULT_KEY)
    return kept[1] if kept and kept[0] == _whose(snap) else None


def draft_to_save(snap: Snapshot) -> SessionDraft:
    """The draft a saved session gets: the photo's, with the 3D rows under its own key (``"3d"``
    in its parameters) when the option is on."""
    result_3d = _current(snap)
    rows = None if result_3d is None else analysis3d.with_3d_rows(snap.result.rows, result_3d)
    return with_rows(snap.draft, rows, "3d")
