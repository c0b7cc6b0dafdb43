"""CSV export of sessions and subjects, safe to open in a spreadsheet.

Three shapes (columns documented in ``docs/EXPORT.md``): a tidy long CSV per session, a wide per-frame
CSV per session (one column per ``metric[_side]``), and a per-subject long CSV of all its sessions.
Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, TAB or CR) get a
leading single quote; numeric columns are written as numbers, so ``-3.2`` stays ``-3.2``.
"""

from __future__ import annotations

import pandas as pd

from core.store.cells import FORMULA_PREFIXES, neutralise_cell  # noqa: F401 (re-exported: old path)
from core.store.companions3d import fold_3d
from core.store.records import Session
from core.store.store import Store

#: Columns of the long CSVs, in order.
LONG_COLUMNS = (
    "session_id", "subject_label", "kind", "created_utc", "backend", "model", "size", "device",
    "dtype", "threshold", "source_hash", "frame", "time_s", "metric", "side", "value", "unit",
    "score", "reliable", "sigma", "reason", "notes",
)  # fmt: skip


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) guarded; numeric columns are left untouched."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def to_csv_text(df: pd.DataFrame) -> str:
    """UTF-8 CSV text with a header row; newline inside a cell is quoted, floats keep full precision."""
    # Written with CRLF, then rows joined with LF: Python's csv (3.11) quotes a cell only when it
    # holds a character of the line terminator, so with "\n" alone a cell "ok\r=1+1" went out
    # unquoted and readers split it at the CR into a new row starting with a live "=1+1".
    text = neutralise_frame(df).to_csv(index=False, lineterminator="\r\n")
    return text.replace("\r\n", "\n")


def _store(store: Store | None) -> Store:
    return store if store is not None else Store()


def _rows(store: Store, session_id: int) -> pd.DataFrame:
    """The session's measurements with ``score``, ``reliable``, ``sigma`` and ``reason`` beside
    each value, and its keypoint rows (``core.store.companions``, ``companions3d``)."""
    return fold_3d(store.load_measurements(session_id, companions=True))


def _long_frame(store: Store, session: Session) -> pd.DataFrame:
    rows = _rows(store, session.id)
    label = store.get_subject(session.subject_id).label
    meta = {
        "session_id": session.id,
        "subject_label": label,
        "kind": session.kind,
        "created_utc": session.created_utc,
        "backend": session.backend,
        "model": session.model,
        "size": session.size,
        "device": session.device,
        "dtype": session.dtype,
        "threshold": session.threshold,
        "source_hash": session.source_hash,
        "notes": session.notes,
    }
    for name, value in meta.items():
        rows[name] = pd.Series(
            [value] * len(rows), index=rows.index, dtype=object if isinstance(value, str) else None
        )
    rows["threshold"] = pd.to_numeric(rows["threshold"])
    return rows[list(LONG_COLUMNS)]


def session_long_csv(session_id: int, *, store: Store | None = None) -> str:
    """One row per measurement of the session, with the session's provenance on every row."""
    store = _store(store)
    return to_csv_text(_long_frame(store, store.get_session(session_id)))


def session_wide_frame(session_id: int, *, store: Store | None = None) -> pd.DataFrame:
    """One row per frame: ``frame``, ``time_s``, then a column per ``metric`` or ``metric_side``.

    Columns appear in the order the metrics were first saved; a column whose values have a score
    is followed by ``<column>_score`` and ``<column>_reliable``, one with a sigma or a reason (the
    3D measures) by ``<column>_sigma`` and ``<column>_reason``. A whole-image session (posture)
    has one row with an empty frame.
    """
    rows = _rows(_store(store), session_id)
    if rows.empty:
        return pd.DataFrame(columns=["frame", "time_s"])
    rows["column"] = [m if not s else f"{m}_{s}" for m, s in zip(rows["metric"], rows["side"])]
    scored = set(rows.loc[rows["score"].notna() | rows["reliable"].notna(), "column"])
    spread = set(rows.loc[rows["sigma"].notna() | rows["reason"].notna(), "column"])
    order = []
    for col in dict.fromkeys(rows["column"]):
        order += [col, f"{col}_score", f"{col}_reliable"] if col in scored else [col]
        order += [f"{col}_sigma", f"{col}_reason"] if col in spread else []
    # A frame key of -1 stands in for "no frame" so pivot does not drop those rows.
    rows["_frame"] = rows["frame"].fillna(-1).astype(int)
    parts = [
        rows.pivot_table(
            index="_frame", columns="column", values="value", aggfunc="first", dropna=False
        )
    ]
    sub = rows[rows["column"].isin(scored)].drop_duplicates(["_frame", "column"])  # first, as above
    for field in ("score", "reliable"):
        part = sub.pivot(index="_frame", columns="column", values=field)
        parts.append(part.add_suffix(f"_{field}"))
    sub = rows[rows["column"].isin(spread)].drop_duplicates(["_frame", "column"])
    for field in ("sigma", "reason"):
        part = sub.pivot(index="_frame", columns="column", values=field)
        parts.append(part.add_suffix(f"_{field}"))
    wide = pd.concat(parts, axis=1).reindex(columns=order)
    times = rows.groupby("_frame")["time_s"].first()
    wide.insert(0, "time_s", times.reindex(wide.index).to_numpy())
    frames = pd.Series([None if f < 0 else f for f in wide.index], index=wide.index, dtype="Int64")
    wide.insert(0, "frame", frames)
    wide.columns.name = None
    return wide.reset_index(drop=True)


def session_wide_csv(session_id: int, *, store: Store | None = None) -> str:
    """:func:`session_wide_frame` as CSV text."""
    return to_csv_text(session_wide_frame(session_id, store=store))


def subject_csv(subject_id: int, *, store: Store | None = None) -> str:
    """Every measurement of every session of the subject, long format (:data:`LONG_COLUMNS`)."""
    store = _store(store)
    store.get_subject(subject_id)  # a clear error for an unknown id
    frames = [_long_frame(store, s) for s in store.list_sessions(subject_id)]
    frames = [f for f in frames if not f.empty]
    df = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(LONG_COLUMNS))
    )
    return to_csv_text(df)
