"""Pre-processing geometry on hand-checked values (SPEC.md 4)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from core.errors import InputError
from core.sapiens2 import preprocess as pre


def test_normalize_uses_rgb_mean_std() -> None:
    # (v - mean) / std per channel in RGB order; atol 1e-6 for float32 rounding of mean/std.
    px = np.array([[[124, 116, 104], [182, 173, 161]]], np.uint8)  # ~mean, ~mean + std
    x = pre.normalize(px).numpy()
    assert x.shape == (1, 3, 1, 2)
    assert_allclose(
        x[0, :, 0, 0],
        [(124 - 123.675) / 58.395, (116 - 116.28) / 57.12, (104 - 103.53) / 57.375],
        atol=1e-6,
    )
    assert_allclose(
        x[0, :, 0, 1],
        [(182 - 123.675) / 58.395, (173 - 116.28) / 57.12, (161 - 103.53) / 57.375],
        atol=1e-6,
    )


def test_center_scale_padding_and_aspect() -> None:
    # Box 40 wide x 100 tall: x1.25 -> 50 x 125; 50 < 0.75 * 125 = 93.75, so widen to 93.75 x 125.
    # Box 100 wide x 40 tall: x1.25 -> 125 x 50; 125 > 0.75 * 50, so heighten to 125 x 125 / 0.75.
    c, s = pre.bbox_center_scale(
        np.array([[10, 20, 50, 120], [0, 0, 100, 40]]), input_hw=(1024, 768)
    )
    assert_allclose(c, [[30, 70], [50, 20]])
    assert_allclose(s, [[93.75, 125], [125, 125 / 0.75]], rtol=1e-6)


def test_udp_warp_maps_box_corners_to_input_corners() -> None:
    # UDP: the box's left/top edge maps to 0 and its right/bottom edge to (size - 1).
    m = pre.udp_warp_matrix(np.array([50.0, 100.0]), np.array([96.0, 128.0]), input_hw=(64, 48))
    corners = np.array([[2.0, 36.0, 1.0], [98.0, 164.0, 1.0]])  # centre -/+ size / 2
    assert_allclose(corners @ m.T, [[0, 0], [47, 63]], atol=1e-5)


def test_letterbox_padding() -> None:
    # 300x220 into 128x96: scale = min(96/220, 128/300) = 0.42667 -> 93 x 128 (int truncation);
    # pad 3 columns: left 1, right 2.
    img = np.full((300, 220, 3), 200, np.uint8)
    out, pad = pre.letterbox(img, input_hw=(128, 96))
    assert out.shape == (128, 96, 3) and pad == (1, 0, 2, 0)
    assert (out[:, 0] == 0).all() and (out[:, -2:] == 0).all() and (out[:, 1:94] == 200).all()


def test_select_boxes_nms_with_plus_one_areas() -> None:
    # Boxes a and b: areas (10+1)^2 = 121 each; overlap 6 x 11 = 66; IoU = 66 / 176 = 0.375 > 0.3.
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [50, 50, 60, 60], [0, 0, 5, 5]], np.float32)
    scores = np.array([0.8, 0.9, 0.5, 0.1], np.float32)
    kept, kept_scores = pre.select_boxes(boxes, scores)
    assert_array_equal(
        kept, [[5, 0, 15, 10], [50, 50, 60, 60]]
    )  # a suppressed by b; last under 0.3
    assert_allclose(kept_scores, [0.9, 0.5])


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4, 3), np.float32),
        np.zeros((4, 4), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        "img",
    ],
)
def test_check_image_rejects(bad: object) -> None:
    with pytest.raises(InputError):
        pre.check_image(bad)  # type: ignore[arg-type]
