"""Replacing the live store (database file and artifacts folder) by a staged one, with a journal so
that a failure, or a kill at any point, ends in the old store or the new one, never a mix.

The staged store sits in ``<data>/.restore-*/``. The old pieces are first moved into its ``old/``
folder (phase marker ``.swap-out``), then the new ones are moved in (``.swap-in``), then the caller's
check runs on the live files and ``.swap-done`` is written. :func:`recover` undoes an unfinished swap:
the caller runs it on failure, and :class:`~core.store.store.Store` runs it on open for a restore
that was killed (no restore can run then: it holds the store lock exclusively).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from core.store.artifacts import fsync_dir

STAGING_PREFIX = ".restore-"
#: The store's pieces in the data folder; the order is the order they are moved.
LIVE_NAMES = ("sessions.db", "sessions.db-wal", "sessions.db-shm", "artifacts")
NEW_DB = "sessions.db"
NEW_ARTIFACTS = "artifacts"
_OUT, _IN, _DONE = ".swap-out", ".swap-in", ".swap-done"


def _mark(staging: Path, name: str) -> None:
    os.close(os.open(staging / name, os.O_WRONLY | os.O_CREAT, 0o600))
    fsync_dir(staging)


def _discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def swap_in(staging: Path, data_dir: Path, check: Callable[[], None]) -> None:
    """Move the staged ``sessions.db`` and ``artifacts/`` into ``data_dir``, run ``check`` on them,
    and keep the old pieces in ``staging/old`` until then; any failure puts the old store back."""
    old = staging / "old"
    old.mkdir(mode=0o700)
    try:
        _mark(staging, _OUT)
        for name in LIVE_NAMES:
            if os.path.lexists(data_dir / name):
                os.replace(data_dir / name, old / name)
        _mark(staging, _IN)
        new_artifacts = staging / NEW_ARTIFACTS
        if not new_artifacts.exists():
            new_artifacts.mkdir(mode=0o700)
        os.replace(staging / NEW_DB, data_dir / "sessions.db")
        os.replace(new_artifacts, data_dir / "artifacts")
        fsync_dir(data_dir)
        check()
        _mark(staging, _DONE)
    except BaseException:
        recover(staging, data_dir)
        raise


def recover(staging: Path, data_dir: Path) -> bool:
    """Finish what a swap left in ``staging``: put the old store back if the swap did not complete,
    then remove the staging folder. Returns True when an old store was put back."""
    old = staging / "old"
    restored = False
    if (staging / _OUT).exists() and not (staging / _DONE).exists() and old.is_dir():
        moved_in = (staging / _IN).exists()
        for name in LIVE_NAMES:
            live, kept = data_dir / name, old / name
            if moved_in and os.path.lexists(live):
                _discard(live)  # every live piece is the new store's (or its -wal/-shm)
            if os.path.lexists(kept):
                os.replace(kept, live)
                restored = True
        fsync_dir(data_dir)
    shutil.rmtree(staging, ignore_errors=True)
    return restored
