"""Desk watch: RULA bands over a work period from this computer's camera, alerts on sustained strain."""

import streamlit as st

from core.app import desk_ui as ui
from core.app import subjects
from core.app.errors import attempt, user_errors
from core.app.layout import page
from core.app.resources import get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend
from core.measure.desk_watch import WatchConfig
from core.measure.view import VIEW_CHOICES, VIEW_LABELS

page("Desk watch", "Leave it open while you work: told when a strain lasts, not when it flickers.")
st.info(ui.HOW_IT_WORKS, icon=":material/videocam:")
settings = get_settings()
store = get_store(settings)
subject = subjects.require_subject(store)

period = st.session_state.get(ui.STATE_KEY)
running = period is not None and not period.ended
c1, c2, c3, c4 = st.columns(4)
source = c1.text_input("Camera index or video file", "0", key="desk_source", disabled=running)
every = c2.number_input(
    "Seconds between frames", 0.1, 60.0, 1.0, key="desk_every", disabled=running
)
window = c3.number_input(
    "Smoothing window (s)", 1.0, 600.0, 10.0, key="desk_window", disabled=running
)
alert_after = c4.number_input(
    "Alert after (s) outside neutral", 1.0, 7200.0, 300.0, key="desk_alert_after", disabled=running
)
view = st.radio(
    "View",
    list(VIEW_CHOICES),
    index=VIEW_CHOICES.index("side"),
    format_func=VIEW_LABELS.get,
    key="desk_view",
    horizontal=True,
)
clicked = not running and st.button("Start the work period", key="desk_start", type="primary")
if period is None and not clicked:
    st.stop()
# The lite backend unless Sapiens2 is chosen in the sidebar (tens of ms a frame on a CPU).
name, size = chosen_backend()
backend = attempt(get_backend, "lite" if name == "auto" else name, size, settings)
if backend is None:
    st.stop()
if clicked:
    with user_errors():
        config = WatchConfig(
            window_s=window, alert_after_s=alert_after, max_gap_s=max(2.0, 2 * every)
        )
        period = ui.start(source, config, every)
        running = True


@st.fragment(run_every=every if running else None)
def live() -> None:
    current = st.session_state.get(ui.STATE_KEY)
    if current is None:
        return
    if not current.ended:
        with user_errors():
            ui.step(current, backend, view)
        if current.ended:
            st.rerun()  # the whole page, so the timed refresh stops with the source
    ui.render(current)


live()
if period is not None and period.watch.start_s is not None:
    notes = st.text_input("Notes", key="desk_notes")
    c1, c2 = st.columns(2)
    if running and c2.button("Stop without saving", key="desk_stop"):
        ui.stop(period)
        st.session_state.pop(ui.STATE_KEY, None)
        st.rerun()
    if c1.button("Stop and save the work period", key="desk_save"):
        with user_errors():
            sid = ui.save(store, subject, period, backend, notes)
            st.session_state.pop(ui.STATE_KEY, None)
            st.success(f"Saved as session {sid}; see it in Sessions review.")
