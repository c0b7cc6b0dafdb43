"""Building backups for the restore tests: a real one made by ``backup()`` from a filled store, and
hostile copies of it whose database or members were edited by hand."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.config import load_settings
from core.store import Store
from core.store.backup import backup
from tests.store.conftest import INFO, rows


def fill(settings=None, *, label: str = "P1", n: int = 2) -> list[tuple[int, str, bytes]]:
    """A subject ``label`` with ``n`` gait sessions of one artifact each; returns (id, uid, bytes)."""
    out = []
    with Store(settings) as s:
        sid = s.create_subject(label, height_m=1.8, consent=True)
        for i in range(n):
            data = bytes([i + 1]) * (100 + i)
            k = s.save_session(
                sid,
                kind="gait",
                backend_info=INFO,
                source_hash=f"{label}{i}",
                measurements=rows(3),
                artifacts={"o.png": data},
            )
            out.append((k, s.get_session(k).uid, data))
    return out


def real_backup(tmp: Path) -> Path:
    """A backup of a store (in its own data folder under ``tmp``) with subject SRC and 2 sessions."""
    settings = dataclasses.replace(load_settings(), data_dir=tmp / "source-data")
    fill(settings, label="SRC")
    return backup(tmp / "real.zip", settings=settings)


def edited(
    src: Path,
    out: Path,
    *,
    sql: Callable[[sqlite3.Connection], None] | None = None,
    db: bytes | None = None,
    manifest: str | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the backup ``src`` with its database edited by ``sql`` (or replaced by ``db``), its
    manifest replaced, members dropped or added."""
    work = out.with_suffix(".db")
    with zipfile.ZipFile(src) as zf:
        work.write_bytes(zf.read("sessions.db"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "sessions.db"}
    if sql is not None:
        conn = sqlite3.connect(work, isolation_level=None)
        sql(conn)
        conn.close()
    members["sessions.db"] = db if db is not None else work.read_bytes()
    if manifest is not None:
        members["manifest.json"] = manifest.encode()
    for name in drop:
        members.pop(name)
    members.update(add or {})
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def manifest_of(src: Path) -> dict:
    with zipfile.ZipFile(src) as zf:
        return json.loads(zf.read("manifest.json"))
