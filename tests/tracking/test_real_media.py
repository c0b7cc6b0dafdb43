"""The walker of the real sample is the subject, in the sample, its mirror and a 10-loop copy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.analysis import analyze_gait_video
from tests.conftest import shared_path
from tests.tracking.media import read_frames, write_video

pytestmark = [pytest.mark.slow, pytest.mark.shared]

#: She is fully visible from 1.5 s to 6.5 s (SOURCES.md): 150 frames at 30 fps.
VISIBLE_FRAMES = 150


def _walker_only(analysis) -> np.ndarray:
    """The frame indices with the subject; asserts every one of them is the walker."""
    hips = analysis.series.track("mid_hip")
    seen = np.all(np.isfinite(hips), axis=1)
    height = analysis.series.frame_size[1]
    # Her hips are at about 0.73 of the frame height, those of the man on the box at 0.27.
    assert np.all(hips[seen, 1] > 0.55 * height)
    return analysis.series.frame_index[seen]


def test_the_mirror_gives_the_same_walker_and_cadence(lite_backend, tmp_path):
    source = shared_path("data", "walking_side_view.mp4")
    frames, fps = read_frames(source)
    mirror = write_video(tmp_path / "mirror.mp4", [cv2.flip(f, 1) for f in frames], fps)
    a = analyze_gait_video(source, lite_backend)
    b = analyze_gait_video(mirror, lite_backend)
    seen_a, seen_b = _walker_only(a), _walker_only(b)
    assert len(seen_a) >= 0.9 * VISIBLE_FRAMES and len(seen_b) >= 0.9 * VISIBLE_FRAMES
    # The same person in the same frames: her pelvis in the mirror is at width - x.
    both = np.intersect1d(seen_a, seen_b)
    assert len(both) >= 0.9 * min(len(seen_a), len(seen_b))
    width = a.series.frame_size[0]
    xa = a.series.track("mid_hip")[np.isin(a.series.frame_index, both), 0]
    xb = b.series.track("mid_hip")[np.isin(b.series.frame_index, both), 0]
    # 20 px: a few per cent of her 380 px body height, the lite model's jitter between copies.
    assert np.median(np.abs((width - xb) - xa)) < 20.0
    assert a.result.walking_direction == "right_to_left"
    assert b.result.walking_direction == "left_to_right"
    # Issue 15's bar for mirrors and re-encodings: cadence within 3 steps/min.
    assert abs(a.result.cadence_spm - b.result.cadence_spm) <= 3.0
    for g in (a, b):
        assert g.tracking["chosen_by"] == "progression"
        assert g.tracking["identity_jumps"] == 0
        assert g.tracking["span_share"] >= 0.9
