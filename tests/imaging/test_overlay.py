"""Overlays: skeletons in each source's topology, seg palette blend, normal-map colours."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import NormalMap, Segmentation
from core.errors import InputError
from core.imaging.decode import decode_image
from core.imaging.overlay import (
    DOUBTFUL_RGB,
    IGNORED_RGB,
    LEFT_RGB,
    RELIABLE_RGB,
    draw_pose,
    normals_to_rgb,
    overlay_segmentation,
    score_colours,
)
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


def test_points_coloured_by_score_bands():
    # MediaPipe landmarks on a black image: left shoulder 0.99 (reliable), left elbow 0.6
    # (used, below the reliable 0.8), nose 0.2 (below the 0.5 threshold: ignored).
    black = np.zeros((300, 300, 3), np.uint8)
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[11], vis[11] = (60, 60), 0.99
    xy[13], vis[13] = (60, 200), 0.6
    xy[0], vis[0] = (220, 60), 0.2
    pose = Pose.from_mediapipe(xy, vis, model="test")
    out = draw_pose(black, pose, radius=6, thickness=2, min_score=0.8)
    # A dot's centre pixel is its fill colour (anti-aliasing only touches the rim).
    assert tuple(out[60, 60]) == RELIABLE_RGB
    assert tuple(out[200, 60]) == DOUBTFUL_RGB
    assert tuple(out[60, 220]) == IGNORED_RGB  # shown, so the user sees where it was guessed
    assert tuple(out[130, 60]) == LEFT_RGB  # the link between the two used points keeps its side
    assert not out[60, 140].any()  # no link to the ignored nose
    # The same elbow at 0.85 turns green; without min_score the side colours and no nose.
    vis[13] = 0.85
    out = draw_pose(black, Pose.from_mediapipe(xy, vis, model="test"), radius=6, min_score=0.8)
    assert tuple(out[200, 60]) == RELIABLE_RGB
    plain = draw_pose(black, pose, radius=6, thickness=2)
    assert tuple(plain[200, 60]) == LEFT_RGB and not plain[60, 220].any()


def test_score_colours_bands():
    got = score_colours(np.array([0.9, 0.8, 0.79, 0.5, 0.49, np.nan]), threshold=0.5, min_score=0.8)
    assert got == [
        RELIABLE_RGB,
        RELIABLE_RGB,
        DOUBTFUL_RGB,
        DOUBTFUL_RGB,
        IGNORED_RGB,
        DOUBTFUL_RGB,
    ]
