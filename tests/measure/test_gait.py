"""Gait analysis on synthetic side-view walks with known cadence, asymmetry and events."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, PoseSeries
from core.measure.gait import analyze_gait
from tests.measure.synthetic import foot_rel, make_xy, walk_truth, walking_series

CLI_KEYS = {
    "backend", "model", "n_frames_used", "n_steps", "cadence_spm", "step_time_left_s",
    "step_time_right_s", "symmetry_index_step_time_pct", "walking_direction", "heel_strikes", "warnings",
}  # fmt: skip


def _alternates(events) -> bool:
    sides = [e.side for e in events]
    return all(a != b for a, b in zip(sides, sides[1:]))


@pytest.mark.parametrize(("direction", "name"), [(1, "left_to_right"), (-1, "right_to_left")])
def test_clean_walk_both_directions(direction, name):
    res = analyze_gait(walking_series(direction=direction), height_m=1.7)
    stride, left, right = walk_truth(110.0, 0.0)  # 1.0909 s stride, 0.5455 s steps
    assert res.walking_direction == name
    assert abs(res.cadence_spm - 110.0) < 2.0
    assert res.n_steps >= 9 and _alternates(res.heel_strikes)
    p = res.params
    assert_allclose([p["step_time_left_s"], p["step_time_right_s"]], [left, right], atol=0.02)
    assert_allclose(
        [p["stride_time_left_s"], p["stride_time_right_s"]], [stride, stride], atol=0.02
    )
    # Toe-off at 60 % of the stride by construction; the low-pass shifts the asymmetric minimum a little.
    assert_allclose(
        [p["stance_share_left_pct"], p["stance_share_right_pct"]], [60.0, 60.0], atol=3.0
    )
    assert_allclose(p["swing_share_left_pct"], 100.0 - p["stance_share_left_pct"])
    # Step length at a right heel strike: heel_R - heel_L = A - foot_rel(R / stride), A = 0.2 H, so in
    # body heights 0.2 - 0.2 cos(pi * 0.5 / 0.6) = 0.2 + 0.1732 = 0.3732 (same on the left).
    expected_bh = (
        0.2 * 400 - float(foot_rel(np.array(right / stride), amplitude=80.0, stance=0.6))
    ) / 400
    assert_allclose(
        [p["step_length_left_bh"], p["step_length_right_bh"]], [expected_bh] * 2, atol=0.01
    )
    assert_allclose(p["step_length_right_m"], p["step_length_right_bh"] * 1.7)
    assert_allclose(res.body_height_px, 400.0, rtol=1e-6)  # nose 0.87 H above the ankle
    assert res.warnings == []


def test_heel_strike_times_match_the_construction():
    res = analyze_gait(walking_series())
    stride, _, right = walk_truth(110.0, 0.0)
    for e in res.heel_strikes:
        # Left strikes at 0.1 + k * stride, right ones a right step time later.
        offset = 0.1 if e.side == "left" else 0.1 + right
        k = round((e.time_s - offset) / stride)
        assert abs(e.time_s - (offset + k * stride)) < 1 / 30, e
    for e in res.toe_offs:  # toe-off at 60 % of the foot's own stride
        offset = (0.1 if e.side == "left" else 0.1 + right) + 0.6 * stride
        k = round((e.time_s - offset) / stride)
        assert abs(e.time_s - (offset + k * stride)) < 2 / 30, e


@pytest.mark.parametrize("si", [10.0, -12.0])
def test_asymmetric_noisy_walk_with_dropouts(si):
    series = walking_series(si_pct=si, noise_px=1.5, dropout=0.04, gap=(60, 63), seed=3)
    res = analyze_gait(series)
    _, left, right = walk_truth(110.0, si)  # si=10: L 0.5182 s, R 0.5727 s
    assert abs(res.cadence_spm - 110.0) < 2.0
    assert_allclose(
        [res.params["step_time_left_s"], res.params["step_time_right_s"]], [left, right], atol=0.02
    )
    got_si = res.params["symmetry_index_step_time_pct"]
    assert np.sign(got_si) == np.sign(si) and abs(got_si - si) < 3.0
    assert _alternates(res.heel_strikes)
    # The 3-frame gap is interpolated in the filtered series and kept missing in the raw one.
    s = res.series.set_index("frame")
    assert s.loc[61, "trunk_lean_deg_raw"] != s.loc[61, "trunk_lean_deg_raw"]  # NaN
    assert np.isfinite(s.loc[61, "trunk_lean_deg"])


def test_per_frame_series_signs():
    res = analyze_gait(walking_series(direction=1, lean_deg=3.0))
    s = res.series
    # Walking toward the image's right with a 3 deg forward lean: the shoulders are to the camera's
    # right of the hips (trunk lean -3) and the forward lean is +3.
    assert_allclose(np.median(s["trunk_lean_deg"]), -3.0, atol=0.05)
    assert_allclose(np.median(s["forward_trunk_lean_deg"]), 3.0, atol=0.05)
    # The nose is 0.05 H = 20 px ahead of the pelvis in a 1280 px wide frame: 20 / 1280 = 0.015625.
    assert_allclose(np.median(s["head_lateral_deviation_raw"]), 0.015625, atol=1e-9)
    # Ankle asymmetry = (right y - left y) / 720 is positive when the left ankle is lifted (swing).
    assert (
        s["ankle_height_asymmetry_raw"].max() > 0.01
        and s["ankle_height_asymmetry_raw"].min() < -0.01
    )
    left_res = analyze_gait(walking_series(direction=-1, lean_deg=3.0))
    assert_allclose(np.median(left_res.series["forward_trunk_lean_deg"]), 3.0, atol=0.05)


def test_low_frame_rate_gives_series_only_with_reason():
    # Every 18th frame of a 30 fps video: 1.67 analysed fps.
    res = analyze_gait(walking_series(every=18))
    assert res.heel_strikes == [] and math.isnan(res.cadence_spm)
    d = res.to_dict()
    assert d["cadence_spm"] is None and d["heel_strikes"] == []
    assert any("below 10" in w for w in d["warnings"])
    assert len(res.series) == 10 and res.series["trunk_lean_deg"].notna().all()


def test_fewer_than_four_steps_gives_no_cadence():
    # Issue 15: fewer than 4 valid alternating strikes is no cadence (null), not a rough number.
    res = analyze_gait(walking_series(duration_s=1.5))
    assert 0 < res.n_steps < 4
    assert any("fewer than 4" in w and "no cadence" in w for w in res.warnings)
    assert math.isnan(res.cadence_spm) and res.to_dict()["cadence_spm"] is None
    assert res.quality.grade == "unusable"
    assert [c for c, _ in res.quality.reasons] == ["too_few_strikes"]


def test_treadmill_is_refused_not_measured():
    # Issue 15: legs that pass each other without pelvis travel are refused with a reason (before,
    # the direction came from the face and the walk was measured as if side-on).
    res = analyze_gait(walking_series(speed_px_s=0.0, direction=-1))
    assert res.walk.verdict == "in_place"
    assert res.walking_direction is None and res.heel_strikes == [] and res.toe_offs == []
    assert math.isnan(res.cadence_spm)
    assert any("treadmill" in w and "refused" in w for w in res.warnings)
    assert res.quality.grade == "unusable"


def test_front_view_has_no_direction():
    # Standing facing the camera: pelvis still, nose midway between the ears.
    pts = {"nose": (640, 200), "left_ear": (660, 200), "right_ear": (620, 200), "left_hip": (670, 400),
           "right_hip": (610, 400), "left_ankle": (665, 600), "right_ankle": (615, 600),
           "left_shoulder": (690, 260), "right_shoulder": (590, 260)}  # fmt: skip
    xy = np.repeat(make_xy(pts)[None], 60, axis=0)
    series = PoseSeries(
        xy, np.ones((60, len(CANONICAL_NAMES))), np.arange(60) / 30, np.arange(60), (1280, 720)
    )
    res = analyze_gait(series)
    assert res.walking_direction is None and res.heel_strikes == []
    assert any("side view" in w for w in res.warnings)


def test_to_dict_is_plain_json():
    d = analyze_gait(walking_series(), height_m=1.8).to_dict()
    assert set(d) >= CLI_KEYS
    text = json.dumps(d, allow_nan=False)  # raises on NaN: None must replace it
    assert json.loads(text)["heel_strikes"][0].keys() == {"time_s", "side"}
    assert d["walking_direction"] == "left_to_right" and d["n_frames_used"] == 180


def test_bad_input():
    s = walking_series(duration_s=1.0)
    with pytest.raises(InputError, match="height_m"):
        analyze_gait(s, height_m=170.0)
    bad = PoseSeries(s.xy, s.scores, s.time_s[::-1].copy(), s.frame_index, s.frame_size)
    with pytest.raises(InputError, match="increasing"):
        analyze_gait(bad)
    with pytest.raises(InputError, match="PoseSeries"):
        analyze_gait(s.xy)


def test_nobody_found_is_reported_not_raised():
    k = len(CANONICAL_NAMES)
    empty = PoseSeries(
        np.full((40, k, 2), np.nan),
        np.full((40, k), np.nan),
        np.arange(40) / 30,
        np.arange(40),
        (640, 480),
    )
    res = analyze_gait(empty)
    assert res.n_frames_used == 0 and res.heel_strikes == []
    assert any("no person" in w for w in res.warnings)
    assert res.to_dict()["body_height_px"] is None


def test_identity_switch_keeps_events_to_the_main_walker():
    # Frames 150-179 are replaced by someone else walking the other way: the pelvis jumps from
    # x = 994 to x = 280 (714 px) in 1/30 s, far above 0.3 H + 2 H/s * dt = 147 px for H = 400.
    walk = walking_series(direction=1)
    other = walking_series(direction=-1, seed=1)
    xy = walk.xy.copy()
    xy[150:] = other.xy[150:]
    switched = PoseSeries(xy, walk.scores, walk.time_s, walk.frame_index, walk.frame_size)
    res = analyze_gait(switched)
    assert any("jumped 1 time" in w for w in res.warnings)
    assert res.walking_direction == "left_to_right"
    assert all(e.time_s < 150 / 30 for e in res.heel_strikes + res.toe_offs)
    assert abs(res.cadence_spm - 110.0) < 2.0 and _alternates(res.heel_strikes)


def test_exactly_ten_analysed_fps_is_enough_for_events():
    # Every 3rd frame of 30 fps: 10 fps, whose time steps come out a hair under 0.1 s in floating
    # point; before, "10.0 fps, below 10" refused the events.
    res = analyze_gait(walking_series(every=3))
    assert not any("below 10" in w for w in res.warnings)
    assert abs(res.cadence_spm - 110.0) < 2.0 and res.quality.grade == "good"
