"""The sidebar every page shares: the current subject, the backend choice and the disclaimer.

Each page draws it (through :func:`core.app.layout.page`), so its widgets belong to that page;
their values live in "sticky" session-state keys so they survive switching pages, which resets
a page's own widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.app import subjects
from core.app.errors import user_errors
from core.app.notice import DISCLAIMER
from core.app.resources import BACKEND_CHOICES, SIZE_CHOICES, get_settings, get_store

BACKEND_KEY = "backend_name"
SIZE_KEY = "backend_size"

_BACKEND_HELP = (
    "auto: Sapiens2 when its weights are on this computer, else lite. lite: MediaPipe, fast and "
    "offline, 33 points. sapiens2: Meta's Sapiens2, 308 points, body parts and normals; heavy on CPU."
)


def sticky(key: str) -> str:
    """The session-state key that keeps widget ``key``'s value across pages."""
    return f"_sticky_{key}"


def restore(key: str, default: Any) -> Callable[[], None]:
    """Give widget ``key`` its kept value before it is drawn; returns the on_change that keeps it."""
    st.session_state[key] = st.session_state.get(sticky(key), default)

    def keep() -> None:
        st.session_state[sticky(key)] = st.session_state[key]

    return keep


def chosen_backend() -> tuple[str, str]:
    """(backend name, Sapiens2 size) chosen in the sidebar."""
    return st.session_state.get(sticky(BACKEND_KEY), "auto"), st.session_state.get(
        sticky(SIZE_KEY), "0.4b"
    )


def runs_caption(name: str, size: str) -> str:
    """What ``auto`` means on this computer now ("auto runs lite here: ..."), resolved as the
    pages' ``get_backend`` resolves it."""
    from core.backends.selection import which_backend

    choice = which_backend(name, size=size, settings=get_settings())
    shown = "lite (MediaPipe)" if choice.name == "lite" else f"Sapiens2 {size}"
    return f"auto runs {shown} here: {choice.reason.removeprefix('auto: ')}."


def render() -> None:
    with st.sidebar:
        with user_errors():
            subjects.render_picker(get_store(get_settings()))
        st.selectbox(
            "Backend",
            BACKEND_CHOICES,
            key=BACKEND_KEY,
            help=_BACKEND_HELP,
            on_change=restore(BACKEND_KEY, "auto"),
        )
        if chosen_backend()[0] != "lite":
            st.selectbox(
                "Sapiens2 size",
                SIZE_CHOICES,
                key=SIZE_KEY,
                on_change=restore(SIZE_KEY, "0.4b"),
                help="0.4b is the practical size on a CPU.",
            )
        if chosen_backend()[0] == "auto":
            with user_errors():
                st.caption(runs_caption(*chosen_backend()))
        st.caption(DISCLAIMER)
