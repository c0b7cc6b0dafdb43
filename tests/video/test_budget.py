"""The time budget of gait analyses: parsing, where a video is cut, and the message."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.video import DEFAULT_MAX_SECONDS, VideoInfo, check_max_seconds, cut_at_s, cut_message


def _info(seconds: float, fps: float = 30.0) -> VideoInfo:
    n = round(seconds * fps)
    return VideoInfo(1280, 720, fps, n, n / fps, 0, "h264")


def test_check_max_seconds():
    assert check_max_seconds(None) is None and check_max_seconds(0) is None  # no budget
    assert check_max_seconds("12.5") == 12.5
    for bad in (-1, float("nan"), float("inf"), "soon"):
        with pytest.raises(InputError, match="--max-seconds"):
            check_max_seconds(bad)


def test_cut_only_when_the_video_is_longer():
    assert DEFAULT_MAX_SECONDS == 300.0
    assert cut_at_s(_info(600), DEFAULT_MAX_SECONDS) == 300.0
    assert cut_at_s(_info(300), DEFAULT_MAX_SECONDS) is None  # exactly the budget: all of it
    assert cut_at_s(_info(600), None) is None and cut_at_s(_info(600), 0) is None
    text = cut_message(_info(612.4), 300.0, "walk.mp4")
    assert text.startswith("only the first 300 s of the 612 s of walk.mp4 were analysed")
    assert "--max-seconds" in text and "\n" not in text
