"""Leftovers a killed process can leave in the data folder, and removing them.

- artifact folders of saves that never committed (a kill between writing the files and COMMIT);
- staging folders of a killed restore (an unfinished swap is undone, see ``core.store.swap``);
- temporary files of an atomic write (``.tmp-*``) in the reports folder;
- stale working copies of uploads (``tmp/``, older than six hours).

:class:`~core.store.store.Store` runs :func:`sweep_staging` and the orphan sweep when it opens (so the
CLI and the app both do), and the orphan sweep again when a subject is deleted. Files are written
only inside a save's write transaction, so while one is held no other save can be in flight and
every folder no committed session owns is a leftover.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from core.store.artifacts import TMP_PREFIX, remove_tree
from core.store.reports import REPORTS_DIRNAME
from core.store.swap import STAGING_PREFIX, recover

#: Temporary files of an atomic write older than this are leftovers (a write takes seconds at most).
TMP_MAX_AGE_S = 3600.0


def _age_s(path: Path) -> float | None:
    try:
        return time.time() - path.lstat().st_mtime
    except OSError:
        return None


def remove_orphans(artifacts_dir: Path, known_uids: Iterable[str], min_age_s: float = 0.0) -> int:
    """Remove every entry of ``artifacts_dir`` that is not the folder of a known session and is at
    least ``min_age_s`` old; returns how many. The caller holds the store's write transaction."""
    if not artifacts_dir.is_dir():
        return 0
    known = set(known_uids)
    removed = 0
    for entry in artifacts_dir.iterdir():
        age = _age_s(entry)
        if age is None or age < min_age_s:
            continue
        if entry.name in known and entry.is_dir() and not entry.is_symlink():
            continue
        if entry.is_dir() and not entry.is_symlink():
            remove_tree(entry)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


def sweep_staging(data_dir: Path) -> int:
    """Undo or clear what killed restores left (``.restore-*``); returns how many folders."""
    found = [p for p in data_dir.glob(STAGING_PREFIX + "*") if p.is_dir() and not p.is_symlink()]
    for staging in found:
        recover(staging, data_dir)
    return len(found)


def sweep_tmp_files(data_dir: Path, *, max_age_s: float = TMP_MAX_AGE_S) -> int:
    """Remove temporary files of atomic writes (``.tmp-*``) left in the reports folder."""
    removed = 0
    folder = data_dir / REPORTS_DIRNAME
    for path in folder.glob(TMP_PREFIX + "*") if folder.is_dir() else ():
        age = _age_s(path)
        if age is not None and age >= max_age_s and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
