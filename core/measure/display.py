"""How a stored measure reads to a person: its name in words, its unit's symbol and its decimals.

One table for every page, chart and report. It is built from the tables that define the measures
(``MEASURE_INFO`` for posture, ``GAIT_PARAM_UNITS`` / ``GAIT_SERIES_UNITS`` for gait, the desk
watch's whole-period rows), not a second copy of them. A metric it does not know (a new row kind,
``quality_*`` rows) still reads sensibly: words from its key, decimals from its unit. The stored
keys and the CSV columns stay what they are; this is display only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.measure.posture import MEASURE_INFO
from core.measure.summary import GAIT_PARAM_UNITS, GAIT_SERIES_UNITS, split_side

#: What a missing value (NaN, None) reads as: never a number, never "None".
NOT_MEASURED = "not measured"
#: After a value whose stored flag says it is unreliable (``core.measure.confidence``), wherever a
#: saved session's values are shown: the posture page's own words for it.
UNRELIABLE_NOTE = " (unreliable)"

#: Stored unit -> (symbol shown after the number, decimals). Angles 1 decimal, percent 1, seconds 2,
#: steps/min 1; body heights and metres 2; counts 0; frame fractions 3 (values are ~0.01-0.1).
UNITS: dict[str, tuple[str, int]] = {
    "deg": ("°", 1),
    "%": ("%", 1),
    "s": ("s", 2),
    "steps/min": ("steps/min", 1),
    "body_height": ("body heights", 2),
    "m": ("m", 2),
    "min": ("min", 1),
    "count": ("", 0),
    "frame_width": ("frame widths", 3),
    "frame_height": ("frame heights", 3),
}
#: Decimals of a unit this table does not know.
DEFAULT_DIGITS = 2

#: Words for metric keys whose name does not read well from the key alone. Keys not listed here
#: are read from the key (``knee_flexion_deg`` -> "Knee flexion").
NAMES: dict[str, str] = {
    "cadence_spm": "Cadence",
    "step_length_bh": "Step length (body-height units)",
    "step_length_m": "Step length",
    "stance_share_pct": "Stance share",
    "swing_share_pct": "Swing share",
    "symmetry_index_step_time_pct": "Symmetry index (step time)",
    "symmetry_index_step_length_pct": "Symmetry index (step length)",
    "n_steps": "Steps counted",
    "head_lateral_deviation": "Head lateral deviation",
    "forward_trunk_lean_deg": "Forward trunk lean",
    "craniovertebral_angle_deg": "Craniovertebral angle",
    "duration_min": "Duration",
    "n_alerts": "Alerts",
    "heel_strike": "Heel strike",
    "toe_off": "Toe-off",
}

#: Suffixes that only carry the unit (the unit has its own column): dropped from the words.
_UNIT_SUFFIXES = ("_deg", "_pct", "_spm", "_bh", "_min", "_s", "_m")


@dataclass(frozen=True)
class DisplayInfo:
    """How one (metric, side) is shown: ``name`` in words (side included), the unit's ``symbol``
    (may be ""), ``digits`` after the point, and the measure's one-line ``description`` ("" when
    none is defined)."""

    name: str
    unit: str
    symbol: str
    digits: int
    description: str = ""


def _known_units() -> dict[str, str]:
    """metric (side removed) -> unit, from the tables that define the measures."""
    out: dict[str, str] = {}
    for key, info in MEASURE_INFO.items():
        out[split_side(key)[0]] = info.unit
    for pattern, unit in {**GAIT_PARAM_UNITS, **GAIT_SERIES_UNITS}.items():
        out[split_side(pattern.replace("_{side}", "_left"))[0]] = unit
    out["n_steps"] = "count"
    out["duration_min"] = "min"
    out["n_alerts"] = "count"
    return out


#: Every metric the measures define -> its stored unit.
KNOWN_UNITS: dict[str, str] = _known_units()


def _side_free(description: str, side: str) -> str:
    """The description with its side's word taken out where it first stands ("side view: left
    thigh" -> "side view: thigh"), so the left and right rows of one metric share one text. Only
    the first: the word may come again in another sense ("0 = right angle")."""
    if not side:
        return description.strip()
    words = description.split(" ")
    if side in words:
        words.remove(side)
    return " ".join(words).strip()


#: metric -> its side-free one-line description (a row's name carries the side).
_DESCRIPTIONS: dict[str, str] = {
    split_side(key)[0]: _side_free(info.description, info.side)
    for key, info in MEASURE_INFO.items()
}


def metric_words(metric: str) -> str:
    """``knee_angle_deg`` -> "Knee angle"; ``neck_above_neutral_min`` -> "Neck above neutral";
    ``quality_grade`` -> "Quality grade"; a key in :data:`NAMES` gets its listed words."""
    if metric in NAMES:
        return NAMES[metric]
    words = metric
    for suffix in _UNIT_SUFFIXES:
        if words.endswith(suffix) and len(words) > len(suffix):
            words = words[: -len(suffix)]
            break
    parts = words.split("_")
    three_d = "3d" in parts  # the pointmap's 3D measures (MEASURES.md section 9): "... (3D)"
    text = " ".join(p for p in parts if p != "3d").strip()
    text = f"{text} (3D)" if three_d and text else text
    return text[:1].upper() + text[1:] if text else metric


def display_info(metric: str, side: str = "", unit: str | None = None) -> DisplayInfo:
    """The display of a stored row's ``metric`` and ``side``; ``unit`` is the row's stored unit
    (when None, the unit the measure is defined with, else none)."""
    if unit is None:
        unit = KNOWN_UNITS.get(metric, "")
    symbol, digits = UNITS.get(unit, (unit.replace("_", " "), DEFAULT_DIGITS))
    name = metric_words(metric)
    if side:
        name = f"{name} ({side})"
    return DisplayInfo(name, unit, symbol, digits, _DESCRIPTIONS.get(metric, ""))


def format_number(value: object, unit: str = "", *, with_unit: bool = True) -> str:
    """``12.3°``, ``64.1 %``, ``1.05 s``, ``102.4 steps/min``; :data:`NOT_MEASURED` for NaN/None.

    >>> format_number(12.345, "deg"), format_number(float("nan"), "s")
    ('12.3°', 'not measured')
    """
    try:
        number = float(value)  # type: ignore[arg-type]  # any value: float() says what is no number
    except (TypeError, ValueError):
        return NOT_MEASURED if value is None else str(value)
    if not math.isfinite(number):
        return NOT_MEASURED
    symbol, digits = UNITS.get(unit, (unit.replace("_", " "), DEFAULT_DIGITS))
    text = f"{number:.{digits}f}"
    if text.startswith("-") and float(text) == 0.0:  # -0.0 after rounding reads as a sign error
        text = text[1:]
    if not with_unit or not symbol:
        return text
    return f"{text}{symbol}" if symbol == "°" else f"{text} {symbol}"


def unit_label(unit: str) -> str:
    """The unit as a column or axis shows it: "°", "steps/min", "body heights"; "" for counts."""
    return UNITS.get(unit, (unit.replace("_", " "), DEFAULT_DIGITS))[0]


def unreliable(values: pd.DataFrame) -> pd.Series:
    """Per row of ``values`` (a saved session's rows with their stored flags,
    ``core.store.companions3d.flagged_measures``, or a selection of them): True where a number is
    stored with a flag saying unreliable; False where it says reliable, where none was stored,
    where there is no number (not measured, whatever its flag) and without a ``reliable`` column."""
    if "reliable" not in values.columns:
        return pd.Series(False, index=values.index)
    flagged = values["reliable"].astype("boolean").eq(False).fillna(False).astype(bool)
    if "value" not in values.columns:
        return flagged
    return flagged & np.isfinite(pd.to_numeric(values["value"], errors="coerce").astype(float))


def display_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with ``metric, side, value, unit`` (store rows, or ``summary_values``) as text to read:
    ``measure`` (words with side), ``value`` (formatted, with unit; "not measured" for NaN;
    :data:`UNRELIABLE_NOTE` after it where an optional ``reliable`` column says False),
    ``metric``, ``side``. Order is kept."""
    out = []
    for metric, side, value, unit, flagged in zip(
        rows["metric"], rows["side"], rows["value"], rows["unit"], unreliable(rows)
    ):
        info = display_info(str(metric), str(side or ""), str(unit or ""))
        out.append(
            {
                "measure": info.name,
                "value": format_number(value, info.unit) + UNRELIABLE_NOTE * flagged,
                "metric": metric,
                "side": side,
            }
        )
    return pd.DataFrame(out, columns=["measure", "value", "metric", "side"])
