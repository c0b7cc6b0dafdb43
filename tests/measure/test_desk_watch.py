"""Desk watch on synthetic angle streams: exact alert times derived by hand next to each stream.

Unless a test says otherwise the stream is 1 frame/s at integer times, the window is 10 s, and the
neck is the only part that changes. At time t the window holds the frames at t-9 ... t (t-10 is
outside: the window is (t-10, t]), each standing for 1 s. The smoothed value is the lower weighted
median, so it is strained once neutral frames hold less than half the window: fewer than 5 of 10.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.errors import InputError
from core.measure.desk_period import period_rows, share_metric
from core.measure.desk_watch import (
    NOT_VISIBLE,
    TRACKS,
    DeskWatch,
    WatchConfig,
    frame_angles,
    watch_stream,
    weighted_median,
)

#: neck 5° (0-10°, neutral), trunk 0° (upright), upper arms 0° (0-20°), lower arms 80° (60-100°).
NEUTRAL = np.array([5.0, 0.0, 0.0, 0.0, 80.0, 80.0])
NECK_STRAINED = 30.0  # ">20° flexion", RULA score 3


def stream(n: int, strained: list[range] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n frames at t = 0..n-1; the neck at NECK_STRAINED during the given ranges of frames."""
    angles = np.tile(NEUTRAL, (n, 1))
    for r in strained or []:
        angles[list(r), 0] = NECK_STRAINED
    return np.arange(n, dtype=float), angles


def cfg(**kw) -> WatchConfig:
    return WatchConfig(**{"window_s": 10.0, "alert_after_s": 20.0, **kw})


def summary(events) -> list[tuple[str, str, float, float]]:
    return [(e.kind, e.name, e.time_s, e.held_s) for e in events]


def test_weighted_median_is_the_lower_median_and_ignores_nan():
    assert weighted_median(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)) == 2.0
    assert weighted_median(np.array([1.0, 9.0, np.nan]), np.array([1.0, 3.0, 5.0])) == 9.0
    assert math.isnan(weighted_median(np.array([np.nan, 1.0]), np.array([1.0, 0.0])))


def test_sustained_strain_alerts_at_the_derived_time_and_recovers():
    # Neck strained from frame 10 to 39, neutral from 40 on.
    # Onset: at t = 10 + k the window holds 9 - k neutral frames; fewer than 5 from k = 5: t = 15.
    # Alert: 20 s later, t = 35 (held 20 s).
    # Back to neutral: neutral frames 40..t reach 5 of the window at t = 44, so the last strained
    # smoothed frame is t = 43; the strain ends recover_s = 10 s later, t = 53, having lasted 43-15.
    times, angles = stream(70, [range(10, 40)])
    watch, events = watch_stream(times, angles, cfg())
    assert summary(events) == [("alert", "neck", 35.0, 20.0), ("recovered", "neck", 53.0, 28.0)]
    assert events[0].band == ">20° flexion" and events[0].angle_deg == NECK_STRAINED
    # Minutes above neutral: frames 15..43 each stand for the second before them: (14, 43] = 29 s.
    assert watch.above_s[0] == pytest.approx(29.0)
    assert not watch.above_s[1:].any()


def test_a_flicker_shorter_than_the_window_never_alerts():
    # 4 strained frames (20..23): never 6 of the window, the smoothed neck never leaves neutral.
    times, angles = stream(60, [range(20, 24)])
    watch, events = watch_stream(times, angles, cfg())
    assert events == [] and watch.above_s[0] == 0.0
    # 7 strained frames (20..26): strained smoothed from t = 25 (6 strained frames 20..25) to t = 30
    # (window 21..30 still holds 6); at t = 31 only 5, neutral. 30 - 25 = 5 s < the 10-s minimum
    # of alert_after_s (= window_s), so no alert; a config allowing 5 s would alert at t = 30.
    times, angles = stream(60, [range(20, 27)])
    _, events = watch_stream(times, angles, cfg(alert_after_s=10.0))
    assert events == []
    w = DeskWatch(cfg(alert_after_s=10.0))
    object.__setattr__(w.config, "alert_after_s", 5.0)  # bypass the check to show what it prevents
    for t, a in zip(times, angles):
        w.update(t, a)
    assert summary(w.events) == [("alert", "neck", 30.0, 5.0), ("recovered", "neck", 40.0, 5.0)]


def test_a_brief_return_to_neutral_does_not_reset_the_clock():
    # Strained from frame 0 (the first frame stands alone: onset t = 0), neutral frames 100..106,
    # strained again from 107. Smoothed neutral from t = 104 (5 neutral frames 100..104) to t = 111
    # (window 102..111 holds 5); strained again at 112. Last strained smoothed frame 103: at t = 111
    # only 8 s < recover_s = 10 s, so the strain goes on and the alert fires at 0 + 120 = 120.
    times, angles = stream(200, [range(0, 100), range(107, 200)])
    _, events = watch_stream(times, angles, cfg(alert_after_s=120.0))
    assert summary(events)[0] == ("alert", "neck", 120.0, 120.0)
    # Without the hysteresis (recover_s = 0) the strain restarts at 112 and alerts at 232: too late.
    _, events = watch_stream(times, angles, cfg(alert_after_s=120.0, recover_s=0.0))
    assert summary(events) == []
    times, angles = stream(240, [range(0, 100), range(107, 240)])
    _, events = watch_stream(times, angles, cfg(alert_after_s=120.0, recover_s=0.0))
    assert summary(events)[0] == ("alert", "neck", 232.0, 120.0)


def test_missing_frames_do_not_break_a_strain_but_a_long_gap_does():
    # Strained from frame 10 (onset 15, alert 35 as in the sustained test), neck not visible (NaN)
    # on frames 20..24: NaN frames take time but do not vote, so the strained frames stay the median.
    times, angles = stream(60, [range(10, 60)])
    angles[20:25, 0] = np.nan
    _, events = watch_stream(times, angles, cfg())
    assert summary(events)[0] == ("alert", "neck", 35.0, 20.0)
    # No frames at all between t = 20 and t = 40 (camera stalled): a 20-s gap > recover_s ends the
    # strain; the frame at 40 stands alone and starts a new one, which alerts at 40 + 20 = 60.
    times, angles = stream(80, [range(10, 80)])
    keep = (times <= 20) | (times >= 40)
    _, events = watch_stream(times[keep], angles[keep], cfg())
    assert summary(events) == [("alert", "neck", 60.0, 20.0), ("recovered", "neck", 79.0, 39.0)]


def test_irregular_frame_times_weigh_by_time_not_by_count():
    # Neutral at 1 frame/s; a 3-s burst of 30 strained frames at 10 frames/s (t = 20.1 .. 23.0).
    # By count the 30 frames would outvote the 7 neutral ones; by time they stand for 3 s of 10.
    times = np.concatenate([np.arange(0.0, 21.0), np.round(np.arange(20.1, 23.05, 0.1), 6),
                            np.arange(24.0, 60.0)])  # fmt: skip
    angles = np.tile(NEUTRAL, (len(times), 1))
    angles[(times > 20) & (times <= 23), 0] = NECK_STRAINED
    watch, events = watch_stream(times, angles, cfg())
    assert events == [] and watch.above_s[0] == 0.0
    # The same stream with the burst lasting 8 s (t = 20.1 .. 28.0) does go strained.
    times = np.concatenate([np.arange(0.0, 21.0), np.round(np.arange(20.1, 28.05, 0.1), 6),
                            np.arange(29.0, 60.0)])  # fmt: skip
    angles = np.tile(NEUTRAL, (len(times), 1))
    angles[(times > 20) & (times <= 28), 0] = NECK_STRAINED
    watch, _ = watch_stream(times, angles, cfg())
    assert watch.above_s[0] > 0


def test_shares_of_the_last_minutes():
    # Strained frames 10..39, smoothed strained (14, 43] as derived above; the last 30 s of a
    # 60-frame stream are (29, 59]: strained (29, 43] = 14 s, neutral (43, 59] = 16 s.
    times, angles = stream(60, [range(10, 40)])
    watch, _ = watch_stream(times, angles, cfg(share_window_s=30.0))
    neck = watch.shares()[0]
    assert neck == pytest.approx({">20° flexion": 14 / 30, "0-10° flexion": 16 / 30})
    assert watch.shares()[1] == pytest.approx({"upright (<5°)": 1.0})
    assert watch.shares(10.0)[0] == pytest.approx({"0-10° flexion": 1.0})


def test_period_rows_interval_shares_events_and_totals():
    times, angles = stream(60, [range(10, 40)])
    # The left upper arm is out of view (NaN) from frame 50; frame 49 stays in the window up to
    # t = 58, so only at t = 59 (window 50..59, all NaN) is it "not visible": for (58, 59], 1 s.
    angles[50:, 2] = np.nan
    watch, _ = watch_stream(times, angles, cfg(interval_s=30.0))
    rows = period_rows(watch)
    share = rows[(rows["metric"] == share_metric("neck", ">20° flexion")) & (rows["side"] == "")]
    # Interval 0 covers (0, 30]: strained (14, 30] = 16 of 30 s; interval 1 (30, 59]: (30, 43] = 13 of 29.
    assert share["frame"].tolist() == [0, 1]
    assert share["value"].tolist() == pytest.approx([100 * 16 / 30, 100 * 13 / 29])
    ua = rows[
        rows["metric"].str.startswith("upper_arm_")
        & (rows["side"] == "left")
        & (rows["frame"] == 1)
    ]
    assert ua.set_index("metric")["value"].to_dict() == pytest.approx(
        {share_metric("upper_arm", "0-20°"): 100 * 28 / 29, share_metric("upper_arm", NOT_VISIBLE): 100 / 29,
         share_metric("upper_arm", "20-45°"): 0.0, share_metric("upper_arm", "45-90°"): 0.0,
         share_metric("upper_arm", ">90°"): 0.0}
    )  # fmt: skip
    events = rows[rows["metric"].isin(["neck_alert", "neck_recovered"])]
    assert events[["frame", "time_s", "value"]].values.tolist() == [
        [1, 35.0, 20.0],
        [1, 53.0, 28.0],
    ]
    whole = rows[rows["time_s"].isna()].set_index(["metric", "side"])["value"]
    assert whole[("duration_min", "")] == pytest.approx(59 / 60)
    assert whole[("n_alerts", "")] == 1.0
    assert whole[("neck_above_neutral_min", "")] == pytest.approx(29 / 60)
    assert len(whole) == 2 + len(TRACKS)


def test_frame_angles_reads_the_rula_measures():
    measures = {"neck_flexion_deg": 12.0, "trunk_lean_deg": -25.0, "left_shoulder_angle_deg": 50.0,
                "right_elbow_flexion_deg": 110.0}  # fmt: skip
    got = frame_angles(measures)
    assert got[:3].tolist() == [12.0, 25.0, 50.0] and got[5] == 110.0
    assert math.isnan(got[3]) and math.isnan(got[4])


def test_bad_input_is_refused():
    w = DeskWatch(cfg())
    w.update(5.0, NEUTRAL)
    with pytest.raises(InputError, match="must not go back"):
        w.update(4.0, NEUTRAL)
    with pytest.raises(InputError, match="6 values"):
        w.update(6.0, NEUTRAL[:3])
    with pytest.raises(InputError, match="finite"):
        w.update(math.nan, NEUTRAL)
    with pytest.raises(InputError, match="window_s"):
        WatchConfig(window_s=0)
    with pytest.raises(InputError, match="at least window_s"):
        WatchConfig(window_s=10, alert_after_s=5)
    with pytest.raises(InputError, match="recover_s"):
        WatchConfig(recover_s=-1)
