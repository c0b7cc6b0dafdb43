"""What every page starts with: title, the "measurements, not diagnoses" notice and the sidebar."""

from __future__ import annotations

from core.app import sidebar
from core.app.notice import page_header


def page(title: str, intro: str | None = None) -> None:
    """Draw the page's header and the shared sidebar; call it first in every page script."""
    page_header(title, intro)
    sidebar.render()
