"""Restoring a backup as one transaction: the old store stays whole unless the new one is proven good.

1. Under the data folder's exclusive lock (refused while the app or a CLI command has the store open).
2. The archive's names and sizes are checked (``core.store.archive``).
3. Its database is unpacked into ``<data>/.restore-*/`` and validated read-only
   (``core.store.validate``); only the artifact files its rows list are unpacked, each checked against
   the size and SHA-256 the database records (leftovers an older backup packed are left out).
4. The staged copy is opened as the store opens it, migrated, and integrity-checked.
5. It is swapped in (``core.store.swap``); the live files are opened and checked again before the
   old ones are dropped. Any failure puts the old store back.

The counts reported come from the restored database, never from the manifest.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from core.config import Settings, load_settings
from core.errors import InputError
from core.store.archive import (
    ARTIFACTS_PREFIX,
    DB_MEMBER,
    backup_time,
    printable,
    validate_archive,
)
from core.store.db import connect, ensure_private_dir, storage_error
from core.store.lock import StoreLock
from core.store.schema import check_schema, migrate
from core.store.swap import STAGING_PREFIX, recover, swap_in
from core.store.validate import StagedArtifact, check_staged_database, open_read_only


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode passes through the umask


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> tuple[int, str]:
    """Unpack one member to ``target`` (owner-only); returns its size and SHA-256.

    Copied in chunks and counted: the header's declared size is not trusted.
    """
    digest = hashlib.sha256()
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if hasattr(os, "fchmod"):  # POSIX: 0o600 whatever the umask
        os.fchmod(fd, 0o600)
    with zf.open(info) as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                raise InputError(
                    f"backup refused: member {printable(info.filename)!r} is larger than it declares"
                )
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return written, digest.hexdigest()


def _extract_artifact(
    zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], art: StagedArtifact, root: Path
) -> StagedArtifact:
    info = members.get(ARTIFACTS_PREFIX + art.relpath)
    if info is None:
        raise InputError(f"backup refused: the artifact file {art.relpath} is missing from it")
    _private_dir(root)
    _private_dir(root / art.relpath.split("/")[0])
    size, sha = _extract(zf, info, root / art.relpath)
    if art.size_bytes is not None and (size, sha) != (art.size_bytes, art.sha256):
        raise InputError(
            f"backup refused: the artifact file {art.relpath} is not the one its database records "
            f"({size} bytes, expected {art.size_bytes}; or a different SHA-256)"
        )
    return StagedArtifact(art.relpath, size, sha)


def _prepare(db: Path, filled: list[StagedArtifact]) -> None:
    """Open the staged copy as the store does, migrate it, record sizes/hashes a v1 file lacked."""
    conn = connect(db)
    try:
        migrate(conn)
        conn.executemany(
            "UPDATE artifacts SET size_bytes = ?, sha256 = ? WHERE relpath = ? AND size_bytes IS NULL",
            [(a.size_bytes, a.sha256, a.relpath) for a in filled],
        )
        _check_open(conn)
    finally:
        conn.close()


def _check_open(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise InputError(f"backup refused: the restored database fails the integrity check ({result})")  # fmt: skip
    check_schema(conn, int(conn.execute("PRAGMA user_version").fetchone()[0]))


def _check_live(db: Path) -> None:
    conn = connect(db)
    try:
        _check_open(conn)
    finally:
        conn.close()


def _holds_data(settings: Settings) -> bool:
    """Whether the live store has a subject or an artifact file (read-only, the lock is held)."""
    arts = Path(settings.artifacts_dir)
    if arts.is_dir() and any(arts.iterdir()):
        return True
    db = Path(settings.db_path)
    if not db.exists():
        return False
    try:
        conn = open_read_only(db, immutable=False)  # a crashed process's -wal counts too
        try:
            return bool(conn.execute("SELECT 1 FROM subjects LIMIT 1").fetchone())
        finally:
            conn.close()
    except sqlite3.Error:
        return db.stat().st_size > 0  # unreadable: whatever it holds is only replaced with --force


def _counts(db: Path) -> dict[str, int]:
    conn = open_read_only(db)
    try:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("subjects", "sessions", "artifacts")
        }
    finally:
        conn.close()


def restore(in_zip: Path | str, *, settings: Settings | None = None, force: bool = False) -> dict:
    """Restore a :func:`~core.store.backup.backup` archive into the data folder.

    Returns ``subjects``, ``sessions``, ``artifacts`` (counted in the restored database),
    ``schema_version`` (the backup's), ``created_utc`` (from the manifest when it parses as a time,
    else None) and ``left_out`` (archive files no session lists). Refuses (``InputError``) to replace
    a store holding subjects or artifacts unless ``force``, and (``StorageError``) while another
    program has the store open. On any failure the old store is untouched.
    """
    settings = settings or load_settings()
    src = Path(in_zip)
    if not src.is_file():
        raise InputError(f"backup file {src} does not exist")
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{src} is not a readable zip archive ({printable(exc)})") from None
    data_dir = ensure_private_dir(Path(settings.data_dir))
    with zf:
        try:
            manifest, members = validate_archive(zf)
        except (zipfile.BadZipFile, NotImplementedError) as exc:
            raise InputError(f"backup refused: damaged archive ({printable(exc)})") from None
        lock = StoreLock.acquire(data_dir, exclusive=True)
        try:
            if not force and _holds_data(settings):
                raise InputError(
                    f"the data folder {settings.data_dir} already holds sessions; restore into an empty "
                    "folder (set SAPIENS_MEASURE_DATA_DIR) or pass --force to replace them"
                )
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=data_dir))
            try:
                result = _restore_staged(zf, members, staging, settings)
            finally:
                if staging.exists():  # not swapped in, or swapped in and the old store kept there
                    recover(staging, data_dir)
        except (OSError, sqlite3.Error) as exc:
            raise storage_error(exc, f"restore into {data_dir}") from exc
        except (zipfile.BadZipFile, NotImplementedError, EOFError) as exc:
            raise InputError(f"backup refused: damaged archive ({printable(exc)})") from None
        finally:
            lock.release()
    return {**result, "created_utc": backup_time(manifest)}


def _restore_staged(
    zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], staging: Path, settings: Settings
) -> dict:
    db = staging / DB_MEMBER
    _extract(zf, members[DB_MEMBER], db)
    staged = check_staged_database(db, year_now=datetime.now(timezone.utc).year)
    filled = [_extract_artifact(zf, members, a, staging / "artifacts") for a in staged.artifacts]
    listed = {ARTIFACTS_PREFIX + a.relpath for a in staged.artifacts}
    left_out = [n for n in members if n.startswith(ARTIFACTS_PREFIX) and n not in listed]
    _prepare(db, filled)
    swap_in(staging, Path(settings.data_dir), lambda: _check_live(Path(settings.db_path)))
    counts = _counts(Path(settings.db_path))
    return {**counts, "schema_version": staged.version, "left_out": len(left_out)}
