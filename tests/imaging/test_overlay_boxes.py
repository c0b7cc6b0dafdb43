"""Numbered person boxes on an overlay: the measured one white and thicker, the others grey."""

from __future__ import annotations

import numpy as np

from core.imaging.overlay import draw_people_boxes


def test_boxes_numbered_measured_one_white_input_untouched():
    image = np.zeros((300, 400, 3), np.uint8)
    out = draw_people_boxes(
        image, [(20, 20, 180, 280), (220, 60, 380, 260)], measured=1, thickness=2
    )
    assert image.max() == 0 and out.shape == image.shape
    # Left edges half-way down: box 1 (index 0) grey, box 2 (measured) white and twice as thick.
    assert (out[150, 19:22] == 160).all(axis=1).any() and not (out[150, 15:25] == 255).any()
    assert (out[160, 217:224] == 255).all(axis=1).sum() >= 3
    # Each box carries its number in a dark label in its top-left corner: text pixels there.
    assert (out[25:45, 24:45] == 160).all(axis=2).any()
    assert (out[65:85, 226:248] == 255).all(axis=2).any()


def test_no_boxes_is_a_copy():
    image = np.full((50, 60, 3), 7, np.uint8)
    out = draw_people_boxes(image, [])
    assert out is not image and (out == image).all()
