"""One-file backup of the store (database + artifacts) and its validated restore on any machine.

The database is copied with SQLite's online backup API, so the archive is consistent even while the
app writes. Restore treats the zip as hostile: member names are checked (no absolute paths, no
``..``, only the store's own layout), sizes and compression ratios are limited, and the database is
integrity-checked before it replaces anything.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from core.config import Settings, load_settings
from core.errors import InputError, StorageError
from core.store.db import ensure_private_dir, storage_error
from core.store.schema import SCHEMA_VERSION
from core.store.store import Store

DB_MEMBER = "sessions.db"
MANIFEST_MEMBER = "manifest.json"
ARTIFACTS_PREFIX = "artifacts/"
FORMAT = "sapiens-measure-backup/1"
#: Refuse archives that would unpack to more than this, or members that expand suspiciously.
MAX_TOTAL_BYTES = 20 * 1024**3
MAX_MEMBERS = 100_000
MAX_RATIO = 200


def backup(out_zip: Path | str, *, settings: Settings | None = None) -> Path:
    """Write the database and every artifact file into ``out_zip``; returns its path.

    The zip is written under a temporary name and renamed, so a failed backup leaves no half file.
    """
    store = Store(settings)
    out = Path(out_zip)
    tmp_zip = out.with_name(f".{out.name}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix="sm-backup-") as tmp:
            copy = Path(tmp) / DB_MEMBER
            dst = sqlite3.connect(copy)
            try:
                with dst:
                    store._conn().backup(dst)
            finally:
                dst.close()
            n_sessions = len(store.list_sessions())
            manifest = {
                "format": FORMAT,
                "schema_version": SCHEMA_VERSION,
                "created_utc": datetime.now(timezone.utc).isoformat(),
                "subjects": len(store.list_subjects()),
                "sessions": n_sessions,
            }
            # The archive holds every subject's data: owner-only, whatever the umask.
            os.close(os.open(tmp_zip, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            os.chmod(tmp_zip, 0o600)
            with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST_MEMBER, json.dumps(manifest, indent=2))
                zf.write(copy, DB_MEMBER)
                if store.artifacts_dir.is_dir():
                    for path in sorted(store.artifacts_dir.rglob("*")):
                        if path.is_file() and not path.name.startswith("."):
                            zf.write(
                                path,
                                ARTIFACTS_PREFIX + path.relative_to(store.artifacts_dir).as_posix(),
                            )
        tmp_zip.replace(out)
    except (OSError, sqlite3.Error) as exc:
        tmp_zip.unlink(missing_ok=True)
        raise storage_error(exc, f"write the backup {out}") from exc
    finally:
        store.close()
    return out


def _check_member(info: zipfile.ZipInfo) -> str:
    name = info.filename
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name
        or ".." in path.parts
    ):
        raise InputError(f"backup refused: member {name!r} has an absolute or escaping path")
    if name in (DB_MEMBER, MANIFEST_MEMBER) or name.endswith("/"):
        return name
    if not name.startswith(ARTIFACTS_PREFIX) or len(path.parts) != 3:
        raise InputError(
            f"backup refused: unexpected member {name!r} (not part of a sapiens-measure backup)"
        )
    return name


def validate_archive(
    zf: zipfile.ZipFile, *, max_total_bytes: int = MAX_TOTAL_BYTES
) -> list[zipfile.ZipInfo]:
    """The members to extract, after checking names, count, total size and compression ratios."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"backup refused: {len(infos)} members is more than {MAX_MEMBERS}")
    names = {_check_member(i) for i in infos}
    if DB_MEMBER not in names or MANIFEST_MEMBER not in names:
        raise InputError(
            "backup refused: it lacks sessions.db or manifest.json (not a sapiens-measure backup)"
        )
    total = sum(i.file_size for i in infos)
    if total > max_total_bytes:
        raise InputError(
            f"backup refused: it would unpack to {total} bytes, more than {max_total_bytes}"
        )
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise InputError(
                f"backup refused: member {i.filename!r} expands {i.file_size // max(i.compress_size, 1)}x (zip bomb?)"
            )
    manifest = json.loads(zf.read(MANIFEST_MEMBER)[:100_000] or b"{}")
    if not isinstance(manifest, dict):
        raise InputError("backup refused: its manifest.json is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise InputError(f"backup refused: format {manifest.get('format')!r} is not {FORMAT!r}")
    return [i for i in infos if not i.filename.endswith("/")]


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    # Copy in chunks and count: the header's declared size is not trusted.
    target = dest / info.filename
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only, as saved
    with zf.open(info) as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                raise InputError(
                    f"backup refused: member {info.filename!r} is larger than it declares"
                )
            dst.write(chunk)


def restore(in_zip: Path | str, *, settings: Settings | None = None, force: bool = False) -> dict:
    """Restore a :func:`backup` archive into the data folder; returns its manifest.

    Refuses (``InputError``) to replace a store that holds subjects or artifacts unless ``force``.
    The old store is replaced only after the archive is fully unpacked and its database passes
    ``PRAGMA integrity_check``.
    """
    settings = settings or load_settings()
    src = Path(in_zip)
    if not src.is_file():
        raise InputError(f"backup file {src} does not exist")
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{src} is not a readable zip archive ({exc})") from None
    with zf:
        try:
            infos = validate_archive(zf)
        except (json.JSONDecodeError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise InputError(f"backup refused: damaged archive ({exc})") from None
        existing = Store(settings)
        try:
            if not existing.is_empty() and not force:
                raise InputError(
                    f"the data folder {settings.data_dir} already holds sessions; restore into an empty "
                    "folder (set SAPIENS_MEASURE_DATA_DIR) or pass --force to replace them"
                )
        finally:
            existing.close()
        data_dir = ensure_private_dir(Path(settings.data_dir))
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        try:
            for info in infos:
                _extract(zf, info, staging)
            _check_database(staging / DB_MEMBER)
            manifest = json.loads((staging / MANIFEST_MEMBER).read_text())
            _swap_in(staging, settings)
        except (OSError, sqlite3.Error) as exc:
            raise storage_error(exc, f"restore into {data_dir}") from exc
        except zipfile.BadZipFile as exc:
            raise InputError(f"backup refused: damaged archive ({exc})") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    # Opening migrates a backup made by an older version of the app.
    Store(settings).close()
    return manifest


def _check_database(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"backup refused: its database is not readable ({exc})") from None
    if result != "ok":
        raise InputError(f"backup refused: its database fails the integrity check ({result})")
    # Checked before the swap: a newer file would replace the store and then fail to open.
    if version > SCHEMA_VERSION:
        raise InputError(
            f"backup refused: its database has schema version {version}, newer than this app's "
            f"{SCHEMA_VERSION}; update sapiens-measure first"
        )


def _swap_in(staging: Path, settings: Settings) -> None:
    db = Path(settings.db_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    (staging / DB_MEMBER).chmod(0o600)
    (staging / DB_MEMBER).replace(db)
    arts = Path(settings.artifacts_dir)
    if arts.exists():
        shutil.rmtree(arts)
    if (staging / "artifacts").is_dir():
        (staging / "artifacts").replace(arts)


__all__ = ["StorageError", "backup", "restore", "validate_archive"]
