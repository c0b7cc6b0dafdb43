"""Session artifact files (overlays, crops, videos): written atomically, named from ids, never labels.

Each session's files live in ``artifacts/<session uid>/``, named ``<n><ext>`` where ``n`` counts the
artifacts and ``ext`` is taken from the artifact's name only when it is a short alphanumeric suffix.
A file is written under a temporary name, fsynced and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError, StorageError
from core.hashing import sha256_hex

TMP_PREFIX = ".tmp-"
_EXT = re.compile(r"\.[A-Za-z0-9]{1,8}$")
MAX_NAME_CHARS = 128
#: What the store writes as a session uid: ``uuid4().hex``, or ``legacy%08d`` for a migrated v1 row.
UID_PATTERN = r"(?:[0-9a-f]{32}|legacy[0-9]{8,12})"
#: What the store writes as an artifact's relpath: ``<uid>/<nnn>.<ext>``.
RELPATH_PATTERN = UID_PATTERN + r"/[0-9]{3,6}\.[a-z0-9]{1,8}"
_UID = re.compile(UID_PATTERN)
_RELPATH = re.compile(RELPATH_PATTERN)


@dataclass(frozen=True)
class WrittenArtifact:
    name: str
    relpath: str  # relative to the artifacts folder, always "<uid>/<file>"
    size_bytes: int
    sha256: str


def validate_artifacts(artifacts: dict[str, bytes] | None) -> dict[str, bytes]:
    """Check names (text, 1-128 chars, no control characters) and contents (bytes)."""
    if artifacts is None:
        return {}
    if not isinstance(artifacts, dict):
        raise InputError(
            f"artifacts must be a dict of name -> bytes, got {type(artifacts).__name__}"
        )
    for name, data in artifacts.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS:
            raise InputError(
                f"artifact name {name!r} must be text of 1-{MAX_NAME_CHARS} characters"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise InputError(f"artifact name {name!r} contains control characters")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InputError(f"artifact {name!r} must be bytes, got {type(data).__name__}")
    return artifacts


def fsync_dir(path: Path) -> None:
    # The rename is only durable once the folder entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, rename."""
    tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_session_artifacts(
    root: Path, uid: str, artifacts: dict[str, bytes]
) -> list[WrittenArtifact]:
    """Write every artifact into ``root/uid/``; on any failure the folder is removed and the error raised."""
    folder = root / uid
    written = []
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        for n, (name, data) in enumerate(artifacts.items()):
            match = _EXT.search(name)
            filename = f"{n:03d}{match.group(0).lower() if match else '.bin'}"
            data = bytes(data)
            write_file_atomic(folder / filename, data)
            written.append(WrittenArtifact(name, f"{uid}/{filename}", len(data), sha256_hex(data)))
    except BaseException:
        remove_tree(folder)
        raise
    return written


def remove_tree(path: Path) -> None:
    """Remove a session folder; a folder already gone is fine (a link is unlinked, never followed)."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _short(text: object) -> str:
    return repr(text)[:60]


def _inside(root: Path, path: Path) -> bool:
    # resolve() follows every link on the way, so a folder that is a link to /etc is caught too.
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def session_folder(root: Path, uid: object) -> Path | None:
    """``root/uid`` when ``uid`` is a uid the store writes and the folder stays inside ``root``;
    None otherwise (a database edited by hand or restored from elsewhere): nothing is then deleted."""
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        return None
    folder = Path(root) / uid
    if folder.is_symlink() or not _inside(root, folder):
        return None
    return folder


def artifact_path(root: Path, relpath: object) -> Path | None:
    """``root/relpath`` when ``relpath`` has the form the store writes (``<uid>/<nnn>.<ext>``), is no
    link and resolves inside ``root``; None otherwise, so no path built from database content can
    reach outside the artifacts folder."""
    if not isinstance(relpath, str) or not _RELPATH.fullmatch(relpath):
        return None
    path = Path(root) / relpath
    if path.is_symlink() or path.parent.is_symlink() or not _inside(root, path):
        return None
    return path


def read_artifact(root: Path, relpath: object) -> bytes:
    """The bytes of the artifact file at ``relpath``; ``StorageError`` for a path that is unsafe
    (:func:`artifact_path`) or not a regular file (a FIFO or device would hang or never end)."""
    path = artifact_path(root, relpath)
    if path is None:
        raise StorageError(
            f"refused to read the artifact path {_short(relpath)} recorded in the database: it is not "
            "a file of the artifacts folder (was the database edited or restored from elsewhere?)"
        )
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StorageError(
                f"refused to read the artifact {_short(relpath)}: not a regular file"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


#: Folder under the data folder for working copies (spooled uploads, overlay videos before saving).
SCRATCH_DIRNAME = "tmp"
#: Working copies older than this are removed: long enough to reuse an upload within a visit.
SCRATCH_MAX_AGE_S = 6 * 3600.0


def remove_older_than(folder: Path, max_age_s: float) -> int:
    """Delete the plain files in ``folder`` not modified for ``max_age_s`` seconds; returns how many.

    Working copies of uploads are patients' photos and videos: they must not outlive their use.
    """
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for entry in folder.iterdir():
        try:
            if entry.is_file() and now - entry.stat().st_mtime >= max_age_s:
                entry.unlink()
                removed += 1
        except OSError:  # gone already, or in use on a platform that refuses: next time
            continue
    return removed
