"""Reading what a user hands in (a file path or the bytes of an upload), shared by the CLI, batch
and the session maker: the bytes of a file, an image decoded from bytes, a file's content hash.

Each raises ``InputError`` with a message that names the file, never an ``OSError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core import hashing
from core.config import load_settings
from core.errors import InputError
from core.imaging.decode import decode_image, read_user_file

#: What ``decode_image`` calls an image given as bytes.
_UNNAMED_IMAGE = "the uploaded image"


def read_input_file(path: str | Path) -> bytes:
    """The bytes of a user-given file; ``InputError`` when missing, unreadable or empty."""
    data = read_user_file(path)
    if not data:
        raise InputError(f"{path} is empty")
    return data


def decode_image_bytes(data: bytes, name: str, *, max_pixels: int | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) from the encoded bytes of the file ``name``, via ``core.imaging.decode``.

    ``max_pixels`` defaults to the configured ``Settings.max_image_pixels``.
    """
    limit = load_settings().max_image_pixels if max_pixels is None else max_pixels
    try:
        return decode_image(data, max_pixels=limit)
    except InputError as exc:
        # decode_image cannot know a file name for bytes; the user gave one, so name it.
        raise InputError(str(exc).replace(_UNNAMED_IMAGE, name, 1)) from None


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (``core.hashing``); ``InputError`` when it cannot be read."""
    try:
        return hashing.file_sha256(Path(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
