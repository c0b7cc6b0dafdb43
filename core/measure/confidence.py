"""How far each posture measure can be trusted: the lowest score of the keypoints it actually used.

A point below the backend's score threshold is already missing (its measures are NaN). Above it, a
point can still be a guess: MediaPipe gives an occluded far-side elbow a visibility of 0.1-0.7, a
clearly seen one 0.95-1.0. A measure whose weakest point scores below the *reliable* score
(``Settings.reliable_score(backend)``, a parameter here) is reported as unreliable: its value
is kept, flagged, never shown as a confident number.

A measure that lies in one anatomical plane is also unreliable when the camera is not square to
that plane, whatever the scores: a frontal-plane tilt needs a front or back view, a sagittal angle
a side view (:func:`plane_ok`). An angle t in a plane turned by a from the image plane projects as
atan(tan t cos a): at the 30 degrees allowed a 20 degree tilt reads 17.5, at 45 (an oblique
camera) 14.4. Each unreliable measure carries the code of why (:data:`REASONS`).

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
from core.measure.view import FRONTAL, FRONTAL_MAX_DEG, SIDE_MIN_DEG


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


#: Measures in the body's frontal plane in any view, in its sagittal plane in any view, and those
#: whose plane is the view's (neck flexion and trunk lean: sideways in a front or back view,
#: forwards in a side view). Joint angles (elbow, knee, ...) move out of any one plane and have
#: no rule; they stay flagged by the view's own warning when the camera is oblique.
FRONTAL_PLANE_MEASURES = ("shoulder_tilt_deg", "hip_tilt_deg")
SAGITTAL_PLANE_MEASURES = (
    "craniovertebral_angle_deg",
    *(t.format(side=s) for t in SAGITTAL_POINTS for s in (SIDES if "{side}" in t else ("",))),
)
VIEW_PLANE_MEASURES = ("neck_flexion_deg", "trunk_lean_deg")

#: Why a measure is unreliable: its code (stored, exported in the CSV's ``reason`` column) and
#: what it means, in the few words the CLI prints beside the score.
LOW_SCORE, OFF_PLANE, VIEWS_DISAGREE = "low_score", "off_plane", "views_disagree"
REASONS = {
    LOW_SCORE: "a point scores below the reliable score",
    OFF_PLANE: "camera not square to its plane",
    VIEWS_DISAGREE: "photo and mirror disagree",
}
#: The flip test's photo and mirror views (``Pose.flip_views``) giving a measure further apart
#: than this: the model does not pin that angle down to the 6-degree consistency bar of
#: docs/VALIDATION.md, so the mean of the two is not a number to stand behind. (Each point of the
#: two views is already judged alone, ``core.backends.lite_flip.DISAGREE_FRACTION``; a short
#: segment, a foot 20 px long, turns by more for the same point error.)
VIEWS_GAP_DEG = 6.0


def views_gap_deg(key: str, a: float, b: float) -> float:
    """How far apart two readings of measure ``key`` are, degrees: modulo 180 for a tilt (a line
    has no direction), modulo 360 otherwise; NaN when either is missing."""
    period = 180.0 if key in FRONTAL_PLANE_MEASURES else 360.0
    return abs((a - b + period / 2) % period - period / 2)


def measure_plane(key: str, view: str) -> str | None:
    """ "frontal", "sagittal" or None (no single plane) for a measure read in ``view``."""
    if key in FRONTAL_PLANE_MEASURES:
        return "frontal"
    if key in SAGITTAL_PLANE_MEASURES:
        return "sagittal"
    if key in VIEW_PLANE_MEASURES:
        return "frontal" if view in FRONTAL else "sagittal"
    return None


def plane_ok(plane: str | None, body_turn_deg: float) -> bool:
    """Whether a measure in ``plane`` reads true with the trunk turned ``body_turn_deg`` from
    square-on (``core.measure.view.body_turn_deg``): frontal up to FRONTAL_MAX_DEG, sagittal from
    SIDE_MIN_DEG. True without a plane or without a turn (NaN: no trunk seen, nothing to judge)."""
    if plane is None or not math.isfinite(body_turn_deg):
        return True
    return body_turn_deg <= FRONTAL_MAX_DEG if plane == "frontal" else body_turn_deg >= SIDE_MIN_DEG


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
    reliable: the measure has a value, ``score >= min_score`` and, for a measure in one plane, the
    camera is square enough to it (:func:`plane_ok`); keypoints: the points used; reason: a code of
    :data:`REASONS` when it has a value and is not reliable, else ""."""

    score: float
    reliable: bool
    keypoints: tuple[str, ...]
    reason: str = ""


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
    :data:`REPORTED_KEYPOINTS` of the pose; body_turn_deg: the trunk's turn from square-on the
    plane rule judged by (NaN: none)."""

    min_score: float
    measures: dict[str, MeasureConfidence]
    keypoints: tuple[KeypointReading, ...]
    body_turn_deg: float = math.nan


def posture_confidence(
    pose: Pose,
    *,
    view: str,
    min_score: float,
    body_turn_deg: float = math.nan,
) -> PostureConfidence:
    """Score, reliable flag and points used of every posture measure of ``pose`` in ``view``.

    The score of a measure is the lowest ``pose.scores`` entry among the points it used (a derived
    midpoint carries the lower score of its two sides). ``min_score`` is the reliable score
    (``Settings.reliable_score(pose.backend)``). ``body_turn_deg``: the trunk's turn from
    square-on read from the picture (``ViewInference.body_turn_deg``); a measure in one plane is
    unreliable when the camera is not square to it (:func:`plane_ok`; NaN: no such rule).
    """
    if not isinstance(pose, Pose):
        raise InputError(
            f"posture_confidence needs a core.keypoints.Pose, got {type(pose).__name__}"
        )
    if not math.isfinite(min_score) or min_score < 0:
        raise InputError(f"the reliable score must be a finite number >= 0, got {min_score}")
    scores = np.asarray(pose.scores, dtype=np.float64)
    gaps = _views_gaps(pose, view)
    measures = {}
    for key, names in used_keypoints(pose.xy, view=view).items():
        score = float(np.min(scores[[INDEX[n] for n in names]])) if names else math.nan
        if not names:  # no value: nothing to judge
            reason = ""
        elif not score >= min_score:  # NaN too
            reason = LOW_SCORE
        elif not plane_ok(measure_plane(key, view), body_turn_deg):
            reason = OFF_PLANE
        elif gaps.get(key, 0.0) > VIEWS_GAP_DEG:
            reason = VIEWS_DISAGREE
        else:
            reason = ""
        measures[key] = MeasureConfidence(score, bool(names) and not reason, names, reason)
    readings = tuple(
        KeypointReading(
            n, float(pose.xy[INDEX[n], 0]), float(pose.xy[INDEX[n], 1]), float(scores[INDEX[n]])
        )
        for n in REPORTED_KEYPOINTS
    )
    return PostureConfidence(float(min_score), measures, readings, float(body_turn_deg))


def _views_gaps(pose: Pose, view: str) -> dict[str, float]:
    """Each measure read on the flip test's two views of the photo, how far apart (degrees; NaN
    where either view misses it); empty without the two views."""
    if pose.flip_views is None:
        return {}
    first, second = (posture_arrays(v, view=view) for v in pose.flip_views)
    return {k: views_gap_deg(k, float(first[k]), float(second[k])) for k in first}


# -- companion rows ---------------------------------------------------------------------------
# The store keeps a measure's score and reliable flag, and the keypoints, as extra rows of the
# long measurements table (no schema change). Their metric names hold COMPANION_MARK, which no
# measure name does: ``Store.load_measurements`` leaves them out unless asked, and the CSV export
# folds them into the ``score`` / ``reliable`` columns beside each value (docs/EXPORT.md).
COMPANION_MARK = ":"
SCORE_SUFFIX = ":score"
RELIABLE_SUFFIX = ":reliable"
KEYPOINT_PREFIX = "kp:"
#: ``<metric>:reason:<code>``: why a value is unreliable (2D, :data:`REASONS`) or missing (3D).
REASON_MARK = ":reason:"
#: The metric of the row that records the reliable score the flags were decided with.
MIN_SCORE_METRIC = "reliable:min_score"


def is_companion(metric: str) -> bool:
    """True for a companion row's metric (a score, a flag, a keypoint coordinate)."""
    return COMPANION_MARK in metric


def keypoint_metric(name: str, field: str) -> str:
    """``kp:left_knee:x`` for the x pixel of ``left_knee``; field is "x", "y" or "score"."""
    return f"{KEYPOINT_PREFIX}{name}:{field}"
