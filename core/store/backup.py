"""One-file backup of the store: the database and the artifact files its sessions list.

The database is copied with SQLite's online backup API, so the archive is consistent even while the
app writes. Only files that a session of the copy lists are packed, each read through the store's
path checks and compared with the size and SHA-256 its row records; files left by killed saves are
never packed. Restoring is :func:`core.store.restore.restore` (re-exported here).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from core.config import Settings
from core.errors import StorageError
from core.hashing import sha256_hex
from core.store.archive import (
    ARTIFACTS_PREFIX,
    DB_MEMBER,
    FORMAT,
    MANIFEST_MEMBER,
    validate_archive,
)
from core.store.artifacts import read_artifact
from core.store.db import storage_error
from core.store.restore import restore
from core.store.schema import SCHEMA_VERSION
from core.store.store import Store


def _pack_artifacts(store: Store, copy: sqlite3.Connection, zf: zipfile.ZipFile) -> int:
    """Pack every artifact the copy lists; a file deleted meanwhile drops its session from the copy.

    A file that is missing while its session still exists, or whose bytes differ from its row, is a
    damaged store: the backup is refused rather than written in a form restore would refuse.
    """
    rows = copy.execute(
        "SELECT a.session_id, s.uid, a.relpath, a.size_bytes, a.sha256 FROM artifacts a "
        "JOIN sessions s ON s.id = a.session_id ORDER BY a.relpath"
    ).fetchall()
    gone: set[int] = set()
    for sid, uid, relpath, size, sha in rows:
        if sid in gone:
            continue
        try:
            data = read_artifact(store.artifacts_dir, relpath)
        except FileNotFoundError:
            if not store._read("SELECT 1 FROM sessions WHERE uid = ?", (uid,)):
                gone.add(sid)  # deleted after the copy was taken: the backup is as if before
                continue
            raise StorageError(
                f"could not write the backup: the artifact file {relpath} of session {sid} is "
                "missing from the data folder"
            ) from None
        digest = sha256_hex(data)
        if size is not None and (len(data), digest) != (size, sha):
            raise StorageError(
                f"could not write the backup: the artifact file {relpath} of session {sid} differs "
                "from what its row records (size or SHA-256)"
            )
        if size is None:  # a row migrated from version 1: record what the file holds now
            copy.execute(
                "UPDATE artifacts SET size_bytes = ?, sha256 = ? WHERE relpath = ?",
                (len(data), digest, relpath),
            )
        zf.writestr(ARTIFACTS_PREFIX + relpath, data)
    copy.executemany("DELETE FROM sessions WHERE id = ?", [(sid,) for sid in gone])
    return len(rows)


def backup(out_zip: Path | str, *, settings: Settings | None = None) -> Path:
    """Write the database and every artifact file its sessions list into ``out_zip``; returns its path.

    The zip is written under a temporary name and renamed, so a failed backup leaves no half file.
    """
    store = Store(settings)
    out = Path(out_zip)
    tmp_zip = out.with_name(f".{out.name}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix="sm-backup-") as tmp:
            path = Path(tmp) / DB_MEMBER
            copy = sqlite3.connect(path, isolation_level=None)
            try:
                store._conn().backup(copy)
                copy.execute("PRAGMA foreign_keys = ON")
                copy.execute("PRAGMA journal_mode = DELETE")
                # The archive holds every subject's data: owner-only, whatever the umask.
                os.close(os.open(tmp_zip, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
                os.chmod(tmp_zip, 0o600)
                with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    _pack_artifacts(store, copy, zf)
                    counts = {
                        t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                        for t in ("subjects", "sessions")
                    }
                    copy.close()
                    manifest = {
                        "format": FORMAT,
                        "schema_version": SCHEMA_VERSION,
                        "created_utc": datetime.now(timezone.utc).isoformat(),
                        **counts,
                    }
                    zf.writestr(MANIFEST_MEMBER, json.dumps(manifest, indent=2))
                    zf.write(path, DB_MEMBER)
            finally:
                copy.close()
        tmp_zip.replace(out)
    except (OSError, sqlite3.Error) as exc:
        tmp_zip.unlink(missing_ok=True)
        raise storage_error(exc, f"write the backup {out}") from exc
    except BaseException:
        tmp_zip.unlink(missing_ok=True)
        raise
    finally:
        store.close()
    return out


__all__ = ["FORMAT", "StorageError", "backup", "restore", "validate_archive"]
