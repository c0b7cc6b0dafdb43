"""A session's companion rows (scores, reliable flags, keypoints) folded into the CSV's columns.

The store keeps them as extra rows of the long measurements table, named as
``core.measure.confidence`` says (no schema change, so every older database and backup stays
valid). The export shows them the tidy way: a ``score`` and a ``reliable`` column beside each value,
and one row per keypoint coordinate (``kp_<name>_x``, ``kp_<name>_y``) carrying the point's score.
"""

from __future__ import annotations

import math
from typing import Any, SupportsInt

import pandas as pd

from core.measure import confidence as conf

#: Columns :func:`fold` adds to the measurement columns.
FOLDED_COLUMNS = ("score", "reliable")
#: The metric of the row that gives the reliable score in the CSV.
MIN_SCORE_ROW = "reliable_min_score"


def _frame_no(frame: object) -> int:
    if frame is pd.NA or frame is None:
        return -1
    if not isinstance(frame, SupportsInt):
        raise TypeError(f"a stored frame number must be a number, got {frame!r}")
    return int(frame)  # -1: a whole-image row


def _by_key(rows: pd.DataFrame, suffix: str) -> dict[tuple[int, str, str], float]:
    hit = rows[
        rows["metric"].str.endswith(suffix) & ~rows["metric"].str.startswith(conf.KEYPOINT_PREFIX)
    ]
    return {
        (_frame_no(f), m.removesuffix(suffix), s): float(v)
        for f, m, s, v in zip(hit["frame"], hit["metric"], hit["side"], hit["value"])
    }


def _flag(value: float | None) -> bool | None:
    return None if value is None or math.isnan(value) else bool(value)


def _keypoint_rows(companions: pd.DataFrame) -> list[dict[str, object]]:
    """``kp_<name>_x`` / ``_y`` rows; reliable when the point is present and its score reaches the
    snapshot's reliable score (unknown without that row)."""
    cuts: dict[int, float] = {}
    points: dict[tuple[int, str], dict[str, Any]] = {}  # stored cells: numbers or pd.NA
    for f, t, m, v in companions[["frame", "time_s", "metric", "value"]].itertuples(index=False):
        if m == conf.MIN_SCORE_METRIC:
            cuts[_frame_no(f)] = v
        elif m.startswith(conf.KEYPOINT_PREFIX):
            name, _, field = m.removeprefix(conf.KEYPOINT_PREFIX).rpartition(":")
            points.setdefault((_frame_no(f), name), {"frame": f, "time_s": t})[field] = v
    rows: list[dict[str, object]] = []
    for (frame, name), p in points.items():
        score, cut = p.get("score", math.nan), cuts.get(frame)
        for axis in ("x", "y"):
            value = p.get(axis, math.nan)
            reliable = None if cut is None else bool(score >= cut and not math.isnan(value))
            rows.append(
                {"frame": p["frame"], "time_s": p["time_s"], "metric": f"kp_{name}_{axis}",
                 "side": "", "value": value, "unit": "px", "score": score, "reliable": reliable}
            )  # fmt: skip
    for frame, cut in cuts.items():
        rows.append(
            {"frame": None if frame < 0 else frame, "time_s": math.nan, "metric": MIN_SCORE_ROW,
             "side": "", "value": cut, "unit": "score", "score": math.nan, "reliable": None}
        )  # fmt: skip
    return rows


def fold(rows: pd.DataFrame) -> pd.DataFrame:
    """The measurement rows of ``Store.load_measurements(..., companions=True)`` as the CSV shows them.

    Returns the measure rows with ``score`` (float, NaN when none was recorded: gait, older
    sessions, a measure that is not visible) and ``reliable`` (nullable boolean) columns, then one
    row per keypoint coordinate and one ``reliable_min_score`` row per posture snapshot.
    """
    marked = rows["metric"].str.contains(conf.COMPANION_MARK, regex=False)
    plain, companions = rows[~marked].copy(), rows[marked]
    scores = _by_key(companions, conf.SCORE_SUFFIX)
    flags = _by_key(companions, conf.RELIABLE_SUFFIX)
    keys = [(_frame_no(f), m, s) for f, m, s in zip(plain["frame"], plain["metric"], plain["side"])]
    plain["score"] = [scores.get(k, math.nan) for k in keys]
    plain["reliable"] = pd.array([_flag(flags.get(k)) for k in keys], dtype="boolean")
    extra = _keypoint_rows(companions)
    if not extra:
        return plain.reset_index(drop=True)
    more = pd.DataFrame(extra, columns=list(plain.columns))
    more = more.astype({"frame": "Int64", "time_s": float, "value": float, "score": float})
    more["reliable"] = more["reliable"].astype("boolean")
    return pd.concat([plain, more], ignore_index=True)
