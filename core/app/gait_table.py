"""The gait page's parameters table: one row per parameter, left and right side by side, the
symmetry index in its own column; names, units and decimals from ``core.measure.display``.

Drawn with ``st.table`` (HTML: in the page's DOM, so a browser test and a screen reader read it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from core.measure.display import display_info, format_number, unit_label
from core.measure.summary import GAIT_PARAM_UNITS, split_side

if TYPE_CHECKING:
    from core.measure.gait_result import GaitResult

#: (per-side key pattern, the symmetry index shown on its row or None), in the order shown.
ROWS: tuple[tuple[str, str | None], ...] = (
    ("step_time_{side}_s", "symmetry_index_step_time_pct"),
    ("stride_time_{side}_s", None),
    ("stance_share_{side}_pct", None),
    ("swing_share_{side}_pct", None),
    ("step_length_{side}_bh", "symmetry_index_step_length_pct"),
    ("step_length_{side}_m", None),
)
COLUMNS = ["parameter", "unit", "left", "right", "symmetry index"]


def parameters_table(params: dict[str, float]) -> pd.DataFrame:
    """``GaitResult.params`` as text to read: ``parameter`` (words), ``unit`` (its symbol),
    ``left`` and ``right`` (numbers at the unit's decimals; "not measured" where not computed),
    ``symmetry index`` (SI = (R − L) / (0.5 (R + L)) · 100, percent, on the row it compares; ""
    on the others). The metres row only when the subject's height gave one."""
    rows = []
    for pattern, si_key in ROWS:
        unit = GAIT_PARAM_UNITS[pattern]
        left, right = (
            float(params.get(pattern.format(side=side), math.nan)) for side in ("left", "right")
        )
        if unit == "m" and not (math.isfinite(left) or math.isfinite(right)):
            continue  # metres only when the subject's height is known
        metric = split_side(pattern.format(side="left"))[0]
        si = "" if si_key is None else format_number(params.get(si_key, math.nan), "%")
        rows.append(
            {
                "parameter": display_info(metric, "", unit).name,
                "unit": unit_label(unit),
                "left": format_number(left, unit, with_unit=False),
                "right": format_number(right, unit, with_unit=False),
                "symmetry index": si,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


#: The joint-angle curves shown, in order, with the words of their panels.
CURVE_TITLES = {
    "hip_signed_flexion_deg": "hip flexion (°, + flexion, − extension)",
    "knee_signed_flexion_deg": "knee flexion (°, 0 = straight)",
    "ankle_dorsiflexion_deg": "ankle dorsiflexion (°, + dorsiflexion, − plantarflexion)",
}
CURVE_COLUMNS = [
    "joint angle",
    "side",
    "lowest",
    "highest",
    "reliable samples",
    "not reliable because",
]


def curve_table(result: GaitResult) -> pd.DataFrame:
    """The joint-angle curves of ``result.series`` in numbers: per curve and side the lowest and
    highest value over the *reliable* samples only ("not measured" without any), the share of the
    samples with a value that are reliable, and the reasons of the others
    (``gait_angles.CURVE_REASONS``, in words). No rows when no curve has a value (no walk)."""
    from core.measure.gait_angles import CURVE_REASONS, curve_summary

    rows = []
    for key, c in curve_summary(result.series, result.reliable_score).items():
        metric, side = split_side(key)
        share = c.reliable_share
        rows.append(
            {
                "joint angle": display_info(metric, "", "deg").name,
                "side": side,
                "lowest": format_number(c.min_deg, "deg"),
                "highest": format_number(c.max_deg, "deg"),
                "reliable samples": f"{share:.0%}" if math.isfinite(share) else "not judged",
                "not reliable because": "; ".join(CURVE_REASONS[code] for code in c.reasons),
            }
        )
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)
