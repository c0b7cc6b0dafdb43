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


def _turned_body(turn_deg: float, lean_deg: float) -> dict[str, tuple[float, float]]:
    """A standing body, trunk 250 px, leaning ``lean_deg`` sideways (frontal plane, about the mid
    hip) and turned ``turn_deg`` about the vertical, seen by an orthographic camera in front.
    Widths from core.measure.view (shoulders 0.8, hips 0.5 trunk lengths apart); the nose 0.1
    trunk lengths ahead of the ears, so a turn also turns the face."""
    t = 250.0
    lean, turn = math.radians(lean_deg), math.radians(turn_deg)
    upper = {  # (x: subject's left = image right when facing the camera, y: down, z: toward camera)
        "left_shoulder": (0.4 * t, -t, 0.0),
        "right_shoulder": (-0.4 * t, -t, 0.0),
        "nose": (0.0, -1.3 * t, 0.1 * t),
        "left_eye": (0.05 * t, -1.33 * t, 0.08 * t),
        "right_eye": (-0.05 * t, -1.33 * t, 0.08 * t),
        "left_ear": (0.12 * t, -1.3 * t, 0.0),
        "right_ear": (-0.12 * t, -1.3 * t, 0.0),
        "left_elbow": (0.45 * t, -0.55 * t, 0.0),
        "right_elbow": (-0.45 * t, -0.55 * t, 0.0),
        "left_wrist": (0.45 * t, -0.1 * t, 0.0),
        "right_wrist": (-0.45 * t, -0.1 * t, 0.0),
    }
    lower = {
        "left_hip": (0.25 * t, 0.0, 0.0),
        "right_hip": (-0.25 * t, 0.0, 0.0),
        "left_knee": (0.25 * t, 0.9 * t, 0.0),
        "right_knee": (-0.25 * t, 0.9 * t, 0.0),
        "left_ankle": (0.25 * t, 1.8 * t, 0.0),
        "right_ankle": (-0.25 * t, 1.8 * t, 0.0),
    }
    leaned = {  # the upper body tipped toward the subject's left (image right) about the mid hip
        n: (x * math.cos(lean) - y * math.sin(lean), x * math.sin(lean) + y * math.cos(lean), z)
        for n, (x, y, z) in upper.items()
    }
    out = {}
    for n, (x, y, z) in {**leaned, **lower}.items():
        out[n] = (450.0 + x * math.cos(turn) + z * math.sin(turn), 550.0 + y)
    return out


@pytest.mark.parametrize(
    ("turn", "lean_read", "square"),
    [
        (0.0, 20.0, True),
        # atan(tan 20 cos 20) = 18.9, atan(tan 20 cos 45) = 14.4: the projection of a tilt.
        (20.0, 18.9, True),
        (45.0, 14.4, False),
    ],
)
def test_a_frontal_plane_measure_is_unreliable_when_the_camera_is_not_square_to_it(
    turn: float, lean_read: float, square: bool
) -> None:
    from core.analysis import analyze_posture
    from core.backends.fake import FakeBackend

    grey = np.full((1000, 900, 3), 128, np.uint8)
    result = analyze_posture(grey, FakeBackend([_turned_body(turn, 20.0)]), view="front")
    lean = result.confidence.measures["trunk_lean_deg"]
    # The sign says which way in the image (here right, the subject's left, as built).
    assert abs(result.measures["trunk_lean_deg"]) == pytest.approx(lean_read, abs=0.1)
    assert lean.reliable is square and lean.reason == ("" if square else "off_plane")
    tilt = result.confidence.measures["shoulder_tilt_deg"]
    assert tilt.reliable is square
    # A joint angle has no single plane: the straight knees stay reliable at any turn.
    assert result.confidence.measures["left_knee_angle_deg"].reliable
    assert result.measures["left_knee_angle_deg"] == pytest.approx(180.0)
    # The turn the rule judged by travels with the result (the page's warning names it). It is
    # read from the shoulder and hip widths against the trunk's length, which assumes average
    # body proportions: 41.5 for this body turned 45, hence 5 degrees.
    assert result.confidence.body_turn_deg == pytest.approx(turn, abs=5.0)
    assert result.confidence.measures["left_knee_angle_deg"].reason == ""


def test_the_plane_rule_by_plane_and_view() -> None:
    from core.measure.confidence import SAGITTAL_PLANE_MEASURES, measure_plane, plane_ok

    assert measure_plane("hip_tilt_deg", "left") == "frontal"
    assert measure_plane("left_knee_signed_flexion_deg", "front") == "sagittal"
    assert measure_plane("neck_flexion_deg", "back") == "frontal"
    assert measure_plane("neck_flexion_deg", "side") == "sagittal"
    assert measure_plane("left_elbow_angle_deg", "front") is None
    assert set(SAGITTAL_PLANE_MEASURES) <= set(MEASURE_INFO)
    # The bounds are the view inference's own: frontal up to 30 deg, sagittal from 60.
    assert plane_ok("frontal", 30.0) and not plane_ok("frontal", 30.5)
    assert plane_ok("sagittal", 60.0) and not plane_ok("sagittal", 59.5)
    assert plane_ok("frontal", math.nan) and plane_ok(None, 45.0)  # nothing to judge by


def test_a_sagittal_measure_needs_a_side_view() -> None:
    # SIDE (DESK_SITTER: a side view) judged with the trunk seen 80 deg from square-on (a side
    # view), then 45 (an oblique camera): the signed flexions become unreliable, scores unchanged.
    base = posture_confidence(_pose(SIDE), view="right", min_score=0.8, body_turn_deg=80.0)
    turned = posture_confidence(_pose(SIDE), view="right", min_score=0.8, body_turn_deg=45.0)
    seen = [k for k, c in base.measures.items() if c.keypoints and "signed" in k]
    assert seen and all(base.measures[k].reliable for k in seen)
    assert all(turned.measures[k].reason == "off_plane" for k in seen)
    assert all(turned.measures[k].score == base.measures[k].score for k in seen)  # score intact
