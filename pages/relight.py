"""Relight: foreground-only Lambertian relighting from Sapiens2 normals; hair colour inside the Hair class."""

import streamlit as st

from core.app import relight_ui, subjects, uploads
from core.app.errors import attempt
from core.app.layout import page
from core.app.resources import get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend
from core.backends.base import Capability
from core.imaging.decode import decode_image, encode_png
from core.imaging.recolor import recolor_hair
from core.imaging.relight import relight

page(
    "Relight",
    "Relight the person (never the background) under a chosen light, e.g. the canonical light for "
    "standardised before/after photographs.",
)
settings = get_settings()
store = get_store(settings)
subjects.require_subject(store)

backend = attempt(get_backend, *chosen_backend(), settings)
if backend is None or not relight_ui.explain_missing(backend):
    st.stop()
photos = uploads.image_input("relight")
if not photos:
    st.stop()
photo = photos[0]
image = attempt(decode_image, photo.data, max_pixels=settings.max_image_pixels)
if image is None:
    st.stop()
with st.spinner("Estimating surface normals ..."):
    found = relight_ui.normals_and_parts(image, photo.sha256, backend)
if found is None:
    st.stop()
normal_map, seg = found

light = relight_ui.light_controls()
relit = attempt(relight, image, normal_map, relight_ui.foreground(normal_map, seg), **light)
if relit is None:
    st.stop()
hue = st.slider(
    "Hair hue shift (°)",
    -180,
    180,
    0,
    key="relight_hair_hue",
    disabled=seg is None or not backend.supports(Capability.BODY_PARTS),
    help="Turns the hue inside the Hair body part only (needs the Sapiens2 seg weights).",
)
if hue and seg is not None:
    recoloured = attempt(recolor_hair, relit, seg, hue_shift_deg=float(hue))
    relit = relit if recoloured is None else recoloured

left, right = st.columns(2)
left.image(image, caption="Original")
right.image(relit, caption="Relit: a derivative image, not a photograph")
st.download_button(
    "Download the relit image (PNG, no metadata)",
    data=encode_png(relit),
    file_name="relit_derivative.png",
    mime="image/png",
    key="relight_download",
)
