"""subject_strip: crop boxes computed by hand."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.video import subject_strip

FRAME = (994, 1768, 3)  # the walking clip's frame shape


def test_tall_subject_gets_a_portrait_strip():
    # Box 100x400 centred at (850, 500); pad 1.25 -> 125x500; aspect 0.75 -> width 375.
    # x: 850 -+ 187.5 = [662.5, 1037.5) -> outward to [662, 1038); y: 500 -+ 250 = [250, 750).
    assert subject_strip(FRAME, (800, 300, 900, 700)) == (662, 250, 1038, 750)


def test_wide_subject_grows_in_height():
    # Box 300x100 at centre (400, 500); pad 1 -> width/height 3 > 0.75, so height = 300 / 0.75 = 400.
    assert subject_strip(FRAME, (250, 450, 550, 550), pad=1.0) == (250, 300, 550, 700)


def test_strip_is_shifted_inside_the_frame():
    # Box at the left edge: 100x400 -> 375x500 strip wanted at x = 20 - 187.5 < 0: shifted to x = 0.
    assert subject_strip(FRAME, (-30, 0, 70, 400)) == (0, 0, 375, 500)


def test_strip_taller_than_the_frame_is_clipped():
    # 100x900 box, pad 1.25 -> height 1125 > 994: clipped to the full height; width 843.75.
    x1, y1, x2, y2 = subject_strip(FRAME, (800, 50, 900, 950))
    assert (y1, y2) == (0, 994)
    assert (x1, x2) == (428, 1272)  # 850 -+ 421.875 = [428.125, 1271.875) -> outward


def test_no_box_gives_the_centred_strip():
    # 994 high * 0.75 = 745.5 wide, centred on 884: [511.25, 1256.75) -> [511, 1257).
    assert subject_strip(FRAME, None) == (511, 0, 1257, 994)


@pytest.mark.parametrize(
    ("shape", "box", "kw"),
    [
        ((0, 10), None, {}),
        (FRAME, (10, 10, 5, 20), {}),
        (FRAME, None, {"pad": 0.5}),
        (FRAME, None, {"aspect": 0}),
    ],
)
def test_bad_inputs(shape, box, kw):
    with pytest.raises(InputError):
        subject_strip(shape, box, **kw)
