"""keypoints_3d on hand-made pointmaps: bad input, the window rules, derived midpoints."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX
from core.measure.pose3d import keypoints_3d
from core.measure.pose3d_tables import JOINT_CLASSES, JOINT_DEPTH_FRACTION
from core.sapiens2.classes import CLASS_ID

H, W = 60, 80


def flat_scene(depth_m: float = 2.0, label: str = "Left_Lower_Leg"):
    """A fronto-parallel wall of one class at ``depth_m`` (pinhole f = 100 px, centre (40, 30))."""
    v, u = np.mgrid[:H, :W].astype(float)
    xyz = np.stack(
        [(u - 40) / 100 * depth_m, (v - 30) / 100 * depth_m, np.full_like(u, depth_m)], -1
    )
    return xyz, np.full((H, W), CLASS_ID[label], np.uint8)


def keypoints(**points):
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, p in points.items():
        xy[INDEX[name]] = p
    return xy


def test_knee_on_a_flat_surface_is_offset_along_its_ray():
    xyz, cls = flat_scene()
    pts = keypoints_3d(keypoints(left_knee=(50, 20)), xyz, cls, window_px=3, stature_m=1.8)
    surface = xyz[20, 50]
    offset = JOINT_DEPTH_FRACTION["knee"] * 1.8
    expected = surface + offset * surface / np.linalg.norm(surface)
    # A plane is linear in the pixel offsets: the detrended median is exact up to rounding.
    np.testing.assert_allclose(pts.point("left_knee"), expected, atol=1e-9)
    assert pts.n_pixels[INDEX["left_knee"]] == 49 and np.all(pts.sigma("left_knee") < 1e-9)
    assert pts.reason("right_knee") == "no 2D keypoint"


def test_other_sides_limb_only_means_occluded():
    xyz, cls = flat_scene(label="Right_Lower_Leg")
    pts = keypoints_3d(keypoints(left_knee=(50, 20)), xyz, cls, window_px=3, stature_m=1.8)
    assert pts.reason("left_knee").startswith("occluded")


def test_nearest_own_layer_wins_over_a_clothing_layer_in_front():
    xyz, cls = flat_scene(2.0, "Left_Lower_Leg")
    front, _ = flat_scene(1.5)
    # Left half of the window: another limb's clothing 50 cm in front.
    xyz[:, :50], cls[:, :50] = front[:, :50], CLASS_ID["Lower_Clothing"]
    pts = keypoints_3d(keypoints(left_knee=(50, 20)), xyz, cls, window_px=3, stature_m=1.8)
    assert pts.point("left_knee")[2] > 2.0  # the leg's layer, then pushed inwards by the offset
    np.testing.assert_allclose(
        pts.point("left_knee")[0], xyz[20, 50, 0] * (1 + 0.054 / 2.0), rtol=0.02
    )


def test_window_at_the_edge_and_outside_the_box():
    xyz, cls = flat_scene()
    pts = keypoints_3d(keypoints(left_knee=(1, 20), right_knee=(40, 30)), xyz, cls, window_px=3,
                       box_xyxy=(0, 0, 30, 59), stature_m=1.8)  # fmt: skip
    assert "image edge" in pts.reason("left_knee")
    assert "box" in pts.reason("right_knee")


def test_midpoints_and_their_reasons():
    xyz, cls = flat_scene(label="Upper_Clothing")
    pts = keypoints_3d(keypoints(left_shoulder=(30, 20), right_shoulder=(55, 20)), xyz, cls,
                       window_px=2, stature_m=1.7)  # fmt: skip
    np.testing.assert_allclose(
        pts.point("mid_shoulder"), (pts.point("left_shoulder") + pts.point("right_shoulder")) / 2
    )
    assert np.isnan(pts.point("mid_hip")).all() and pts.reason("mid_hip") == "no 2D keypoint"


def test_every_canonical_point_but_the_midpoints_has_a_class_list():
    assert set(JOINT_CLASSES) == set(CANONICAL_NAMES) - {"mid_shoulder", "mid_hip"}


@pytest.mark.parametrize(
    ("xy", "xyz", "cls"),
    [
        (np.zeros((5, 2)), np.zeros((H, W, 3)), np.zeros((H, W))),
        (np.zeros((len(CANONICAL_NAMES), 2)), np.zeros((H, W)), np.zeros((H, W))),
        (np.zeros((len(CANONICAL_NAMES), 2)), np.zeros((H, W, 3)), np.zeros((H, W + 1))),
    ],
)
def test_bad_shapes(xy, xyz, cls):
    with pytest.raises(InputError):
        keypoints_3d(xy, xyz, cls)


def test_bad_stature():
    xyz, cls = flat_scene()
    with pytest.raises(InputError, match="stature"):
        keypoints_3d(keypoints(left_knee=(50, 20)), xyz, cls, stature_m=17.5)
