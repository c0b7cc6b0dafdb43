"""Desk watch: RULA bands over a work period from the browser's camera or this computer's, alerts on
sustained strain."""

import streamlit as st

from core.app import desk_ui as ui
from core.app import subjects
from core.app.errors import attempt, user_errors
from core.app.layout import page
from core.app.resources import get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend
from core.measure.desk_watch import WatchConfig
from core.measure.view import VIEW_CHOICES, VIEW_LABELS

SERVER, BROWSER = "server", "browser"
SOURCES = {
    BROWSER: "Browser camera (WebRTC, measured on this machine)",
    SERVER: "Camera of this computer, or a video file (read by the server)",
}

page("Desk watch", "Leave it open while you work: told when a strain lasts, not when it flickers.")
settings = get_settings()
store = get_store(settings)
subject = subjects.require_subject(store)

period = st.session_state.get(ui.STATE_KEY)
running = period is not None and not period.ended
mode = st.radio(
    "Camera",
    [SERVER, BROWSER],
    format_func=SOURCES.get,
    key="desk_mode",
    horizontal=True,
    disabled=running,
)
if mode == BROWSER:
    from core.app import desk_webrtc as web

    saved = web.saved_session()
    if saved is not None:
        st.success(f"Saved as session {saved}; see it in Sessions review.")
    st.info(web.HOW_IT_WORKS, icon=":material/videocam:")
    if not web.lan_addresses():
        st.warning(
            "This machine has only loopback addresses: the browser camera cannot connect here. "
            "Use the camera of this computer instead.",
            icon=":material/wifi_off:",
        )
else:
    st.info(ui.HOW_IT_WORKS, icon=":material/videocam:")
c1, c2, c3, c4 = st.columns(4)
if mode == SERVER:
    source = c1.text_input("Camera index or video file", "0", key="desk_source", disabled=running)
if mode == SERVER:
    every = c2.number_input(
        "Seconds between frames", 0.1, 60.0, 1.0, key="desk_every", disabled=running
    )
else:  # the video itself runs at the camera's rate; only this many frames are measured
    every = c2.number_input(
        "Seconds between measured frames", 0.2, 60.0, 0.5, key="desk_every_browser",
        disabled=running,
    )  # fmt: skip
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


def config() -> WatchConfig:
    return WatchConfig(window_s=window, alert_after_s=alert_after, max_gap_s=max(2.0, 2 * every))


if mode == BROWSER:
    st.caption("The browser camera is measured with its own lite (MediaPipe) model.")
    meter = web.meter(settings, view, every)
    playing = web.live_stream(meter)
    if playing and not running:
        with user_errors():
            period, running = web.begin(config()), True

    @st.fragment(run_every=1.0 if playing else None)
    def live_browser() -> None:
        current = st.session_state.get(ui.STATE_KEY)
        if meter.error:
            st.error(meter.error, icon=":material/error:")
        if current is None:
            meter.drain()  # frames of no period (a stop still on its way) are not kept
            st.caption("Press START and allow the camera: the work period begins with the video.")
            return
        with user_errors():
            ui.announce(web.feed(current, meter.drain()))
        ui.render(current)

    live_browser()
    backend_info = meter.backend_info
else:
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
            period = ui.start(source, config(), every)
            running = True

    @st.fragment(run_every=every if running else None)
    def live() -> None:
        current = st.session_state.get(ui.STATE_KEY)
        if current is None:
            return
        if not current.ended:
            with user_errors():
                ui.announce(ui.step(current, backend, view))
            if current.ended:
                st.rerun()  # the whole page, so the timed refresh stops with the source
        ui.render(current)

    live()
    backend_info = dict(backend.describe())

# A browser period begins before its first frame arrives (in the fragment), so its buttons show
# from the start; "nothing to save" is said if it is saved before any frame.
if period is not None and (mode == BROWSER or period.watch.start_s is not None):
    notes = st.text_input("Notes", key="desk_notes")
    c1, c2 = st.columns(2)
    if running and c2.button("Stop without saving", key="desk_stop"):
        ui.stop(period)
        st.session_state.pop(ui.STATE_KEY, None)
        if mode == BROWSER:
            web.request_stop()
        st.rerun()
    if c1.button("Stop and save the work period", key="desk_save"):
        with user_errors():
            if mode == BROWSER:
                web.feed(period, meter.drain())  # what came in since the last refresh
            sid = ui.save(store, subject, period, backend_info, notes)
            st.session_state.pop(ui.STATE_KEY, None)
            if mode == BROWSER:
                web.request_stop(saved=sid)
                st.rerun()  # the camera widget above is told to stop
            st.success(f"Saved as session {sid}; see it in Sessions review.")
