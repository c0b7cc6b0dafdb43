"""The run's summary CSV: one row per file of the archive, written as each file finishes.

Columns: file, subject, kind, status, session_id, seconds, the key measures, which of them are
unreliable (photos), the quality grade (walks), error. Rows are
flushed one by one, so a run that is interrupted still leaves a summary of what it did. Text cells
pass through the store's spreadsheet-formula guard: file names and subject labels come from users.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from core.errors import InputError
from core.sessions.draft import REQUIRED_MEASURES
from core.store.cells import neutralise_cell

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis, PostureResult

#: Status of a row: analysed and stored / already stored with the same settings / analysis failed /
#: not analysed (not media, no subject, failed before without --retry-failed, duplicate file).
STATUSES = ("processed", "unchanged", "failed", "skipped")

#: The single-file commands' JSON keys (core.cli.posture / core.cli.gait), so a summary column
#: means what the same name means in `python -m core posture IMG --json`.
POSTURE_KEYS = REQUIRED_MEASURES
GAIT_KEYS = (
    "n_steps",
    "cadence_spm",
    "step_time_left_s",
    "step_time_right_s",
    "symmetry_index_step_time_pct",
)
#: After the measures: the posture key measures stored as unreliable (their names, ";" between),
#: and a walk's quality grade, so that no summary number looks surer than its session says.
UNRELIABLE, QUALITY_GRADE = "unreliable", "quality_grade"
COLUMNS = (
    "file",
    "subject",
    "kind",
    "status",
    "session_id",
    "seconds",
    *POSTURE_KEYS,
    *GAIT_KEYS,
    UNRELIABLE,
    QUALITY_GRADE,
    "error",
)


def _number(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]  # any value: float() says what is no number
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def key_measures(result: PostureResult | GaitAnalysis | None) -> dict[str, float | str]:
    """The summary's measure columns from a ``PostureResult`` or ``GaitAnalysis`` (missing:
    absent), with :data:`UNRELIABLE` for a photo (the key measures with a value whose confidence
    says unreliable, "" when none) and :data:`QUALITY_GRADE` for a walk."""
    from core.analysis import PostureResult  # on use: the summary writer alone needs no analysis

    source: Mapping[str, object]
    keys: tuple[str, ...]
    if result is None:
        return {}
    if isinstance(result, PostureResult):
        source, keys = result.measures, POSTURE_KEYS
    else:
        source, keys = result.result.to_dict(), GAIT_KEYS
    out: dict[str, float | str] = {}
    for key in keys:
        value = _number(source.get(key))
        if value is not None:
            out[key] = value
    if isinstance(result, PostureResult):
        confidence = result.confidence.measures
        out[UNRELIABLE] = ";".join(
            k for k in keys if k in out and k in confidence and not confidence[k].reliable
        )
    else:
        grade = source.get(QUALITY_GRADE)
        if grade is not None:
            out[QUALITY_GRADE] = str(grade)
    return out


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return value
    # Newlines would split a summary row in naive readers; the error text is one line anyway.
    return neutralise_cell(str(value).replace("\r", " ").replace("\n", " "))


class SummaryWriter:
    """Writes the summary CSV row by row. Use as a context manager, or call :meth:`close`.

    Raises ``InputError`` when ``path`` cannot be written (e.g. a read-only folder).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh: TextIO = self.path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the summary {self.path}: {exc.strerror or exc}"
            ) from None
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._csv.writerow(COLUMNS)
        self._fh.flush()

    def write(
        self,
        *,
        file: str,
        status: str,
        subject: str = "",
        kind: str = "",
        session_id: int | None = None,
        seconds: float | None = None,
        measures: Mapping[str, float | str] | None = None,
        error: str = "",
    ) -> None:
        """Append one row and flush it to disk."""
        if status not in STATUSES:
            raise ValueError(f"unknown summary status {status!r}")
        values = {
            "file": file,
            "subject": subject,
            "kind": kind,
            "status": status,
            "session_id": session_id,
            "seconds": None if seconds is None else round(float(seconds), 3),
            "error": error,
            **(measures or {}),
        }
        self._csv.writerow([_cell(values.get(col)) for col in COLUMNS])
        self._fh.flush()
        self.rows += 1

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
