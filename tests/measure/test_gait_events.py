"""Event extraction and step bookkeeping on hand-made event lists."""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose

from core.measure.gait_events import GaitEvent, find_extrema, summarize_steps, symmetry_index


def test_symmetry_index():
    # R 0.6, L 0.5: (0.1) / (0.55) * 100 = 18.18 %; swapping flips the sign.
    assert_allclose(symmetry_index(0.6, 0.5), 100 * 0.1 / 0.55)
    assert_allclose(symmetry_index(0.5, 0.6), -100 * 0.1 / 0.55)
    assert math.isnan(symmetry_index(math.nan, 0.5))


def test_find_extrema_subframe_and_edges():
    t = np.arange(0, 3, 0.1)
    # cos peaks at t = 0.55 and 1.55 s (between frames); the t=0 region is a falling edge, not an event.
    x = np.cos(2 * np.pi * (t - 0.55))
    found = find_extrema(x, t, prominence=0.5)
    assert_allclose([f[0] for f in found], [0.55, 1.55, 2.55], atol=0.01)
    x[10:13] = np.nan  # a gap splits the signal; each stretch is searched on its own
    assert len(find_extrema(x, t, prominence=0.5)) == 3


def test_summarize_steps_skips_missed_events_and_gaps():
    def hs(t, side, frame):
        return GaitEvent(t, side, frame)

    # L 0.0, R 0.5, L 1.1, R 1.6, [missed L], R 2.7 (same side twice: no step), L 3.3
    events = [hs(0.0, "left", 0), hs(0.5, "right", 15), hs(1.1, "left", 33), hs(1.6, "right", 48),
              hs(2.7, "right", 81), hs(3.3, "left", 99)]  # fmt: skip
    toe = [GaitEvent(0.66, "left", 20, "toe_off"), GaitEvent(1.16, "right", 35, "toe_off")]
    run_of = {0: 0, 15: 0, 33: 0, 48: 0, 81: 0, 99: 1}  # the last strike is after a gap
    res = summarize_steps(events, toe, run_of)
    # Right steps: 0.5, 0.5 (L->R); left steps: 0.6 (R 0.5 -> L 1.1); 2.7->3.3 crosses the gap.
    assert_allclose(res["step_time_right_s"], 0.5)
    assert_allclose(res["step_time_left_s"], 0.6)
    assert_allclose(res["cadence_spm"], 120 / 1.1)
    # Left stride 0.0 -> 1.1 (one right strike between); right 0.5 -> 1.6; R 1.6 -> 2.7 has none.
    assert_allclose(res["stride_time_left_s"], 1.1)
    assert_allclose(res["stride_time_right_s"], 1.1)
    # Left toe-off 0.66 in the 0.0-1.1 stride: 60 %; right 1.16 in 0.5-1.6: 60 %.
    assert_allclose([res["stance_share_left_pct"], res["stance_share_right_pct"]], [60.0, 60.0])
    assert res["n_step_intervals"] == 3
