"""The 3D measures' companion rows (``<metric>:sigma``, ``<metric>:reason:<code>``) folded into the
CSV's ``sigma`` and ``reason`` columns, beside the ``score`` and ``reliable`` of
``core.store.companions``. Rows without them (2D, gait, older sessions) get empty cells.
"""

from __future__ import annotations

import math
from typing import SupportsInt

import pandas as pd

from core.measure.confidence import COMPANION_MARK, REASON_MARK
from core.measure.pose3d_rows import SIGMA_SUFFIX
from core.store.companions import fold

#: Columns :func:`fold_3d` adds after those of ``fold``.
FOLDED_3D_COLUMNS = ("sigma", "reason")
#: The flag columns a table of a saved session keeps beside each value (:func:`flagged_measures`).
FLAG_COLUMNS = ("reliable", "reason")


def _frame_no(frame: object) -> int:
    if frame is pd.NA or frame is None:
        return -1
    if not isinstance(frame, SupportsInt):
        raise TypeError(f"a stored frame number must be a number, got {frame!r}")
    return int(frame)


def fold_3d(rows: pd.DataFrame) -> pd.DataFrame:
    """``fold(rows)`` plus ``sigma`` (float, NaN where none was recorded) and ``reason`` (text
    code, None where the value exists or no reason was recorded) per measure row."""
    metric = rows["metric"]
    sig = rows[metric.str.endswith(SIGMA_SUFFIX)]
    sigmas = {
        (_frame_no(f), m.removesuffix(SIGMA_SUFFIX), s): v
        for f, m, s, v in zip(sig["frame"], sig["metric"], sig["side"], sig["value"])
    }
    why = rows[metric.str.contains(REASON_MARK, regex=False)]
    reasons = {}
    for f, m, s in zip(why["frame"], why["metric"], why["side"]):
        name, _, code = m.partition(REASON_MARK)
        reasons[(_frame_no(f), name, s)] = code
    out = fold(rows)
    keys = [(_frame_no(f), m, s) for f, m, s in zip(out["frame"], out["metric"], out["side"])]
    out["sigma"] = [float(sigmas.get(k, math.nan)) for k in keys]
    out["sigma"] = out["sigma"].astype(float)
    out["reason"] = pd.Series([reasons.get(k) for k in keys], index=out.index, dtype=object)
    return out


def flagged_measures(rows: pd.DataFrame) -> pd.DataFrame:
    """The measure rows of ``Store.load_measurements(..., companions=True)``, each with its stored
    ``score``, ``reliable``, ``sigma`` and ``reason`` (:func:`fold_3d`), without the keypoint and
    reliable-score rows: what a table or chart of a saved session shows, flags included."""
    n_measures = int((~rows["metric"].str.contains(COMPANION_MARK, regex=False)).sum())
    # fold_3d keeps the measure rows first, in their order, then adds the keypoint rows.
    return fold_3d(rows).iloc[:n_measures].reset_index(drop=True)
