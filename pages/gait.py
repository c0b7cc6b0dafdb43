"""Gait session: a walking video in, cadence, step and stride times, symmetry and per-frame signals out."""

import streamlit as st

from core.app import cache, gait3d_ui, subjects, uploads
from core.app import gait_ui as ui
from core.app.errors import attempt
from core.app.layout import page
from core.app.notice import PLANE_NOTE
from core.app.resources import BACKEND_CHOICES, get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend

page(
    "Gait session",
    "Film the subject walking across the frame, side-on, a few steps each way; the walker is tracked "
    "even when someone else is in the picture.",
)
settings = get_settings()
store = get_store(settings)
subject = subjects.require_subject(store)

video = uploads.video_input("gait")
if video is None:
    st.stop()
path = uploads.spool(video, settings)
info, fps = ui.probe(path)  # fps: the rate the user gave, for a video that states none
if info is None:
    st.stop()
st.caption(
    f"{video.name}: {info.width}×{info.height}, {info.fps:.1f} fps, {info.n_frames} frames, {info.duration_s:.1f} s"
)

sidebar_name, size = chosen_backend()
c1, c2 = st.columns(2)
name = c1.selectbox(
    "Backend", BACKEND_CHOICES, index=BACKEND_CHOICES.index(sidebar_name), key="gait_backend"
)
backend = attempt(get_backend, name, size, settings)
if backend is None:
    st.stop()
every = c2.number_input(
    "Analyse every N-th frame",
    min_value=1,
    max_value=60,
    value=ui.default_every(backend, info.fps),
    key="gait_every",
    help="1 = full frame rate (lite is fast enough); events need about 10 analysed frames a second.",
)
analysed_fps = info.fps / every
n_frames = -(-info.n_frames // every)
spf = ui.seconds_per_frame(path, video, backend, fps)
if spf is not None:
    st.caption(
        f"{n_frames} frames at {analysed_fps:.1f} fps with {backend.name}: about {spf * n_frames:.0f} s "
        f"({spf:.2f} s a frame, measured on the first frames; the overlay video adds some more)."
    )
height_m = subject.height_m
key = ui.analysis_key(video, backend, int(every), height_m, fps)
if not cache.contains(key) and not st.button("Analyse the video", key="gait_run", type="primary"):
    st.stop()
analysis = ui.run_analysis(path, video, backend, int(every), height_m, fps)
if analysis is None:
    st.stop()

st.subheader("Parameters")
ui.render_summary(analysis)
gait3d_ui.render(path, analysis, backend, height_m, fps)
st.subheader("Per-frame signals")
ui.render_chart(analysis)
st.caption(PLANE_NOTE)
st.subheader("Overlay video")
overlay = ui.overlay_video(path, video, analysis, backend, info, int(every), settings)
if overlay is not None:
    st.video(str(overlay))
st.subheader("Inspect a frame")
ui.render_frame_inspector(path, analysis, fps)

st.subheader("Save")
ui.render_save(store, subject, backend, video, analysis, overlay, int(every), fps)
