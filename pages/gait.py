"""Gait session: a walking video in, cadence, step and stride times, symmetry and per-frame signals out."""

import streamlit as st

from core.app import cache, gait3d_ui, gait_inspect, gait_progress, gait_run, subjects, uploads
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
# The header only: no frame is decoded before the analysis (which times its own first frames).
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
# The lite flip test on the frames (each frame and its mirror): steadier joint angles, ~2.3x time.
fast = backend.name == "lite" and st.checkbox(
    "Fast: skip the flip test",
    value=False,
    key="gait_fast",
    help="Each frame is analysed once instead of with its mirror image: about 2.3x faster, the "
    "joint-angle curves less steady (docs/VALIDATION.md, section 6).",
)
analysed_fps = info.fps / every
n_frames = -(-info.n_frames // every)
spf = gait_progress.known_speed(gait_run.speed_key(backend, fast))
st.caption(gait_progress.before_text(n_frames, analysed_fps, backend.name, spf))
height_m = subject.height_m
key = gait_run.analysis_key(video, backend, int(every), height_m, fps, fast)
if not cache.contains(key) and not st.button("Analyse the video", key="gait_run", type="primary"):
    st.stop()
analysis = gait_run.run_analysis(path, video, backend, info, int(every), height_m, fps, fast)
if analysis is None:
    st.stop()

st.subheader("Parameters")
ui.render_summary(analysis)
gait3d_ui.render(path, analysis, backend, height_m, fps)
st.subheader("Per-frame signals")
ui.render_chart(analysis, info)
st.caption(PLANE_NOTE)
st.subheader("Joint angles")
ui.render_curves(analysis, info)
st.subheader("Overlay video")
overlay = gait_run.overlay_video(path, video, analysis, backend, info, int(every), settings)
if overlay is not None:
    st.video(str(overlay))
st.subheader("Inspect a frame")
gait_inspect.render_frame_inspector(path, analysis, fps)

st.subheader("Save")
ui.render_save(store, subject, backend, video, analysis, overlay, int(every), fps, fast)
