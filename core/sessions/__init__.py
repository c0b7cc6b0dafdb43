"""A result becomes a stored session in one place: the app, the CLI and batch all call this package.

``core.sessions.options`` (what the caller asks for), ``core.sessions.key`` (the one parameters key
that decides whether two sessions hold the same numbers), ``core.sessions.draft`` (the typed session
ready for the store) and ``core.sessions.make`` (bytes or a path and a backend in, a draft out).
The store's ``core.store.drafts`` saves and finds drafts. Importing this package is cheap: the
maker (which pulls in the analysis) is only loaded by ``import core.sessions.make``.
"""

from core.sessions.draft import REQUIRED_MEASURES, SessionDraft
from core.sessions.key import UNKNOWN_KEY, gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions

__all__ = [
    "REQUIRED_MEASURES",
    "UNKNOWN_KEY",
    "GaitOptions",
    "PostureOptions",
    "SessionDraft",
    "gait_key",
    "posture_key",
]
