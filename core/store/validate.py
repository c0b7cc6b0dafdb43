"""Checking that a database file from a backup is a sapiens-measure store and nothing else, before it
may replace the live one: read-only, every object, every type, every value that later becomes a path.

Everything the store would refuse to write is refused here too (labels as ``subject add`` checks
them, uids and artifact paths exactly as ``save_session`` writes them), so a restored store holds
only what the app could have stored itself.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.request import pathname2url

from core.errors import InputError, SapiensMeasureError
from core.store.archive import printable
from core.store.artifacts import MAX_NAME_CHARS, RELPATH_PATTERN, UID_PATTERN
from core.store.records import validate_kind, validate_label, validate_notes
from core.store.schema import SCHEMA_VERSION, schema_differences

_UID = re.compile(UID_PATTERN)
_RELPATH = re.compile(RELPATH_PATTERN)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NUMBER = "('integer', 'real', 'null')"
_TEXT = "('text')"
#: Rows of measurements whose types or values the store never writes (checked in SQL: there are many).
_BAD_MEASUREMENTS = f"""
SELECT rowid FROM measurements WHERE typeof(session_id) != 'integer'
 OR typeof(frame) NOT IN ('integer', 'null') OR typeof(time_s) NOT IN {_NUMBER}
 OR typeof(value) NOT IN {_NUMBER} OR value IN (9e999, -9e999) OR time_s IN (9e999, -9e999)
 OR typeof(metric) NOT IN {_TEXT} OR metric = '' OR typeof(side) NOT IN {_TEXT}
 OR typeof(unit) NOT IN {_TEXT} LIMIT 1
"""


@dataclass(frozen=True)
class StagedArtifact:
    relpath: str
    size_bytes: int | None  # None for a row migrated from version 1 (not recorded then)
    sha256: str | None


@dataclass(frozen=True)
class StagedStore:
    version: int
    artifacts: list[StagedArtifact]


def open_read_only(path: Path, *, immutable: bool = True) -> sqlite3.Connection:
    """A read-only connection; ``immutable`` (for a staged copy nothing else has open) also writes
    nothing beside the file and ignores any -wal, which a staged copy never has.

    The path is quoted into the URI, so a folder named with ``?`` or ``#`` opens the right file.
    """
    uri = f"file:{pathname2url(str(Path(path).resolve()))}?mode=ro"
    return sqlite3.connect(
        uri + ("&immutable=1" if immutable else ""), uri=True, isolation_level=None
    )


def _refuse(what: str) -> InputError:
    return InputError(f"backup refused: its database {what}")


def _check_subjects(conn: sqlite3.Connection, year_now: int) -> None:
    for sid, label, height, year, consent, day, created in conn.execute(
        "SELECT id, label, height_m, birth_year, consent, consent_date, created_utc FROM subjects"
    ):
        try:
            ok = isinstance(label, str) and validate_label(label) == label
        except InputError:
            ok = False
        if not ok:
            raise _refuse(f"holds the subject label {printable(repr(label), 40)}, which `subject add` refuses")  # fmt: skip
        if not (
            (height is None or (isinstance(height, float | int) and 0.3 <= height <= 3.0))
            and (year is None or (isinstance(year, int) and 1900 <= year <= year_now))
            and consent in (0, 1)
            and (day is None or isinstance(day, str))
            and isinstance(created, str)
        ):
            raise _refuse(f"holds subject {sid} with values the store never writes")


def _check_sessions(conn: sqlite3.Connection, version: int) -> dict[int, str]:
    """Session id -> uid (a version-1 row gets the uid its migration will give it)."""
    cols = "uid, params_json, params_hash" if version >= 2 else "NULL, '{}', ''"
    cols += ", params_key" if version >= 3 else ", ''"
    uids = {}
    for row in conn.execute(
        f"SELECT id, kind, created_utc, backend, model, size, device, dtype, threshold, "
        f"source_hash, notes, {cols} FROM sessions"
    ):
        sid, kind, *texts, threshold, source_hash, notes, uid, p_json, p_hash, p_key = row
        uid = f"legacy{sid:08d}" if version < 2 else uid
        if not isinstance(uid, str) or not _UID.fullmatch(uid):
            raise _refuse(f"gives session {sid} the folder name {printable(repr(uid), 40)}, not one the store writes")  # fmt: skip
        try:
            ok = validate_kind(kind) == kind and validate_notes(notes) == notes
            params = json.loads(p_json) if isinstance(p_json, str) else None
        except (SapiensMeasureError, ValueError, RecursionError):
            ok, params = False, None
        if not (
            ok
            and isinstance(params, dict)
            and all(isinstance(t, str) for t in (*texts, source_hash, p_hash, p_key))
            and (threshold is None or isinstance(threshold, float | int))
        ):
            raise _refuse(f"holds session {sid} with values the store never writes")
        uids[sid] = uid
    return uids


def _check_artifacts(
    conn: sqlite3.Connection, version: int, uids: dict[int, str]
) -> list[StagedArtifact]:
    cols = "size_bytes, sha256" if version >= 2 else "NULL, NULL"
    out = []
    for sid, name, relpath, size, sha in conn.execute(
        f"SELECT session_id, name, relpath, {cols} FROM artifacts"
    ):
        uid = uids.get(sid)
        if not (
            isinstance(relpath, str)
            and _RELPATH.fullmatch(relpath)
            and relpath.split("/")[0] == uid
        ):
            raise _refuse(f"gives an artifact of session {sid} the path {printable(repr(relpath), 60)}, not one inside its folder")  # fmt: skip
        named = isinstance(name, str) and 0 < len(name) <= MAX_NAME_CHARS
        if not named or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise _refuse(f"gives an artifact of session {sid} a name the store never writes")
        recorded = isinstance(size, int) and size >= 0 and isinstance(sha, str)
        if not ((recorded and _SHA256.fullmatch(sha)) or (size is None and sha is None)):
            raise _refuse(f"records a bad size or SHA-256 for the artifact {relpath!r}")
        out.append(StagedArtifact(relpath, size, sha))
    return out


def check_staged_database(path: Path, *, year_now: int) -> StagedStore:
    """Validate the database file at ``path`` completely, read-only; ``InputError`` says what is wrong.

    The schema version must be one the migrations handle (1 .. current), its objects exactly that
    version's (no trigger, view, extra table or changed column), the file must pass
    ``integrity_check`` and ``foreign_key_check``, and every row hold values the store writes.
    """
    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        raise _refuse(f"is not readable ({printable(exc)})") from None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise _refuse(
                f"has schema version {version}, newer than this app's {SCHEMA_VERSION}; "
                "update sapiens-measure first"
            )
        if version < 1:
            raise _refuse(f"has schema version {version}: it is not a sapiens-measure store")
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise _refuse(f"fails the integrity check ({printable(result)})")
        diff = schema_differences(conn, version)
        if diff:
            raise _refuse(f"is not a version-{version} store ({'; '.join(diff[:3])})")
        if conn.execute("PRAGMA foreign_key_check").fetchone():
            raise _refuse("has rows that point at missing subjects or sessions")
        _check_subjects(conn, year_now)
        uids = _check_sessions(conn, version)
        bad = conn.execute(_BAD_MEASUREMENTS).fetchone()
        if bad:
            raise _refuse(f"holds a measurement (row {bad[0]}) with values the store never writes")
        return StagedStore(version, _check_artifacts(conn, version, uids))
    except sqlite3.DatabaseError as exc:
        raise _refuse(f"is not readable ({printable(exc)})") from None
    finally:
        conn.close()
