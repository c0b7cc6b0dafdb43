"""Sessions review: a subject's saved sessions, trends, comparisons, exports, report and deletion."""

import streamlit as st

from core.app import history, sessions_ui, subjects
from core.app.layout import page
from core.app.notice import PLANE_NOTE
from core.app.resources import get_settings, get_store

page(
    "Sessions review",
    "Saved sessions reopen from the store as they were measured; nothing is recomputed.",
)
settings = get_settings()
store = get_store(settings)
subject = subjects.current_subject(store)
if subject is None:
    st.info("No subject yet: create one on the Start page.")
    st.stop()

sessions = store.list_sessions(subject.id)
st.subheader(f"Sessions of {subject.label}")
if not sessions:
    st.info(f"No saved sessions for {subject.label} yet.")
    session = None
else:
    session = sessions_ui.pick_session(store, sessions)
    sessions_ui.render_session(store, session)
    hist = history.history(store, sessions)
    st.subheader("Trend")
    sessions_ui.render_trend(hist)
    st.caption(PLANE_NOTE)
    st.subheader("Compare two sessions")
    sessions_ui.render_compare(store, sessions)
    st.subheader("Export")
    sessions_ui.render_exports(store, subject, sessions, hist)

with st.expander("Delete"):
    sessions_ui.render_delete(store, subject, session)
