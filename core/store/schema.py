"""The session store's tables, its schema version, and the migrations that bring any older file up to date.

The version lives in SQLite's ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database at version
``i`` to version ``i + 1``; a fresh file runs all of them in order, so new and migrated databases are
built by the same statements and cannot drift apart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache

from core.errors import StorageError
from core.store.rekey import rekey_sessions

#: Version 1: subjects, sessions, long-format measurements, artifact files.
V1_DDL = """
CREATE TABLE subjects (
    id            INTEGER PRIMARY KEY,
    label         TEXT NOT NULL UNIQUE,
    height_m      REAL,
    birth_year    INTEGER,
    consent       INTEGER NOT NULL DEFAULT 0,
    consent_date  TEXT,
    created_utc   TEXT NOT NULL
);
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    subject_id    INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    created_utc   TEXT NOT NULL,
    backend       TEXT NOT NULL DEFAULT '',
    model         TEXT NOT NULL DEFAULT '',
    size          TEXT NOT NULL DEFAULT '',
    device        TEXT NOT NULL DEFAULT '',
    dtype         TEXT NOT NULL DEFAULT '',
    threshold     REAL,
    source_hash   TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_subject ON sessions(subject_id);
CREATE TABLE measurements (
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    frame         INTEGER,
    time_s        REAL,
    metric        TEXT NOT NULL,
    side          TEXT NOT NULL DEFAULT '',
    value         REAL,
    unit          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measurements_session ON measurements(session_id);
CREATE TABLE artifacts (
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    relpath       TEXT NOT NULL,
    PRIMARY KEY (session_id, name)
);
"""

#: Version 2: result caching and file bookkeeping. ``uid`` names the session's artifact folder (so a
#: folder left by a killed writer can never be mistaken for a later session that reuses the row id);
#: ``params_json``/``params_hash`` record the analysis options for ``find_session_by_hash``;
#: artifacts gain their size and SHA-256 so a backup can be checked.
V2_SQL = """
ALTER TABLE sessions ADD COLUMN uid TEXT;
UPDATE sessions SET uid = printf('legacy%08d', id) WHERE uid IS NULL;
CREATE UNIQUE INDEX sessions_uid ON sessions(uid);
ALTER TABLE sessions ADD COLUMN params_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN params_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_cache ON sessions(source_hash, params_hash);
ALTER TABLE artifacts ADD COLUMN size_bytes INTEGER;
ALTER TABLE artifacts ADD COLUMN sha256 TEXT;
"""

#: Version 3: one parameters key per session (``core.sessions.key``), the same whichever of the
#: app, the CLI or batch saved it; ``core.store.drafts.find`` looks sessions up by it.
V3_SQL = """
ALTER TABLE sessions ADD COLUMN params_key TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_key ON sessions(subject_id, kind, source_hash, params_key);
"""
#: A posture photo's rows get an empty frame (docs/EXPORT.md: a whole-image measure has none);
#: before version 3 they were saved with frame 0.
V3_POSTURE_FRAMES = (
    "UPDATE measurements SET frame = NULL WHERE frame = 0 "
    "AND session_id IN (SELECT id FROM sessions WHERE kind = 'posture')"
)

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        # Statement by statement rather than executescript(), which would COMMIT the open
        # transaction and so break "all migrations or none".
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


def _v3(conn: sqlite3.Connection) -> None:
    _script(V3_SQL)(conn)
    # The keys of the sessions already saved, from what each recorded (unknown where it did not).
    rekey_sessions(conn)
    conn.execute(V3_POSTURE_FRAMES)


#: ``MIGRATIONS[i]`` upgrades version ``i`` to ``i + 1``.
MIGRATIONS: list[Migration] = [_script(V1_DDL), _script(V2_SQL), _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the file (0 for an empty database)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


Objects = frozenset[tuple[str, str, str, str]]


def objects(conn: sqlite3.Connection) -> Objects:
    """Every schema object (type, name, table, SQL with whitespace collapsed), from sqlite_master."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return frozenset((t, n, tbl, " ".join(str(sql or "").split())) for t, n, tbl, sql in rows)


@cache
def expected_objects(version: int) -> Objects:
    """The objects of a database at ``version`` as the migrations build it (a fresh in-memory copy)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migration in MIGRATIONS[:version]:
            migration(conn)
        return objects(conn)
    finally:
        conn.close()


def schema_differences(conn: sqlite3.Connection, version: int) -> list[str]:
    """What differs from the schema ``version`` should have ("unexpected trigger 'x'", ...); [] if none."""
    found, want = objects(conn), expected_objects(version)
    names = {(t, n) for t, n, _, _ in want}
    out = [
        f"unexpected {t} {n!r}"[:80] for t, n, _, _ in sorted(found - want) if (t, n) not in names
    ]
    out += [f"changed {t} {n!r}" for t, n, _, _ in sorted(found - want) if (t, n) in names]
    got = {(t, n) for t, n, _, _ in found}
    out += [f"missing {t} {n!r}" for t, n in sorted(names - got)]
    return out


def check_schema(conn: sqlite3.Connection, version: int) -> None:
    """``StorageError`` unless the database holds exactly the tables and indexes of ``version`` (no
    trigger, view or extra object that would run or hide something on every save)."""
    diff = schema_differences(conn, version)
    if diff:
        raise StorageError(
            "the database is not a sapiens-measure store as this app writes it ("
            + "; ".join(diff[:3])
            + "); restore it from a backup (`python -m core restore`)"
        )


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database to :data:`SCHEMA_VERSION` in one transaction; returns the old version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). A file written by a newer version
    of the app, a negative version, a version-0 file that already holds tables (another program's
    database) and a file whose objects differ from its version's (a trigger added, a column missing)
    are refused rather than guessed at.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = schema_version(conn)
        if old < 0 or (old == 0 and objects(conn)):
            raise StorageError(
                f"the database (schema version {old}) is not a sapiens-measure store; point "
                "SAPIENS_MEASURE_DATA_DIR at another folder or restore a backup"
            )
        if old > SCHEMA_VERSION:
            raise StorageError(
                f"the database has schema version {old}, newer than this app's {SCHEMA_VERSION}; "
                "update sapiens-measure"
            )
        if old:
            check_schema(conn, old)
        for version in range(old, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        # PRAGMA cannot take parameters; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return old
