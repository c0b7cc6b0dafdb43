"""Exceptions with messages a user can act on; the CLI prints them as one line, the pages as a box."""

from __future__ import annotations


class SapiensMeasureError(Exception):
    """Base class of every error the app reports to the user instead of a traceback."""


class InputError(SapiensMeasureError, ValueError):
    """The given file or value cannot be used (unreadable, empty, wrong kind, too large)."""


class NoPersonFound(SapiensMeasureError):
    """The image or video holds no person the backend could find."""


class ModelNotAvailable(SapiensMeasureError):
    """Model files are missing locally; the message says where they were looked for and how to get them."""


class CheckpointError(SapiensMeasureError):
    """A checkpoint file does not fit the model (wrong task, size, shape, truncated, not safetensors)."""


class UnsupportedCapability(SapiensMeasureError):
    """The backend cannot do this (e.g. normals with the lite backend); the message names one that can."""


class StorageError(SapiensMeasureError):
    """The session store could not be read or written (read-only folder, full disk, corrupt file)."""
