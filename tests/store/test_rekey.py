"""Schema 3 on a store built at schema 2: every saved session gets the parameters key of
core.sessions.key from what it recorded, or the unknown key where it recorded too little."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core.config import load_settings
from core.sessions.key import UNKNOWN_KEY, gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions
from core.store import Store
from core.store.schema import MIGRATIONS, schema_version

LITE = {"backend": "lite", "model": "full", "size": "", "device": "cpu", "dtype": "float32",
        "threshold": 0.5}  # fmt: skip
SAPIENS = {"backend": "sapiens2", "model": "sapiens2_0.4b_pose", "size": "0.4b",
           "device": "cuda", "dtype": "bfloat16", "threshold": 0.3}  # fmt: skip
APP_KEY = "backend=lite|model=full|size=|device=cpu|dtype=float32|threshold=0.5"

#: (kind, backend info, params as the schema-2 code of each surface wrote them, the key expected).
LEGACY = {
    "app posture": ("posture", LITE, {"kind": "posture", "view": "auto", "backend": APP_KEY},
                    posture_key(LITE, PostureOptions(view="auto"))),
    "app posture fast, lite": ("posture", LITE, {"kind": "posture", "view": "front",
                               "backend": APP_KEY, "fast": True},
                               posture_key(LITE, PostureOptions(view="front"))),
    "app posture fast, sapiens2": ("posture", SAPIENS, {"kind": "posture", "view": "auto",
                                   "backend": "backend=sapiens2|...", "fast": True},
                                   posture_key({**SAPIENS, "flip_test": True},
                                               PostureOptions(view="auto", fast=True))),
    "app posture, sapiens2": ("posture", SAPIENS, {"kind": "posture", "view": "auto",
                              "backend": "backend=sapiens2|..."},
                              posture_key({**SAPIENS, "flip_test": True}, PostureOptions())),
    "cli posture": ("posture", LITE, {"view": "left", "view_used": "left", "point": [10, 20],
                    "backend": "auto", "size": "0.4b"},
                    posture_key(LITE, PostureOptions(view="left", point=(10.0, 20.0)))),
    "batch posture": ("posture", LITE, {"view": "auto", "point": None, "backend": "auto",
                      "size": "0.4b", "settings_fingerprint": "0123456789abcdef"},
                      posture_key(LITE, PostureOptions())),
    # --fast left no trace in the CLI's and batch's sessions: the flip test is unknown.
    "cli posture, sapiens2": ("posture", SAPIENS, {"view": "auto", "view_used": "front",
                              "point": None, "backend": "sapiens2", "size": "0.4b"}, UNKNOWN_KEY),
    "batch posture, sapiens2": ("posture", SAPIENS, {"view": "auto", "point": None,
                                "backend": "sapiens2", "size": "0.4b",
                                "settings_fingerprint": "0123456789abcdef"}, UNKNOWN_KEY),
    # A cut is made at the budget, so it records the budget; without one the budget is unknown.
    # Lite video frames of schema 2 never ran the flip test (they do since 2026-12-07).
    "cli gait, cut": ("gait", LITE, {"every": 2, "height_m": 1.7, "backend": "lite",
                      "size": "0.4b", "cut_at_s": 300.0},
                      gait_key(LITE, GaitOptions(every=2, height_m=1.7, max_seconds=300.0,
                                                 fast=True))),
    "cli gait, no cut": ("gait", LITE, {"every": 1, "height_m": None, "backend": "lite",
                         "size": "0.4b"}, UNKNOWN_KEY),
    "batch gait, budget": ("gait", LITE, {"every": 1, "height_m": None, "backend": "auto",
                           "size": "0.4b", "fps": 30.0, "max_seconds": 60.0,
                           "settings_fingerprint": "0123456789abcdef"},
                           gait_key(LITE, GaitOptions(fps=30.0, max_seconds=60.0, fast=True))),
    "batch gait, default budget": ("gait", LITE, {"every": 1, "height_m": None,
                                   "backend": "auto", "size": "0.4b",
                                   "settings_fingerprint": "0123456789abcdef"}, UNKNOWN_KEY),
    "app gait": ("gait", LITE, {"kind": "gait", "every": 1, "height_m": 1.7,
                 "backend": APP_KEY}, UNKNOWN_KEY),
    "sapiens2 gait": ("gait", SAPIENS, {"every": 2, "height_m": None, "backend": "sapiens2",
                      "size": "0.4b", "cut_at_s": 300.0}, UNKNOWN_KEY),
    "schema-1 session": ("posture", LITE, {}, UNKNOWN_KEY),
    "unreadable view": ("posture", LITE, {"kind": "posture", "view": 3, "backend": APP_KEY},
                        UNKNOWN_KEY),
    "desk": ("desk", LITE, {"warnings": []}, ""),
}  # fmt: skip


def _make_v2(db) -> dict[str, int]:
    """A store exactly as schema 2 built it, with one session per LEGACY entry (posture sessions
    with frame-0 rows, a gait session with frames 0 and 1); returns session ids by entry."""
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    for migration in MIGRATIONS[:2]:
        migration(conn)
    conn.execute(
        "INSERT INTO subjects (label, consent, created_utc) VALUES ('OLD', 1, '2025-01-01')"
    )
    ids = {}
    for i, (name, (kind, info, params, _)) in enumerate(LEGACY.items(), start=1):
        conn.execute(
            "INSERT INTO sessions (id, uid, subject_id, kind, created_utc, backend, model, size, "
            "device, dtype, threshold, source_hash, params_json, params_hash) "
            "VALUES (?, ?, 1, ?, '2025-01-02', ?, ?, ?, ?, ?, ?, 'abc', ?, 'h')",
            (i, f"{i:032x}", kind, info["backend"], info["model"], info["size"], info["device"],
             info["dtype"], info["threshold"], json.dumps(params)),
        )  # fmt: skip
        for frame in (0,) if kind == "posture" else (0, 1):
            conn.execute(
                "INSERT INTO measurements (session_id, frame, metric, value, unit) "
                "VALUES (?, ?, 'trunk_lean_deg', 1.5, 'deg')",
                (i, frame),
            )
        ids[name] = i
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    return ids


def _keys(db) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        assert schema_version(conn) == 3
        return dict(conn.execute("SELECT id, params_key FROM sessions"))
    finally:
        conn.close()


def test_migration_recomputes_the_key_of_every_saved_session() -> None:
    db = load_settings().db_path
    ids = _make_v2(db)
    with Store() as store:
        (subject,) = store.list_subjects()
        assert len(store.list_sessions(subject.id)) == len(LEGACY)
    keys = _keys(db)
    got = {name: keys[sid] for name, sid in ids.items()}
    assert got == {name: entry[3] for name, entry in LEGACY.items()}
    # A rekeyed lite walk ran without the flip test: it is never taken for one analysed with it.
    assert got["cli gait, cut"] != gait_key(
        LITE, GaitOptions(every=2, height_m=1.7, max_seconds=300.0)
    )
    # The same photo and options saved from the app and from batch: one key.
    assert got["app posture"] == got["batch posture"] != UNKNOWN_KEY


def test_the_device_a_session_ran_on_is_not_part_of_its_key() -> None:
    # The Sapiens2 app session ran on cuda; the key is the one a CPU run makes.
    db = load_settings().db_path
    ids = _make_v2(db)
    Store().close()
    on_cpu = {**SAPIENS, "device": "cpu", "flip_test": True}
    assert _keys(db)[ids["app posture, sapiens2"]] == posture_key(on_cpu, PostureOptions())


def test_a_migrated_session_is_found_and_an_unknown_one_never() -> None:
    import dataclasses

    from core.sessions.draft import SessionDraft
    from core.store import drafts

    db = load_settings().db_path
    ids = _make_v2(db)
    with Store() as store:
        for name, (kind, _, _, key) in LEGACY.items():
            draft = SessionDraft(kind=kind, source_hash="abc", key=key, rows=None,  # type: ignore[arg-type]  # find reads no rows
                                 backend_info={}, params={})  # fmt: skip
            found = drafts.find(store, 1, draft)
            # The newest session with that key (same time stamps here: the higher id).
            same = [ids[n] for n, entry in LEGACY.items() if entry[0] == kind and entry[3] == key]
            assert found == (None if key in ("", UNKNOWN_KEY) else max(same)), name
        other = dataclasses.replace(draft, source_hash="abd")
        assert drafts.find(store, 1, other) is None


def test_posture_rows_get_an_empty_frame_and_gait_rows_keep_theirs() -> None:
    db = load_settings().db_path
    ids = _make_v2(db)
    with Store() as store:
        posture = store.load_measurements(ids["cli posture"])
        gait = store.load_measurements(ids["cli gait, cut"])
    assert posture["frame"].isna().all() and len(posture) == 1
    assert gait["frame"].tolist() == [0, 1]


def test_a_failed_migration_leaves_the_schema_2_file_as_it_was(monkeypatch) -> None:  # noqa: ANN001
    import core.store.schema as schema

    db = load_settings().db_path
    _make_v2(db)

    def broken(conn: sqlite3.Connection) -> int:
        raise RuntimeError("disk pulled mid-migration")

    monkeypatch.setattr(schema, "rekey_sessions", broken)
    with pytest.raises(RuntimeError, match="mid-migration"):
        Store()
    conn = sqlite3.connect(db)
    try:
        assert schema_version(conn) == 2
        cols = [r[1] for r in conn.execute("PRAGMA table_info(sessions)")]
        assert "params_key" not in cols
        assert conn.execute("SELECT frame FROM measurements WHERE session_id = 1").fetchone() == (
            0,
        )
    finally:
        conn.close()
