"""Tables as the pages show them: measures with units and "not visible", RULA bands, repeatability.

These only format results computed in ``core.measure``; the number in a cell is the number the
CLI prints and the store saves. (No streamlit here: these are plain pandas, tested directly.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.measure.ergonomics import RulaItem
from core.measure.posture import MEASURE_INFO

NOT_VISIBLE = "not visible"
UNIT_SYMBOL = {"deg": "°"}


def format_value(value: float, unit: str = "", digits: int = 1) -> str:
    """``12.3°`` for a number, "not visible" for NaN or None (never a made-up number)."""
    if value is None or not math.isfinite(float(value)):
        return NOT_VISIBLE
    return f"{float(value):.{digits}f}{UNIT_SYMBOL.get(unit, ' ' + unit if unit else '')}"


def pretty_name(metric: str) -> str:
    """``left_knee_angle_deg`` -> ``knee angle`` (the side and unit have their own columns)."""
    words = metric.removesuffix("_deg").split("_")
    if words[0] in ("left", "right"):
        words = words[1:]
    return " ".join(words)


def measures_table(measures: dict[str, float]) -> pd.DataFrame:
    """One row per measure: measure, side, value (text, "not visible" for NaN), unit, meaning."""
    rows = []
    for key, value in measures.items():
        info = MEASURE_INFO.get(key)
        unit = info.unit if info else ""
        rows.append(
            {
                "measure": pretty_name(key),
                "side": info.side if info else "",
                "value": format_value(value, unit),
                "unit": unit,
                "key": key,
                "meaning": info.description if info else "",
            }
        )
    return pd.DataFrame(rows, columns=["measure", "side", "value", "unit", "key", "meaning"])


def rula_table(items: list[RulaItem] | tuple[RulaItem, ...]) -> pd.DataFrame:
    """One row per scored part: part, side, measured angle, band, RULA score, readout, note."""
    return pd.DataFrame(
        [
            {
                "part": item.part.replace("_", " "),
                "side": item.side,
                "angle": format_value(item.angle_deg, "deg"),
                "band": item.band,
                "RULA score": "" if item.score is None else str(item.score),
                "readout": item.status,
                "note": item.note,
            }
            for item in items
        ]
    )


def repeatability_table(
    runs: list[dict[str, float]],
    *,
    sd_limit_deg: float = 3.0,
    unreliable: list[set[str]] | None = None,
) -> pd.DataFrame:
    """Mean and sample SD of each measure over several photos of the same pose.

    A measure is flagged "unreliable" when any photo's value of it is (``unreliable[i]``: the keys
    photo ``i`` marks unreliable, ``core.measure.confidence``): a mean of numbers not to be relied
    on is no steadier than they are. Else "unstable" when its SD exceeds ``sd_limit_deg`` (the
    photos disagree more than a careful re-take should) or when it was visible in only some photos.
    Fewer than two visible values give no SD.
    """
    if not runs:
        return pd.DataFrame(columns=["measure", "side", "key", "n", "mean", "sd", "readout"])
    keys = list(dict.fromkeys(k for run in runs for k in run))
    rows = []
    for key in keys:
        values = np.array([float(run.get(key, math.nan)) for run in runs], dtype=float)
        seen = values[np.isfinite(values)]
        n = int(seen.size)
        mean = float(seen.mean()) if n else math.nan
        sd = float(seen.std(ddof=1)) if n >= 2 else math.nan
        flagged = sum(
            key in marks and math.isfinite(v) for marks, v in zip(unreliable or [], values)
        )
        if n == 0:
            readout = NOT_VISIBLE
        elif flagged:
            readout = f"unreliable in {flagged} of {len(runs)} photos"
        elif n < len(runs):
            readout = f"unstable: visible in {n} of {len(runs)} photos"
        elif n >= 2 and sd > sd_limit_deg:
            readout = f"unstable: SD above {sd_limit_deg:g}°"
        elif n < 2:
            readout = "one photo only"
        else:
            readout = "stable"
        info = MEASURE_INFO.get(key)
        rows.append(
            {
                "measure": pretty_name(key),
                "side": info.side if info else "",
                "key": key,
                "n": n,
                "mean": round(mean, 2) if n else math.nan,
                "sd": round(sd, 2) if n >= 2 else math.nan,
                "readout": readout,
            }
        )
    return pd.DataFrame(rows)
