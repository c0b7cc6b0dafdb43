"""Getting photos and videos into a page: upload or camera, with a content hash for caching.

Files stay in memory (photos) or in a private temporary folder under the data directory (videos,
which the decoder needs as a path); nothing is stored as a session until the user saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from core.app.cache import file_hash
from core.config import Settings

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif", "bmp", "tif", "tiff"]
VIDEO_TYPES = ["mp4", "mov", "m4v", "avi", "webm", "mkv"]


@dataclass(frozen=True)
class Upload:
    """A file the user gave: its name, its bytes and their SHA-256."""

    name: str
    data: bytes
    sha256: str


def _from_widget(files: UploadedFile | list[UploadedFile] | None) -> list[Upload]:
    if files is None:
        return []
    items = files if isinstance(files, list) else [files]
    out = []
    for f in items:
        data = f.getvalue()
        out.append(Upload(f.name, data, file_hash(data)))
    return out


def image_input(prefix: str, *, multiple: bool = False, camera: bool = True) -> list[Upload]:
    """A photo source switch (upload / camera) and its widget; returns the chosen photo(s).

    Widget keys: ``{prefix}_source``, ``{prefix}_upload`` (or ``{prefix}_uploads`` when
    ``multiple``), ``{prefix}_camera``.
    """
    source: str | None = "Upload"
    if camera and not multiple:
        source = st.radio(
            "Photo from", ["Upload", "Camera"], key=f"{prefix}_source", horizontal=True
        )
    if source == "Camera":
        return _from_widget(st.camera_input("Take a photo", key=f"{prefix}_camera"))
    if multiple:
        return _from_widget(
            st.file_uploader(
                "Photos of the same pose (2 or more)",
                type=IMAGE_TYPES,
                accept_multiple_files=True,
                key=f"{prefix}_uploads",
            )
        )
    return _from_widget(st.file_uploader("Photo", type=IMAGE_TYPES, key=f"{prefix}_upload"))


def video_input(prefix: str) -> Upload | None:
    """A video uploader (key ``{prefix}_upload``)."""
    found = _from_widget(
        st.file_uploader("Walking video", type=VIDEO_TYPES, key=f"{prefix}_upload")
    )
    return found[0] if found else None


def spool(upload: Upload, settings: Settings) -> Path:
    """The upload as a file (named by its hash, so a rerun reuses it) in ``<data>/tmp``.

    Working copies older than ``SCRATCH_MAX_AGE_S`` are removed on the way.
    """
    from core.store.artifacts import SCRATCH_DIRNAME, SCRATCH_MAX_AGE_S, remove_older_than

    folder = settings.data_dir / SCRATCH_DIRNAME
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    remove_older_than(folder, SCRATCH_MAX_AGE_S)
    # Only the extension of the user's file name is kept (the decoder looks at it), never the name.
    ext = "".join(c for c in Path(upload.name).suffix.lower() if c.isalnum())[:8]
    path = folder / f"{upload.sha256[:32]}.{ext or 'bin'}"
    if not path.is_file():
        part = path.with_suffix(path.suffix + ".part")
        part.write_bytes(upload.data)
        part.replace(path)
    return path
