"""Which files failed in earlier batch runs, so a rerun skips them unless ``--retry-failed``.

Successful results live in the session store; failures have no session, so they are remembered
here, in a small SQLite file next to the database. Only the content hash, the parameters key
and the time are kept: no file name, no subject label, so deleting a subject leaves nothing of it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from core.errors import StorageError

LEDGER_NAME = "batch_failures.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (
    source_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    failed_utc TEXT NOT NULL,
    PRIMARY KEY (source_hash, fingerprint)
)
"""


class FailureLedger:
    """Failed (content hash, parameters key) pairs, in ``data_dir / LEDGER_NAME``.

    Only the batch driver writes it, one short transaction per file. Raises ``StorageError`` when
    the file cannot be opened or written.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LEDGER_NAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._conn.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the batch failure record {self.path}: {exc}") from None

    def _run(self, sql: str, args: tuple) -> list[tuple]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot use the batch failure record {self.path}: {exc}") from None

    def failed_at(self, source_hash: str, fingerprint: str) -> str | None:
        """When this file last failed with these settings (ISO time, UTC), or None."""
        rows = self._run(
            "SELECT failed_utc FROM failures WHERE source_hash = ? AND fingerprint = ?",
            (source_hash, fingerprint),
        )
        return rows[0][0] if rows else None

    def record_failure(self, source_hash: str, fingerprint: str) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._run(
            "INSERT OR REPLACE INTO failures (source_hash, fingerprint, failed_utc) VALUES (?, ?, ?)",
            (source_hash, fingerprint, now),
        )

    def clear(self, source_hash: str, fingerprint: str) -> None:
        """Forget a failure (the file has now been processed)."""
        self._run(
            "DELETE FROM failures WHERE source_hash = ? AND fingerprint = ?",
            (source_hash, fingerprint),
        )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> FailureLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
