"""Turn the app's own errors into a red box with the message, never a traceback.

``SapiensMeasureError`` messages are written for users (what went wrong and what to do), so a
page shows them as they are; any other exception is a bug and still surfaces as one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from core.errors import (
    InputError,
    ModelNotAvailable,
    NoPersonFound,
    SapiensMeasureError,
    UnsupportedCapability,
)

T = TypeVar("T")

#: A short lead-in per kind of error, so the box says what kind of problem it is.
_LEAD = {
    InputError: "This file or value cannot be used",
    NoPersonFound: "No person found",
    ModelNotAvailable: "Model not available",
    UnsupportedCapability: "Not possible with this backend",
}


def error_text(exc: SapiensMeasureError) -> str:
    for cls, lead in _LEAD.items():
        if isinstance(exc, cls):
            return f"**{lead}.** {exc}"
    return f"**Error.** {exc}"


def show_error(exc: SapiensMeasureError) -> None:
    st.error(error_text(exc), icon=":material/error:")


@contextmanager
def user_errors() -> Iterator[None]:
    """``with user_errors(): ...`` shows a ``SapiensMeasureError`` as ``st.error`` and carries on."""
    try:
        yield
    except SapiensMeasureError as exc:
        show_error(exc)


def attempt(fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Call ``fn``; on a ``SapiensMeasureError`` show it and return None (the page then stops that branch)."""
    try:
        return fn(*args, **kwargs)
    except SapiensMeasureError as exc:
        show_error(exc)
        return None


def succeeded(fn: Callable[..., object], *args: object, **kwargs: object) -> bool:
    """Call ``fn`` for its effect; True when it worked, False after showing its error."""
    try:
        fn(*args, **kwargs)
    except SapiensMeasureError as exc:
        show_error(exc)
        return False
    return True
