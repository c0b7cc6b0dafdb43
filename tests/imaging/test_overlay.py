"""Overlays: skeletons in each source's topology, seg palette blend, normal-map colours."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import NormalMap, Segmentation
from core.errors import InputError
from core.imaging.decode import decode_image
from core.imaging.overlay import LEFT_RGB, draw_pose, normals_to_rgb, overlay_segmentation
from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return decode_image(shared_path("data", "astronaut_upper_body.png"))


def _changed(a: np.ndarray, b: np.ndarray, x: int, y: int) -> bool:
    return bool(np.any(a[y, x] != b[y, x]))


def test_sapiens2_skeleton(astronaut):
    kp = np.full((308, 2), np.nan)
    sc = np.zeros(308)
    kp[5], kp[7] = (200, 200), (200, 320)  # left shoulder, left elbow: link (5, 7) is green
    sc[5] = sc[7] = 0.9
    kp[6], sc[6] = (400, 200), 0.1  # right shoulder below the 0.3 threshold
    pose = Pose.from_sapiens2(kp, sc, model="test")
    before = astronaut.copy()
    out = draw_pose(astronaut, pose, radius=4, thickness=3)
    np.testing.assert_array_equal(astronaut, before)  # input untouched
    assert tuple(out[260, 200]) == LEFT_RGB  # midway along the shoulder-elbow line
    assert _changed(out, astronaut, 200, 200)  # the shoulder dot
    assert not _changed(out, astronaut, 400, 200)  # low-score point not drawn
    assert not _changed(out, astronaut, 300, 260)  # far from everything
    # With the threshold lowered the right shoulder and the (5, 6) link appear.
    low = draw_pose(astronaut, pose, threshold=0.05, radius=4, thickness=3)
    assert _changed(low, astronaut, 400, 200) and _changed(low, astronaut, 300, 200)


def test_mediapipe_skeleton(astronaut):
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[11], xy[13] = (100, 100), (100, 220)  # left shoulder, left elbow (connection (11, 13))
    vis[11] = vis[13] = 0.99
    xy[0], vis[0] = (256, 60), 0.2  # nose below the 0.5 visibility threshold
    pose = Pose.from_mediapipe(xy, vis, model="test")
    out = draw_pose(astronaut, pose, radius=4, thickness=3)
    assert tuple(out[160, 100]) == LEFT_RGB
    assert not _changed(out, astronaut, 256, 60)


def test_canonical_fallback_and_points_off_image(astronaut):
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    xy[INDEX["left_hip"]], xy[INDEX["left_knee"]] = (50, 300), (50, 450)
    xy[INDEX["right_hip"]] = (600, 300)  # outside the 512-px image: skipped, no error
    pose = Pose(xy, np.ones(len(CANONICAL_NAMES)), "fake", "test", 0.5)
    out = draw_pose(astronaut, pose, radius=4, thickness=3)
    assert tuple(out[375, 50]) == LEFT_RGB
    assert not _changed(out, astronaut, 325, 300)  # no hip line toward the off-image point


def test_overlay_segmentation_blend():
    img = np.full((4, 4, 3), 100, np.uint8)
    cmap = np.zeros((4, 4), np.uint8)
    cmap[1:3, 1:3] = 15  # Right_Hand, palette (255, 0, 0)
    out = overlay_segmentation(img, Segmentation(cmap, ("x",) * 29))
    # 0.5 * 100 + 0.5 * 255 = 177.5 -> 178 (round half to even); 0.5 * 100 + 0 = 50.
    assert tuple(out[1, 1]) == (178, 50, 50)
    assert tuple(out[0, 0]) == (100, 100, 100)  # background left alone by default
    full = overlay_segmentation(img, cmap, include_background=True, alpha=0.5)
    assert tuple(full[0, 0]) == (75, 75, 75)  # palette[0] = (50, 50, 50)
    with pytest.raises(InputError, match="class ids"):
        overlay_segmentation(img, np.full((4, 4), 40, np.uint8))
    with pytest.raises(InputError, match="alpha"):
        overlay_segmentation(img, cmap, alpha=2.0)


def test_normals_to_rgb_official_mapping():
    n = np.zeros((2, 2, 3))
    n[0, 0] = (0, 0, -1)  # ((0+1)/2*255, ., (-1+1)/2*255) = (127.5 -> 127, 127, 0)
    n[0, 1] = (1, -1, 0)  # (255, 0, 127)
    n[1, 0] = (0.6, 0.0, 0.8)  # (1.6/2*255 = 204, 127, 1.8/2*255 = 229.5 -> 229)
    n[1, 1] = np.nan
    mask = np.array([[True, True], [True, False]])
    out = normals_to_rgb(NormalMap(n.astype(np.float32), mask))
    np.testing.assert_array_equal(
        out, [[[127, 127, 0], [255, 0, 127]], [[204, 127, 229], [0, 0, 0]]]
    )
    # The explicit mask wins; masked-out pixels are black even with valid normals.
    out = normals_to_rgb(n, np.array([[False, True], [True, True]]))
    assert tuple(out[0, 0]) == (0, 0, 0) and tuple(out[1, 1]) == (0, 0, 0)
    with pytest.raises(InputError, match=r"\(H, W, 3\)"):
        normals_to_rgb(np.zeros((2, 2)))
