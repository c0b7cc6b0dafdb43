"""The "measurements, not diagnoses" notice and the page header that carries it onto every page."""

from __future__ import annotations

import streamlit as st

from core.reports.notice import DISCLAIMER, PLANE_NOTE  # noqa: F401 - re-exported for the pages


def render_notice() -> None:
    """The disclaimer, as a caption under the title (kept short so it is read, not skipped)."""
    st.caption(f":material/info: {DISCLAIMER}")


def page_header(title: str, intro: str | None = None) -> None:
    """Title, the disclaimer and an optional one-line introduction: the top of every page."""
    st.title(title)
    render_notice()
    if intro:
        st.write(intro)
