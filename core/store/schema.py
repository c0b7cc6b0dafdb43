"""The session store's tables, its schema version, and the migrations that bring any older file up to date.

The version lives in SQLite's ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database at version
``i`` to version ``i + 1``; a fresh file runs all of them in order, so new and migrated databases are
built by the same statements and cannot drift apart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from core.errors import StorageError

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

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        # Statement by statement rather than executescript(), which would COMMIT the open
        # transaction and so break "all migrations or none".
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


#: ``MIGRATIONS[i]`` upgrades version ``i`` to ``i + 1``.
MIGRATIONS: list[Migration] = [_script(V1_DDL), _script(V2_SQL)]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the file (0 for an empty database)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database to :data:`SCHEMA_VERSION` in one transaction; returns the old version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). A file written by a newer version
    of the app is refused rather than guessed at.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = schema_version(conn)
        if old > SCHEMA_VERSION:
            raise StorageError(
                f"the database has schema version {old}, newer than this app's {SCHEMA_VERSION}; "
                "update sapiens-measure"
            )
        for version in range(old, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        # PRAGMA cannot take parameters; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return old
