"""Skin ROI: face/neck and hand crops, ready for a downstream lesion classifier, as one zip."""

import streamlit as st

from core.app import skin_ui, subjects, uploads
from core.app.errors import attempt
from core.app.layout import page
from core.app.resources import get_backend, get_settings, get_store
from core.app.sidebar import chosen_backend
from core.backends.base import Capability
from core.imaging.decode import decode_image
from core.imaging.roi import crops_zip

page(
    "Skin ROI",
    "Face/neck and hand crops with a margin; exported as PNG without EXIF or other metadata.",
)
settings = get_settings()
store = get_store(settings)
subjects.require_subject(store)

c1, c2 = st.columns(2)
margin = c1.slider("Margin around each region", 0.0, 0.5, 0.15, 0.05, key="skin_margin")
dim = c2.slider("Background brightness (1 = not dimmed)", 0.0, 1.0, 0.35, 0.05, key="skin_dim")
photos = uploads.image_input("skin")
if not photos:
    st.stop()

backend = attempt(get_backend, *chosen_backend(), settings)
if backend is None:
    st.stop()
if not backend.supports(Capability.BODY_PARTS):
    st.caption(
        f"The {backend.name} backend gives boxes around the detected face and hand landmarks; the "
        "sapiens2 backend crops the Face_Neck and hand body parts and dims the rest."
    )
photo = photos[0]
image = attempt(decode_image, photo.data, max_pixels=settings.max_image_pixels)
if image is None:
    st.stop()
with st.spinner("Finding skin regions ..."):
    result = skin_ui.crops_for(image, photo.sha256, backend, margin=margin, dim=dim)
if result is None:
    st.stop()
skin_ui.render_crops(result)
if result.crops:
    st.download_button(
        f"Download {len(result.crops)} crop(s) as zip",
        data=crops_zip(result.crops),
        file_name="skin_crops.zip",
        mime="application/zip",
        key="skin_download",
    )
