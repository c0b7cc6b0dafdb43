"""Posture snapshot: joint angles, tilts, trunk lean and neck flexion from one photo (or several)."""

import streamlit as st

from core.app import posture_ui as ui
from core.app import subjects, uploads
from core.app.errors import attempt
from core.app.layout import page
from core.app.posture_desk import render_desk_check
from core.app.posture_target import render_target
from core.app.resources import get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend
from core.measure.view import VIEW_CHOICES, VIEW_LABELS

page(
    "Posture snapshot",
    "Upload a photo or take one; the largest person is measured, or the one you choose.",
)
settings = get_settings()
store = get_store(settings)
subject = subjects.require_subject(store)

st.info(ui.CAPTURE_HINT, icon=":material/photo_camera:")
view = st.radio(
    "View",
    list(VIEW_CHOICES),
    format_func=VIEW_LABELS.get,
    key="posture_view",
    horizontal=True,
)
repeat = st.toggle(
    "Repeatability mode: several photos of the same pose give mean and SD per measure",
    key="posture_repeat",
)
photos = uploads.image_input("posture", multiple=repeat)
if not photos:
    st.stop()

backend = attempt(get_backend, *chosen_backend(), settings)
if backend is None:
    st.stop()
fast = False
if hasattr(backend, "flip_test"):  # Sapiens2 and lite: the flip test doubles the pose cost
    fast = st.toggle("Fast mode (no flip test)", key="posture_fast", help=ui.FAST_HELP)
with st.spinner(f"Measuring with {backend.name} ..."):
    snaps = [s for s in (ui.analyse(p, backend, view, settings, fast=fast) for p in photos) if s]
if not snaps:
    st.stop()

if not repeat:  # several people in the photo: who to measure (repeatability: the largest in each)
    snaps = [ui.chosen_person(snaps[0], backend, view, settings, fast=fast)]

ui.render_result(snaps[0], view)
if repeat:
    st.subheader("Repeatability")
    ui.render_repeatability(snaps)
st.subheader("Desk check (RULA bands)")
render_desk_check(snaps[0].result)
st.subheader("Exercise target")
render_target(
    snaps[0].result.measures,
    {k for k, c in snaps[0].result.confidence.measures.items() if not c.reliable},
)
st.subheader("Save")
ui.render_save(store, subject, backend, snaps[0], view, fast=fast)
