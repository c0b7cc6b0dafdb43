"""Tidy long tables of measurements: one row per (frame, metric, side), as the store and CSV export want.

Columns: ``frame`` (nullable int; <NA> for whole-session values such as cadence), ``time_s`` (float,
NaN where not tied to a time), ``metric`` (the measure's name without its side), ``side`` ("left",
"right" or ""), ``value`` (float, NaN when not measured), ``unit``. The session's backend, model,
size, dtype and thresholds belong to the session record, not to these rows.

A posture snapshot with its :class:`~core.measure.confidence.PostureConfidence` also gets companion
rows (``<metric>:score``, ``<metric>:reliable``, ``kp:<name>:x|y|score``, ``reliable:min_score``;
see ``core.measure.confidence``) so the store keeps each value's score and flag beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.errors import InputError
from core.measure import confidence as conf
from core.measure.gait import GaitResult
from core.measure.gait_angles import curve_keys, reliable_flags
from core.measure.gait_plausibility import STRIKE_REASONS, TOE_OFF_REASONS
from core.measure.gait_quality import GRADES, REASONS
from core.measure.posture import MEASURE_INFO
from core.types import ROW_COLUMNS

COLUMNS = ROW_COLUMNS  # defined once, in core.types

#: Per-frame gait signals reported as rows: name -> unit.
GAIT_SERIES_UNITS: dict[str, str] = {
    "trunk_lean_deg": "deg",
    "forward_trunk_lean_deg": "deg",
    "head_lateral_deviation": "frame_width",
    "ankle_height_asymmetry": "frame_height",
}

#: Whole-walk gait values: key pattern ("{side}" for per-side values) -> unit.
GAIT_PARAM_UNITS: dict[str, str] = {
    "cadence_spm": "steps/min",
    "step_time_{side}_s": "s",
    "stride_time_{side}_s": "s",
    "stance_share_{side}_pct": "%",
    "swing_share_{side}_pct": "%",
    "step_length_{side}_bh": "body_height",
    "step_length_{side}_m": "m",
    "symmetry_index_step_time_pct": "%",
    "symmetry_index_step_length_pct": "%",
}


def _whole(metric: str, value: float, unit: str) -> dict[str, object]:
    return {
        "frame": None,
        "time_s": np.nan,
        "metric": metric,
        "side": "",
        "value": value,
        "unit": unit,
    }


def quality_rows(result: GaitResult) -> list[dict[str, object]]:
    """The session's quality as whole-session rows (numbers only, as the store's ``value`` is REAL).

    ``quality_grade`` 2 good / 1 limited / 0 unusable; one ``quality_reason_<code>`` row of value 1
    per reason (codes in ``gait_quality.REASONS``); the stats the grade used (NaN where unknown);
    dropped events per kind and reason, ``rejected_heel_strike_<reason>`` /
    ``rejected_toe_off_<reason>`` (NaN when no events were looked for).
    """
    q = result.quality
    if q is None:
        return []
    rows = [_whole("quality_grade", float(q.grade_value), "grade")]
    rows += [_whole(f"quality_reason_{code}", 1.0, "flag") for code, _ in q.reasons]
    for key, unit in (("frames_used_share", "fraction"), ("tracked_share", "fraction"),
                      ("track_jumps", "count")):  # fmt: skip
        value = q.stats.get(key)
        rows.append(_whole(key, math.nan if value is None else float(value), unit))
    for kind, reasons in (("heel_strike", STRIKE_REASONS), ("toe_off", TOE_OFF_REASONS)):
        counts = result.rejected.get(kind)  # None: no events were looked for (refused, low rate)
        for reason in reasons:
            n = math.nan if counts is None else float(counts.get(reason, 0))
            rows.append(_whole(f"rejected_{kind}_{reason}", n, "count"))
    return rows


def quality_from_rows(rows: pd.DataFrame) -> tuple[str | None, list[str]]:
    """(grade, the reasons' short labels) back from a stored session's rows; (None, []) without."""
    whole = rows[rows["metric"].str.startswith("quality_")]
    grade = whole[whole["metric"] == "quality_grade"]["value"]
    if grade.empty or not math.isfinite(grade.iloc[0]):
        return None, []
    names = {v: k for k, v in GRADES.items()}
    codes = [
        m.removeprefix("quality_reason_")
        for m in whole["metric"]
        if m.startswith("quality_reason_")
    ]
    return names.get(int(grade.iloc[0])), [REASONS[c][1] if c in REASONS else c for c in codes]


def split_side(key: str) -> tuple[str, str]:
    """("knee_angle_deg", "left") from "left_knee_angle_deg"; ("step_time_s", "right") from
    "step_time_right_s"; (key, "") when the key names no side."""
    parts = key.split("_")
    for side in ("left", "right"):
        if side in parts:
            parts.remove(side)
            return "_".join(parts), side
    return key, ""


def _frame(rows: list[dict[str, object]] | pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS)) if isinstance(rows, list) else rows
    df["frame"] = df["frame"].astype("Int64")
    df["time_s"] = df["time_s"].astype(float)
    df["value"] = df["value"].astype(float)
    return df


def _row(frame: int | None, time_s: float, metric: str, side: str, value: float, unit: str) -> dict:
    return dict(zip(COLUMNS, (frame, time_s, metric, side, value, unit), strict=True))


def _confidence_rows(
    confidence: conf.PostureConfidence, frame: int | None, time_s: float
) -> list[dict[str, object]]:
    rows = []
    for key, c in confidence.measures.items():
        metric, side = split_side(key)
        rows.append(_row(frame, time_s, metric + conf.SCORE_SUFFIX, side, c.score, "score"))
        rows.append(
            _row(frame, time_s, metric + conf.RELIABLE_SUFFIX, side, float(c.reliable), "flag")
        )
        if c.reason:
            rows.append(
                _row(frame, time_s, metric + conf.REASON_MARK + c.reason, side, 1.0, "flag")
            )
    for kp in confidence.keypoints:
        for field, value, unit in (
            ("x", kp.x, "px"),
            ("y", kp.y, "px"),
            ("score", kp.score, "score"),
        ):
            rows.append(_row(frame, time_s, conf.keypoint_metric(kp.name, field), "", value, unit))
    rows.append(_row(frame, time_s, conf.MIN_SCORE_METRIC, "", confidence.min_score, "score"))
    return rows


def posture_rows(
    measures: dict[str, float],
    *,
    frame: int | None = None,
    time_s: float = math.nan,
    confidence: conf.PostureConfidence | None = None,
) -> pd.DataFrame:
    """Rows for one posture snapshot.

    Parameters
    ----------
    measures : dict from ``posture_measures`` (degrees; NaN kept as NaN rows, so "not visible" is
        recorded rather than silently missing).
    frame : int, the frame the pose came from; None (an empty frame) for a photo.
    time_s : float, its time in the video; NaN for a photo.
    confidence : the measures' scores and the keypoints (``posture_confidence``); when given, their
        companion rows follow the measure rows (score NaN for a measure that is NaN, flag 1/0).
    """
    rows = []
    for key, value in measures.items():
        info = MEASURE_INFO.get(key)
        if info is None:
            raise InputError(f"{key!r} is not a posture measure; known: {', '.join(MEASURE_INFO)}")
        metric, side = split_side(key)
        rows.append(_row(frame, time_s, metric, side, value, info.unit))
    if confidence is not None:
        rows.extend(_confidence_rows(confidence, frame, time_s))
    return _frame(rows)


def _sample_rows(
    cur: pd.DataFrame, metric: str, side: str, values: object, unit: str
) -> pd.DataFrame:
    """Rows of one metric over the frames of ``cur`` (a slice of a gait series)."""
    return pd.DataFrame({"frame": cur["frame"], "time_s": cur["time_s"], "metric": metric,
                         "side": side, "value": values, "unit": unit})  # fmt: skip


def _curve_parts(s: pd.DataFrame, *, include_raw: bool, min_score: float) -> list[pd.DataFrame]:
    """The joint-angle curves (``gait_angles``) as per-side rows, each sample with its companion
    rows (``<metric>:score``, ``<metric>:reliable``, ``<metric>:reason:<code>`` where unreliable).
    Frames where a curve has no value get no rows: a missing sample is simply absent; without a
    reliable score (``min_score`` NaN) a sample with no reason has no reliable row (unknown)."""
    parts = []
    for key in curve_keys():
        if key not in s.columns:
            continue
        metric, side = split_side(key)
        has = np.isfinite(s[key].to_numpy(dtype=float))
        cur = s[has]
        reason = cur[f"{key}_reason"].astype(str)

        flag = reliable_flags(cur[key].to_numpy(float), reason.to_numpy(object), min_score)
        parts.append(_sample_rows(cur, metric, side, cur[key], "deg"))
        if include_raw:
            parts.append(_sample_rows(cur, f"{metric}_raw", side, cur[f"{key}_raw"], "deg"))
        parts.append(
            _sample_rows(cur, metric + conf.SCORE_SUFFIX, side, cur[f"{key}_score"], "score")
        )
        judged = np.isfinite(flag)
        parts.append(
            _sample_rows(cur[judged], metric + conf.RELIABLE_SUFFIX, side, flag[judged], "flag")
        )
        for code in sorted(set(reason) - {""}):
            mine = (reason == code).to_numpy()
            parts.append(
                _sample_rows(cur[mine], metric + conf.REASON_MARK + code, side, 1.0, "flag")
            )
    return parts


def gait_rows(result: GaitResult, *, include_raw: bool = False) -> pd.DataFrame:
    """Rows for a gait session: per-frame signals, events and whole-walk values.

    Per-frame signals (filtered; with ``include_raw`` also ``<metric>_raw``) have their frame and
    time; the joint-angle curves are per-side rows with companion score / reliable / reason rows
    (:func:`_curve_parts`), and the reliable score they were judged by is a whole-walk
    ``reliable:min_score`` row. Heel strikes and toe-offs are rows with metric "heel_strike" / "toe_off", the foot as
    side, the nearest frame, and the event time (s, sub-frame) as value. Whole-walk values
    (cadence, step times, ..., "n_steps" and the quality rows of :func:`quality_rows`) have frame
    <NA> and time_s NaN.
    """
    if not isinstance(result, GaitResult):
        raise InputError(
            f"gait_rows needs a GaitResult from analyze_gait, got {type(result).__name__}"
        )
    s = result.series
    parts = []
    for name, unit in GAIT_SERIES_UNITS.items():
        for col in (name, f"{name}_raw") if include_raw else (name,):
            parts.append(
                pd.DataFrame(
                    {
                        "frame": s["frame"],
                        "time_s": s["time_s"],
                        "metric": col,
                        "side": "",
                        "value": s[col],
                        "unit": unit,
                    }
                )
            )
    parts += _curve_parts(s, include_raw=include_raw, min_score=result.reliable_score)
    rows: list[dict[str, object]] = []
    for kind, events in (("heel_strike", result.heel_strikes), ("toe_off", result.toe_offs)):
        for e in events:
            rows.append(
                {
                    "frame": e.frame,
                    "time_s": e.time_s,
                    "metric": kind,
                    "side": e.side,
                    "value": e.time_s,
                    "unit": "s",
                }
            )
    for pattern, unit in GAIT_PARAM_UNITS.items():
        for side in ("left", "right") if "{side}" in pattern else ("",):
            key = pattern.format(side=side)
            value = result.params.get(key, math.nan)
            rows.append(
                {
                    "frame": None,
                    "time_s": np.nan,
                    "metric": split_side(key)[0],
                    "side": side,
                    "value": value,
                    "unit": unit,
                }
            )
    rows.append(_whole("n_steps", float(result.n_steps), "count"))
    if math.isfinite(result.reliable_score):
        rows.append(_whole(conf.MIN_SCORE_METRIC, result.reliable_score, "score"))
    rows += quality_rows(result)
    parts.append(_frame(rows))
    return _frame(pd.concat(parts, ignore_index=True))
