"""View inference and the left/right correction on constructed poses (front, back, both sides)."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from core.backends.fake import STANDING_FRONT
from core.errors import InputError
from core.measure.posture import posture_measures
from core.measure.sides import label_order, resolve_view, swap_sides
from core.measure.view import VIEW_CHOICES, infer_view
from tests.measure.synthetic import make_pose
from tests.measure.test_sagittal import RIGHT_FACING, mirror

FACE = ("nose", "left_eye", "right_eye")


def standing(*, labels_facing: bool = True, face: bool = True, feet: str = "") -> dict:
    """STANDING_FRONT 500 px tall. labels_facing: the subject's left on the image's right (as a
    subject facing the camera has it); False mirrors the x of every point (left on the image's
    left). face: keep the nose and eyes. feet: "toward"/"away" puts the toes 30 px below/above the
    heels (a foot pointing at / away from the camera); "" keeps the fake's 5 px, too little to count.
    The right elbow is bent to 90 deg so the sides differ."""
    pts = {n: (500.0 + x * 500.0, 100.0 + y * 500.0) for n, (x, y) in STANDING_FRONT.items()}
    # Elbow -> shoulder is (10, -90) px; (-90, -10) is at right angles to it (dot product 0).
    pts["right_wrist"] = (pts["right_elbow"][0] - 90.0, pts["right_elbow"][1] - 10.0)
    for side in ("left", "right"):
        hx, hy = pts[f"{side}_heel"]
        tx, _ = pts[f"{side}_big_toe"]
        dy = {"toward": 30.0, "away": -30.0}.get(feet, 5.0)
        pts[f"{side}_big_toe"] = (tx, hy + dy)
    if not face:
        pts = {n: p for n, p in pts.items() if n not in FACE}
    return pts if labels_facing else mirror(pts)


def test_front_facing_camera():
    seen = infer_view(make_pose(standing()).xy)
    assert (seen.view, seen.sure) == ("front", True)
    assert seen.body_turn_deg < 30.0 and abs(seen.face_turn_deg) < 5.0


def test_back_from_a_hidden_face_and_feet_pointing_away():
    seen = infer_view(make_pose(standing(labels_facing=False, face=False, feet="away")).xy)
    assert (seen.view, seen.sure) == ("back", True)


@pytest.mark.parametrize("facing, view", [(1, "right"), (-1, "left")])
def test_side_views(facing, view):
    pts = RIGHT_FACING if facing > 0 else mirror(RIGHT_FACING)
    seen = infer_view(make_pose(pts).xy)
    assert (seen.view, seen.sure) == (view, True)
    assert seen.face_turn_deg == pytest.approx(90.0 * facing)  # one ear seen: a profile


def test_side_view_of_both_sides_seen():
    # Both shoulders and hips 10 px apart over a 200 px trunk: turned ~86 deg, a side view even
    # without a face; the feet (heel to toe toward -x) say it faces the image's left.
    pts = {k: v for k, v in mirror(RIGHT_FACING).items() if k != "nose"}
    for joint in ("hip", "shoulder"):
        x, y = pts[f"right_{joint}"]
        pts[f"left_{joint}"] = (x + 10.0, y)
    seen = infer_view(make_pose(pts).xy)
    assert seen.view == "left" and seen.body_turn_deg > 60.0


def test_swapped_back_view_is_corrected():
    # Seen from behind (face hidden, toes above the heels) but labelled as if facing the camera,
    # as pose models often do: the labels contradict the facing and are swapped back.
    pose = make_pose(standing(labels_facing=True, face=False, feet="away"))
    choice = resolve_view(pose, "auto")
    assert (choice.used, choice.swapped, choice.side_sure) == ("back", True, True)
    assert any("swapped back" in w for w in choice.warnings)
    assert label_order(choice.pose.xy) == -1.0  # now the left is on the image's left
    before = posture_measures(pose, view="front")
    after = posture_measures(choice.pose, view="back")
    # The bent elbow (90 deg) was labelled right; it is the subject's left.
    assert_allclose(before["right_elbow_angle_deg"], 90.0, atol=1e-9)
    assert_allclose(after["left_elbow_angle_deg"], 90.0, atol=1e-9)
    assert_allclose(after["right_elbow_angle_deg"], before["left_elbow_angle_deg"], atol=1e-9)
    # The tilts follow the subject's sides: equal hips, so the tilt keeps its size, sign flips.
    assert_allclose(after["shoulder_tilt_deg"], -before["shoulder_tilt_deg"], atol=1e-9)


def test_hidden_face_facing_the_camera_is_corrected_from_the_feet():
    # The case: a man facing the camera, face pixelated, every limb labelled as if seen
    # from behind. The feet point at the camera, which outweighs the hidden face.
    pose = make_pose(standing(labels_facing=False, face=False, feet="toward"))
    choice = resolve_view(pose, "auto")
    assert (choice.used, choice.swapped) == ("front", True)
    assert label_order(choice.pose.xy) == 1.0


def test_correct_labels_are_kept():
    for pts, view in ((standing(), "front"), (standing(labels_facing=False, face=False, feet="away"), "back")):  # fmt: skip
        choice = resolve_view(make_pose(pts), "auto")
        assert (choice.used, choice.swapped, choice.side_sure) == (view, False, True)
        assert choice.warnings == ()


def test_unsure_facing_does_not_swap():
    # No face and no usable feet: "back" is only a guess (the face may be hidden), so the labels
    # stay as the model gave them and the user is told the sides are uncertain.
    pts = {k: v for k, v in standing(face=False).items() if "heel" not in k and "toe" not in k}
    choice = resolve_view(make_pose(pts), "auto")
    assert choice.used == "back" and not choice.inferred.sure
    assert not choice.swapped and not choice.side_sure
    assert any("uncertain" in w for w in choice.warnings)
    # A face seen and feet pointing away disagree: no swap either.
    pts = standing(labels_facing=False, feet="away")
    choice = resolve_view(make_pose(pts), "auto")
    assert not choice.swapped and not choice.inferred.facing_sure


def test_explicit_choice_contradicting_the_picture_warns():
    side = make_pose(RIGHT_FACING)
    choice = resolve_view(side, "front")
    assert choice.used == "front"
    assert any("looks like a right view" in w for w in choice.warnings)
    assert any("looks like a right view" in w for w in resolve_view(side, "left").warnings)
    assert resolve_view(side, "right").warnings == ()
    assert resolve_view(side, "side").warnings == ()
    front = make_pose(standing())
    assert any("looks like a front view" in w for w in resolve_view(front, "side").warnings)
    # The user's "back" on a picture that surely faces the camera: warned, and the facing the
    # picture shows decides the sides (no swap of correct labels).
    choice = resolve_view(front, "back")
    assert any("looks like a front view" in w for w in choice.warnings) and not choice.swapped


def test_explicit_back_decides_the_sides_when_the_picture_cannot():
    pts = {k: v for k, v in standing(face=False).items() if "heel" not in k and "toe" not in k}
    choice = resolve_view(make_pose(pts), "back")  # labels as if facing: left on the image right
    assert choice.swapped and choice.side_sure


def test_too_few_points():
    choice = resolve_view(make_pose({"left_wrist": (10.0, 10.0)}), "auto")
    assert choice.inferred.view is None and choice.used == "front"
    assert any("could not tell the view" in w for w in choice.warnings)
    with pytest.raises(InputError, match="view"):
        resolve_view(make_pose(standing()), "top")
    assert VIEW_CHOICES[0] == "auto"


def test_swap_sides_twice_is_the_identity_and_keeps_midpoints():
    pose = make_pose(standing())
    twice = swap_sides(swap_sides(pose))
    assert_allclose(twice.xy, pose.xy, equal_nan=True)
    assert_allclose(swap_sides(pose).point("mid_hip"), pose.point("mid_hip"))
    assert swap_sides(pose).source_xy is None  # an overlay then draws the corrected points
    assert math.isnan(label_order(make_pose({"nose": (1.0, 1.0)}).xy))
