"""The Sessions review's tables as a physiotherapist reads them: measure names in words, values
with their unit and decimals (``core.measure.display``), "not measured" instead of None, dates
as "3 Dec 2026 14:05". ``core.app.history`` holds the numbers; this only formats them (the page,
its charts and the HTML report share it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.app.history import COMPARE_FLAGS, KEY_NUMBERS, UNRELIABLE_COLUMN, summary_values
from core.measure.display import (
    KNOWN_UNITS,
    NOT_MEASURED,
    UNRELIABLE_NOTE,
    display_info,
    display_table,
    format_number,
    unit_label,
    unreliable,
)

if TYPE_CHECKING:
    from core.store import Session

#: Column title of a key number -> (the kind it belongs to, its stored unit).
_KEY_COLUMNS: dict[str, tuple[str, str]] = {
    title: (kind, KNOWN_UNITS.get(metric, ""))
    for kind, numbers in KEY_NUMBERS.items()
    for metric, _side, title in numbers
}


def session_list(table: pd.DataFrame, sessions: list[Session]) -> pd.DataFrame:
    """``core.app.history.sessions_table`` as text: a key number in its unit's decimals (the
    unit is in the column title; "(unreliable)" after one stored as unreliable), "not measured"
    where a session of that kind has none, and blank where the column belongs to another kind (no
    gait numbers for a posture photo)."""
    kinds = {s.id: s.kind for s in sessions}
    out = table.copy()
    flags = out.pop(UNRELIABLE_COLUMN) if UNRELIABLE_COLUMN in out.columns else [()] * len(out)
    for title, (kind, unit) in _KEY_COLUMNS.items():
        if title not in out.columns:
            continue
        out[title] = [
            format_number(value, unit, with_unit=False)
            + (UNRELIABLE_NOTE if title in flagged else "")
            if kinds.get(int(sid)) == kind
            else ""
            for sid, value, flagged in zip(out["session"], out[title], flags)
        ]
    if "notes" in out.columns:
        # Last: the key numbers of every kind first, so the columns line up as one read.
        out["notes"] = out["notes"].fillna("")
        out = out[[c for c in out.columns if c != "notes"] + ["notes"]]
    return out


def values_table(rows: pd.DataFrame) -> pd.DataFrame:
    """A session's whole-session values (store rows, ``core.app.history.session_rows``) as
    ``measure, value`` text, "(unreliable)" after a value stored as unreliable."""
    return display_table(summary_values(rows))[["measure", "value"]]


def signed(value: float, unit: str) -> str:
    """A difference with its sign: ``+20.0 steps/min``, ``-1.5°``; "not measured" for NaN."""
    text = format_number(value, unit)
    if text != NOT_MEASURED and not text.startswith("-") and float(value) != 0.0:
        return "+" + text
    return text


def compare_table(table: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    """``core.app.history.compare`` as text, columns ``measure``, ``label_a``, ``label_b``,
    ``difference`` (B - A, signed; "(unreliable)" after a value stored as unreliable and after a
    difference with such an end); the measures neither session has are left out."""
    value_a, value_b = table.columns[2], table.columns[3]
    rows = []
    for _, r in table.iterrows():
        if not (math.isfinite(r[value_a]) or math.isfinite(r[value_b])):
            continue
        metric, side = split_key(str(r["measure"]))
        info = display_info(metric, side, str(r["unit"]))
        flag_a, flag_b = (bool(r.get(c, False)) for c in COMPARE_FLAGS)
        rows.append(
            {
                "measure": info.name,
                label_a: format_number(r[value_a], info.unit) + (UNRELIABLE_NOTE * flag_a),
                label_b: format_number(r[value_b], info.unit) + (UNRELIABLE_NOTE * flag_b),
                # A difference with an unreliable end is no more than that end.
                "difference": signed(r["difference"], info.unit)
                + (UNRELIABLE_NOTE * (flag_a or flag_b) if math.isfinite(r["difference"]) else ""),
            }
        )
    return pd.DataFrame(rows, columns=["measure", label_a, label_b, "difference"])


def split_key(key: str) -> tuple[str, str]:
    """``knee_angle_deg (left)`` -> (``knee_angle_deg``, ``left``): the inverse of
    ``core.app.history.measure_name``."""
    if key.endswith(")") and " (" in key:
        metric, side = key[:-1].rsplit(" (", 1)
        return metric, side
    return key, ""


def unit_heading(unit: str) -> str:
    """The heading of one unit's chart: "Angles (°)", "Cadence (steps/min)", ..."""
    names = {"deg": "Angles", "%": "Percentages", "s": "Times", "steps/min": "Cadence",
             "body_height": "Lengths", "m": "Lengths", "min": "Minutes", "count": "Counts"}  # fmt: skip
    symbol = unit_label(unit)
    name = names.get(unit, unit.replace("_", " ").capitalize() or "Values")
    return f"{name} ({symbol})" if symbol else name


def compare_groups(
    table: pd.DataFrame, label_a: str, label_b: str
) -> list[tuple[str, dict[str, pd.DataFrame]]]:
    """The two sessions' values for charts, one group per unit (never degrees and steps/min on
    one axis), each split by side: ``[(unit, {"left": rows, "right": rows, "": rows})]``.
    Rows have ``measure`` (words with side), ``session`` (the label), ``value``,
    ``value_text``; sides without a value are left out."""
    value_a, value_b = table.columns[2], table.columns[3]
    groups: dict[str, dict[str, list[dict[str, object]]]] = {}
    for _, r in table.iterrows():
        metric, side = split_key(str(r["measure"]))
        info = display_info(metric, side, str(r["unit"]))
        for label, column in ((label_a, value_a), (label_b, value_b)):
            value = float(r[column])
            if not math.isfinite(value):
                continue
            groups.setdefault(info.unit, {}).setdefault(side, []).append(
                {
                    "measure": info.name,
                    "session": label,
                    "value": value,
                    "value_text": format_number(value, info.unit),
                }
            )
    return [
        (unit, {side: pd.DataFrame(rows) for side, rows in by_side.items()})
        for unit, by_side in groups.items()
    ]


def trend_frame(hist: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric of ``core.app.history.history`` (every side) for ``charts.trend_chart``:
    ``measure`` in words with the side (the legend), ``value_text`` formatted ("(unreliable)"
    after a value stored as unreliable), ``reliability`` ("reliable" or "unreliable", the
    point's mark)."""
    sub = hist[hist["metric"] == metric].dropna(subset=["value"]).copy()
    infos = [display_info(m, s, u) for m, s, u in zip(sub["metric"], sub["side"], sub["unit"])]
    flagged = unreliable(sub)
    sub["measure"] = [i.name for i in infos]
    sub["value_text"] = [
        format_number(v, i.unit) + (UNRELIABLE_NOTE * f)
        for v, i, f in zip(sub["value"], infos, flagged)
    ]
    sub["reliability"] = np.where(flagged, "unreliable", "reliable")
    return sub.sort_values(["created", "side"])


def axis_title(metric: str, unit: str) -> str:
    """``Cadence (steps/min)``, ``Knee angle (°)``: a trend's y axis, the measure without side."""
    info = display_info(metric, "", unit)
    return f"{info.name} ({info.symbol})" if info.symbol else info.name


def desk_daily_table(daily: pd.DataFrame) -> pd.DataFrame:
    """``core.app.history.desk_daily`` as one row per day, a column per measure in words with
    its unit, values formatted."""
    if daily.empty:
        return pd.DataFrame(columns=["day"])
    out: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for day, key, value, unit in zip(daily["day"], daily["measure"], daily["value"], daily["unit"]):
        metric, side = split_key(str(key))
        info = display_info(metric, side, str(unit))
        title = f"{info.name} ({info.symbol})" if info.symbol else info.name
        if title not in columns:
            columns.append(title)
        when = pd.Timestamp(str(day))
        shown = f"{when.day} {when:%b %Y}"  # "3 Dec 2026", as the session list writes dates
        out.setdefault(shown, {})[title] = format_number(value, info.unit, with_unit=False)
    frame = pd.DataFrame([{"day": d, **vals} for d, vals in out.items()], columns=["day", *columns])
    return frame.fillna("")
