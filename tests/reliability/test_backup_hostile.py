"""Hostile backups through ``python -m core restore --force`` over an existing store (subject KEEP with
two sessions). Each ends one of two ways: refused with one error line and the old store whole (its
sessions and artifact files still read back), or restored into a working store in which nothing
reads or deletes outside the data folder. Outside the data folder nothing changes in either case.
(The round trip and the basic refusals are in tests/store/test_backup.py; the swap, the lock and
the paths in tests/store/test_restore.py and tests/store/test_paths.py.)"""

from __future__ import annotations

import json
import sqlite3
import stat
import zipfile

import pytest

from core.cli import main
from core.config import load_settings
from core.store import Store
from core.store.schema import V1_DDL
from tests.reliability.harness import changed, count, snapshot
from tests.store.backups import edited, fill, real_backup


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _v1_db(tmp_path) -> bytes:
    # A database as version 1 of the app wrote it: no uids, no sizes or hashes.
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.execute("INSERT INTO subjects (label, consent, created_utc) VALUES ('OLD', 1, '2024-01-01')")  # fmt: skip
    conn.execute("INSERT INTO sessions (subject_id, kind, created_utc) VALUES (1, 'posture', '2024-01-02')")  # fmt: skip
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path.read_bytes()


def _foreign_db(tmp_path) -> bytes:
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    return path.read_bytes()


def _sql(*statements: str):
    def run(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys = OFF")
        for s in statements:
            conn.execute(s)

    return run


FIRST_ART = "(SELECT relpath FROM artifacts ORDER BY relpath LIMIT 1)"
# name -> keyword arguments of tests.store.backups.edited (``db`` may be a builder of tmp_path).
REFUSED = {
    "uid an absolute path": dict(sql=_sql("UPDATE sessions SET uid = '/tmp/victim' WHERE id = 1")),
    "uid ../../x": dict(sql=_sql("UPDATE sessions SET uid = '../../x' WHERE id = 1")),
    "uid not text": dict(sql=_sql("UPDATE sessions SET uid = 12345 WHERE id = 1")),
    "relpath /etc/passwd": dict(sql=_sql(f"UPDATE artifacts SET relpath = '/etc/passwd' WHERE relpath = {FIRST_ART}")),
    "relpath ../../x": dict(sql=_sql(f"UPDATE artifacts SET relpath = '../../x' WHERE relpath = {FIRST_ART}")),
    "relpath in another session's folder": dict(sql=_sql("UPDATE artifacts SET relpath = (SELECT relpath FROM artifacts WHERE session_id = 2) WHERE session_id = 1")),
    "trigger deleting sessions": dict(sql=_sql("CREATE TRIGGER t AFTER INSERT ON sessions BEGIN DELETE FROM sessions WHERE id < NEW.id; END")),
    "view": dict(sql=_sql("CREATE VIEW v AS SELECT * FROM subjects")),
    "extra table": dict(sql=_sql("CREATE TABLE extra (x)")),
    "extra index": dict(sql=_sql("CREATE INDEX extra ON subjects(created_utc)")),
    "label with newline": dict(sql=_sql("UPDATE subjects SET label = 'A' || char(10) || 'B'")),
    "label with NUL": dict(sql=_sql("UPDATE subjects SET label = 'A' || char(0) || 'B'")),
    "label with ANSI escape": dict(sql=_sql("UPDATE subjects SET label = char(27) || '[31mRED'")),
    "label with a slash": dict(sql=_sql("UPDATE subjects SET label = '../x'")),
    "label not text": dict(sql=_sql("UPDATE subjects SET label = x'0102'")),
    "label too long": dict(sql=_sql("UPDATE subjects SET label = printf('%.100c', 'x')")),
    "foreign schema, user_version 0": dict(db=_foreign_db),
    "store schema, user_version 0": dict(sql=_sql("PRAGMA user_version = 0")),
    "store schema, old user_version 1": dict(sql=_sql("PRAGMA user_version = 1")),
    "negative user_version": dict(sql=_sql("PRAGMA user_version = -3")),
    "newer user_version": dict(sql=_sql("PRAGMA user_version = 999")),
    "empty sessions.db": dict(db=lambda tmp: b""),
    "missing table": dict(sql=_sql("DROP TABLE measurements")),
    "missing column": dict(sql=_sql("ALTER TABLE sessions DROP COLUMN notes")),
    "extra column": dict(sql=_sql("ALTER TABLE sessions ADD COLUMN x TEXT")),
    "wrong recorded artifact size": dict(sql=_sql("UPDATE artifacts SET size_bytes = size_bytes + 1")),
    "wrong recorded artifact hash": dict(sql=_sql(f"UPDATE artifacts SET sha256 = '{'0' * 64}'")),
    "artifact file missing": dict(drop="first artifact"),
    "measurement value text": dict(sql=_sql("UPDATE measurements SET value = 'abc' WHERE rowid = 1")),
    "measurement value infinite": dict(sql=_sql("UPDATE measurements SET value = 9e999 WHERE rowid = 1")),
    "params_json nested 100000 deep": dict(sql=_sql("UPDATE sessions SET params_json = printf('%.100000c', '[')")),
    "session kind invalid": dict(sql=_sql("UPDATE sessions SET kind = 'Gait; DROP'")),
    "session of a missing subject": dict(sql=_sql("UPDATE sessions SET subject_id = 99 WHERE id = 1")),
    "database truncated": dict(db=lambda tmp: b"SQLite format 3\x00" + b"\xff" * 5000),
    "manifest nested 30000 deep": dict(manifest="[" * 30_000 + "]" * 30_000),
    "manifest not JSON": dict(manifest="{not json"),
    "manifest a list": dict(manifest="[1, 2]"),
    "manifest of another format": dict(manifest=json.dumps({"format": "other/9"})),
    "manifest huge": dict(manifest=json.dumps({"format": "x", "pad": "x" * 200_000})),
    "symlink member": dict(add={"artifacts/abc/000.png": _symlink("artifacts/abc/000.png")}),
    "member too deep": dict(add={"artifacts/a/b/c.png": b"x"}),
    "wal member": dict(add={"sessions.db-wal": b"x"}),
    "backslash path": dict(add={"artifacts\\..\\..\\evil": b"x"}),
    "drive letter": dict(add={"artifacts/c:/x": b"x"}),
    "dot-dot member": dict(add={"artifacts/../sessions.db": b"x"}),
    "absolute member": dict(add={"/etc/passwd": b"x"}),
    "no database": dict(drop="sessions.db"),
    "no manifest": dict(drop="manifest.json"),
}  # fmt: skip
ANSI_MANIFEST = json.dumps({"format": "sapiens-measure-backup/1", "subjects": 99, "sessions": "\x1b[2J\x1b[31mlies", "created_utc": "\x1b]0;pwn\x07"})  # fmt: skip
ACCEPTED = {
    "label starting like a formula": dict(sql=_sql("UPDATE subjects SET label = '=1+1'")),
    "version-1 database (migrated)": dict(db=_v1_db, drop="all artifacts"),
    "leftover file no session lists": dict(add={"artifacts/" + "f" * 32 + "/000.png": b"leftover"}),
    "manifest with ANSI escapes and wrong counts": dict(manifest=ANSI_MANIFEST),
}


def _keep_state():
    with Store() as s:
        return [
            (x.label, [(y.uid, len(s.load_measurements(y.id)), s.load_artifact(y.id, "o.png"))
                       for y in s.list_sessions(x.id)])
            for x in s.list_subjects()
        ]  # fmt: skip


def _archive(case: str, spec: dict, tmp_path):
    src = real_backup(tmp_path)
    kw = dict(spec)
    with zipfile.ZipFile(src) as zf:
        arts = sorted(n for n in zf.namelist() if n.startswith("artifacts/"))
    drop = kw.pop("drop", None)
    kw["drop"] = {"first artifact": arts[:1], "all artifacts": arts, None: []}.get(drop, [drop])
    if callable(kw.get("db")):
        kw["db"] = kw["db"](tmp_path)
    add = kw.pop("add", {})
    out = edited(src, tmp_path / "in.zip", **{**kw, "drop": tuple(kw["drop"])})
    if add:
        with zipfile.ZipFile(out, "a") as zf:
            for name, data in add.items():
                zf.writestr(data if isinstance(data, zipfile.ZipInfo) else name, b"/etc/passwd" if isinstance(data, zipfile.ZipInfo) else data)  # fmt: skip
    return out


def _restore(case, spec, tmp_path, tmp_path_factory, capfd):
    fill(label="KEEP")
    before_keep = _keep_state()
    data_dir = load_settings().data_dir
    archive = _archive(case, spec, tmp_path)
    before = snapshot(tmp_path_factory.getbasetemp(), exclude=(data_dir,))
    code = main(["restore", str(archive), "--force"])
    out, err = capfd.readouterr()
    assert changed(before, snapshot(tmp_path_factory.getbasetemp(), exclude=(data_dir,))) == []
    assert "Traceback" not in err and "\x1b" not in out + err, err
    assert not any(p.is_symlink() for p in data_dir.rglob("*")), "a link was unpacked"
    assert not list(data_dir.glob(".restore-*")), "a staging folder was left"
    return code, out, err, before_keep


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_backup_is_refused_and_the_old_store_whole(case, tmp_path, tmp_path_factory, capfd):
    code, _, err, before_keep = _restore(case, REFUSED[case], tmp_path, tmp_path_factory, capfd)
    count("backup: hostile backups (CLI restore --force)", "refused: error line" if code else "accepted")  # fmt: skip
    assert code == 1 and err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1
    assert _keep_state() == before_keep


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_odd_backup_is_restored_into_a_working_store(case, tmp_path, tmp_path_factory, capfd):
    code, out, err, _ = _restore(case, ACCEPTED[case], tmp_path, tmp_path_factory, capfd)
    count("backup: hostile backups (CLI restore --force)", "accepted" if code == 0 else "refused: error line")  # fmt: skip
    assert code == 0, err
    with Store() as s:
        subjects = s.list_subjects()
        sessions = s.list_sessions()
        # The printed counts are the restored database's, whatever the manifest says.
        assert f"restored {len(subjects)} subjects and {len(sessions)} sessions" in out
        for x in sessions:
            assert all(p.resolve().is_relative_to(s.artifacts_dir.resolve()) for p in x.artifacts.values())  # fmt: skip
            for name in x.artifacts:
                s.load_artifact(x.id, name)
        # The store takes a new session and deletes a subject without leaving the data folder.
        sid = subjects[0].id
        fill(label="NEW", n=1)
        s.delete_subject(sid)
    if case == "leftover file no session lists":
        assert "left out 1 files" in out and not (load_settings().artifacts_dir / ("f" * 32)).exists()  # fmt: skip
    if case.startswith("manifest with ANSI"):
        assert out == "restored 1 subjects and 2 sessions (2 artifact files)\n"
