"""Signs and zero points of the 3D measures against the scene's own parameters (not against the
same functions run on true points), and the frontal lean's sign against the 2D trunk lean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.measure.posture import posture_arrays
from tests.measure.test_pose3d import OPEN, measure
from tests.scenes.render import Camera, render
from tests.scenes.skeleton import build_skeleton
from tests.scenes.truth import true_measures

LEANING = dataclasses.replace(OPEN, trunk_lean=10.0, trunk_side_lean=8.0)


@pytest.mark.parametrize(("yaw", "pitch"), [(0.0, 0.0), (20.0, 10.0), (-25.0, 15.0)])
def test_definitions_read_the_posture_parameters(yaw, pitch):
    skeleton, camera = build_skeleton(LEANING), Camera(yaw_deg=yaw, pitch_deg=pitch)
    v = true_measures(render(skeleton, camera)).values
    # The turn is measured against the direction to the camera from each line's midpoint: the
    # pelvis sits under the camera's target, the leaning shoulders do not (parallax of a few degrees).
    mid_sh = (skeleton.joints["left_shoulder"] + skeleton.joints["right_shoulder"]) / 2
    to_cam = camera.pose()[1] - mid_sh
    shoulder_yaw = np.degrees(np.arctan2(to_cam[0], to_cam[2]))  # body x = left, z = forward
    expected = {
        "left_knee_flexion_3d_deg": LEANING.knee_flexion[0],
        "right_knee_flexion_3d_deg": LEANING.knee_flexion[1],
        "trunk_lean_sagittal_3d_deg": LEANING.trunk_lean,  # + forward
        "trunk_lean_frontal_3d_deg": LEANING.trunk_side_lean,  # + towards the subject's right
        "hip_yaw_3d_deg": yaw,  # + when the subject's left side turns towards the camera
        "shoulder_yaw_3d_deg": shoulder_yaw,
    }
    for name, value in expected.items():
        assert v[name] == pytest.approx(value, abs=1e-6), name


def test_frontal_lean_has_the_2d_trunk_lean_sign_facing_the_camera():
    scene = render(build_skeleton(LEANING), Camera())
    _, got = measure(scene, stature_m=1.75)
    lean_2d = float(posture_arrays(scene.xy)["trunk_lean_deg"])
    assert np.sign(lean_2d) == np.sign(got.values["trunk_lean_frontal_3d_deg"]) == 1.0
    # Facing the camera the frontal plane is the image plane; the 10 degree forward lean and the
    # perspective of a 3 m camera move the 2D reading by under 1.5 degrees.
    assert abs(lean_2d - LEANING.trunk_side_lean) < 1.5
    assert abs(got.values["trunk_lean_frontal_3d_deg"] - LEANING.trunk_side_lean) < 1.0
