"""frame_at: one frame by index, by a seek checked against the sequential decode's time, or by
decoding in order when the seek lands elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

import core.video.seek as seek
from core.video import Frame, frame_at, iter_frames
from tests.conftest import shared_path

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def walking():
    return shared_path("data", "walking_side_view.mp4")


@pytest.fixture(scope="module")
def in_order(walking) -> dict[int, Frame]:
    wanted = {0, 1, 57, 150, 229}
    return {f.index: f for f in iter_frames(walking) if f.index in wanted}


@pytest.mark.parametrize("index", [0, 1, 57, 150, 229])
def test_the_frame_is_the_one_decoded_in_order(walking, in_order, index):
    want = in_order[index]
    got = frame_at(walking, index, want.time_s)
    assert got is not None and got.index == index
    assert got.time_s == pytest.approx(want.time_s, abs=1e-9)  # the same container clock
    np.testing.assert_array_equal(got.rgb, want.rgb)  # the same decoder: bit for bit


def test_a_seek_that_lands_elsewhere_is_not_trusted(walking, in_order, monkeypatch):
    want = in_order[150]
    wrong = in_order[57]  # what a muddled container's seek might hand back for frame 150
    monkeypatch.setattr(seek, "_seek", lambda *a: (Frame(150, wrong.time_s, wrong.rgb), 30.0))
    got = frame_at(walking, 150, want.time_s)
    assert got is not None and got.index == 150
    np.testing.assert_array_equal(got.rgb, want.rgb)


def test_no_such_frame(walking):
    assert frame_at(walking, 5000, 500.0) is None
