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

from core.app import cache
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
    from core.sessions.draft import SessionDraft
    from core.store import Store
    from core.store.records import Subject

CAPTURE_HINT = (
    "For comparable numbers: camera at hip height and level, the subject square to the camera "
    "(front view) or exactly side-on (side view), the whole body in the frame, plain background."
)


@dataclass(frozen=True)
class Snapshot:
    """One analysed photo: the upload, the decoded image, the result and its skeleton overlay,
    and the session it saves as (``core.sessions``)."""

    upload: Upload
    image: np.ndarray
    result: PostureResult
    overlay: np.ndarray
    draft: SessionDraft


def analyse(
    upload: Upload, backend: Backend, view: str, settings: Settings, *, fast: bool = False
) -> Snapshot | None:
    """Decode and measure one photo; the same bytes, backend, view and mode are computed once.

    ``fast`` turns Sapiens2's flip test off for this photo. The backend is shared between sessions,
    so the switch is set under the backend's lock, right before the model runs.
    """
    from core.imaging.overlay import draw_pose
    from core.sessions.make import make_posture, read_photo
    from core.sessions.options import PostureOptions

    def compute() -> Snapshot:
        photo = read_photo(upload.data, settings=settings)
        with inference_lock(backend):
            made = make_posture(photo, backend, PostureOptions(view=view, fast=fast), settings=settings)  # fmt: skip
        result = made.result
        overlay = draw_pose(photo.image, result.pose, min_score=result.confidence.min_score)
        return Snapshot(upload, photo.image, result, overlay, made.draft)

    key = ("posture", upload.sha256, backend_key(backend), view, fast)
    found = attempt(cache.cached, key, compute)
    return None if found is None else found[0]


#: What the posture page says about Sapiens2's fast mode.
FAST_HELP = (
    "About half the time. Keypoints are not averaged with those of a mirrored copy of the photo, "
    "so they are slightly less precise, and left and right limbs are swapped more often in side "
    "views and crossed-leg poses."
)


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
    """Save button; says so when this photo with this model and view is already saved (by the app,
    the CLI or batch: ``core.store.drafts``). ``backend``, ``view``, ``fast``: those of ``snap``."""
    from core.store import drafts

    existing = attempt(drafts.find, store, subject.id, snap.draft)
    if existing is not None:
        st.info(
            f"This photo with this model and view is already saved for {subject.label} as session {existing}."
        )
        return
    notes = st.text_input("Notes (optional)", key="posture_notes", max_chars=500)
    if st.button(f"Save to {subject.label}", key="posture_save", type="primary"):
        session_id = attempt(drafts.save, store, subject.id, snap.draft, notes=notes)
        if session_id is not None:
            st.success(f"Saved as session {session_id} for {subject.label}.")
