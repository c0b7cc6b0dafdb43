"""Hair recolour: hue rotation of known colours inside the class only, feathered at the edge."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import Segmentation
from core.errors import InputError
from core.imaging.recolor import recolor_hair, rotate_hue
from core.sapiens2.classes import CLASS_ID, CLASS_NAMES

HAIR = CLASS_ID["Hair"]


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """20x20 pure red image; hair is the 10x10 square at rows/cols 5..14; a face pixel beside it."""
    img = np.zeros((20, 20, 3), np.uint8)
    img[..., 0] = 255
    cmap = np.zeros((20, 20), np.uint8)
    cmap[5:15, 5:15] = HAIR
    cmap[0, 0] = CLASS_ID["Face_Neck"]
    return img, cmap


@pytest.mark.parametrize(
    ("rgb", "shift", "expected"),
    [
        ((255, 0, 0), 120, (0, 255, 0)),  # red, hue 0 -> 120 = green
        ((255, 0, 0), 240, (0, 0, 255)),
        ((255, 0, 0), -120, (0, 0, 255)),  # wraps: -120 = 240
        # hue 0, S = 0.5, V = 200: at hue 120 the max (200) moves to G, the min (100) stays.
        ((200, 100, 100), 120, (100, 200, 100)),
        ((90, 90, 90), 77, (90, 90, 90)),  # grey has no hue to turn
    ],
)
def test_rotate_hue_known_colours(rgb, shift, expected):
    out = rotate_hue(np.array([[rgb]], np.uint8), shift)
    np.testing.assert_allclose(out[0, 0], expected, atol=0.01)


def test_hair_turns_green_inside_only():
    img, cmap = _scene()
    out = recolor_hair(img, cmap, hue_shift_deg=120, feather_px=2)
    np.testing.assert_array_equal(out[cmap != HAIR], img[cmap != HAIR])
    # (10, 10) is 5 px inside the square, deeper than the 2 px feather: fully turned.
    assert tuple(out[10, 10]) == (0, 255, 0)
    # (5, 10) is on the hair's rim (distance 1): weight 1 / (2 + 1). R: 255 - 255/3 = 170,
    # G: 255/3 = 85.
    assert tuple(out[5, 10]) == (170, 85, 0)


def test_segmentation_input_and_no_hair():
    img, cmap = _scene()
    seg = Segmentation(cmap, CLASS_NAMES)
    np.testing.assert_array_equal(
        recolor_hair(img, seg, hue_shift_deg=60), recolor_hair(img, cmap, hue_shift_deg=60)
    )
    bald = np.zeros_like(cmap)
    out = recolor_hair(img, bald, hue_shift_deg=60)
    np.testing.assert_array_equal(out, img)
    assert out is not img


def test_bad_inputs():
    img, cmap = _scene()
    with pytest.raises(InputError, match="must match"):
        recolor_hair(img, cmap[:-1], hue_shift_deg=10)
    with pytest.raises(InputError, match="integer"):
        recolor_hair(img, cmap.astype(float), hue_shift_deg=10)
    with pytest.raises(InputError, match="finite"):
        recolor_hair(img, cmap, hue_shift_deg=float("nan"))
    with pytest.raises(InputError, match="feather"):
        recolor_hair(img, cmap, hue_shift_deg=10, feather_px=-1)
