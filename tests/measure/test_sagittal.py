"""Signed side-view angles on hand-built poses: each sign, facing left and right alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, PoseSeries
from core.measure.posture import posture_measures
from core.measure.sagittal import SAGITTAL_POINTS, sagittal_series
from tests.measure.synthetic import make_pose, make_xy, walking_series

SIGNED = [p.format(side="left") for p in SAGITTAL_POINTS if "{side}" in p]


def mirror(pts: dict[str, tuple[float, float]], axis_x: float = 500.0) -> dict:
    """The same pose seen from the other side: x reflected about ``axis_x`` (labels kept)."""
    return {n: (2 * axis_x - x, y) for n, (x, y) in pts.items()}


#: Integer points of a subject facing the image's right, left side hidden (derivations beside).
RIGHT_FACING = {
    "right_hip": (500.0, 500.0),
    "right_shoulder": (500.0, 300.0),  # trunk vertical: lean 0
    "right_knee": (600.0, 500.0),  # thigh straight forward: hip flexion +90
    "right_ankle": (600.0, 600.0),  # shank straight down from a horizontal thigh: knee +90
    "right_heel": (590.0, 610.0),
    "right_big_toe": (650.0, 560.0),  # foot (60, -50): toes 39.81 deg above the shank's normal
    # Upper arm 100 px long, 45 deg behind the trunk: (-sin 45, +cos 45) * 100 from the shoulder.
    "right_elbow": (500.0 - 70.71067811865476, 300.0 + 70.71067811865476),
    "right_ear": (500.0, 240.0),
    "nose": (520.0, 245.0),  # ahead of the ear: faces right
}
RIGHT_EXPECTED = {
    "right_hip_signed_flexion_deg": 90.0,
    "right_knee_signed_flexion_deg": 90.0,
    "right_ankle_dorsiflexion_deg": math.degrees(math.atan2(50.0, 60.0)),  # 39.8056...
    "right_shoulder_signed_flexion_deg": -45.0,  # extension is negative
    "forward_trunk_lean_deg": 0.0,
}


@pytest.mark.parametrize("view", ["right", "side"])
def test_hand_computed_right_facing(view):
    got = posture_measures(make_pose(RIGHT_FACING), view=view)
    for key, value in RIGHT_EXPECTED.items():
        assert_allclose(got[key], value, atol=1e-9, err_msg=key)
    for key in SIGNED:  # the hidden left side gives NaN, never a copy of the right
        assert math.isnan(got[key]), key


def test_mirrored_subject_reads_the_same():
    # Seen from the other side, the same posture faces the image's left; the nose says so, so the
    # view label "side" (no side named) is enough, and the values are unchanged.
    got = posture_measures(make_pose(mirror(RIGHT_FACING)), view="side")
    for key, value in RIGHT_EXPECTED.items():
        assert_allclose(got[key], value, atol=1e-9, err_msg=key)


def _posture(lean, hip, knee, dorsi, shoulder, facing):
    """A side pose built from angles: directions are measured from the downward vertical,
    positive toward the face, vec(t) = (facing sin t, cos t) in image pixels (y down)."""

    def vec(t):
        r = math.radians(t)
        return np.array([facing * math.sin(r), math.cos(r)])

    hip_pt = np.array([500.0, 500.0])
    sh = hip_pt - 200.0 * vec(-lean)  # the trunk points down from the shoulder at -lean
    knee_pt = hip_pt + 180.0 * vec(-lean + hip)
    ankle = knee_pt + 170.0 * vec(-lean + hip - knee)  # the knee flexes backward
    heel = ankle + 10.0 * vec(-lean + hip - knee + 270.0 + dorsi)  # behind, on the foot line
    toe = heel + 60.0 * vec(-lean + hip - knee + 90.0 + dorsi)  # neutral = shank + 90 forward
    elbow = sh + 120.0 * vec(-lean + shoulder)
    pts = {"left_hip": hip_pt, "left_shoulder": sh, "left_knee": knee_pt, "left_ankle": ankle}
    pts |= {"left_heel": heel, "left_big_toe": toe, "left_elbow": elbow}
    pts |= {"left_ear": sh - (0.0, 60.0), "nose": sh - (0.0, 60.0) + (facing * 20.0, -5.0)}
    return {n: (float(p[0]), float(p[1])) for n, p in pts.items()}


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize(
    "lean, hip, knee, dorsi, shoulder",
    [
        (10.0, 25.0, 40.0, 15.0, -30.0),  # forward lean, flexion, dorsiflexion, arm extended
        (-8.0, -15.0, -5.0, -20.0, 60.0),  # backward lean, extension, hyperextension, plantar
    ],
)
def test_signs_from_angles_facing_both_ways(facing, lean, hip, knee, dorsi, shoulder):
    pose = make_pose(_posture(lean, hip, knee, dorsi, shoulder, facing))
    got = posture_measures(pose, view="left" if facing < 0 else "right")
    assert_allclose(got["forward_trunk_lean_deg"], lean, atol=1e-9)
    assert_allclose(got["left_hip_signed_flexion_deg"], hip, atol=1e-9)
    assert_allclose(got["left_knee_signed_flexion_deg"], knee, atol=1e-9)
    assert_allclose(got["left_ankle_dorsiflexion_deg"], dorsi, atol=1e-9)
    assert_allclose(got["left_shoulder_signed_flexion_deg"], shoulder, atol=1e-9)
    # The unsigned measures agree in size: knee flexion is 180 - interior angle.
    assert_allclose(got["left_knee_flexion_deg"], abs(knee), atol=1e-9)
    # The image-signed lean still follows the camera's left, so it flips with the facing.
    assert_allclose(got["trunk_lean_deg"], -facing * lean, atol=1e-9)


def test_front_view_has_no_signed_measures():
    got = posture_measures(make_pose(RIGHT_FACING), view="front")
    for key in RIGHT_EXPECTED:
        assert math.isnan(got[key]), key


def test_facing_from_the_feet_when_there_is_no_nose():
    pts = {k: v for k, v in mirror(RIGHT_FACING).items() if k != "nose"}
    # No nose: the toes ahead of the heels (x 350 < 410) say the face points left; a "right"
    # label would otherwise flip every sign. Sports2D picks its side from the feet the same way.
    got = posture_measures(make_pose(pts), view="right")
    assert_allclose(got["right_hip_signed_flexion_deg"], 90.0, atol=1e-9)


def test_series_per_frame_and_direction():
    series = walking_series(duration_s=1.0, direction=-1, lean_deg=3.0)
    out = sagittal_series(series, direction=-1)
    assert set(out) == {
        *(f"{s}_{m}" for s in ("left", "right") for m in (
            "hip_signed_flexion_deg", "knee_signed_flexion_deg", "ankle_dorsiflexion_deg")),
        "forward_trunk_lean_deg",
    }  # fmt: skip
    assert all(v.shape == (len(series),) for v in out.values())
    # walking_series leans the trunk 3 deg toward the walking direction in every frame.
    assert_allclose(out["forward_trunk_lean_deg"], 3.0, atol=1e-9)
    # Its heels and toes stay on the ground level (toe 0.12 H ahead, same height) while the shank
    # tilts, so the ankle reads the shank's tilt: finite, within a walking range.
    assert np.all(np.abs(out["left_ankle_dorsiflexion_deg"]) < 60.0)
    # The wrong direction flips the lean: the caller must pass the walk's direction.
    assert_allclose(sagittal_series(series, direction=1)["forward_trunk_lean_deg"], -3.0, atol=1e-9)
    with pytest.raises(InputError, match="direction"):
        sagittal_series(series, direction=0)


def test_series_nan_where_points_are_missing():
    xy = np.stack([make_xy(RIGHT_FACING), np.full((len(CANONICAL_NAMES), 2), np.nan)])
    series = PoseSeries(
        xy, np.ones(xy.shape[:2]), np.array([0.0, 0.1]), np.array([0, 1]), (1000, 800)
    )
    out = sagittal_series(series, direction=1)
    assert_allclose(out["right_hip_signed_flexion_deg"][0], 90.0, atol=1e-9)
    assert np.isnan(out["right_hip_signed_flexion_deg"][1])
