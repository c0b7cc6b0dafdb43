"""The store's value types and the checks every value passes before it reaches the database.

Subject labels are pseudonyms typed by people, so they are validated strictly and never used to
build a file path; artifact files are named from ids (see ``core.store.artifacts``).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.hashing import sha256_hex
from core.types import ROW_COLUMNS

#: Columns of a measurements DataFrame, in order (DESIGN.md "Data flow").
MEASUREMENT_COLUMNS = ROW_COLUMNS  # defined once, in core.types
MAX_LABEL_CHARS = 64
MAX_NOTES_CHARS = 10_000
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PATH_CHARS = ("/", "\\", "\x00")


@dataclass(frozen=True)
class Subject:
    """A pseudonymous person. ``consent_date`` is an ISO date (UTC) or None."""

    id: int
    label: str
    height_m: float | None
    birth_year: int | None
    consent: bool
    consent_date: str | None
    created_utc: str


@dataclass(frozen=True)
class Session:
    """One saved analysis: what produced it (backend ... threshold), of what (source_hash), with which
    options (params), and its artifact files (name -> absolute path)."""

    id: int
    uid: str
    subject_id: int
    kind: str
    created_utc: str
    backend: str
    model: str
    size: str
    device: str
    dtype: str
    threshold: float | None
    source_hash: str
    notes: str
    params: dict = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)

    @property
    def backend_info(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "model": self.model,
            "size": self.size,
            "device": self.device,
            "dtype": self.dtype,
            "threshold": self.threshold,
        }


def validate_label(label: object) -> str:
    """A subject label: non-empty, at most 64 characters, no control characters, no path separators."""
    if not isinstance(label, str):
        raise InputError(f"a subject label must be text, got {type(label).__name__}")
    label = unicodedata.normalize("NFC", label.strip())
    if not label:
        raise InputError("a subject label cannot be empty; use a pseudonym such as 'P001'")
    if len(label) > MAX_LABEL_CHARS:
        raise InputError(
            f"a subject label is at most {MAX_LABEL_CHARS} characters (got {len(label)})"
        )
    if any(c in label for c in _PATH_CHARS):
        raise InputError(
            "a subject label cannot contain '/' or '\\'; use a pseudonym such as 'P001'"
        )
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in label):
        raise InputError(
            "a subject label cannot contain control or invisible formatting characters"
        )
    if label in (".", ".."):
        raise InputError("a subject label cannot be '.' or '..'")
    return label


def validate_kind(kind: object) -> str:
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise InputError(
            f"session kind {kind!r} is not valid: lowercase letters, digits and '_', e.g. 'posture'"
        )
    return kind


def validate_notes(notes: object) -> str:
    if not isinstance(notes, str):
        raise InputError(f"notes must be text, got {type(notes).__name__}")
    if len(notes) > MAX_NOTES_CHARS:
        raise InputError(f"notes are at most {MAX_NOTES_CHARS} characters (got {len(notes)})")
    return notes.replace("\x00", "")


def optional_float(value: object, name: str, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]  # any input: float() itself says what is no number
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(out) and lo <= out <= hi):
        raise InputError(f"{name}={value!r} is outside [{lo}, {hi}]")
    return out


def backend_values(backend_info: object) -> tuple[dict[str, str], float | None]:
    """The text fields (backend, model, size, device, dtype) and the threshold of ``Backend.describe()``."""
    if not isinstance(backend_info, dict):
        raise InputError("backend_info must be a dict such as Backend.describe() returns")
    info = {
        k: str(backend_info.get(k) or "") for k in ("backend", "model", "size", "device", "dtype")
    }
    return info, optional_float(backend_info.get("threshold"), "threshold", 0.0, 1e6)


def params_json(params: dict | None) -> tuple[str, str]:
    """Canonical JSON of analysis options and its SHA-256 (the result-cache key)."""
    try:
        text = json.dumps(params or {}, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"session params must be JSON-serialisable without NaN: {exc}") from None
    return text, sha256_hex(text.encode())


def _cell_float(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    out = float(value)  # type: ignore[arg-type]  # a stored REAL (or text SQLite kept as such)
    return None if math.isnan(out) else out


def measurement_rows(df: pd.DataFrame) -> list[tuple]:
    """Rows ``(frame, time_s, metric, side, value, unit)`` ready for SQLite; NaN becomes NULL.

    ``df`` has the columns of :data:`MEASUREMENT_COLUMNS`: frame int (or NaN for a whole-image
    measure), time_s seconds, metric name, side ('left'/'right'/'' ), value (float, NaN when not
    measurable), unit text. Raises ``InputError`` naming the offending column.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"measurements must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in MEASUREMENT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"measurements lack the column(s) {', '.join(missing)}")
    rows = []
    for frame, time_s, metric, side, value, unit in df[list(MEASUREMENT_COLUMNS)].itertuples(
        index=False, name=None
    ):
        try:
            f = _cell_float(frame)
            t = _cell_float(time_s)
            v = _cell_float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"measurement {metric!r}: frame, time_s and value must be numbers "
                f"(got {frame!r}, {time_s!r}, {value!r})"
            ) from None
        if v is not None and not np.isfinite(v):
            v = None  # inf is as unmeasurable as NaN; SQLite would otherwise store it as a float
        if not isinstance(metric, str) or not metric:
            raise InputError(f"every measurement needs a metric name, got {metric!r}")
        side = "" if side is None or (isinstance(side, float) and math.isnan(side)) else str(side)
        unit = "" if unit is None or (isinstance(unit, float) and math.isnan(unit)) else str(unit)
        rows.append((None if f is None else int(f), t, metric, side, v, unit))
    return rows
