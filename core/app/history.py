"""A subject's saved sessions as tables: the session list with key numbers, one measure over time,
and two sessions side by side. Plain pandas over ``Store`` reads; nothing is recomputed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from core.app.dates import TimeStyle, time_label
from core.measure.display import unreliable
from core.store.companions3d import FLAG_COLUMNS, flagged_measures

if TYPE_CHECKING:
    from core.store import Session, Store

#: Session-level numbers shown in the session list, per kind: (metric, side, column title).
KEY_NUMBERS = {
    "posture": (("knee_angle_deg", "left", "knee L (°)"), ("knee_angle_deg", "right", "knee R (°)"),
                ("trunk_lean_deg", "", "trunk lean (°)"), ("neck_flexion_deg", "", "neck (°)")),
    "gait": (("cadence_spm", "", "cadence (steps/min)"), ("step_time_s", "left", "step L (s)"),
             ("step_time_s", "right", "step R (s)"), ("symmetry_index_step_time_pct", "", "SI step time (%)")),
    "desk": (("duration_min", "", "minutes"), ("n_alerts", "", "alerts"),
             ("neck_above_neutral_min", "", "neck above neutral (min)"),
             ("trunk_above_neutral_min", "", "trunk above neutral (min)")),
}  # fmt: skip

#: The desk watch's per-period totals that add up over a day (core.measure.desk_period).
DESK_DAILY = ("duration_min", "n_alerts", "neck_above_neutral_min", "trunk_above_neutral_min",
              "upper_arm_above_neutral_min", "lower_arm_above_neutral_min")  # fmt: skip


#: ``compare``'s columns after the difference: session a's / b's value stored as unreliable.
COMPARE_FLAGS = ("unreliable_a", "unreliable_b")
#: ``sessions_table``'s column naming the key numbers of a row stored as unreliable.
UNRELIABLE_COLUMN = "unreliable"


def measure_name(metric: str, side: str) -> str:
    return f"{metric} ({side})" if side else metric


def session_rows(store: Store, session_id: int) -> pd.DataFrame:
    """A saved session's measure rows with their stored ``reliable`` flag and ``reason`` (and
    score and sigma; ``core.store.companions3d.flagged_measures``): what every table here shows."""
    return flagged_measures(store.load_measurements(session_id, companions=True))


def summary_values(rows: pd.DataFrame) -> pd.DataFrame:
    """The session-level values of a session's rows: those not tied to a time (a photo's measures,
    a walk's cadence and step times), as ``measure, metric, side, value, unit``, then
    ``reliable`` and ``reason`` where the rows have them (:func:`session_rows`)."""
    out = rows[rows["time_s"].isna()].copy()
    out.insert(0, "measure", [measure_name(m, s) for m, s in zip(out["metric"], out["side"])])
    flags = [c for c in FLAG_COLUMNS if c in out.columns]
    return out[["measure", "metric", "side", "value", "unit", *flags]].reset_index(drop=True)


def session_label(session: Session, style: TimeStyle | None = None) -> str:
    """``#3 · 3 Dec 14:05 · gait (lite)``: how a picker names a session."""
    when = time_label(session.created_utc, style or TimeStyle(year=True))
    return f"#{session.id} · {when} · {session.kind} ({session.backend})"


def same_kind(sessions: list[Session], session: Session) -> list[Session]:
    """The other sessions of ``session``'s kind, oldest first: what it can be compared with (a
    walk with a walk, a photo with a photo; never a walk with a photo)."""
    return [s for s in sessions if s.kind == session.kind and s.id != session.id]


def compare_default(sessions: list[Session], session: Session) -> Session | None:
    """The session to compare ``session`` with by default: the latest of its kind before it,
    else the earliest of its kind after it; None when it is the only one of its kind."""
    partners = same_kind(sessions, session)
    before = [s for s in partners if (s.created_utc, s.id) < (session.created_utc, session.id)]
    if before:
        return before[-1]
    return partners[0] if partners else None


def sessions_table(store: Store, sessions: list[Session]) -> pd.DataFrame:
    """One row per session: id, date, kind, backend, model, the kind's key numbers, the titles of
    those stored as unreliable (:data:`UNRELIABLE_COLUMN`) and the notes."""
    rows = []
    for s in sessions:
        values = summary_values(session_rows(store, s.id))
        flagged = unreliable(values)
        row: dict[str, object] = {
            "session": s.id,
            "date (UTC)": time_label(s.created_utc, TimeStyle(year=True)),
            "kind": s.kind,
            "backend": s.backend,
            "model": s.model,
        }
        marked = []
        for metric, side, title in KEY_NUMBERS.get(s.kind, ()):
            where = (values["metric"] == metric) & (values["side"] == side)
            hit = values[where]["value"]
            row[title] = (
                round(float(hit.iloc[0]), 2) if len(hit) and math.isfinite(hit.iloc[0]) else None
            )
            if row[title] is not None and bool(flagged[where].any()):
                marked.append(title)
        row[UNRELIABLE_COLUMN] = tuple(marked)
        row["notes"] = s.notes
        rows.append(row)
    return pd.DataFrame(rows)


def history(store: Store, sessions: list[Session]) -> pd.DataFrame:
    """Every session-level value of every session: ``session, created, kind, measure, metric, side,
    value, unit, reliable, reason``."""
    parts = []
    for s in sessions:
        values = summary_values(session_rows(store, s.id))
        values.insert(0, "kind", s.kind)
        values.insert(0, "created", pd.Timestamp(s.created_utc))
        values.insert(0, "session", s.id)
        parts.append(values)
    if not parts:
        return pd.DataFrame(
            columns=["session", "created", "kind", "measure", "metric", "side", "value", "unit",
                     *FLAG_COLUMNS]
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def compare(store: Store, a: Session, b: Session) -> pd.DataFrame:
    """Two sessions' session-level values side by side (columns ``measure, unit, #a, #b``), with
    the difference b - a, then whether each side's value is stored as unreliable
    (:data:`COMPARE_FLAGS`)."""
    va = summary_values(session_rows(store, a.id))
    vb = summary_values(session_rows(store, b.id))
    va["flagged"], vb["flagged"] = unreliable(va), unreliable(vb)
    va, vb = va.set_index("measure"), vb.set_index("measure")
    names = list(dict.fromkeys([*va.index, *vb.index]))
    out = pd.DataFrame({"measure": names})
    out["unit"] = [va["unit"].get(n, vb["unit"].get(n, "")) for n in names]
    out[f"#{a.id}"] = [va["value"].get(n, math.nan) for n in names]
    out[f"#{b.id}"] = [vb["value"].get(n, math.nan) for n in names]
    out["difference"] = out[f"#{b.id}"] - out[f"#{a.id}"]
    for column, values in zip(COMPARE_FLAGS, (va, vb)):
        out[column] = [bool(values["flagged"].get(n, False)) for n in names]
    return out


def desk_daily(hist: pd.DataFrame) -> pd.DataFrame:
    """The desk work periods of :func:`history` summed per UTC day: ``day, measure, value, unit``
    (minutes watched, alerts, minutes each part spent outside its neutral band)."""
    sub = hist[(hist["kind"] == "desk") & hist["metric"].isin(DESK_DAILY)].dropna(subset=["value"])
    if sub.empty:
        return pd.DataFrame(columns=["day", "measure", "value", "unit"])
    sub = sub.assign(day=pd.to_datetime(sub["created"], utc=True).dt.strftime("%Y-%m-%d"))
    out = sub.groupby(["day", "measure"], sort=True).agg(
        value=("value", "sum"), unit=("unit", "first")
    )
    return out.reset_index()
