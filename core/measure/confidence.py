"""How far each posture measure can be trusted: the lowest score of the keypoints it actually used.

A point below the backend's score threshold is already missing (its measures are NaN). Above it, a
point can still be a guess: MediaPipe gives an occluded far-side elbow a visibility of 0.1-0.7, a
clearly seen one 0.95-1.0. A measure whose weakest point scores below the *reliable* score
(``Settings.reliable_score(backend)``, a parameter here) is reported as unreliable: its value
is kept, flagged, never shown as a confident number.

Which points a measure used is found by asking :func:`core.measure.posture.posture_arrays` itself:
a point is used when removing or nudging it changes the measure. That follows every fallback of the code (the
near ear before the far one in a side view, the midpoint before a single shoulder, the nose that
decides the facing direction) and cannot drift from it. :data:`MEASURE_KEYPOINTS` declares, per
measure, the points it may read; the tests check the two agree and that every measure has an entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX, SIDES, Pose
from core.measure.posture import FLEXION_JOINTS, JOINTS, MEASURE_INFO, posture_arrays
from core.measure.sagittal import SAGITTAL_POINTS


def _build_keypoints() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for side in SIDES:
        for joint, triple in JOINTS.items():
            out[f"{side}_{joint}_angle_deg"] = tuple(f"{side}_{p}" for p in triple)
        for joint in FLEXION_JOINTS:
            out[f"{side}_{joint}_flexion_deg"] = out[f"{side}_{joint}_angle_deg"]
    shoulders = ("mid_shoulder", "left_shoulder", "right_shoulder")
    hips = ("mid_hip", "left_hip", "right_hip")
    # Head point: the nose (front) or an ear (side view; the nose then says where the face points).
    out["neck_flexion_deg"] = ("nose", "left_ear", "right_ear", *shoulders)
    out["trunk_lean_deg"] = (*shoulders, *hips)
    out["shoulder_tilt_deg"] = ("left_shoulder", "right_shoulder")
    out["hip_tilt_deg"] = ("left_hip", "right_hip")
    out["craniovertebral_angle_deg"] = ("neck", "nose", "left_ear", "right_ear")
    # Side-view signed angles: their own points ("trunk" = the shoulder and hip lines) plus what
    # decides the facing direction (``posture.forward_x``): nose against ear, else heel to toe,
    # judged against the trunk's length.
    facing = (
        "nose",
        "left_ear",
        "right_ear",
        *(f"{s}_{p}" for s in SIDES for p in ("heel", "big_toe")),
    )
    for template, points in SAGITTAL_POINTS.items():
        for side in SIDES if "{side}" in template else ("",):
            names: list[str] = []
            for p in points:
                names += [*shoulders, *hips] if p == "trunk" else [p.format(side=side)]
            entry = dict.fromkeys([*names, *facing, *shoulders, *hips])
            out[template.format(side=side)] = tuple(entry)
    return out


#: Every canonical point each posture measure may read, in any view. A new measure needs an entry
#: (``tests/measure/test_confidence.py`` fails without one).
MEASURE_KEYPOINTS: dict[str, tuple[str, ...]] = _build_keypoints()

#: The points reported with a posture result (JSON, CSV): all that some measure may read.
REPORTED_KEYPOINTS: tuple[str, ...] = tuple(
    n for n in CANONICAL_NAMES if any(n in names for names in MEASURE_KEYPOINTS.values())
)


def uncovered_measures(
    names: Iterable[str] | None = None, keypoints: Mapping[str, tuple[str, ...]] | None = None
) -> list[str]:
    """Measures of ``names`` (default :data:`MEASURE_INFO`) without an entry in ``keypoints``
    (default :data:`MEASURE_KEYPOINTS`), or whose entry names a point that is not canonical."""
    names = MEASURE_INFO if names is None else names
    keypoints = MEASURE_KEYPOINTS if keypoints is None else keypoints
    return [n for n in names if not keypoints.get(n) or any(p not in INDEX for p in keypoints[n])]


#: How far (pixels) :func:`used_keypoints` nudges a point to see whether a measure reads it: far
#: below any keypoint's precision, far above float rounding at image coordinates.
_NUDGE_PX = 0.01


def used_keypoints(xy: np.ndarray, *, view: str) -> dict[str, tuple[str, ...]]:
    """The canonical points each posture measure of one pose depends on.

    A point is used when removing it, or nudging it along x or along y, changes the measure's
    value: removal catches a point that only decides a sign or a fallback (the nose that says where
    a side-view face points), the nudges a point whose alternative sits at the same spot.

    Parameters
    ----------
    xy : (K, 2) float, pixels in canonical order; NaN where missing.
    view : the view :func:`~core.measure.posture.posture_arrays` measures in (keyword-only).

    Returns
    -------
    dict mapping each key of :data:`MEASURE_INFO` to the names of the points it uses, in canonical
    order (empty for a measure that is NaN).
    """
    xy = np.asarray(xy, dtype=np.float64)
    k = len(CANONICAL_NAMES)
    if xy.shape != (k, 2):
        raise InputError(f"expected keypoints ({k}, 2) in canonical order, got shape {xy.shape}")
    base = posture_arrays(xy, view=view)
    changed = {key: np.zeros(k, dtype=bool) for key in MEASURE_INFO}
    # One pose at a time, exactly as posture_measures measures it (posture_arrays may read a
    # single pose differently from a stack). A missing point cannot change anything: skipped.
    for i in np.flatnonzero(np.all(np.isfinite(xy), axis=1)):
        for probe in _probes(xy, int(i)):
            values = posture_arrays(probe, view=view)
            for key, flags in changed.items():
                flags[i] |= not _same(values[key], base[key])
    return {
        key: tuple(CANONICAL_NAMES[j] for j in np.flatnonzero(flags))
        if np.isfinite(base[key])
        else ()
        for key, flags in changed.items()
    }


def _probes(xy: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xy`` without point ``i``, with it nudged along x, with it nudged along y."""
    gone, along_x, along_y = xy.copy(), xy.copy(), xy.copy()
    gone[i] = np.nan
    along_x[i, 0] += _NUDGE_PX
    along_y[i, 1] += _NUDGE_PX
    return gone, along_x, along_y


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a == b or (np.isnan(a) and np.isnan(b)))


@dataclass(frozen=True)
class MeasureConfidence:
    """score: lowest score of the points used (NaN when the measure is NaN or a score is unknown);
    reliable: the measure has a value and ``score >= min_score``; keypoints: the points used."""

    score: float
    reliable: bool
    keypoints: tuple[str, ...]


@dataclass(frozen=True)
class KeypointReading:
    """One canonical point as measured: pixels (NaN when missing or below the threshold) and the
    source's score (NaN when the source has no such point)."""

    name: str
    x: float
    y: float
    score: float


@dataclass(frozen=True)
class PostureConfidence:
    """min_score: the reliable score used; measures: name -> confidence; keypoints: the
    :data:`REPORTED_KEYPOINTS` of the pose."""

    min_score: float
    measures: dict[str, MeasureConfidence]
    keypoints: tuple[KeypointReading, ...]


def posture_confidence(pose: Pose, *, view: str, min_score: float) -> PostureConfidence:
    """Score, reliable flag and points used of every posture measure of ``pose`` in ``view``.

    The score of a measure is the lowest ``pose.scores`` entry among the points it used (a derived
    midpoint carries the lower score of its two sides). ``min_score`` is the reliable score
    (``Settings.reliable_score(pose.backend)``).
    """
    if not isinstance(pose, Pose):
        raise InputError(
            f"posture_confidence needs a core.keypoints.Pose, got {type(pose).__name__}"
        )
    if not math.isfinite(min_score) or min_score < 0:
        raise InputError(f"the reliable score must be a finite number >= 0, got {min_score}")
    scores = np.asarray(pose.scores, dtype=np.float64)
    measures = {}
    for key, names in used_keypoints(pose.xy, view=view).items():
        score = float(np.min(scores[[INDEX[n] for n in names]])) if names else math.nan
        measures[key] = MeasureConfidence(score, bool(score >= min_score), names)  # NaN: False
    readings = tuple(
        KeypointReading(
            n, float(pose.xy[INDEX[n], 0]), float(pose.xy[INDEX[n], 1]), float(scores[INDEX[n]])
        )
        for n in REPORTED_KEYPOINTS
    )
    return PostureConfidence(float(min_score), measures, readings)


# -- companion rows ---------------------------------------------------------------------------
# The store keeps a measure's score and reliable flag, and the keypoints, as extra rows of the
# long measurements table (no schema change). Their metric names hold COMPANION_MARK, which no
# measure name does: ``Store.load_measurements`` leaves them out unless asked, and the CSV export
# folds them into the ``score`` / ``reliable`` columns beside each value (docs/EXPORT.md).
COMPANION_MARK = ":"
SCORE_SUFFIX = ":score"
RELIABLE_SUFFIX = ":reliable"
KEYPOINT_PREFIX = "kp:"
#: The metric of the row that records the reliable score the flags were decided with.
MIN_SCORE_METRIC = "reliable:min_score"


def is_companion(metric: str) -> bool:
    """True for a companion row's metric (a score, a flag, a keypoint coordinate)."""
    return COMPANION_MARK in metric


def keypoint_metric(name: str, field: str) -> str:
    """``kp:left_knee:x`` for the x pixel of ``left_knee``; field is "x", "y" or "score"."""
    return f"{KEYPOINT_PREFIX}{name}:{field}"
