"""The gait page's parts without a page or a model: the time left from the first frames, the batch
the page asks for, the coverage note, the parameters table and the inspector's values."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.analysis import GaitAnalysis
from core.app.gait_coverage import NO_POINTS, NOT_TRACKED, coverage, coverage_note, gaps_inside
from core.app.gait_inspect import events_at, frame_values, tracked_at
from core.app.gait_progress import MIN_TIMED_FRAMES, TimeLeft, before_text
from core.app.gait_run import GPU_BATCH, page_batch
from core.app.gait_table import parameters_table
from core.keypoints import INDEX
from core.measure.gait import analyze_gait
from tests.measure.synthetic import walking_series

SIGNALS = ("trunk_lean_deg", "head_lateral_deviation", "ankle_height_asymmetry")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_left_is_extrapolated_after_the_warm_up() -> None:
    clock = _Clock()
    left = TimeLeft(100, clock=clock)
    clock.now = 5.0  # the first frame loads the model: not counted
    assert left.update(1) == "Frame 1 of 100, timing the first frames ..."
    for done in range(2, 1 + MIN_TIMED_FRAMES):
        clock.now += 0.5
        assert "timing" in left.update(done)
    clock.now += 0.5
    # MIN_TIMED_FRAMES frames of 0.5 s after the warm-up: 0.5 s a frame for the 96 left = 48 s.
    assert left.update(1 + MIN_TIMED_FRAMES) == "Frame 4 of 100, about 48 s left"
    assert left.seconds_per_frame == pytest.approx(0.5)
    assert left.share() == pytest.approx(0.04)


def test_a_batch_is_warm_up_and_timed_as_a_whole() -> None:
    clock = _Clock()
    left = TimeLeft(64, batch=8, clock=clock)
    clock.now = 3.0  # the first forward of 8 frames: all reported at one instant
    for done in range(1, 9):
        left.update(done)
    clock.now = 5.0  # the second forward: 8 frames in 2 s
    texts = [left.update(done) for done in range(9, 17)]
    assert all("timing" in t for t in texts[:-1])  # mid-batch frames carry no time yet
    # 0.25 s a frame for the 48 frames left = 12 s.
    assert texts[-1] == "Frame 16 of 64, about 12 s left"


def test_unknown_total_counts_time_so_far() -> None:
    clock = _Clock()
    left = TimeLeft(None, clock=clock)
    clock.now = 7.0
    assert left.update(3) == "Frame 3, 7 s so far"
    assert left.share() == 0.0


def test_before_text_promises_no_estimate_it_has_not_measured() -> None:
    assert before_text(230, 30.0, "lite", None) == (
        "230 frames at 30.0 fps with lite; the time left is shown once the first frames are analysed."
    )
    assert "about 23 s" in before_text(230, 30.0, "lite", 0.1)


class _Described:
    def __init__(self, **info: object) -> None:
        self.info = info

    def describe(self) -> dict[str, object]:
        return self.info


@pytest.mark.parametrize(
    ("backend", "device", "expected"),
    [("sapiens2", "cuda", GPU_BATCH), ("sapiens2", "cuda:1", GPU_BATCH), ("sapiens2", "cpu", 1),
     ("sapiens2", "mps", 1), ("lite", "cpu", 1), ("lite", "cuda", 1)],
)  # fmt: skip
def test_the_page_batches_only_sapiens2_on_cuda(backend: str, device: str, expected: int) -> None:
    assert page_batch(_Described(backend=backend, device=device)) == expected  # type: ignore[arg-type]


def _analysis(hide: np.ndarray | None = None, off_frame: np.ndarray | None = None) -> GaitAnalysis:
    """A synthetic 6 s walk at 30 fps; ``hide``: frames without the walker (untracked);
    ``off_frame``: frames where only the feet are kept (tracked, no trunk or head signal)."""
    series = walking_series(duration_s=6.0)
    xy = series.xy.copy()
    if hide is not None:
        xy[hide] = np.nan
    if off_frame is not None:
        keep = [INDEX[n] for n in ("left_ankle", "right_ankle", "left_heel", "right_heel")]
        drop = np.setdiff1d(np.arange(xy.shape[1]), keep)
        xy[np.ix_(off_frame, drop)] = np.nan
    series = replace(series, xy=xy)
    result = analyze_gait(series)
    return GaitAnalysis(result, series, {}, pd.DataFrame(), len(series))


def test_coverage_says_when_and_why_the_signals_start_late_and_end_early() -> None:
    analysis = _analysis(hide=np.r_[0:60, 150:180])  # 0-2 s and 5-6 s without the walker
    cov = coverage(analysis, SIGNALS, 6.0, 30.0)
    # Frame 60 (2.0 s) is the first with the walker; frame 149 the last, which lasts to 5.0 s.
    assert cov.start_s == pytest.approx(2.0) and cov.end_s == pytest.approx(5.0)
    # Frame times are k / 30 s; 1e-9 s covers their float rounding.
    np.testing.assert_allclose(cov.untracked, [(0.0, 2.0), (5.0, 6.0)], atol=1e-9)
    assert coverage_note(cov) == (
        f"Signals cover 2.0–5.0 s of the 6.0 s clip: before 2.0 s and after 5.0 s {NOT_TRACKED}."
    )


def test_coverage_names_a_long_gap_and_a_partly_visible_walker() -> None:
    # 3.0-3.5 s behind an obstacle; 0-1 s only the feet in view (tracked, no trunk or head).
    analysis = _analysis(hide=np.r_[90:105], off_frame=np.r_[0:30])
    cov = coverage(analysis, SIGNALS[:2], 6.0, 30.0)
    assert cov.reason_before == NO_POINTS and cov.reason_after == ""
    np.testing.assert_allclose(gaps_inside(cov), [(3.0, 3.5)], atol=1e-9)  # k / 30 s, rounding
    note = coverage_note(cov)
    assert note.startswith(f"Signals cover 1.0–6.0 s of the 6.0 s clip: before 1.0 s {NO_POINTS}.")
    assert "not tracked at 3.0–3.5 s" in note


def test_full_coverage_needs_no_note() -> None:
    assert coverage_note(coverage(_analysis(), SIGNALS, 6.0, 30.0)) == ""


def test_parameters_table_formats_and_keeps_symmetry_out_of_the_sides() -> None:
    params = {
        "step_time_left_s": 0.5912,
        "step_time_right_s": 0.6321,
        "stance_share_left_pct": 64.141,
        "stance_share_right_pct": 60.6,
        "symmetry_index_step_time_pct": 6.69,
        "symmetry_index_step_length_pct": math.nan,
    }
    table = parameters_table(params)
    # No metres row: no height gave one.
    assert list(table["parameter"]) == [
        "Step time", "Stride time", "Stance share", "Swing share", "Step length (body-height units)",
    ]  # fmt: skip
    stance = table.iloc[2]
    assert (stance["unit"], stance["left"], stance["right"]) == ("%", "64.1", "60.6")
    step = table.iloc[0]
    assert (step["left"], step["right"], step["symmetry index"]) == ("0.59", "0.63", "6.7 %")
    assert table.iloc[4]["symmetry index"] == "not measured"
    assert table.iloc[1]["left"] == "not measured"
    assert (table["symmetry index"].iloc[1:4] == "").all()


def test_inspector_values_follow_the_frame() -> None:
    analysis = _analysis(hide=np.r_[0:30])
    assert tracked_at(analysis, 10) == 0
    assert (frame_values(analysis, 10)["filtered"] == "not measured").all()
    values = frame_values(analysis, 100)
    assert list(values["signal"])[:2] == ["Trunk lean", "Forward trunk lean"]
    # walking_series leans the trunk 3° forward (its docstring); 1 decimal, degree sign.
    forward = values[values["signal"] == "Forward trunk lean"].iloc[0]["filtered"]
    assert re.fullmatch(r"\d\.\d°", forward) and float(forward[:-1]) == pytest.approx(3.0, abs=0.3)
    assert tracked_at(analysis, 100) > 0
    strike = analysis.result.heel_strikes[0]
    t = int(np.flatnonzero(analysis.series.frame_index == strike.frame)[0])
    assert f"heel strike ({strike.side}) at {strike.time_s:.2f} s" in events_at(analysis, t)


def test_curve_table_ranges_over_reliable_samples_only():
    import numpy as np

    from core.app.gait_table import curve_table
    from core.keypoints import INDEX, PoseSeries
    from core.measure.gait import analyze_gait
    from tests.measure.synthetic import walking_series

    series = walking_series(duration_s=4.0)
    scores = series.scores.copy()
    scores[:, INDEX["right_knee"]] = 0.5  # the far knee: every right-leg sample is weak
    weak = PoseSeries(series.xy, scores, series.time_s, series.frame_index, series.frame_size)
    result = analyze_gait(weak, reliable_score=0.8)
    table = curve_table(result).set_index(["joint angle", "side"])
    left = table.loc[("Knee signed flexion", "left")]
    knee = result.series["left_knee_signed_flexion_deg"]
    assert left["reliable samples"] == "100%" and left["not reliable because"] == ""
    assert left["highest"] == f"{knee.max():.1f}°" and left["lowest"] == f"{knee.min():.1f}°"
    right = table.loc[("Knee signed flexion", "right")]
    assert right["reliable samples"] == "0%" and right["highest"] == "not measured"
    assert right["not reliable because"] == "a point scores below the reliable score"
    assert np.isfinite(result.series["right_knee_signed_flexion_deg"]).all()  # shown, flagged
    # A clip that is not a walk has no direction, so no curves and no rows.
    assert curve_table(analyze_gait(walking_series(speed_px_s=0.0), reliable_score=0.8)).empty
