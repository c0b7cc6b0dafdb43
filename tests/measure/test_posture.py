"""Posture measures on synthetic skeletons drawn at known angles (front and side views)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, DERIVED, INDEX
from core.measure.posture import MEASURE_INFO, posture_arrays, posture_measures
from core.measure.sagittal import SAGITTAL_POINTS
from tests.measure.synthetic import make_pose, make_xy, polar

#: Different angles on the two sides, so a left/right mix-up cannot pass.
ANGLES = {
    "left": {"knee": 150.0, "hip": 160.0, "elbow": 100.0, "shoulder": 35.0},
    "right": {"knee": 120.0, "hip": 140.0, "elbow": 70.0, "shoulder": 80.0},
}
LEAN = 8.0  # trunk tilted 8 deg toward the camera's left
NECK = 12.0  # head 12 deg further toward the camera's left than the trunk


def front_points(lean: float = LEAN, neck: float = NECK) -> dict[str, tuple[float, float]]:
    """A subject facing the camera (their left on the image's right), drawn with polar() where
    angle 90 is image-up. Each joint's interior angle is made exact by construction: the distal
    segment leaves the joint at (direction back to the proximal point) +/- the wanted angle."""
    pts: dict[str, tuple[float, float]] = {}
    trunk_dir = 90.0 + lean  # polar angle of mid-hip -> mid-shoulder
    mid_hip = (500.0, 500.0)
    mid_sh = polar(mid_hip, 200.0, trunk_dir)
    # Shoulders and hips lie on lines perpendicular to the trunk: left at trunk_dir - 90 (image right).
    for side, sgn in (("left", -1.0), ("right", 1.0)):
        a = ANGLES[side]
        hip = polar(mid_hip, 40.0, trunk_dir + sgn * 90.0)
        sh = polar(mid_sh, 60.0, trunk_dir + sgn * 90.0)
        up = math.degrees(
            math.atan2(-(sh[1] - hip[1]), sh[0] - hip[0])
        )  # hip -> shoulder direction
        # Limbs swing outward on each side (sgn), so the two sides' limbs do not cross.
        knee = polar(hip, 180.0, up + sgn * a["hip"])  # angle at hip between shoulder and knee
        ankle = polar(knee, 170.0, (up + sgn * a["hip"] + 180.0) + sgn * a["knee"])
        elbow = polar(sh, 120.0, (up + 180.0) - sgn * a["shoulder"])
        wrist = polar(elbow, 110.0, ((up + 180.0) - sgn * a["shoulder"] + 180.0) - sgn * a["elbow"])
        pts.update({f"{side}_hip": hip, f"{side}_shoulder": sh, f"{side}_knee": knee})
        pts.update({f"{side}_ankle": ankle, f"{side}_elbow": elbow, f"{side}_wrist": wrist})
    pts["nose"] = polar(mid_sh, 70.0, trunk_dir + neck)
    return pts


def transform(
    pts: dict[str, tuple[float, float]],
    *,
    rot_deg: float = 0.0,
    mirror: bool = False,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> dict[str, tuple[float, float]]:
    """Rotate by rot_deg counter-clockwise as seen on screen (about (500, 400)), mirror x, scale, shift."""
    out = {}
    r = math.radians(rot_deg)
    for name, (x, y) in pts.items():
        dx, dy = x - 500.0, -(y - 400.0)  # to y-up
        dx, dy = dx * math.cos(r) - dy * math.sin(r), dx * math.sin(r) + dy * math.cos(r)
        if mirror:
            dx = -dx
        out[name] = (shift[0] + scale * (500.0 + dx), shift[1] + scale * (400.0 - dy))
    return out


def expected_front(rot: float, mirror: bool) -> dict[str, float]:
    """Joint angles are intrinsic: unchanged by rotation and mirroring. The shoulder and hip lines are
    perpendicular to the trunk, so leaning LEAN toward the camera's left raises the image-right
    (left) joints: both tilts start at +LEAN. A CCW rotation by r adds r to the lean and to both
    tilts. Mirroring flips the lean's side but not which joint is higher. The
    neck vector sits at LEAN + NECK from the vertical, always toward one side, so it is unsigned."""
    exp: dict[str, float] = {}
    for side in ("left", "right"):
        for joint, val in ANGLES[side].items():
            exp[f"{side}_{joint}_angle_deg"] = val
        for joint in ("knee", "hip", "elbow"):
            exp[f"{side}_{joint}_flexion_deg"] = 180.0 - ANGLES[side][joint]
    lean = LEAN + rot
    exp["trunk_lean_deg"] = -lean if mirror else lean
    exp["neck_flexion_deg"] = abs(lean + NECK)
    exp["shoulder_tilt_deg"] = LEAN + rot
    exp["hip_tilt_deg"] = LEAN + rot
    return exp


@pytest.mark.parametrize("rot", [0.0, 25.0, -30.0])
@pytest.mark.parametrize("mirror", [False, True])
def test_front_view_known_angles(rot, mirror):
    pose = make_pose(transform(front_points(), rot_deg=rot, mirror=mirror))
    got = posture_measures(pose, view="front")
    assert list(got) == list(MEASURE_INFO)
    for key, value in expected_front(rot, mirror).items():
        assert_allclose(got[key], value, atol=1e-9, err_msg=key)
    assert math.isnan(got["craniovertebral_angle_deg"])  # needs a side view


def side_points(
    neck_deg: float, cva_deg: float, lean_deg: float, facing: int
) -> dict[str, tuple[float, float]]:
    """A side view facing image ``facing`` (+1 right, -1 left). Forward angles are measured from
    image-up toward the face: polar direction 90 - facing * angle. The CVA is the neck->ear line's
    elevation above the forward horizontal: polar direction 90 - facing * (90 - cva)."""
    hip = (500.0, 500.0)
    sh = polar(hip, 200.0, 90.0 - facing * lean_deg)
    ear = polar(sh, 80.0, 90.0 - facing * neck_deg)
    neck = polar(
        ear, 50.0, 90.0 - facing * (90.0 - cva_deg) + 180.0
    )  # ear seen from the neck at cva
    nose = (ear[0] + facing * 25.0, ear[1] + 5.0)
    near = "left" if facing < 0 else "right"  # facing image-left shows the left side
    return {
        f"{near}_hip": hip,
        f"{near}_shoulder": sh,
        f"{near}_ear": ear,
        "neck": neck,
        "nose": nose,
    }


@pytest.mark.parametrize("facing", [-1, 1])
@pytest.mark.parametrize("neck_deg", [25.0, -15.0])
def test_side_view_neck_cva_and_lean(facing, neck_deg):
    view = "left" if facing < 0 else "right"
    got = posture_measures(make_pose(side_points(neck_deg, 48.0, 10.0, facing)), view=view)
    # Neck flexion is signed toward the face; extension (-15) stays negative.
    assert_allclose(got["neck_flexion_deg"], neck_deg, atol=1e-9)
    assert_allclose(got["craniovertebral_angle_deg"], 48.0, atol=1e-9)
    # A 10 deg forward lean toward the image's left is +10 (camera's left); toward the right, -10.
    assert_allclose(got["trunk_lean_deg"], -facing * 10.0, atol=1e-9)
    assert math.isnan(got["shoulder_tilt_deg"]) and math.isnan(got["hip_tilt_deg"])


def test_side_view_nose_beats_the_view_label_and_label_is_the_fallback():
    pts = side_points(20.0, 50.0, 0.0, facing=-1)  # faces image-left, left side visible
    # Mislabelled as "right": the right ear is missing so the visible left ear is used, and the nose
    # ahead of it says the face points left, so the reading is +20 regardless of the label.
    assert_allclose(
        posture_measures(make_pose(pts), view="right")["neck_flexion_deg"], 20.0, atol=1e-9
    )
    del pts["nose"]
    # No nose: the "left" convention (facing image-left) gives +20, a wrong "right" label gives -20.
    assert_allclose(
        posture_measures(make_pose(pts), view="left")["neck_flexion_deg"], 20.0, atol=1e-9
    )
    assert_allclose(
        posture_measures(make_pose(pts), view="right")["neck_flexion_deg"], -20.0, atol=1e-9
    )


def test_posture_arrays_vectorised_over_frames():
    xy = np.stack([make_xy(transform(front_points(), rot_deg=r)) for r in (0.0, 10.0, 20.0)])
    out = posture_arrays(xy, view="front")
    assert_allclose(out["trunk_lean_deg"], [LEAN, LEAN + 10.0, LEAN + 20.0], atol=1e-9)
    assert_allclose(out["left_knee_angle_deg"], [150.0] * 3, atol=1e-9)


def test_bad_view_and_shape():
    with pytest.raises(InputError, match="view"):
        posture_measures(make_pose(front_points()), view="top")
    with pytest.raises(InputError, match="canonical"):
        posture_arrays(np.zeros((5, 2)))
    with pytest.raises(InputError, match="Pose"):
        posture_measures(np.zeros((len(CANONICAL_NAMES), 2)))


#: Front-view dependencies: which measures must turn NaN when a point goes missing.
def _deps() -> dict[str, set[str]]:
    deps: dict[str, set[str]] = {}
    triples = {"knee": ("hip", "knee", "ankle"), "hip": ("shoulder", "hip", "knee"),
               "elbow": ("shoulder", "elbow", "wrist"), "shoulder": ("hip", "shoulder", "elbow")}  # fmt: skip
    for side in ("left", "right"):
        for joint, names in triples.items():
            keys = {f"{side}_{joint}_angle_deg"} | (
                {f"{side}_{joint}_flexion_deg"} if joint != "shoulder" else set()
            )
            for n in names:
                deps.setdefault(f"{side}_{n}", set()).update(keys)
        deps[f"{side}_shoulder"] |= {"neck_flexion_deg", "trunk_lean_deg", "shoulder_tilt_deg"}
        deps[f"{side}_hip"] |= {"trunk_lean_deg", "hip_tilt_deg"}
    deps["nose"] = {"neck_flexion_deg"}
    return deps


DEPS = _deps()
#: Measures a front view leaves NaN: the craniovertebral angle and the signed sagittal measures.
SIDE_ONLY = {"craniovertebral_angle_deg"} | {
    p.format(side=s) for p in SAGITTAL_POINTS for s in ("left", "right")
}
coord = st.floats(0, 2000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(coord, coord), min_size=len(DEPS), max_size=len(DEPS)),
    st.sampled_from(sorted(DEPS)),
    st.floats(-300, 300),
    st.floats(-300, 300),
    st.floats(0.2, 5.0),
)
def test_properties_range_nan_dependencies_and_invariance(points, dropped, dx, dy, s):
    pts = dict(zip(sorted(DEPS), points))
    xy = make_xy(pts)
    base = posture_arrays(xy, view="front")
    finite_keys = set(base) - SIDE_ONLY
    assume(all(np.isfinite(base[k]) for k in finite_keys))  # no coincident points
    # Ranges.
    for k in finite_keys:
        v = float(base[k])
        if k.endswith("_angle_deg") or k == "neck_flexion_deg" or k.endswith("_flexion_deg"):
            assert 0.0 <= v <= 180.0, k
        elif k.endswith("tilt_deg"):
            assert -90.0 < v <= 90.0, k
        else:  # trunk lean
            assert -180.0 < v <= 180.0, k
    # NaN in -> NaN exactly for the measures that use the point.
    holes = make_xy({n: p for n, p in pts.items() if n != dropped})
    after = posture_arrays(holes, view="front")
    now_nan = {k for k in finite_keys if np.isnan(after[k])}
    assert now_nan == DEPS[dropped]
    for k in finite_keys - now_nan:
        assert_allclose(after[k], base[k])
    # Translation and uniform scale of the image change nothing (tilts need a real length).
    moved = xy * s + np.array([dx, dy])
    for k, v in posture_arrays(moved, view="front").items():
        if k in finite_keys:
            assert_allclose(v, base[k], atol=1e-6, err_msg=k)


def test_derived_midpoints_match_keypoints_module():
    # The helper must derive mid points exactly like core.keypoints, or the tests prove nothing.
    xy = make_xy({"left_hip": (0.0, 0.0), "right_hip": (2.0, 4.0)})
    assert set(DERIVED) == {"mid_shoulder", "mid_hip"}
    assert_allclose(xy[INDEX["mid_hip"]], [1.0, 2.0])


def test_generic_side_view_needs_the_nose_for_the_sign():
    pts = side_points(20.0, 50.0, 0.0, facing=1)  # faces image-right, right side visible
    got = posture_measures(make_pose(pts), view="side")
    assert_allclose(got["neck_flexion_deg"], 20.0, atol=1e-9)
    assert_allclose(got["craniovertebral_angle_deg"], 50.0, atol=1e-9)
    del pts["nose"]
    got = posture_measures(make_pose(pts), view="side")
    # Without a nose "side" cannot tell forward from backward: NaN, never a guessed sign.
    assert math.isnan(got["neck_flexion_deg"]) and math.isnan(got["craniovertebral_angle_deg"])
    assert_allclose(got["trunk_lean_deg"], 0.0, atol=1e-9)  # the image-signed lean needs no facing
