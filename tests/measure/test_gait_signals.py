"""Keypoint cleaning for gait: frame bounds, person switches, body height, midpoints."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from core.keypoints import CANONICAL_NAMES, INDEX
from core.measure.gait import analyze_gait
from core.measure.gait_signals import (
    JUMP_BODY_HEIGHTS,
    MAX_EXCURSION_FRAMES,
    body_height_px,
    clean_keypoints,
    drop_excursions,
    first_of,
    inside_frame,
    main_segment,
    track_segments,
)
from tests.measure.synthetic import make_xy, walking_series


def _frames(points_per_frame: list[dict[str, tuple[float, float]]]) -> np.ndarray:
    return np.stack([make_xy(p) for p in points_per_frame])


def test_inside_frame():
    xy = _frames([{"nose": (-1.0, 10.0), "left_hip": (639.0, 479.0), "right_hip": (640.0, 10.0)}])
    out = inside_frame(xy, (640, 480))
    # x = -1 and x = 640 are outside a 640 px wide image (pixels 0..639); (639, 479) is inside.
    assert np.isnan(out[0, INDEX["nose"]]).all() and np.isnan(out[0, INDEX["right_hip"]]).all()
    assert_allclose(out[0, INDEX["left_hip"]], [639.0, 479.0])


def test_body_height_uses_lower_ankle_and_ear_fallback():
    # Nose at y=100, lower ankle at y=448: (448 - 100) / 0.87 = 400 px.
    a = {"nose": (0, 100), "left_ankle": (0, 448), "right_ankle": (0, 430)}
    # No nose: the mean of the ears (y=100) stands in.
    b = {"left_ear": (0, 95), "right_ear": (0, 105), "left_ankle": (0, 448)}
    assert_allclose(body_height_px(_frames([a, b])), 400.0)
    assert np.isnan(body_height_px(_frames([{"nose": (0, 100)}])))


def test_track_segments_cut_at_a_person_switch():
    t = np.arange(6) / 30
    hips = [{"left_hip": (100 + 5 * i, 300), "right_hip": (100 + 5 * i, 300)} for i in range(6)]
    hips[4] = {"left_hip": (900, 300), "right_hip": (900, 300)}  # 780 px in 1/30 s
    hips[5] = {"left_hip": (905, 300), "right_hip": (905, 300)}
    xy = _frames(hips)
    # Limit for H = 400: 400 * (0.3 + 2 / 30) = 146.7 px; 5 px steps pass, the 780 px jump does not.
    assert track_segments(xy, t, 400.0) == [(0, 4), (4, 6)]
    assert main_segment(xy, [(0, 4), (4, 6)]).tolist() == [True] * 4 + [False] * 2
    assert track_segments(xy, t, np.nan) == [(0, 6)]


def _hips(xs: list[float]) -> np.ndarray:
    return _frames([{"left_hip": (x, 300), "right_hip": (x, 300)} for x in xs])


def test_a_jump_away_and_straight_back_is_dropped_not_split():
    t = np.arange(10) / 30
    xs = [100.0 + 5 * i for i in range(10)]
    xs[4] = xs[5] = 900.0  # two frames of a skeleton 800 px away, then back on the walker's line
    out, dropped = drop_excursions(_hips(xs), t, 400.0)
    assert dropped == 2
    assert np.isnan(out[4:6]).all() and np.isfinite(out[[3, 6], INDEX["left_hip"]]).all()
    assert track_segments(out, t, 400.0) == [(0, 10)]
    # away for longer than MAX_EXCURSION_FRAMES: another person, left to track_segments to split
    xs = [100.0 + 5 * i for i in range(10)]
    xs[3 : 4 + MAX_EXCURSION_FRAMES] = [900.0] * (MAX_EXCURSION_FRAMES + 1)
    out, dropped = drop_excursions(_hips(xs), t, 400.0)
    assert dropped == 0 and len(track_segments(out, t, 400.0)) == 3
    # a jump that does not come back is not an excursion either
    xs = [100.0] * 5 + [900.0] * 5
    assert drop_excursions(_hips(xs), t, 400.0)[1] == 0


def test_one_wrong_skeleton_does_not_cut_the_walk():
    # The shared walk cut at 2.2 s had a broken skeleton for one frame (hip 180 px up, nose 350 px
    # up): the walk was split in three and only the longest third (3 strikes) was kept.
    s = walking_series(duration_s=6.0)
    xy = s.xy.copy()
    # two frames 500 px to the right (1.25 body heights in 1/30 s: far beyond the jump limit)
    xy[90:92, :, 0] += 500.0
    assert 400 * (JUMP_BODY_HEIGHTS + 2 / 30) < 500.0
    broken = analyze_gait(type(s)(xy, s.scores, s.time_s, s.frame_index, s.frame_size))
    clean = analyze_gait(s)
    assert not any("tracked position jumped" in w for w in broken.warnings)
    assert any("2 frame(s) dropped" in w for w in broken.warnings)
    assert broken.n_steps >= clean.n_steps - 1
    assert abs(broken.cadence_spm - clean.cadence_spm) < 1.0


def test_clean_keypoints_fills_gaps_and_rederives_midpoints():
    frames = [{"left_hip": (float(i), 0.0), "right_hip": (float(i) + 2, 0.0)} for i in range(8)]
    xy = _frames(frames)
    xy[3, INDEX["left_hip"]] = np.nan  # mid_hip of frame 3 is NaN too in the input
    xy[3, INDEX["mid_hip"]] = np.nan
    out = clean_keypoints(xy, np.arange(8) / 30, 400.0, max_gap_frames=2, reject=True)
    # left hip x is i, so frame 3 is filled with 3; mid hip = (3 + 5) / 2 = 4.
    assert_allclose(out[3, INDEX["left_hip"]], [3.0, 0.0])
    assert_allclose(out[3, INDEX["mid_hip"]], [4.0, 0.0])
    assert out.shape == (8, len(CANONICAL_NAMES), 2)


def test_first_of_is_a_fallback_chain():
    xy = _frames([{"left_heel": (1, 1), "left_ankle": (2, 2)}, {"left_ankle": (3, 3)}])
    assert_allclose(first_of(xy, ("left_heel", "left_ankle")), [[1, 1], [3, 3]])


def test_a_point_off_in_one_coordinate_is_dropped_in_both():
    # A toe moving fast along x (40 px a frame, as in swing) whose frame 10 is wrong: 80 px too
    # high (caught: y barely moves) and 50 px behind (not caught alone: x's spread is wide).
    t = np.arange(21) / 30
    xy = np.full((21, len(CANONICAL_NAMES), 2), np.nan)
    toe = INDEX["left_big_toe"]
    xy[:, toe, 0] = 100.0 + 40.0 * np.arange(21) + 15.0 * np.sin(np.arange(21))
    xy[:, toe, 1] = 900.0 + 2.0 * np.cos(np.arange(21))
    truth = xy[10, toe].copy()
    xy[10, toe] += (-50.0, -80.0)
    out = clean_keypoints(xy, t, 400.0, max_gap_frames=2, reject=True)
    # Both coordinates come from the neighbours, not the wrong x with an interpolated y.
    assert_allclose(out[10, toe], (xy[9, toe] + xy[11, toe]) / 2, atol=1e-9)
    assert abs(out[10, toe, 0] - truth[0]) < 20.0
