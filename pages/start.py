"""Start: who is measured (subject and consent) and with what (backend and model status)."""

import streamlit as st

from core.app import doctor_panel, status, subjects
from core.app.layout import page
from core.app.resources import get_settings, get_store

page(
    "Sapiens Measure",
    "Joint angles and symmetry from a photo, gait events from a walking video, skin crops and "
    "relighting, computed on this computer. Pick or create a subject, then choose a page on the left.",
)
settings = get_settings()
store = get_store(settings)

left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Subject")
    subject = subjects.current_subject(store)
    if subject is not None:
        st.write(f"Current subject: **{subject.label}**")
        subjects.render_consent(store, subject)
    subjects.render_creator(store)
with right:
    st.subheader("Backend and models")
    status.render_panel(settings)
    doctor_panel.render()
