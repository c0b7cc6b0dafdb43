"""The posture snapshot's building blocks: analyse a photo (cached), show the skeleton and the
measures, repeatability, and saving to the subject.

The page script calls these in order, with the desk check (``core.app.posture_desk``), the exercise
target (``posture_target``) and the choice of person (``posture_people``); every number comes from
``core.analysis`` and ``core.measure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.app import cache, posture3d_ui
from core.app import posture_people as people
from core.app.errors import attempt
from core.app.notice import PLANE_NOTE
from core.app.posture_overlay import DISPLAY_WIDTH_PX, display_factor, draw_overlay
from core.app.posture_table import measure_name, render_measures
from core.app.resources import backend_key
from core.app.tables import repeatability_table
from core.app.uploads import Upload
from core.config import Settings
from core.measure.display import format_number
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
    """One analysed photo: the upload, the decoded image, the result, its skeleton overlay (the
    photo's own size), the overlay drawn for the screen (``core.app.posture_overlay.DRAW_WIDTH_PX``
    wide) and the session it saves as (``core.sessions``)."""

    upload: Upload
    image: np.ndarray
    result: PostureResult
    overlay: np.ndarray
    display: np.ndarray
    draft: SessionDraft


def analyse(
    upload: Upload,
    backend: Backend,
    view: str,
    settings: Settings,
    *,
    fast: bool = False,
    point: tuple[float, float] | None = None,
) -> Snapshot | None:
    """Decode and measure one photo; the same bytes, backend, view, mode and point are computed
    once.

    ``fast`` turns the backend's flip test (Sapiens2, lite) off for this photo: asked per call, so the backend shared
    between sessions runs each photo as its page asked (``core.sessions.make``, under core's
    inference lock). ``point`` (x, y pixels) measures the person there instead of the largest
    (``core.app.posture_people``).
    """
    from core.sessions.make import make_posture, read_photo
    from core.sessions.options import PostureOptions

    def compute() -> Snapshot:
        photo = read_photo(upload.data, settings=settings)
        options = PostureOptions(view=view, fast=fast, point=point)
        made = make_posture(photo, backend, options, settings=settings)
        result, image = made.result, photo.image
        factor = display_factor(image.shape[1])
        return Snapshot(
            upload,
            image,
            result,
            draw_overlay(image, result),
            draw_overlay(image, result, factor=factor),
            made.draft,
        )

    key = ("posture", upload.sha256, backend_key(backend), view, fast, point)
    found = attempt(cache.cached, key, compute)
    return None if found is None else found[0]


def chosen_person(
    snap: Snapshot, backend: Backend, view: str, settings: Settings, *, fast: bool = False
) -> Snapshot:
    """``snap`` measured on the person the user chooses (a select box when the photo holds several
    people; ``core.app.posture_people``): the same photo analysed at the centre of their box."""
    index = people.choose_person(snap.result, snap.upload.sha256)
    if index == snap.result.person_index:
        return snap
    point = people.point_of(snap.result, index)
    with st.spinner(f"Measuring person {index + 1} ..."):
        chosen = analyse(snap.upload, backend, view, settings, fast=fast, point=point)
    if chosen is None:
        st.stop()
    if chosen.result.person_index != index:
        st.warning(f"Person {index + 1} could not be told apart from the others on a second look.")
    return chosen


#: What the posture page says about the fast mode (Sapiens2, and lite photos).
FAST_HELP = (
    "About half the time. Keypoints are not averaged with those of a mirrored copy of the photo, "
    "so they are slightly less precise, and left and right limbs are swapped more often in side "
    "views and crossed-leg poses. With lite, points the two copies disagree on are no longer flagged."
)


def render_result(snap: Snapshot, view: str) -> None:
    """The overlay (wide enough to read; the image's fullscreen button enlarges it), who was
    measured, the view, the warnings and the measures (``core.app.posture_table``)."""
    from core.imaging.overlay import SCORE_LEGEND

    with st.container(width=DISPLAY_WIDTH_PX):
        st.image(
            snap.display,
            caption=f"{snap.upload.name}: skeleton ({snap.result.pose.model})",
            width="stretch",
        )
    st.caption(SCORE_LEGEND + " Hover the picture for its fullscreen button to enlarge it.")
    who = people.measured_text(snap.result)
    if who:
        st.info(who, icon=":material/person_search:")
    used = snap.result.view
    st.markdown(f"**Measures** ({VIEW_LABELS[used].lower()} view)")
    if view == "auto":
        st.caption(f"View inferred from the keypoints: {VIEW_LABELS[used].lower()}.")
    for warning in people.page_warnings(snap.result):
        st.warning(warning, icon=":material/warning:")
    render_measures(snap.result)
    st.caption(
        PLANE_NOTE + ' "Not measured": a point needed was missing or below the score threshold. '
        "Score: the lowest score of the points a measure uses."
    )
    posture3d_ui.render(snap)


def render_repeatability(snaps: list[Snapshot]) -> None:
    sd_limit = st.number_input(
        "Flag a measure as unstable when its SD exceeds (°)",
        min_value=0.1,
        value=3.0,
        step=0.5,
        key="posture_sd_limit",
    )
    flagged = [
        {k for k, c in s.result.confidence.measures.items() if not c.reliable} for s in snaps
    ]
    table = repeatability_table(
        [s.result.measures for s in snaps], sd_limit_deg=float(sd_limit), unreliable=flagged
    )
    table["measure"] = table["key"].map(measure_name)  # "Elbow angle (left)": the side included
    for column in ("mean", "sd"):
        table[column] = [format_number(v, "deg") for v in table[column]]
    st.table(table[["measure", "n", "mean", "sd", "readout"]], hide_index=True)
    doubtful = table[table["readout"].str.startswith("unreliable")]["measure"].tolist()
    if doubtful:
        st.warning(
            f"{len(doubtful)} measure(s) unreliable in at least one photo, so their mean and SD "
            f"are not to be relied on either: {', '.join(doubtful)}."
        )
    unstable = table[table["readout"].str.startswith("unstable")]["measure"].tolist()
    if unstable:
        st.warning(f"{len(unstable)} measure(s) unstable across the photos: {', '.join(unstable)}.")
    elif not doubtful:
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

    draft = posture3d_ui.draft_to_save(snap)
    existing = attempt(drafts.find, store, subject.id, draft)
    if existing is not None:
        st.info(
            f"This photo with this model and view is already saved for {subject.label} as session {existing}."
        )
        return
    notes = st.text_input("Notes (optional)", key="posture_notes", max_chars=500)
    if st.button(f"Save to {subject.label}", key="posture_save", type="primary"):
        session_id = attempt(drafts.save, store, subject.id, draft, notes=notes)
        if session_id is not None:
            st.success(f"Saved as session {session_id} for {subject.label}.")
