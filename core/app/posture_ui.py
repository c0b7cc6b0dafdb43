"""The posture snapshot's building blocks: analyse a photo (cached), show the skeleton and tables,
the desk check, an exercise target, repeatability, and saving to the subject.

The page script calls these in order; every number comes from ``core.analysis`` and
``core.measure``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from core.app import cache, posture3d_ui
from core.app.errors import attempt
from core.app.notice import PLANE_NOTE
from core.app.resources import backend_key, inference_lock
from core.app.tables import format_value, measures_table, repeatability_table, rula_table
from core.app.uploads import Upload
from core.config import Settings
from core.measure.view import VIEW_LABELS

if TYPE_CHECKING:
    from core.analysis import PostureResult
    from core.backends.base import Backend
    from core.store import Store
    from core.store.records import Subject

CAPTURE_HINT = (
    "For comparable numbers: camera at hip height and level, the subject square to the camera "
    "(front view) or exactly side-on (side view), the whole body in the frame, plain background."
)


@dataclass(frozen=True)
class Snapshot:
    """One analysed photo: the upload, the decoded image, the result and its skeleton overlay."""

    upload: Upload
    image: np.ndarray
    result: PostureResult
    overlay: np.ndarray


def analyse(
    upload: Upload, backend: Backend, view: str, settings: Settings, *, fast: bool = False
) -> Snapshot | None:
    """Decode and measure one photo; the same bytes, backend, view and mode are computed once.

    ``fast`` turns Sapiens2's flip test off for this photo. The backend is shared between sessions,
    so the switch is set under the backend's lock, right before the model runs.
    """
    from core.analysis import analyze_posture
    from core.imaging.decode import decode_image
    from core.imaging.overlay import draw_pose

    def compute() -> Snapshot:
        image = decode_image(upload.data, max_pixels=settings.max_image_pixels)
        with inference_lock(backend):
            if hasattr(backend, "flip_test"):
                backend.flip_test = not fast
            result = analyze_posture(image, backend, view=view, settings=settings)
        overlay = draw_pose(image, result.pose, min_score=result.confidence.min_score)
        return Snapshot(upload, image, result, overlay)

    key = ("posture", upload.sha256, backend_key(backend), view, fast)
    found = attempt(cache.cached, key, compute)
    return None if found is None else found[0]


#: What the posture page says about Sapiens2's fast mode.
FAST_HELP = (
    "About half the time. Keypoints are not averaged with those of a mirrored copy of the photo, "
    "so they are slightly less precise, and left and right limbs are swapped more often in side "
    "views and crossed-leg poses."
)


def params(backend: Backend, view: str, *, fast: bool = False) -> dict[str, object]:
    """What, besides the file, decides a posture result: the store's cache key."""
    p: dict[str, object] = {"kind": "posture", "view": view, "backend": backend_key(backend)}
    if fast:
        p["fast"] = True  # only when on, so earlier sessions keep matching
    return p


UNRELIABLE = "unreliable"


def confidence_table(result: PostureResult) -> pd.DataFrame:
    """:func:`measures_table` with each measure's score and reliability: an unreliable value reads
    "12.3° (unreliable)", never as a plain number; a measure not visible has neither."""
    table = measures_table(result.measures)
    scores, labels = [], []
    for key in table["key"]:
        c = result.confidence.measures.get(key)
        seen = c is not None and math.isfinite(result.measures[key])
        scores.append(f"{c.score:.2f}" if seen and math.isfinite(c.score) else "")
        labels.append(("reliable" if c.reliable else UNRELIABLE) if seen else "")
    table["score"], table["reliability"] = scores, labels
    flagged = table["reliability"] == UNRELIABLE
    table.loc[flagged, "value"] = table.loc[flagged, "value"] + f" ({UNRELIABLE})"
    return table[["measure", "side", "value", "unit", "score", "reliability", "key", "meaning"]]


def render_result(snap: Snapshot, view: str) -> None:
    from core.imaging.overlay import SCORE_LEGEND

    left, right = st.columns([2, 3], gap="medium")
    with left:
        st.image(snap.overlay, caption=f"{snap.upload.name}: skeleton ({snap.result.pose.model})")
        st.caption(SCORE_LEGEND)
    with right:
        used = snap.result.view
        st.markdown(f"**Measures** ({VIEW_LABELS[used].lower()} view)")
        if view == "auto":
            st.caption(f"View inferred from the keypoints: {VIEW_LABELS[used].lower()}.")
        for warning in snap.result.warnings:
            st.warning(warning, icon=":material/warning:")
        table = confidence_table(snap.result)
        st.dataframe(
            table.drop(columns=["key"]), hide_index=True, key="posture_table", width="stretch"
        )
        n_bad = int((table["reliability"] == UNRELIABLE).sum())
        if n_bad:
            st.warning(
                f"{n_bad} measure(s) unreliable: a point they use scores below "
                f"{snap.result.confidence.min_score:g}. Check the skeleton before using them."
            )
        st.caption(
            PLANE_NOTE + ' "not visible": a point needed was missing or below the score threshold. '
            "Score: the lowest score of the points a measure uses."
        )
    posture3d_ui.render(snap)


def render_desk_check(measures: dict[str, float], view: str) -> None:
    from core.measure.ergonomics import FINE, LOOK, desk_check

    check = desk_check(measures, view=view)
    box = {FINE: st.success, LOOK: st.warning}.get(check.status, st.info)
    box(f"Desk check: **{check.status}**: {check.message}")
    st.dataframe(rula_table(check.items), hide_index=True, key="posture_rula")
    st.caption("RULA posture bands (McAtamney and Corlett 1993); 'fine' is the part's best band.")


def render_target(measures: dict[str, float]) -> None:
    from core.measure.targets import PRESETS, check_target

    names = ["(custom)", *PRESETS]
    choice = st.selectbox("Exercise target", names, key="posture_target_preset")
    if choice == "(custom)":
        keys = list(measures)
        metric = st.selectbox("Measure", keys, key="posture_target_metric")
        target = st.number_input("Target (°)", value=90.0, step=1.0, key="posture_target_value")
        tolerance = st.number_input(
            "Tolerance (±°)", min_value=0.0, value=10.0, step=1.0, key="posture_target_tol"
        )
    else:
        preset = PRESETS[choice]
        metric, target, tolerance = preset.metric, preset.target, preset.tolerance
    value = float(measures.get(metric, math.nan))
    verdict = attempt(check_target, value, float(target), float(tolerance))
    if verdict is not None:
        st.metric(
            f"{metric}: target {target:g} ± {tolerance:g}°",
            format_value(value, "deg"),
            delta=verdict,
            delta_color="off",
        )


def render_repeatability(snaps: list[Snapshot]) -> None:
    sd_limit = st.number_input(
        "Flag a measure as unstable when its SD exceeds (°)",
        min_value=0.1,
        value=3.0,
        step=0.5,
        key="posture_sd_limit",
    )
    table = repeatability_table([s.result.measures for s in snaps], sd_limit_deg=float(sd_limit))
    st.dataframe(table.drop(columns=["key"]), hide_index=True, key="posture_repeat_table")
    unstable = table[table["readout"].str.startswith("unstable")]["key"].tolist()
    if unstable:
        st.warning(f"{len(unstable)} measure(s) unstable across the photos: {', '.join(unstable)}")
    else:
        st.success(f"All visible measures agree within {sd_limit:g}° across {len(snaps)} photos.")


def render_save(
    store: Store,
    subject: Subject,
    backend: Backend,
    snap: Snapshot,
    view: str,
    *,
    fast: bool = False,
) -> None:
    """Save button; says so when this photo with this model and view is already saved."""
    from core.imaging.decode import encode_png

    p = posture3d_ui.save_params(snap, params(backend, view, fast=fast))
    existing = attempt(store.find_session_by_hash, snap.upload.sha256, p, subject_id=subject.id)
    if existing is not None:
        st.info(
            f"This photo with this model and view is already saved for {subject.label} as session {existing}."
        )
        return
    notes = st.text_input("Notes (optional)", key="posture_notes", max_chars=500)
    if st.button(f"Save to {subject.label}", key="posture_save", type="primary"):
        session_id = attempt(
            store.save_session,
            subject.id,
            kind="posture",
            backend_info=snap.result.backend_info,
            source_hash=snap.upload.sha256,
            measurements=posture3d_ui.rows_to_save(snap),
            artifacts={"overlay.png": encode_png(snap.overlay)},
            notes=notes,
            params=p,
        )
        if session_id is not None:
            st.success(f"Saved as session {session_id} for {subject.label}.")
