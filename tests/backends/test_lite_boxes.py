"""Person boxes of the lite backend without MediaPipe: mask bounding boxes and duplicate finds."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from core.backends.fake import standing_skeleton
from core.backends.lite_flip import largest_first_unique
from core.backends.lite_flip import mask_box as _mask_box
from core.keypoints import CANONICAL_NAMES, INDEX, Pose


def _pose(box: tuple[float, float, float, float]) -> Pose:
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, point in standing_skeleton(100, 100).items():
        xy[INDEX[name]] = point
    return Pose.from_canonical(xy, np.ones(len(xy)), backend="t", model="t", box_xyxy=box)


def test_mask_box_is_the_extent_of_the_foreground():
    mask = np.zeros((40, 60), np.float32)
    mask[10:21, 5:31] = 0.9  # rows 10..20, columns 5..30
    mask[30, 50] = 0.5  # not above the 0.5 threshold
    # Exclusive right/bottom edges (x2 = last column + 1), scaled by 2 to the original image.
    assert_array_equal(_mask_box(mask, 2.0), [[10, 20], [62, 42]])
    assert _mask_box(np.zeros((8, 8), np.float32), 1.0) is None


def test_a_partial_second_find_of_one_person_is_dropped_without_masks():
    # Frame 185 of the walking clip without masks: a re-detection covering only the legs,
    # (94, 666, 209, 928), lies 98% inside the full find (49, 550, 207, 937) but has IoU 0.48.
    whole, legs = _pose((49, 550, 207, 937)), _pose((94, 666, 209, 928))
    assert largest_first_unique([legs, whole], from_masks=False) == [whole]
    # Mask boxes are whole-body boxes: only the IoU rule applies, both are kept.
    assert largest_first_unique([legs, whole], from_masks=True) == [whole, legs]
    # Two separate people are both kept, largest first.
    near, far = _pose((0, 0, 100, 300)), _pose((400, 100, 450, 250))
    assert largest_first_unique([far, near], from_masks=False) == [near, far]
