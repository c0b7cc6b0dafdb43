"""iter_frames: sampling with grab/retrieve, real timestamps, time windows, limits, bad options."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.video import iter_frames
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def walking():
    return shared_path("data", "walking_side_view.mp4")


def test_every_third_frame_of_the_walking_clip(walking):
    frames = list(iter_frames(walking, every=3))
    # 230 frames, indices 0, 3, ..., 228: ceil(230 / 3) = 77 frames.
    assert [f.index for f in frames] == list(range(0, 230, 3))
    times = np.array([f.time_s for f in frames])
    assert np.all(np.diff(times) > 0)
    # Constant 30 fps file: the container's timestamps equal index / 30.
    np.testing.assert_allclose(times, np.arange(0, 230, 3) / 30.0, atol=1e-6)
    assert frames[0].rgb.shape == (994, 1768, 3) and frames[0].rgb.dtype == np.uint8


def test_window_and_max_frames(walking):
    frames = list(iter_frames(walking, every=2, start_s=2.0, end_s=5.0, max_frames=4))
    # First frame at or after 2.0 s is index 60; every 2nd from there; stop after 4.
    assert [f.index for f in frames] == [60, 62, 64, 66]
    frames = list(iter_frames(walking, start_s=7.5))
    # 7.5 s * 30 = frame 225; the last frame is 229.
    assert [f.index for f in frames] == [225, 226, 227, 228, 229]


def test_frames_are_rgb(make_video):
    # Pure red in H.264 (yuv420p) decodes close to (255, 0, 0) in RGB order, not BGR.
    red = make_video("red.mp4", "-f", "lavfi", "-i", "color=c=red:s=32x32:r=5", "-frames:v", "3",
                     "-c:v", "libx264", "-pix_fmt", "yuv420p")  # fmt: skip
    frames = list(iter_frames(red))
    assert len(frames) == 3
    r, g, b = frames[1].rgb[16, 16].astype(int)
    assert r > 200 and g < 40 and b < 40


def test_limit_is_enforced_before_decoding(walking):
    with pytest.raises(InputError, match="over the limit of 100 frames"):
        next(iter_frames(walking, limit_frames=100))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"every": 0}, "every must be"),
        ({"every": 1.5}, "every must be"),
        ({"max_frames": 0}, "max_frames"),
        ({"start_s": 3.0, "end_s": 2.0}, "must be after"),
    ],
)
def test_bad_options(walking, kw, message):
    with pytest.raises(InputError, match=message):
        next(iter_frames(walking, **kw))


def test_not_a_video(tmp_path):
    fake = tmp_path / "walk.mp4"
    fake.write_text("no frames here")
    with pytest.raises(InputError, match="not a video file"):
        next(iter_frames(fake))
