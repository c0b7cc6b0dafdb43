"""Hostile backup archives through ``python -m core restore``: each is refused with one error line, the
existing store is untouched and nothing is written outside the data folder. (The round trip and the
basic refusals are in tests/store/test_backup.py.)"""

from __future__ import annotations

import json
import sqlite3
import stat
import zipfile

import pytest

from core.cli import main
from core.config import load_settings
from core.store import Store
from core.store.backup import FORMAT
from tests.reliability.harness import changed, count, snapshot


def _db_bytes(tmp_path, *, version: int | None = None) -> bytes:
    path = tmp_path / f"src{version}.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    if version is not None:
        conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path.read_bytes()


def _zip(path, members, *, manifest=None):
    with zipfile.ZipFile(path, "w") as zf:
        if manifest is not False:
            zf.writestr("manifest.json", manifest if manifest is not None else json.dumps({"format": FORMAT}))  # fmt: skip
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"/etc/passwd")
            else:
                zf.writestr(name, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


CASES = {
    "symlink member": lambda db: {"sessions.db": db, "artifacts/abc/000.png": _symlink("artifacts/abc/000.png")},
    "too deep": lambda db: {"sessions.db": db, "artifacts/a/b/c.png": b"x"},
    "wal member": lambda db: {"sessions.db": db, "sessions.db-wal": b"x"},
    "backslash path": lambda db: {"sessions.db": db, "artifacts\\..\\..\\evil": b"x"},
    "drive letter": lambda db: {"sessions.db": db, "artifacts/c:/x": b"x"},
    "dot-dot inside artifacts": lambda db: {"sessions.db": db, "artifacts/../sessions.db": b"x"},
    "no database": lambda db: {"artifacts/a/000.png": b"x"},
    "database not SQLite": lambda db: {"sessions.db": b"SQLite format 3\x00" + b"\xff" * 5000},
    "database truncated": lambda db: {"sessions.db": db[: len(db) // 2]},
    "manifest not JSON": lambda db: ({"sessions.db": db}, "{not json"),
    "manifest a list": lambda db: ({"sessions.db": db}, "[1, 2]"),
    "manifest wrong format": lambda db: ({"sessions.db": db}, json.dumps({"format": "other/9"})),
    "manifest missing": lambda db: ({"sessions.db": db}, False),
    "database from a newer app": lambda db: {"sessions.db": "NEWER"},
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_archive_is_refused_and_the_store_kept(case, tmp_path, tmp_path_factory, capfd):
    with Store() as store:  # an existing store with one subject, restored over with --force
        store.create_subject("KEEP")
    data_dir = load_settings().data_dir
    built = CASES[case](_db_bytes(tmp_path))
    members, manifest = built if isinstance(built, tuple) else (built, None)
    if members.get("sessions.db") == "NEWER":
        members["sessions.db"] = _db_bytes(tmp_path, version=999)
    archive = _zip(tmp_path / "in.zip", members, manifest=manifest)
    before = snapshot(tmp_path_factory.getbasetemp(), exclude=(data_dir,))
    code = main(["restore", str(archive), "--force"])
    _, err = capfd.readouterr()
    count("backup: hostile archives (CLI restore)", "refused: error line" if code else "accepted")
    assert changed(before, snapshot(tmp_path_factory.getbasetemp(), exclude=(data_dir,))) == []
    assert not any(p.is_symlink() for p in data_dir.rglob("*")), "a link was unpacked"
    assert "Traceback" not in err, err
    if case == "symlink member":
        # Unpacked as a plain file holding the link's text (never as a link): harmless, accepted.
        assert code == 0
        return
    assert code == 1 and err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1
    with Store() as store:
        assert [s.label for s in store.list_subjects()] == ["KEEP"]
