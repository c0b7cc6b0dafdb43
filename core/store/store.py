"""The session store: subjects, sessions, long-format measurements and artifact files in one place.

SQLite in WAL mode holds the rows; artifact files sit next to it. ``save_session`` is one
transaction: the files are written (atomically) inside it and removed again if anything fails, so a
session is either complete or absent. Each thread gets its own connection; writers inside one
process are serialised by a lock, writers in other processes by SQLite's busy timeout.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from core.config import Settings, load_settings
from core.errors import InputError, StorageError
from core.store import artifacts as files
from core.store import sweep
from core.store.db import connect, ensure_private_dir, row_id, storage_error
from core.store.lock import StoreLock
from core.store.records import (
    MEASUREMENT_COLUMNS,
    Session,
    Subject,
    backend_values,
    measurement_rows,
    optional_float,
    params_json,
    validate_kind,
    validate_label,
    validate_notes,
)
from core.store.reports import scrub_subject
from core.store.schema import migrate

_SESSION_COLS = "id, uid, subject_id, kind, created_utc, backend, model, size, device, dtype, threshold, source_hash, notes, params_json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Store:
    """The SQLite session store of ``settings.data_dir`` (default: :func:`core.config.load_settings`).

    Opening creates the data folder (owner-only) and database, migrates an older schema, and
    sweeps what killed processes left (see ``core.store.sweep``). An open store holds the data
    folder's shared lock (``core.store.lock``) until :meth:`close`. Raises ``StorageError`` when the
    folder or file cannot be used.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.data_dir = Path(self.settings.data_dir)
        self.db_path = Path(self.settings.db_path)
        self.artifacts_dir = Path(self.settings.artifacts_dir)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        ensure_private_dir(self.data_dir)
        self._lock = StoreLock.acquire(self.data_dir, exclusive=False)
        try:
            sweep.sweep_staging(self.data_dir)
            with self._write_lock:
                migrate(self._conn())
            self.sweep_orphans()
            self.sweep_scratch()
            sweep.sweep_tmp_files(self.data_dir)
        except BaseException as exc:
            self.close()
            if isinstance(exc, sqlite3.Error):
                raise storage_error(exc, f"prepare the database {self.db_path}") from exc
            raise

    # -- connections and transactions -------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened (from any thread)."""
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction; any failure rolls it back, SQLite/OS failures become StorageError."""
        with self._write_lock:
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    # The original error is the one the user needs, not a failed rollback.
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error | OSError):
                    raise storage_error(exc, action) from exc
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise storage_error(exc, f"read {self.db_path}") from exc

    # -- subjects ---------------------------------------------------------------------------
    def create_subject(
        self,
        label: str,
        *,
        height_m: float | None = None,
        birth_year: int | None = None,
        consent: bool = False,
    ) -> int:
        """Add a subject; returns its id. Raises ``InputError`` for a bad or already used label."""
        label = validate_label(label)
        height = optional_float(height_m, "height_m", 0.3, 3.0)
        year = optional_float(birth_year, "birth_year", 1900, datetime.now(timezone.utc).year)
        now = _now()
        with self._write("add the subject") as conn:
            if conn.execute("SELECT 1 FROM subjects WHERE label = ?", (label,)).fetchone():
                raise InputError(f"a subject labelled {label!r} already exists")
            cur = conn.execute(
                "INSERT INTO subjects (label, height_m, birth_year, consent, consent_date, created_utc) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (label, height, None if year is None else int(year), int(bool(consent)),
                 now[:10] if consent else None, now),
            )  # fmt: skip
            return row_id(cur)

    def record_consent(
        self, subject_id: int, *, consent: bool = True, date: str | None = None
    ) -> None:
        """Record (or withdraw, ``consent=False``) a subject's consent; ``date`` defaults to today (UTC)."""
        with self._write("record consent") as conn:
            self._require_subject(conn, subject_id)
            day = (date or _now()[:10]) if consent else None
            conn.execute(
                "UPDATE subjects SET consent = ?, consent_date = ? WHERE id = ?",
                (int(bool(consent)), day, subject_id),
            )

    def list_subjects(self) -> list[Subject]:
        return self._subjects_where("1 ORDER BY label", ())

    def get_subject(self, subject_id: int) -> Subject:
        for subject in self._subjects_where("id = ?", (subject_id,)):
            return subject
        raise InputError(f"no subject with id {subject_id}")

    def find_subject(self, label: str) -> Subject | None:
        """The subject with this exact label, or None."""
        found = self._subjects_where("label = ?", (validate_label(label),))
        return found[0] if found else None

    def _subjects_where(self, where: str, args: tuple) -> list[Subject]:
        rows = self._read(
            "SELECT id, label, height_m, birth_year, consent, consent_date, created_utc "
            f"FROM subjects WHERE {where}",
            args,
        )
        return [Subject(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]

    @staticmethod
    def _require_subject(conn: sqlite3.Connection, subject_id: int) -> None:
        if not conn.execute("SELECT 1 FROM subjects WHERE id = ?", (subject_id,)).fetchone():
            raise InputError(
                f"no subject with id {subject_id}; add one with `python -m core subject add`"
            )

    def delete_subject(self, subject_id: int) -> None:
        """Erase a subject: every session, measurement and artifact file, its rows in batch run
        reports (``core.store.reports``), then VACUUM the file.

        After this nothing of the subject remains in the database file or its WAL (secure_delete
        zeroes the freed pages, VACUUM rebuilds the file, the checkpoint truncates the WAL).
        """
        with self._write("delete the subject") as conn:
            self._require_subject(conn, subject_id)
            (label,) = conn.execute(
                "SELECT label FROM subjects WHERE id = ?", (subject_id,)
            ).fetchone()
            rows = conn.execute("SELECT uid FROM sessions WHERE subject_id = ?", (subject_id,))
            uids = [r[0] for r in rows]
            conn.execute("DELETE FROM subjects WHERE id = ?", (subject_id,))  # cascades
        self._remove_folders(uids)
        # Folders of the subject's saves that a killed process never committed go too.
        self.sweep_orphans()
        scrub_subject(self.data_dir, label)
        self.vacuum()

    def vacuum(self) -> None:
        """Rebuild the database file and empty the WAL, so deleted data is gone from disk."""
        with self._write_lock:
            conn = self._conn()
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise storage_error(exc, "compact the database") from exc

    # -- sessions ---------------------------------------------------------------------------
    def save_session(
        self,
        subject_id: int,
        *,
        kind: str,
        backend_info: dict,
        source_hash: str,
        measurements: pd.DataFrame,
        artifacts: dict[str, bytes] | None = None,
        notes: str = "",
        params: dict | None = None,
        key: str = "",
    ) -> int:
        """Store one session in one transaction; returns its id.

        ``backend_info``: ``Backend.describe()`` (backend, model, size, device, dtype, threshold).
        ``key``: the parameters key (``core.sessions.key``; '' for a session that is never found).
        ``measurements``: DataFrame with columns frame, time_s, metric, side, value, unit.
        ``artifacts``: name -> file bytes, written atomically next to the database.
        On any failure nothing remains: no session row, no measurement, no artifact file.
        """
        kind = validate_kind(kind)
        notes = validate_notes(notes)
        rows = measurement_rows(measurements)
        blobs = files.validate_artifacts(artifacts)
        p_json, p_hash = params_json(params)
        info, threshold = backend_values(backend_info)
        uid = uuid.uuid4().hex
        wrote_files = False
        try:
            with self._write("save the session") as conn:
                self._require_subject(conn, subject_id)
                cur = conn.execute(
                    "INSERT INTO sessions (uid, subject_id, kind, created_utc, backend, model, size, device, "
                    "dtype, threshold, source_hash, notes, params_json, params_hash, params_key) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (uid, subject_id, kind, _now(), info["backend"], info["model"], info["size"],
                     info["device"], info["dtype"], threshold, str(source_hash or ""), notes, p_json, p_hash, str(key)),
                )  # fmt: skip
                session_id = row_id(cur)
                conn.executemany(
                    "INSERT INTO measurements (session_id, frame, time_s, metric, side, value, unit) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(session_id, *row) for row in rows],
                )
                if blobs:
                    wrote_files = True
                    written = files.write_session_artifacts(self.artifacts_dir, uid, blobs)
                    conn.executemany(
                        "INSERT INTO artifacts (session_id, name, relpath, size_bytes, sha256) VALUES (?, ?, ?, ?, ?)",
                        [(session_id, a.name, a.relpath, a.size_bytes, a.sha256) for a in written],
                    )
        except BaseException:
            if wrote_files:
                files.remove_tree(self.artifacts_dir / uid)
            raise
        return session_id

    def _remove_folders(self, uids: list[str]) -> None:
        for uid in uids:
            folder = files.session_folder(self.artifacts_dir, uid)
            if folder is not None:  # a uid that is no folder name of ours names nothing to delete
                files.remove_tree(folder)

    def _session_from_row(self, r: tuple) -> Session:
        arts = self._read(
            "SELECT name, relpath FROM artifacts WHERE session_id = ? ORDER BY relpath", (r[0],)
        )
        try:
            params = json.loads(r[13] or "{}")
        except (ValueError, RecursionError):  # not what save_session writes: shown as no options
            params = {}
        # Only paths that stay inside the artifacts folder are handed out (pages pass them to
        # st.image / st.video); a relpath edited into the database is left out.
        paths = {name: files.artifact_path(self.artifacts_dir, rel) for name, rel in arts}
        return Session(  # type: ignore[misc]  # r[:13]: Session's first 13 fields (_SESSION_COLS)
            *r[:13],
            params=params if isinstance(params, dict) else {},
            artifacts={name: path for name, path in paths.items() if path is not None},
        )

    def get_session(self, session_id: int) -> Session:
        rows = self._read(f"SELECT {_SESSION_COLS} FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise InputError(f"no session with id {session_id}")
        return self._session_from_row(rows[0])

    def list_sessions(self, subject_id: int | None = None) -> list[Session]:
        """Sessions of one subject (or all), oldest first."""
        where, args = (
            ("WHERE subject_id = ?", (subject_id,)) if subject_id is not None else ("", ())
        )
        rows = self._read(
            f"SELECT {_SESSION_COLS} FROM sessions {where} ORDER BY created_utc, id", args
        )
        return [self._session_from_row(r) for r in rows]

    def load_measurements(self, session_id: int, *, companions: bool = False) -> pd.DataFrame:
        """The session's rows in saved order: frame (Int64, <NA> for whole-image measures), time_s
        (float, s), metric, side ('' when none), value (float, NaN when not measurable), unit. Rows
        whose metric holds ':' (scores, flags, keypoints: core.measure.confidence) only with ``companions``."""
        self.get_session(session_id)  # a clear error for an unknown id
        where = "session_id = ?" + ("" if companions else " AND instr(metric, ':') = 0")
        sql = f"SELECT frame, time_s, metric, side, value, unit FROM measurements WHERE {where} ORDER BY rowid"
        rows = self._read(sql, (session_id,))
        df = pd.DataFrame(rows, columns=list(MEASUREMENT_COLUMNS))
        return df.astype({"frame": "Int64", "time_s": float, "value": float})

    def load_artifact(self, session_id: int, name: str) -> bytes:
        self.get_session(session_id)  # a clear error for an unknown id
        rows = self._read(
            "SELECT relpath FROM artifacts WHERE session_id = ? AND name = ?", (session_id, name)
        )
        if not rows:
            raise InputError(f"session {session_id} has no artifact named {name!r}")
        try:
            return files.read_artifact(self.artifacts_dir, rows[0][0])
        except OSError as exc:
            raise storage_error(exc, f"read the artifact {name!r}") from exc

    def delete_session(self, session_id: int) -> None:
        """Remove one session with its measurements and artifact files."""
        with self._write("delete the session") as conn:
            row = conn.execute("SELECT uid FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise InputError(f"no session with id {session_id}")
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        self._remove_folders([row[0]])

    def find_session_by_hash(
        self, source_hash: str, params: dict | None = None, *, subject_id: int | None = None
    ) -> int | None:
        """The newest session made from the same source file with the same params, or None (result cache)."""
        sql = "SELECT id FROM sessions WHERE source_hash = ? AND params_hash = ?"
        args: tuple = (source_hash, params_json(params)[1])
        if subject_id is not None:
            sql, args = sql + " AND subject_id = ?", (*args, subject_id)
        rows = self._read(sql + " ORDER BY created_utc DESC, id DESC LIMIT 1", args)
        return int(rows[0][0]) if rows else None

    # -- housekeeping -----------------------------------------------------------------------
    def is_empty(self) -> bool:
        """True when the store holds no subject and no artifact file."""
        has_rows = bool(self._read("SELECT 1 FROM subjects LIMIT 1"))
        has_files = self.artifacts_dir.is_dir() and any(self.artifacts_dir.iterdir())
        return not has_rows and not has_files

    @property
    def scratch_dir(self) -> Path:
        """Working copies (uploads, unsaved overlay videos); swept by :meth:`sweep_scratch`."""
        return self.data_dir / files.SCRATCH_DIRNAME

    def sweep_scratch(self, *, max_age_s: float = files.SCRATCH_MAX_AGE_S) -> int:
        """Remove working copies older than ``max_age_s``; returns how many."""
        return files.remove_older_than(self.scratch_dir, max_age_s)

    def sweep_orphans(self, *, min_age_s: float = 0.0) -> int:
        """Remove artifact folders no committed session owns (left by a killed process) that are at
        least ``min_age_s`` old; returns how many.

        It runs inside a write transaction: files are only written inside a save's transaction, so
        no save of any process is in flight and every unowned folder is a leftover.
        """
        with self._write("sweep leftover artifact folders") as conn:
            known = [r[0] for r in conn.execute("SELECT uid FROM sessions")]
            return sweep.remove_orphans(self.artifacts_dir, known, min_age_s)


__all__ = ["Store", "StorageError"]
