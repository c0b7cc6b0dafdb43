"""The "measurements, not diagnoses" notice and the page header that carries it onto every page."""

from __future__ import annotations

import streamlit as st

DISCLAIMER = (
    "Measurements, not diagnoses. Sapiens Measure is not a medical device: its numbers are "
    "2D image-plane estimates from a vision model and must be read by a qualified person."
)
PLANE_NOTE = (
    "All angles are 2D image-plane angles: they depend on camera height and on how square the "
    "subject stands to the camera."
)


def render_notice() -> None:
    """The disclaimer, as a caption under the title (kept short so it is read, not skipped)."""
    st.caption(f":material/info: {DISCLAIMER}")


def page_header(title: str, intro: str | None = None) -> None:
    """Title, the disclaimer and an optional one-line introduction: the top of every page."""
    st.title(title)
    render_notice()
    if intro:
        st.write(intro)
