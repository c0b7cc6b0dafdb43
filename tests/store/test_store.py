"""The session store: round trips, validation, atomic saves, concurrency, erasure, storage faults."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
import threading

import pandas as pd
import pytest

from core.config import load_settings
from core.errors import InputError, StorageError
from core.store import Store
from core.store import artifacts as artifacts_mod
from tests.store.conftest import INFO, rows


def _files(store):
    return (
        sorted(p for p in store.artifacts_dir.rglob("*") if p.is_file())
        if store.artifacts_dir.exists()
        else []
    )


def test_subject_session_measurement_round_trip(store):
    sid = store.create_subject("P001", height_m=1.75, birth_year=1980, consent=True)
    df = rows(3)
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="h1", measurements=df,
        artifacts={"overlay.png": b"\x89PNG fake"}, notes="first", params={"view": "front"},
    )  # fmt: skip
    subject = store.get_subject(sid)
    assert (subject.label, subject.height_m, subject.birth_year, subject.consent) == (
        "P001",
        1.75,
        1980,
        True,
    )
    session = store.get_session(session_id)
    assert session.backend_info == INFO
    assert (session.kind, session.source_hash, session.notes, session.params) == (
        "posture",
        "h1",
        "first",
        {"view": "front"},
    )
    assert store.load_artifact(session_id, "overlay.png") == b"\x89PNG fake"
    # Artifact path comes from the session uid and a counter, not from the name or label.
    assert (
        session.artifacts["overlay.png"].relative_to(store.artifacts_dir).as_posix()
        == f"{session.uid}/000.png"
    )
    back = store.load_measurements(session_id)
    pd.testing.assert_frame_equal(back.astype({"frame": "int64"}), df, check_dtype=False)
    assert [s.id for s in store.list_sessions(sid)] == [session_id]


def test_nan_values_are_stored_as_null_and_come_back_nan(store):
    sid = store.create_subject("P002", consent=True)
    df = pd.DataFrame(
        [(None, None, "neck_flexion_deg", None, float("nan"), "deg")], columns=rows(1).columns
    )
    back = store.load_measurements(
        store.save_session(sid, kind="posture", backend_info=INFO, source_hash="", measurements=df)
    )
    assert (
        back["frame"].isna().all() and back["value"].isna().all() and back["side"].tolist() == [""]
    )


@pytest.mark.parametrize(
    "label",
    [
        "",
        "   ",
        "a" * 65,
        "../etc",
        "a/b",
        "a\\b",
        "tab\there",
        "cr\rhere",
        "nul\x00",
        "..",
        "rtl\u202eabc",
    ],
)
def test_hostile_labels_are_refused(store, label):
    with pytest.raises(InputError):
        store.create_subject(label)


def test_formula_like_and_unicode_labels_are_allowed_and_kept(store):
    for label in ("=HYPERLINK(1)", "Zoë-7", "@P1"):
        assert store.get_subject(store.create_subject(label)).label == label


def test_duplicate_label_is_refused(store):
    store.create_subject("P1")
    with pytest.raises(InputError, match="already exists"):
        store.create_subject("P1")


def test_bad_measurements_and_unknown_subject_are_refused_without_rows(store):
    sid = store.create_subject("P1")
    with pytest.raises(InputError, match="unit"):
        store.save_session(
            sid,
            kind="posture",
            backend_info=INFO,
            source_hash="",
            measurements=rows(1).drop(columns="unit"),
        )
    with pytest.raises(InputError, match="no subject"):
        store.save_session(
            sid + 99, kind="posture", backend_info=INFO, source_hash="", measurements=rows(1)
        )
    with pytest.raises(InputError, match="kind"):
        store.save_session(
            sid, kind="../x", backend_info=INFO, source_hash="", measurements=rows(1)
        )
    assert store.list_sessions() == []


def test_exception_mid_save_leaves_no_session_and_no_file(store, monkeypatch):
    sid = store.create_subject("P1", consent=True)
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        # The first artifact is renamed into place, the second fails: the worst moment.
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(artifacts_mod.os, "replace", failing_replace)
    with pytest.raises(StorageError, match="disk is full"):
        store.save_session(
            sid, kind="gait", backend_info=INFO, source_hash="h", measurements=rows(5),
            artifacts={"a.png": b"1", "b.png": b"2", "c.png": b"3"},
        )  # fmt: skip
    assert len(calls) == 2
    assert store.list_sessions() == []
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM artifacts").fetchone()[0] == 0
    conn.close()
    assert _files(store) == []


def test_exception_in_sql_after_files_removes_files(store, monkeypatch):
    sid = store.create_subject("P1", consent=True)
    # Two artifacts with the same name cannot happen in a dict, so break the artifact insert instead.
    monkeypatch.setattr(
        artifacts_mod, "WrittenArtifact", lambda *a: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError, match="boom"):
        store.save_session(
            sid,
            kind="gait",
            backend_info=INFO,
            source_hash="h",
            measurements=rows(2),
            artifacts={"a.png": b"1"},
        )
    assert store.list_sessions() == [] and _files(store) == []


def test_concurrent_writers_lose_nothing(store):
    # 8 threads x 20 sessions x 9 rows: expect 160 sessions and 1440 measurement rows.
    sid = store.create_subject("P1", consent=True)
    errors = []

    def writer(t):
        try:
            for i in range(20):
                store.save_session(
                    sid, kind="posture", backend_info=INFO, source_hash=f"{t}-{i}", measurements=rows(3, seed=t * 100 + i),
                    artifacts={"o.png": f"{t}-{i}".encode()},
                )  # fmt: skip
        except Exception as exc:  # collected so the assertion names it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    sessions = store.list_sessions(sid)
    assert len(sessions) == 160
    assert sorted(s.source_hash for s in sessions) == sorted(
        f"{t}-{i}" for t in range(8) for i in range(20)
    )
    assert sum(len(store.load_measurements(s.id)) for s in sessions) == 1440
    assert all(store.load_artifact(s.id, "o.png") == s.source_hash.encode() for s in sessions)


def test_two_store_objects_write_concurrently(store):
    # Two Store objects share no lock: SQLite's busy timeout must serialise them.
    sid = store.create_subject("P1", consent=True)
    other = Store()
    errors = []

    def writer(s, tag):
        try:
            for i in range(15):
                s.save_session(
                    sid,
                    kind="posture",
                    backend_info=INFO,
                    source_hash=f"{tag}{i}",
                    measurements=rows(2),
                )
        except Exception as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(s, tag)) for s, tag in ((store, "a"), (other, "b"))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    other.close()
    assert errors == [] and len(store.list_sessions(sid)) == 30


def test_delete_subject_erases_everything_including_file_bytes(store):
    keep = store.create_subject("KEEPME", consent=True)
    gone = store.create_subject("ZQXJLABEL", consent=True)
    store.save_session(
        keep, kind="posture", backend_info=INFO, source_hash="k", measurements=rows(1)
    )
    for i in range(3):
        store.save_session(
            gone, kind="gait", backend_info=INFO, source_hash=f"g{i}", measurements=rows(4),
            artifacts={"overlay.png": b"x" * 100}, notes="ZQXJNOTE",
        )  # fmt: skip
    assert len(_files(store)) == 3
    store.delete_subject(gone)
    assert [s.label for s in store.list_subjects()] == ["KEEPME"]
    assert len(store.list_sessions()) == 1 and _files(store) == []
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0] == 3  # rows(1): 3 rows
    conn.close()
    blob = store.db_path.read_bytes()
    wal = store.db_path.with_name(store.db_path.name + "-wal")
    blob += wal.read_bytes() if wal.exists() else b""
    assert b"ZQXJLABEL" not in blob and b"ZQXJNOTE" not in blob
    assert b"KEEPME" in blob  # the check can see labels at all


def test_delete_session_and_find_by_hash(store):
    sid = store.create_subject("P1")
    a = store.save_session(
        sid,
        kind="posture",
        backend_info=INFO,
        source_hash="h",
        measurements=rows(1),
        params={"v": 1},
    )
    b = store.save_session(
        sid,
        kind="posture",
        backend_info=INFO,
        source_hash="h",
        measurements=rows(1),
        params={"v": 2},
    )
    assert store.find_session_by_hash("h", {"v": 1}) == a
    assert store.find_session_by_hash("h", {"v": 2}) == b
    assert store.find_session_by_hash("h", {"v": 3}) is None
    store.delete_session(a)
    assert store.find_session_by_hash("h", {"v": 1}) is None
    with pytest.raises(InputError):
        store.get_session(a)


def test_consent_recorded_and_withdrawn(store):
    sid = store.create_subject("P1")
    assert not store.get_subject(sid).consent
    store.record_consent(sid, date="2025-03-04")
    assert (store.get_subject(sid).consent, store.get_subject(sid).consent_date) == (
        True,
        "2025-03-04",
    )
    store.record_consent(sid, consent=False)
    assert (store.get_subject(sid).consent, store.get_subject(sid).consent_date) == (False, None)


def test_new_data_dir_is_owner_only(tmp_path):
    settings = dataclasses.replace(load_settings(), data_dir=tmp_path / "new" / "data")
    with Store(settings) as s:
        s.create_subject("P1")
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "data").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(settings.db_path).st_mode) == 0o600


def test_full_disk_gives_storage_error_and_keeps_earlier_sessions(store):
    sid = store.create_subject("P1")
    first = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="a", measurements=rows(2)
    )
    conn = store._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
    with pytest.raises(StorageError, match="disk is full"):
        store.save_session(
            sid, kind="gait", backend_info=INFO, source_hash="b", measurements=rows(3000)
        )
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert [s.id for s in store.list_sessions()] == [first] and len(
        store.load_measurements(first)
    ) == 6


def test_read_only_database_gives_storage_error_and_keeps_earlier_sessions(store):
    sid = store.create_subject("P1")
    first = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="a", measurements=rows(2)
    )
    store._conn().execute("PRAGMA query_only = ON")  # SQLite's SQLITE_READONLY path, also as root
    with pytest.raises(StorageError, match="not writable"):
        store.save_session(
            sid, kind="gait", backend_info=INFO, source_hash="b", measurements=rows(2)
        )
    assert [s.id for s in store.list_sessions()] == [first]


def test_read_only_artifact_folder_gives_storage_error(store, monkeypatch):
    sid = store.create_subject("P1")
    first = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="a", measurements=rows(2)
    )

    def eroFS(*a, **k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(artifacts_mod.os, "open", eroFS)
    with pytest.raises(StorageError, match="not writable"):
        store.save_session(
            sid,
            kind="gait",
            backend_info=INFO,
            source_hash="b",
            measurements=rows(2),
            artifacts={"a.png": b"1"},
        )
    assert [s.id for s in store.list_sessions()] == [first] and _files(store) == []


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root ignores directory permissions; simulated in the tests above"
)
def test_chmod_read_only_data_dir_gives_storage_error(tmp_path):
    settings = dataclasses.replace(load_settings(), data_dir=tmp_path / "d")
    with Store(settings) as s:
        sid = s.create_subject("P1")
        s.save_session(sid, kind="gait", backend_info=INFO, source_hash="a", measurements=rows(2))
    os.chmod(settings.data_dir, 0o500)
    os.chmod(settings.db_path, 0o400)
    try:
        with pytest.raises(StorageError), Store(settings) as s:
            s.save_session(
                sid, kind="gait", backend_info=INFO, source_hash="b", measurements=rows(2)
            )
    finally:
        os.chmod(settings.data_dir, 0o700)
        os.chmod(settings.db_path, 0o600)
    with Store(settings) as s:
        assert len(s.list_sessions()) == 1


def test_sweep_orphans_removes_only_unowned_folders(store):
    sid = store.create_subject("P1")
    kept = store.save_session(
        sid,
        kind="gait",
        backend_info=INFO,
        source_hash="a",
        measurements=rows(1),
        artifacts={"x.png": b"1"},
    )
    (store.artifacts_dir / "deadbeef").mkdir()
    (store.artifacts_dir / "deadbeef" / "000.png").write_bytes(b"orphan")
    assert store.sweep_orphans(min_age_s=3600) == 0  # younger than the age asked for
    assert store.sweep_orphans(min_age_s=0) == 1
    assert (
        store.load_artifact(kept, "x.png") == b"1"
        and not (store.artifacts_dir / "deadbeef").exists()
    )
