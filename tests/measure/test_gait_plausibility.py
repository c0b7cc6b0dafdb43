"""Plausibility rules on hand-made heel strikes and toe-offs, with exact expected outcomes."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.keypoints import INDEX, PoseSeries
from core.measure.gait import analyze_gait
from core.measure.gait_events import GaitEvent, summarize_steps
from core.measure.gait_plausibility import on_ground, screen_events
from tests.measure.synthetic import walking_series

FPS = 100.0  # 0.01 s frames: event times below land exactly on frames
H_PX = 400.0


def _flat_feet(n: int) -> dict[str, np.ndarray]:
    """Feet resting on the ground (same y everywhere, still): every event is on the ground."""
    return {side: np.full((n, 2), [500.0, 600.0]) for side in ("left", "right")}


def _screen(strikes: list[tuple[float, str]], toe_offs=(), run_of=None, duration_s=10.0):
    t = np.arange(int(duration_s * FPS)) / FPS
    hs = [GaitEvent(time, side, int(round(time * FPS))) for time, side in strikes]
    to = [GaitEvent(time, side, int(round(time * FPS)), "toe_off") for time, side in toe_offs]
    pos = {i: i for i in range(len(t))}
    run_of = run_of or dict.fromkeys(range(len(t)), 0)
    feet = _flat_feet(len(t))
    return screen_events(hs, to, heel=feet, toe=feet, t=t, pos=pos, run_of=run_of, h_px=H_PX)


def _kept(screened) -> list[tuple[float, str]]:
    return [(e.time_s, e.side) for e in screened.heel_strikes]


def test_a_clean_alternating_walk_keeps_everything():
    walk = [(0.5 + 0.55 * k, "left" if k % 2 == 0 else "right") for k in range(8)]
    s = _screen(walk)
    assert _kept(s) == walk and s.n_rejected == 0
    assert set(s.chain_of.values()) == {0}


def test_the_same_foot_twice_in_half_a_second_drops_both():
    # L 0.0, R 0.55, L 1.1, L 1.4, R 1.65, L 2.2, R 2.75: L 1.1 and L 1.4 are 0.3 s apart, less
    # than two 0.25 s steps, so no right strike can have been missed between them: both go.
    strikes = [(0.1, "left"), (0.65, "right"), (1.2, "left"), (1.5, "left"), (1.75, "right"),
               (2.3, "left"), (2.85, "right")]  # fmt: skip
    s = _screen(strikes)
    assert _kept(s) == [
        (0.1, "left"),
        (0.65, "right"),
        (1.75, "right"),
        (2.3, "left"),
        (2.85, "right"),
    ]
    assert s.rejected["heel_strike"]["not_alternating"] == 2 and s.n_rejected == 2
    # R 0.65 -> R 1.75 cuts the walk in two chains; steps only inside each: right steps 0.55 and
    # 0.55 (L 0.1 -> R 0.65, L 2.3 -> R 2.85), one left step 0.55 (R 1.75 -> L 2.3).
    p = summarize_steps(s.heel_strikes, [], s.chain_of)
    assert p["n_step_intervals"] == 3
    assert_allclose([p["step_time_left_s"], p["step_time_right_s"]], [0.55, 0.55])


def test_a_missed_strike_keeps_both_neighbours_but_makes_no_step():
    # The same foot 1.1 s apart (a right strike at 1.2 s was missed): both kept, no step across.
    strikes = [(0.1, "left"), (0.65, "right"), (1.75, "right"), (2.3, "left"), (2.85, "right")]
    s = _screen(strikes)
    assert _kept(s) == strikes and s.n_rejected == 0
    assert s.chain_of[65] != s.chain_of[175]


def test_two_strikes_within_a_fifth_of_a_second_are_both_dropped():
    # Issue 15's case: a left and a right strike 15 ms apart (here 2.20 and 2.215 -> 2.22 s).
    strikes = [(0.5, "left"), (1.05, "right"), (1.6, "left"), (2.15, "right"), (2.2, "left"),
               (2.75, "right"), (3.3, "left"), (3.85, "right")]  # fmt: skip
    s = _screen(strikes)
    assert s.rejected["heel_strike"]["too_close"] == 2
    assert _kept(s) == [(0.5, "left"), (1.05, "right"), (1.6, "left"), (2.75, "right"),
                        (3.3, "left"), (3.85, "right")]  # fmt: skip
    # No step spans the dropped pair: L 1.6 -> R 2.75 (1.15 s, in range) is not a step.
    p = summarize_steps(s.heel_strikes, [], s.chain_of)
    assert p["n_step_intervals"] == 4
    assert_allclose([p["step_time_left_s"], p["step_time_right_s"]], [0.55, 0.55])


@pytest.mark.parametrize(
    "lonely",
    [
        (4.6, "right"),  # 3.0 s after L 1.6 and 2.4 s before L 7.0: both steps too long
        (1.83, "right"),  # 0.23 s after L 1.6 (not "too close", but a step under 0.25 s)
    ],
)
def test_a_strike_without_a_plausible_step_is_dropped(lonely):
    first = [(0.5, "left"), (1.05, "right"), (1.6, "left")]
    second = [(7.0, "left"), (7.55, "right"), (8.1, "left")]
    s = _screen([*first, lonely, *second])
    assert s.rejected["heel_strike"]["step_time_out_of_range"] == 1 and s.n_rejected == 1
    assert _kept(s) == [*first, *second]


def test_steps_outside_the_range_cut_chains_without_dropping():
    # A 2.4 s pause between two walks of 3 strikes: 6 strikes kept, 4 steps, none of 2.4 s.
    strikes = [(0.5, "left"), (1.05, "right"), (1.6, "left"), (4.0, "right"), (4.55, "left"),
               (5.1, "right")]  # fmt: skip
    s = _screen(strikes)
    assert _kept(s) == strikes and s.n_rejected == 0
    p = summarize_steps(s.heel_strikes, [], s.chain_of)
    assert p["n_step_intervals"] == 4
    assert_allclose([p["step_time_left_s"], p["step_time_right_s"]], [0.55, 0.55])


def test_toe_offs_outside_the_walk_are_dropped():
    strikes = [(1.0, "left"), (1.55, "right"), (2.1, "left"), (2.65, "right")]
    # Chain span 1.0 - 0.55 = 0.45 s to 2.65 + 0.55 = 3.2 s: 0.3 s and 5.0 s are outside.
    offs = [(0.3, "right"), (1.2, "right"), (1.75, "left"), (5.0, "left")]
    s = _screen(strikes, offs)
    assert [(e.time_s, e.side) for e in s.toe_offs] == [(1.2, "right"), (1.75, "left")]
    assert s.rejected["toe_off"] == {"not_on_ground": 0, "outside_walk": 2}


def test_on_ground_is_lowest_and_slowest():
    # A heel on a 0.55 s stride: on the ground (y = 600, still) for 60 %, then a swing arc that
    # rises 0.15 H = 60 px and moves 400 px forward. Mid-swing is neither low nor slow.
    t = np.arange(0, 3, 0.01)
    phase = np.mod(t / 1.1, 1.0)
    swing = np.clip((phase - 0.6) / 0.4, 0, 1)
    x = 400.0 * np.floor(t / 1.1) + 400.0 * (1 - np.cos(np.pi * swing)) / 2
    y = 600.0 - 60.0 * np.sin(np.pi * swing)
    heel = np.stack([x, y], axis=1)
    mid_stance = int(round((1.1 + 0.3) * 100))  # phase 0.27
    mid_swing = int(round((1.1 + 0.88) * 100))  # phase 0.8: top of the arc, fastest
    assert on_ground(heel, t, mid_stance, H_PX)
    assert not on_ground(heel, t, mid_swing, H_PX)


def test_steps_slower_than_two_seconds_give_no_cadence():
    # 20 steps/min: 3.0 s steps, beyond the 2.0 s limit; every strike is alone, all are dropped.
    res = analyze_gait(walking_series(cadence_spm=20.0, duration_s=20.0, speed_px_s=40.0))
    counts = res.rejected["heel_strike"]
    # the signals pass the walk check, but with no strike left it is not measured as a walk
    assert res.walk.verdict == "no_steps" and res.heel_strikes == []
    assert res.walking_direction is None
    assert (
        counts["step_time_out_of_range"] >= 5
        and sum(counts.values()) == counts["step_time_out_of_range"]
    )
    assert np.isnan(res.cadence_spm) and res.quality.grade == "unusable"
    assert any("implausible events dropped" in w for w in res.warnings)


def test_a_step_far_from_the_walks_median_is_cut_out():
    # Steps of 0.55 s, and between L 2.7 and R 3.8 a false R 2.98 and L 3.25 (steps of 0.28 and
    # 0.27 s: about half the median, below 0.6 x 0.55 = 0.33 s). R 2.98 has no plausible step left
    # and goes; L 3.25 -> R 3.8 is a normal step, so L 3.25 stays and starts a new chain.
    strikes = [(0.5, "left"), (1.05, "right"), (1.6, "left"), (2.15, "right"), (2.7, "left"),
               (2.98, "right"), (3.25, "left"), (3.8, "right"), (4.35, "left"), (4.9, "right")]  # fmt: skip
    s = _screen(strikes)
    assert _kept(s) == [e for e in strikes if e != (2.98, "right")]
    assert s.rejected["heel_strike"]["step_time_irregular"] == 1 and s.n_rejected == 1
    p = summarize_steps(s.heel_strikes, [], s.chain_of)
    assert p["n_step_intervals"] == 7
    assert_allclose([p["step_time_left_s"], p["step_time_right_s"]], [0.55, 0.55])


def test_left_right_label_swaps_are_dropped_and_graded():
    # The feet's labels swapped for 0.5 s and 0.4 s (frames 60-74 and 150-161): the false strikes
    # around them are dropped, the cadence stays within 1 step/min of the 110 built in, and a third
    # or more of the strikes dropped makes the grade limited.
    s = walking_series(duration_s=8.0)
    xy = s.xy.copy()
    left = [INDEX[f"left_{p}"] for p in ("heel", "ankle", "big_toe", "knee")]
    right = [INDEX[f"right_{p}"] for p in ("heel", "ankle", "big_toe", "knee")]
    for a, b in ((60, 75), (150, 162)):
        xy[a:b, left], xy[a:b, right] = s.xy[a:b, right], s.xy[a:b, left]
    res = analyze_gait(PoseSeries(xy, s.scores, s.time_s, s.frame_index, s.frame_size))
    assert abs(res.cadence_spm - 110.0) < 1.0
    assert sum(res.rejected["heel_strike"].values()) >= 4
    assert res.quality.grade == "limited" and [c for c, _ in res.quality.reasons] == [
        "many_rejected"
    ]
