"""Opening the SQLite file safely: private folder, WAL, foreign keys, a busy timeout, clear errors.

SQLite and the file system report failures as ``sqlite3.Error`` and ``OSError`` with terse texts;
:func:`storage_error` turns them into a ``StorageError`` that says what failed, where, and what to do.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from core.errors import StorageError

#: How long a writer waits for another writer (thread or process) before giving up.
BUSY_TIMEOUT_MS = 30_000


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with owner-only permissions (0o700) when it does not exist.

    An existing folder is left as it is: it is the user's, and its permissions are their choice.
    """
    path = Path(path)
    if path.is_dir():
        return path
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask; chmod makes "owner only" hold regardless.
        os.chmod(path, 0o700)
    except OSError as exc:
        raise storage_error(exc, f"create the data folder {path}") from exc
    return path


def storage_error(exc: BaseException, action: str) -> StorageError:
    """A ``StorageError`` for a failed ``action`` ("save the session", ...) with a hint on the cause."""
    text = str(exc)
    low = text.lower()
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "disk is full" in low or "database or disk is full" in low:
        hint = "the disk is full; free some space and try again (earlier sessions are unchanged)"
    elif (
        code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in low or "read-only" in low
    ):
        hint = (
            "the data folder is not writable; check its permissions or point "
            "SAPIENS_MEASURE_DATA_DIR at a writable folder (earlier sessions are unchanged)"
        )
    elif "unable to open" in low:
        hint = (
            "the database file cannot be opened; check that the data folder exists and is writable"
        )
    elif "locked" in low or "busy" in low:
        hint = "another program holds the database; close it and try again"
    elif "malformed" in low or "not a database" in low:
        hint = "the database file is damaged; restore it from a backup (`python -m core restore`)"
    else:
        hint = text
    return StorageError(f"could not {action}: {hint} ({type(exc).__name__}: {text})")


def _create_private_file(path: Path) -> None:
    # SQLite creates the file with 0o644 & ~umask; creating it ourselves first makes it 0o600, and
    # SQLite gives the -wal and -shm files the database file's permissions.
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` in autocommit mode with the store's pragmas.

    The caller opens transactions explicitly (``BEGIN IMMEDIATE`` ... ``COMMIT``). The connection
    may be closed from another thread (``check_same_thread=False``) but must be used by one thread
    at a time.
    """
    path = Path(path)
    try:
        ensure_private_dir(path.parent)
        _create_private_file(path)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except FileExistsError:  # another thread created it between exists() and open()
        return connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise storage_error(exc, f"open the database {path}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, so erased subjects do not linger in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"journal_mode is {mode}, WAL could not be enabled")
        # FULL: a commit is on disk before save_session returns, even on power loss.
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        conn.close()
        raise storage_error(exc, f"open the database {path}") from exc
    return conn


def row_id(cur: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just made (SQLite always gives one)."""
    if cur.lastrowid is None:
        raise StorageError("the database gave no id for the row just written")
    return int(cur.lastrowid)
