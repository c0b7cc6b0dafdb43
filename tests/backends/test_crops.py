"""Second looks without models: tile and mask-crop geometry, duplicate finds, the search order."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import Detection
from core.backends.crops import (
    MASK_CROP,
    MIN_CROP_SIDE,
    TILE,
    best_unique,
    finds_in_crops,
    mask_crops,
    second_look,
    shift_pose,
    square_tiles,
)
from core.backends.fake import FakeBackend, standing_skeleton
from core.keypoints import CANONICAL_NAMES, INDEX, Pose


def _pose(x1: float, y1: float, x2: float, y2: float, *, drop: int = 0) -> Pose:
    """A fake standing person filling the box; ``drop`` canonical points removed."""
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, point in standing_skeleton(int(x2 - x1), int(y2 - y1)).items():
        xy[INDEX[name]] = point
    xy += [x1, y1]
    present = np.flatnonzero(np.all(np.isfinite(xy), axis=1))
    xy[present[:drop]] = np.nan
    scores = np.where(np.all(np.isfinite(xy), axis=1), 0.9, np.nan)
    return Pose.from_canonical(xy, scores, backend="fake", model="fake", box_xyxy=(x1, y1, x2, y2))


@pytest.mark.parametrize("width,height", [(1768, 994), (994, 1768), (640, 480), (4000, 300)])
def test_tiles_cover_the_image_and_hold_anyone_up_to_half_a_side(width, height):
    for share in (1.0, 0.6):
        tiles = square_tiles(width, height, share)
        if not tiles:
            continue
        side = tiles[0][2] - tiles[0][0]
        covered = np.zeros((height, width), bool)
        for x1, y1, x2, y2 in tiles:
            assert x2 - x1 == side and y2 - y1 == side  # squares, all inside the image
            covered[y1:y2, x1:x2] = True
        assert covered.all()
        # Any box of half a side, wherever it lies, fits wholly inside some tile (stride <= side / 2).
        half = side // 2
        rng = np.random.default_rng(0)
        for _ in range(200):
            bx, by = rng.integers(0, width - half + 1), rng.integers(0, height - half + 1)
            assert any(
                x1 <= bx and bx + half <= x2 and y1 <= by and by + half <= y2
                for x1, y1, x2, y2 in tiles
            )


def test_tiles_of_the_wide_walk_frame():
    # 1768x994: full-height squares 994 px, 774 px of slack -> ceil(774 / 497) + 1 = 3 across.
    assert [t[0] for t in square_tiles(1768, 994, 1.0)] == [0, 387, 774]
    # A square image's one full-size tile would be the whole image again: not a second look.
    assert square_tiles(512, 512, 1.0) == []
    assert square_tiles(150, 150, 0.6) == []  # 90 px tiles are under MIN_CROP_SIDE


def test_mask_crops_around_each_component_largest_first():
    mask = np.zeros((994, 1768), np.uint8)
    mask[300:700, 100:300] = 1  # 200 x 400
    mask[100:200, 1500:1550] = 1  # 50 x 100
    mask[900, 900] = 1  # one pixel: segmenter noise, below MIN_MASK_SHARE
    crops = mask_crops(mask)
    assert len(crops) == 2
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = crops
    # 1.5 x 400 = 600 px around the first (centre 200, 500), clipped at x = 0.
    assert (ax1, ay1, ax2, ay2) == (0, 200, 500, 800)
    # The small one grows to half the shorter image side (497 px) around its centre (1525, 150).
    assert (bx1, by1, bx2, by2) == (1276, 0, 1768, 398)
    assert mask_crops(np.zeros((100, 100), np.uint8)) == []


def test_shift_pose_moves_points_box_and_source():
    pose = _pose(10, 20, 110, 220)
    moved = shift_pose(pose, 5, 7)
    np.testing.assert_allclose(moved.xy, pose.xy + [5, 7])
    assert moved.box_xyxy == (15, 27, 115, 227)


def test_best_unique_keeps_the_most_complete_find():
    whole = _pose(100, 100, 300, 500)
    partial = _pose(100, 100, 290, 480, drop=5)  # the same person, fewer points
    other = _pose(600, 100, 700, 300)
    assert best_unique([partial, other, whole]) == [whole, other]


def test_finds_in_crops_map_back_and_drop_finds_without_limbs():
    image = np.zeros((400, 800, 3), np.uint8)
    person = FakeBackend([standing_skeleton(100, 200)])  # sees the same skeleton in every crop
    crops = [(0, 0, 300, 300), (400, 100, 700, 400)]
    poses = finds_in_crops(image, crops, person.estimate_pose)
    assert len(poses) == 2 and person.calls == 2
    boxes = sorted(p.box for p in poses)
    np.testing.assert_allclose([b[:2] for b in boxes], [[0, 0], [400, 100]], atol=30)
    headless = np.full((len(CANONICAL_NAMES), 2), np.nan)
    headless[0] = (50, 50)  # a nose alone: no limb point
    assert finds_in_crops(image, crops, FakeBackend([headless]).estimate_pose) == []
    # A find reaching a crop's inner edge is dropped; at the image's own edge it is kept.
    filling = FakeBackend([standing_skeleton(300, 300, fill=1.0)]).estimate_pose
    assert finds_in_crops(image, [(200, 0, 500, 300)], filling) == []  # cut at y = 300 < 400
    assert len(finds_in_crops(image[:300], [(200, 0, 500, 300)], filling)) == 1


def test_second_look_takes_every_look_and_names_the_one_that_found_the_largest():
    image = np.zeros((994, 1768, 3), np.uint8)
    calls: list[tuple[int, int, int, int]] = []
    people = [(850.0, 450.0, 950.0, 650.0), (100.0, 100.0, 160.0, 220.0)]  # image pixels

    def estimate(crop: np.ndarray) -> list[Pose]:
        # The crop's origin is recovered from the test image's coordinates painted into it.
        r, g, b = (int(v) for v in crop[0, 0])
        x0, y0 = r * 8 + b // 16, g * 8 + b % 16
        calls.append((x0, y0, crop.shape[1], crop.shape[0]))
        inside = [
            (x1 - x0, y1 - y0, x2 - x0, y2 - y0)
            for x1, y1, x2, y2 in people
            if x0 <= x1 and y0 <= y1 and x2 <= x0 + crop.shape[1] and y2 <= y0 + crop.shape[0]
        ]
        return [_pose(*box) for box in inside]

    yy, xx = np.mgrid[0:994, 0:1768]
    # Each pixel holds its own x, y (x // 8, y // 8 and the remainders), all within uint8.
    image[..., 0], image[..., 1], image[..., 2] = xx // 8, yy // 8, (xx % 8) * 16 + yy % 8
    mask = np.zeros((994, 1768), np.uint8)
    mask[450:650, 850:950] = 1  # the segmenter sees only the first person
    poses, how = second_look(image, estimate, lambda rgb: mask)
    # 1 mask crop + 3 full-height squares + 5 x 3 squares of 596 px.
    assert len(calls) == 1 + 3 + 15
    assert how == MASK_CROP and len(poses) == 2  # seen in several crops, each kept once
    np.testing.assert_allclose([p.box for p in poses], people)
    poses, how = second_look(image, estimate, lambda rgb: np.zeros((994, 1768), np.uint8))
    assert how == TILE and len(poses) == 2
    assert second_look(image, lambda crop: [], None) == ([], None)


def test_default_find_people_is_one_pass():
    backend = FakeBackend()
    found = backend.find_people(np.zeros((300, 200, 3), np.uint8))
    assert isinstance(found, Detection) and found.found_by == "full_image"
    assert len(found.poses) == 1 and backend.calls == 1
    assert MIN_CROP_SIDE > 0
