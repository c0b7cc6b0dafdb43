"""Per-frame signed hip, knee and ankle angles of a side-on walk, each sample with its confidence.

The angles are ``core.measure.sagittal``'s, measured toward the walking direction (the subject
faces the way they walk) on the cleaned and filtered keypoints of the walker's stretch of the
video. Each sample carries a score, the lowest score among the points it reads in that frame (the
trunk line: the lower of its shoulder and its hip, each the lowest of the sides seen), and a reason
when it is not to be relied on:

- ``low_score``: a point it reads scores below the reliable score (``Settings.reliable_score``);
- ``gap_filled``: a point it reads was not seen in that frame; the value is an interpolation
  across a short gap (``gait_signals.clean_keypoints``), not a measurement;
- ``at_edge``: the walker reaches the picture's edge in that frame (a point outside it or within
  :data:`EDGE_FRACTION` of it): part of the body is cut off and the model guesses it. On the
  shared walk, as she leaves at the left edge, the leg points jump 40-100 px a frame with scores
  of 0.9-0.99 (frames 191-197), and a toe 13 px from the edge reads a 39 degree plantarflexion;
- ``filter_gap``: the filtered value is more than :data:`FILTER_GAP_DEG` from the angle of the
  frame's own keypoints: a wrong point in this frame or a neighbouring one (the low-pass spreads a
  broken frame over its neighbours).

Without a walking direction (a clip refused by the walk check, or one without a step that holds
up) every curve is NaN: a signed angle needs the way the subject faces. Outside the walker's
stretch (after a track jump) the curves are NaN too: the other stretch may be someone else.
Definitions in ``docs/MEASURES.md`` ("Joint-angle curves").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.keypoints import INDEX, SIDES
from core.measure.confidence import LOW_SCORE
from core.measure.sagittal import SAGITTAL_POINTS, sagittal_arrays, trunk_line

#: The curves, as tidy metrics (one per side): hip and knee flexion, ankle dorsiflexion.
CURVES = ("hip_signed_flexion_deg", "knee_signed_flexion_deg", "ankle_dorsiflexion_deg")
#: Reason of a sample whose points were not all seen in its frame (an interpolated value).
GAP_FILLED = "gap_filled"
#: Reason of a sample in a frame where the walker reaches the picture's edge.
AT_EDGE = "at_edge"
#: A point this close to a side of the picture (share of its width or height) counts as at the
#: edge: MediaPipe keeps a point just inside the picture for a foot already partly out of it.
EDGE_FRACTION = 0.01
#: Reason of a sample whose filtered value is far from the frame's own reading.
FILTER_GAP = "filter_gap"
#: How far the filtered sample may be from the frame's own angle. The 6 Hz low-pass moves a real
#: walking angle by less: on the synthetic walk (``tests/measure/test_gait_angles.py``) by under
#: 8 degrees at its foot path's corners; on the shared walk the median is 1-2 degrees and the 90th
#: percentile 4-8, while a broken leg (frame 184, 145 degrees off) bends its neighbours by 20-40.
FILTER_GAP_DEG = 15.0
#: Every reason a curve sample can carry, with its words (the low score as posture says it), in
#: the order they are decided (a sample gets the first that applies).
CURVE_REASONS = {
    GAP_FILLED: "a point was not seen in that frame (interpolated)",
    AT_EDGE: "the walker reaches the picture's edge (part of the body cut off)",
    FILTER_GAP: "the smoothed angle is far from the frame's own (a wrong point near that frame)",
    LOW_SCORE: "a point scores below the reliable score",
}
_SHOULDERS = ("left_shoulder", "right_shoulder")
_HIPS = ("left_hip", "right_hip")


def curve_keys() -> tuple[str, ...]:
    """``left_hip_signed_flexion_deg``, ... : the series column of each curve, per side."""
    return tuple(f"{side}_{c}" for c in CURVES for side in SIDES)


def curve_points(key: str) -> tuple[str, ...]:
    """The points a curve reads ("trunk" for the trunk line), e.g. knee: hip, knee, ankle."""
    side, _, metric = key.partition("_")
    if side not in SIDES or metric not in CURVES:
        raise InputError(f"{key!r} is not a joint-angle curve; known: {', '.join(curve_keys())}")
    return tuple(p.format(side=side) for p in SAGITTAL_POINTS["{side}_" + metric])


@dataclass(frozen=True)
class JointCurves:
    """values: curve key -> (T,) degrees (filtered keypoints); raw: the same on the keypoints as
    seen; score: (T,) lowest score of the points read (NaN where one was not seen); reason: (T,)
    object array, "" where the sample is reliable or has no value; min_score: the reliable score."""

    values: dict[str, np.ndarray]
    raw: dict[str, np.ndarray]
    score: dict[str, np.ndarray]
    reason: dict[str, np.ndarray]
    min_score: float

    def reliable(self, key: str) -> np.ndarray:
        """(T,) 1.0 where the sample has a value and no reason against it, 0.0 where it has a
        reason, NaN where it has no value or, without a reliable score, no reason (unknown)."""
        return reliable_flags(self.values[key], self.reason[key], self.min_score)


def reliable_flags(values: np.ndarray, reason: np.ndarray, min_score: float) -> np.ndarray:
    """(T,) the reliable flag of each curve sample, as :meth:`JointCurves.reliable` says."""
    has = np.isfinite(np.asarray(values, dtype=float))
    bad = np.asarray(reason, dtype=object) != ""
    known = bad | np.isfinite(min_score)
    return np.where(has & known, np.where(bad, 0.0, 1.0), np.nan)


def _angles(xy: np.ndarray, direction: float) -> dict[str, np.ndarray]:
    shoulder, hip = trunk_line(xy)
    fwd = np.full(len(xy), float(direction))
    arrays = sagittal_arrays(xy, forward_x=fwd, shoulder=shoulder, hip=hip)
    return {k: arrays[k] for k in curve_keys()}


def _seen_score(seen: np.ndarray, scores: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(T,) the lowest score of ``names`` among those seen in each frame; NaN where none is."""
    cols = np.stack([np.where(np.isfinite(seen[:, INDEX[n], 0]), scores[:, INDEX[n]], np.nan)
                     for n in names])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with none of them seen
        return np.nanmin(cols, axis=0)


def _point_score(seen: np.ndarray, scores: np.ndarray, name: str) -> np.ndarray:
    """(T,) one point's score where it was seen; for "trunk", the lower of shoulder and hip."""
    if name == "trunk":  # np.minimum keeps a NaN: a trunk line needs a shoulder and a hip seen
        return np.minimum(_seen_score(seen, scores, _SHOULDERS), _seen_score(seen, scores, _HIPS))
    return _seen_score(seen, scores, (name,))


def at_edge(xy: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """(T,) bool: some point of the (T, K, 2) poses lies outside the picture or within
    :data:`EDGE_FRACTION` of its width (height) from a side."""
    width, height = frame_size
    mx, my = EDGE_FRACTION * width, EDGE_FRACTION * height
    x, y = xy[..., 0], xy[..., 1]
    with np.errstate(invalid="ignore"):  # NaN: a missing point is at no edge
        near = (x < mx) | (x > width - 1 - mx) | (y < my) | (y > height - 1 - my)
    return np.any(near, axis=1)


def joint_curves(
    filtered: np.ndarray,
    seen: np.ndarray,
    scores: np.ndarray,
    *,
    direction: float,
    use: np.ndarray,
    min_score: float,
    edge: np.ndarray | None = None,
) -> JointCurves:
    """The joint-angle curves of one walk, with a score and a reason per sample.

    Parameters
    ----------
    filtered : (T, K, 2) cleaned (and low-pass filtered) keypoints, pixels.
    seen : (T, K, 2) the keypoints as seen (NaN where missing or outside the image).
    scores : (T, K) the model's score of each point.
    direction : +1 walking toward the image's right, -1 toward its left, 0 unknown (all NaN).
    use : (T,) bool, the frames of the walker's stretch (the others are NaN).
    edge : (T,) bool, frames where the walker reaches the picture's edge (:func:`at_edge` of the
        poses before the points outside were dropped); None: none.
    min_score : the reliable score; NaN: no score rule (only gaps are marked, see
        :meth:`JointCurves.reliable`).

    Returns
    -------
    JointCurves, one entry per :func:`curve_keys` key.
    """
    if min_score < 0 or min_score == np.inf:
        raise InputError(f"the reliable score must be a number >= 0 (NaN: none), got {min_score}")
    keys = curve_keys()
    n = len(filtered)
    if direction not in (-1.0, 1.0):
        nan = np.full(n, np.nan)
        empty = np.full(n, "", dtype=object)
        return JointCurves({k: nan.copy() for k in keys}, {k: nan.copy() for k in keys},
                           {k: nan.copy() for k in keys}, {k: empty.copy() for k in keys},
                           float(min_score))  # fmt: skip
    outside = ~np.asarray(use, dtype=bool)
    values = {k: np.where(outside, np.nan, v) for k, v in _angles(filtered, direction).items()}
    raw = {k: np.where(outside, np.nan, v) for k, v in _angles(seen, direction).items()}
    cut = np.zeros(n, bool) if edge is None else np.asarray(edge, dtype=bool)
    score, reason = {}, {}
    for key in keys:
        per_point = np.stack([_point_score(seen, scores, p) for p in curve_points(key)])
        gap = np.any(np.isnan(per_point), axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nanmin(per_point, axis=0)
        s = np.where(gap, np.nan, low)
        low_score = s < min_score  # False for every sample without a reliable score (NaN)
        with np.errstate(invalid="ignore"):  # NaN raw: a gap, said above
            far = np.abs(values[key] - raw[key]) > FILTER_GAP_DEG
        why = np.select([gap, cut, far, low_score], [GAP_FILLED, AT_EDGE, FILTER_GAP, LOW_SCORE],
                        "").astype(object)  # fmt: skip
        has = np.isfinite(values[key])
        score[key] = np.where(has, s, np.nan)
        reason[key] = np.where(has, why, "").astype(object)
    return JointCurves(values, raw, score, reason, float(min_score))


@dataclass(frozen=True)
class CurveSummary:
    """One curve over the walk: ``min_deg`` and ``max_deg`` over its *reliable* samples only (NaN
    without any), ``samples`` with a value, the ``reliable_share`` of them (NaN without a reliable
    score) and ``reasons`` (code -> samples, in the order of :data:`CURVE_REASONS`)."""

    min_deg: float
    max_deg: float
    samples: int
    reliable_share: float
    reasons: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """Plain JSON: None instead of NaN, degrees to 0.1, the share to 0.001."""

        def num(v: float, digits: int) -> float | None:
            return round(v, digits) if np.isfinite(v) else None

        return {"min_deg": num(self.min_deg, 1), "max_deg": num(self.max_deg, 1),
                "samples": self.samples, "reliable_share": num(self.reliable_share, 3),
                "reasons": dict(self.reasons)}  # fmt: skip


def curve_summary(series: pd.DataFrame, min_score: float) -> dict[str, CurveSummary]:
    """Each curve of a ``GaitResult.series`` (``min_score``: its reliable score) over the walk;
    curves with no value at all (no walk) are left out."""
    out: dict[str, CurveSummary] = {}
    for key in curve_keys():
        if key not in series.columns:
            continue
        values = series[key].to_numpy(dtype=float)
        reason = series[f"{key}_reason"].fillna("").astype(str).to_numpy(dtype=object)
        has = np.isfinite(values)
        if not has.any():
            continue
        flag = reliable_flags(values, reason, min_score)
        good = values[flag == 1.0]
        judged = bool(np.isfinite(flag[has]).all())
        out[key] = CurveSummary(
            float(good.min()) if good.size else float("nan"),
            float(good.max()) if good.size else float("nan"),
            int(has.sum()),
            good.size / int(has.sum()) if judged else float("nan"),
            {c: int(np.sum(reason[has] == c)) for c in CURVE_REASONS if c in set(reason[has])},
        )
    return out
