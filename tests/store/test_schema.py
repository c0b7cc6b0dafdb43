"""Schema versions and migrations: a fresh file and a version-1 file end at the same schema."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from core.config import load_settings
from core.errors import StorageError
from core.store import Store
from core.store.schema import SCHEMA_VERSION, V1_DDL, schema_version
from tests.store.conftest import INFO, rows


def _columns(db, table):
    conn = sqlite3.connect(db)
    try:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


def _make_v1(db):
    # A database exactly as version 1 of the app wrote it, with one subject and one session.
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.executescript(V1_DDL)
    conn.execute(
        "INSERT INTO subjects (label, consent, created_utc) VALUES ('OLD1', 1, '2024-01-01')"
    )
    conn.execute(
        "INSERT INTO sessions (subject_id, kind, created_utc, backend, source_hash) VALUES (1, 'posture', '2024-01-02', 'lite', 'abc')"
    )
    conn.execute(
        "INSERT INTO measurements (session_id, frame, metric, value, unit) VALUES (1, 0, 'neck_flexion_deg', 12.5, 'deg')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_fresh_database_is_at_current_version():
    with Store() as store:
        conn = sqlite3.connect(store.db_path)
        assert schema_version(conn) == SCHEMA_VERSION == 3  # 3: the parameters key (issue 16)
        conn.close()
    assert "params_hash" in _columns(load_settings().db_path, "sessions")
    assert "params_key" in _columns(load_settings().db_path, "sessions")


def test_migrates_a_version_1_database_keeping_its_data():
    db = load_settings().db_path
    _make_v1(db)
    assert "uid" not in _columns(db, "sessions")
    with Store() as store:
        assert [
            c for c in _columns(db, "sessions") if c in ("uid", "params_json", "params_hash")
        ] == [
            "uid",
            "params_json",
            "params_hash",
        ]
        (subject,) = store.list_subjects()
        assert subject.label == "OLD1" and subject.consent
        (session,) = store.list_sessions(subject.id)
        assert session.uid == "legacy00000001" and session.params == {}
        df = store.load_measurements(session.id)
        assert df["metric"].tolist() == ["neck_flexion_deg"] and df["value"].tolist() == [12.5]
        # The migrated store takes new sessions as a fresh one does.
        new_id = store.save_session(
            subject.id, kind="gait", backend_info=INFO, source_hash="x", measurements=rows(1)
        )
        assert new_id == 2
        assert isinstance(store.load_measurements(new_id), pd.DataFrame)


def test_refuses_a_database_from_a_newer_version():
    db = load_settings().db_path
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        Store()
