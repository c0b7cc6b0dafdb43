"""Per-measure confidence: the points each measure uses, its score (their minimum), the flag."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.backends.fake import STANDING_FRONT
from core.config import load_settings
from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from core.measure.confidence import (
    MEASURE_KEYPOINTS,
    REPORTED_KEYPOINTS,
    posture_confidence,
    uncovered_measures,
    used_keypoints,
)
from core.measure.posture import MEASURE_INFO, VIEWS, posture_arrays
from core.measure.sagittal import SAGITTAL_POINTS
from tests.cli.scenes import DESK_SITTER

#: DESK_SITTER (side view, facing the image's right: nose ahead of the ears) with the head turned
#: 10 px forward and the two ears apart, so near and far ear give different neck angles.
SIDE = {**DESK_SITTER, "left_ear": (410.0, 200.0), "right_ear": (404.0, 203.0)}
#: STANDING_FRONT scaled to 500 px tall, so every point is a distinct pixel position.
FRONT = {n: (300 + 500 * x, 50 + 500 * y) for n, (x, y) in STANDING_FRONT.items()}


def _pose(points: dict[str, tuple[float, float]], scores: dict[str, float] | None = None) -> Pose:
    """A canonical pose of ``points``; every given point scores 0.95 unless ``scores`` says else
    (the derived midpoints take the lower of their sides, as for any source)."""
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    s = np.full(len(CANONICAL_NAMES), np.nan)
    for name, p in points.items():
        xy[INDEX[name]], s[INDEX[name]] = p, (scores or {}).get(name, 0.95)
    return Pose.from_canonical(xy, s, backend="lite", model="test", threshold=0.5)


def test_every_posture_measure_has_a_keypoint_entry():
    assert uncovered_measures() == []
    assert set(MEASURE_KEYPOINTS) == set(MEASURE_INFO)


def test_the_coverage_check_catches_a_measure_without_an_entry():
    # A new measure added to posture.MEASURE_INFO without a MEASURE_KEYPOINTS entry must fail
    # the test above; so must an entry naming a point that does not exist.
    names = [*MEASURE_INFO, "left_ankle_angle_deg"]
    assert uncovered_measures(names) == ["left_ankle_angle_deg"]
    broken = {**MEASURE_KEYPOINTS, "hip_tilt_deg": ("left_hip", "left_hipp")}
    assert uncovered_measures(MEASURE_INFO, broken) == ["hip_tilt_deg"]


def test_used_keypoints_in_a_front_view():
    used = used_keypoints(_pose(FRONT).xy, view="front")
    assert used["left_knee_angle_deg"] == ("left_hip", "left_knee", "left_ankle")
    assert used["right_elbow_flexion_deg"] == ("right_shoulder", "right_elbow", "right_wrist")
    # Hip angle: shoulder - hip - knee; canonical order puts the shoulder first.
    assert used["left_hip_angle_deg"] == ("left_shoulder", "left_hip", "left_knee")
    assert used["neck_flexion_deg"] == ("nose", "mid_shoulder")
    assert used["trunk_lean_deg"] == ("mid_shoulder", "mid_hip")
    assert used["shoulder_tilt_deg"] == ("left_shoulder", "right_shoulder")
    assert used["craniovertebral_angle_deg"] == ()  # NaN in a front view: nothing used


def test_used_keypoints_follow_the_side_view_fallbacks():
    # SIDE faces the image's right; view "left" says the subject faces the image's left unless
    # the nose tells, so the nose decides the sign of neck flexion.
    both = used_keypoints(_pose(SIDE).xy, view="left")
    assert both["neck_flexion_deg"] == ("nose", "left_ear", "mid_shoulder")  # near ear only
    only_right = {n: p for n, p in SIDE.items() if n not in ("left_ear", "left_shoulder")}
    used = used_keypoints(_pose(only_right).xy, view="left")
    # Without the near ear and shoulder the far ones are read, and no midpoint exists.
    assert used["neck_flexion_deg"] == ("nose", "right_ear", "right_shoulder")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("drop", [(), ("mid_shoulder",), ("left_ear", "left_shoulder", "nose")])
def test_used_keypoints_are_among_the_declared_ones(view, drop):
    # The probe reads what posture_arrays does; the declaration must name at least that, in
    # every view and fallback, or MEASURE_KEYPOINTS has drifted from posture.py.
    for points in (FRONT, SIDE, DESK_SITTER):
        xy = _pose(points).xy.copy()
        for name in drop:
            xy[INDEX[name]] = np.nan
        values = posture_arrays(xy, view=view)
        for key, names in used_keypoints(xy, view=view).items():
            assert set(names) <= set(MEASURE_KEYPOINTS[key]), (key, view, names)
            # A value always has points behind it, even where two alternatives coincide
            # (DESK_SITTER's ears and shoulders sit on one spot each).
            assert bool(names) == bool(np.isfinite(values[key])), (key, view)


def test_score_is_the_lowest_score_of_the_points_used():
    rng = np.random.default_rng(15)
    scores = {n: float(rng.uniform(0.55, 1.0)) for n in FRONT}
    pose = _pose(FRONT, scores)
    conf = posture_confidence(pose, view="front", min_score=0.0)
    # Hand-picked expectations: the knee angle reads hip, knee and ankle of its side.
    knee = conf.measures["right_knee_angle_deg"]
    expect = min(scores["right_hip"], scores["right_knee"], scores["right_ankle"])
    assert knee.score == expect and knee.keypoints == ("right_hip", "right_knee", "right_ankle")
    # Trunk lean reads the two midpoints, each scoring the lower of its sides.
    lean = conf.measures["trunk_lean_deg"].score
    assert lean == min(scores[f"{s}_{j}"] for s in ("left", "right") for j in ("shoulder", "hip"))
    for key, c in conf.measures.items():
        if c.keypoints:
            assert c.score == min(pose.scores[INDEX[n]] for n in c.keypoints), key


def test_one_low_point_flags_exactly_its_measures():
    pose = _pose(FRONT, {"left_wrist": 0.6})  # measured (>= 0.5), below the reliable 0.8
    conf = posture_confidence(pose, view="front", min_score=0.8)
    flagged = {k for k, c in conf.measures.items() if not c.reliable}
    # The left elbow's angle and flexion read the wrist; the CVA and the signed side-view angles
    # have no value in a front view (no value is never reliable).
    side_only = {
        template.format(side=side)
        for template in SAGITTAL_POINTS
        for side in (("left", "right") if "{side}" in template else ("",))
    }
    expected = {"left_elbow_angle_deg", "left_elbow_flexion_deg", "craniovertebral_angle_deg"}
    assert flagged == expected | side_only
    assert conf.measures["left_elbow_angle_deg"].score == 0.6
    assert conf.measures["left_knee_angle_deg"].reliable
    cva = conf.measures["craniovertebral_angle_deg"]
    assert math.isnan(cva.score) and cva.keypoints == ()


def test_a_score_exactly_at_the_reliable_score_is_reliable():
    conf = posture_confidence(_pose(FRONT, {"left_wrist": 0.8}), view="front", min_score=0.8)
    assert conf.measures["left_elbow_angle_deg"].reliable


def test_keypoints_reported_with_position_and_score():
    pose = _pose(FRONT, {"left_wrist": 0.6, "left_ankle": 0.3})  # the ankle below the threshold
    conf = posture_confidence(pose, view="front", min_score=0.8)
    points = {kp.name: kp for kp in conf.keypoints}
    assert tuple(points) == REPORTED_KEYPOINTS
    assert (points["left_wrist"].x, points["left_wrist"].y) == FRONT["left_wrist"]
    assert points["left_wrist"].score == 0.6
    ankle = points["left_ankle"]
    assert math.isnan(ankle.x) and math.isnan(ankle.y) and ankle.score == 0.3  # seen, not used
    assert math.isnan(conf.measures["left_knee_angle_deg"].score)  # no ankle: no knee angle


def test_reliable_score_per_backend_from_the_settings():
    s = load_settings({"SAPIENS_MEASURE_LITE_RELIABLE_SCORE": "0.7"})
    assert s.reliable_score("lite") == 0.7
    assert s.reliable_score("sapiens2") == 0.5  # the default; heatmap scores run lower
    assert s.reliable_score("fake (test double)") == 0.7  # read as a visibility
    with pytest.raises(InputError, match="SAPIENS_MEASURE_LITE_RELIABLE_SCORE"):
        load_settings({"SAPIENS_MEASURE_LITE_RELIABLE_SCORE": "1.5"})


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="Pose"):
        posture_confidence(FRONT, view="front", min_score=0.8)
    with pytest.raises(InputError, match="reliable score"):
        posture_confidence(_pose(FRONT), view="front", min_score=math.nan)
    with pytest.raises(InputError, match="canonical order"):
        used_keypoints(np.zeros((3, 2)), view="front")
