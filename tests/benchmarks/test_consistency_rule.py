"""The mirror/scale rule of benchmarks/consistency_rule.py, checked against the measures themselves.

A pose and its exact mirror (x reflected, every left_* label exchanged with its right_* twin, as a
pose model labels the mirrored person) must read the same under the rule, in every view, for every
measure the analysis produces. A wrong sign in the rule, or a new measure without a rule, fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.consistency_rule import (
    CONSISTENT,
    FLAGGED,
    MIRRORED_VIEW,
    SILENT,
    WARNED,
    Readout,
    compare,
    mirror_sign,
    unruled,
)
from core.keypoints import Pose
from core.measure.posture import MEASURE_INFO, posture_measures
from core.measure.sides import SWAP_INDEX
from tests.measure.synthetic import make_pose

WIDTH = 1000.0

#: A subject facing the image's right, turned a little (both sides seen), every limb at a different
#: angle and the trunk leaning, so that no measure is 0 or symmetric by accident.
SIDE_POINTS = {
    "nose": (560.0, 150.0),
    "left_eye": (548.0, 142.0),
    "right_eye": (552.0, 141.0),
    "left_ear": (518.0, 150.0),
    "right_ear": (524.0, 152.0),
    "left_shoulder": (505.0, 230.0),
    "right_shoulder": (515.0, 232.0),
    "left_elbow": (470.0, 320.0),
    "right_elbow": (575.0, 310.0),
    "left_wrist": (480.0, 400.0),
    "right_wrist": (640.0, 280.0),
    "left_hip": (480.0, 450.0),
    "right_hip": (488.0, 452.0),
    "left_knee": (560.0, 560.0),
    "right_knee": (440.0, 590.0),
    "left_ankle": (530.0, 690.0),
    "right_ankle": (400.0, 720.0),
    "left_heel": (515.0, 705.0),
    "right_heel": (385.0, 722.0),
    "left_big_toe": (575.0, 690.0),
    "right_big_toe": (430.0, 745.0),
}
#: The same kind of pose square to the camera (the subject's left on the image's right).
FRONT_POINTS = {
    "nose": (505.0, 150.0),
    "left_eye": (520.0, 140.0),
    "right_eye": (490.0, 141.0),
    "left_ear": (540.0, 150.0),
    "right_ear": (468.0, 153.0),
    "left_shoulder": (550.0, 240.0),
    "right_shoulder": (400.0, 250.0),
    "left_elbow": (640.0, 330.0),
    "right_elbow": (380.0, 340.0),
    "left_wrist": (700.0, 280.0),
    "right_wrist": (370.0, 440.0),
    "left_hip": (555.0, 460.0),
    "right_hip": (450.0, 470.0),
    "left_knee": (575.0, 600.0),
    "right_knee": (430.0, 610.0),
    "left_ankle": (570.0, 740.0),
    "right_ankle": (445.0, 745.0),
    "left_heel": (568.0, 752.0),
    "right_heel": (447.0, 757.0),
    "left_big_toe": (580.0, 770.0),
    "right_big_toe": (430.0, 772.0),
}


def mirrored(pose: Pose) -> Pose:
    """The pose a model gives for the mirrored picture: x reflected, left and right exchanged."""
    xy = pose.xy.copy()
    xy[:, 0] = WIDTH - xy[:, 0]
    return Pose.from_canonical(
        xy[SWAP_INDEX], pose.scores[SWAP_INDEX], backend="test", model="synthetic"
    )


def readout(pose: Pose, view: str, flagged: frozenset[str] = frozenset()) -> Readout:
    return Readout({k: float(v) for k, v in posture_measures(pose, view=view).items()}, flagged)


def test_every_measure_has_a_mirror_rule():
    assert unruled(MEASURE_INFO) == []
    with pytest.raises(KeyError):
        mirror_sign("made_up_measure_deg")


@pytest.mark.parametrize(
    ("points", "view"),
    [(FRONT_POINTS, "front"), (FRONT_POINTS, "back"), (SIDE_POINTS, "right"),
     (SIDE_POINTS, "left"), (SIDE_POINTS, "side")],
)  # fmt: skip
def test_exact_mirror_is_consistent_in_every_view(points, view):
    pose = make_pose(points)
    original = readout(pose, view)
    mirror = readout(mirrored(pose), MIRRORED_VIEW.get(view, view))
    checks = compare(original, mirror, "mirror")
    assert checks, "no check made"
    bad = [(name, verdict, diff) for name, verdict, diff in checks if verdict != CONSISTENT]
    assert bad == []
    for _name, _verdict, diff in checks:  # exact geometry: equal up to float rounding
        assert diff is not None and diff < 1e-6
    # Every measure with a value in this view was checked (the derived flexions go with their
    # angle), signed ones included: none is skipped by the rule.
    checked = {name for name, _, _ in checks}
    valued = {k for k, v in original.values.items() if math.isfinite(v)}
    assert valued - checked == {k for k in valued if k.endswith(("knee_flexion_deg",
                                "hip_flexion_deg", "elbow_flexion_deg")) and "signed" not in k}  # fmt: skip
    if view in ("left", "right"):
        assert "forward_trunk_lean_deg" in checked and "left_knee_signed_flexion_deg" in checked
    if view == "front":
        assert {"shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg"} <= checked


@pytest.mark.parametrize("name", ["trunk_lean_deg", "shoulder_tilt_deg", "hip_tilt_deg"])
def test_a_wrong_sign_is_caught(name):
    # Without the mirror's negation, the lateral measures of a tilted pose differ: the rule's sign
    # is what makes the exact mirror consistent, not a tolerance wide enough to hide it.
    pose = make_pose(FRONT_POINTS)
    original, mirror = readout(pose, "front"), readout(mirrored(pose), "front")
    assert abs(original.values[name]) > 3.5  # > tolerance / 2, so +x against -x fails
    unnegated = Readout({**mirror.values, name: -mirror.values[name]})
    verdicts = dict((n, v) for n, v, _ in compare(original, unnegated, "mirror"))
    assert verdicts[name] == SILENT


def test_verdicts_flagged_silent_and_no_check():
    nan = math.nan
    a = Readout({"knee_angle_deg": 150.0, "hip_angle_deg": 170.0, "neck_flexion_deg": nan,
                 "trunk_lean_deg": 4.0, "elbow_angle_deg": 90.0, "shoulder_angle_deg": 20.0},
                flagged=frozenset({"trunk_lean_deg"}))  # fmt: skip
    b = Readout({"knee_angle_deg": 155.9, "hip_angle_deg": 160.0, "neck_flexion_deg": nan,
                 "trunk_lean_deg": nan, "elbow_angle_deg": nan, "shoulder_angle_deg": 50.0},
                flagged=frozenset({"shoulder_angle_deg"}))  # fmt: skip
    got = {n: (v, d) for n, v, d in compare(a, b, "scale 2x")}
    assert got["knee_angle_deg"] == (CONSISTENT, pytest.approx(5.9))
    assert got["hip_angle_deg"] == (SILENT, pytest.approx(10.0))  # both reliable, 10 apart
    assert got["trunk_lean_deg"] == (FLAGGED, None)  # an unreliable number against NaN
    assert got["elbow_angle_deg"] == (SILENT, None)  # a reliable number against NaN
    assert got["shoulder_angle_deg"] == (FLAGGED, pytest.approx(30.0))  # 30 apart, one flagged
    assert "neck_flexion_deg" not in got  # NaN on both sides: no check
    nobody = compare(a, Readout({}, found=False), "mirror")
    assert {v for _, v, _ in nobody} == {SILENT, FLAGGED}  # nobody found: silent unless flagged


def test_tilts_wrap_at_180():
    a, b = Readout({"hip_tilt_deg": 89.0}), Readout({"hip_tilt_deg": -90.0})
    assert compare(a, b, "scale 2x") == [("hip_tilt_deg", CONSISTENT, pytest.approx(1.0))]
    assert np.isclose(compare(Readout({"trunk_lean_deg": 179.0}),
                              Readout({"trunk_lean_deg": -179.0}), "scale 2x")[0][2], 2.0)  # fmt: skip


def test_a_doubtful_view_warns_unless_a_number_is_flagged():
    # A readout whose view or sides are a guess: its checks are "warned" whatever the numbers,
    # except where a number is also flagged unreliable, which wins.
    a = Readout({"knee_angle_deg": 150.0, "hip_angle_deg": 170.0}, doubtful=True)
    b = Readout({"knee_angle_deg": 150.0, "hip_angle_deg": 120.0}, frozenset({"hip_angle_deg"}))
    got = {n: v for n, v, _ in compare(a, b, "scale 0.5x")}
    assert got == {"knee_angle_deg": WARNED, "hip_angle_deg": FLAGGED}
    assert {v for _, v, _ in compare(b, a, "scale 0.5x")} == {WARNED, FLAGGED}
