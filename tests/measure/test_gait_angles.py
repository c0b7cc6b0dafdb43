"""The gait page's joint-angle curves: what they measure, that a mirror reads the same, and that
every sample that is not a measurement (a filled gap, a weak point) says so."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from core.errors import InputError
from core.keypoints import INDEX, PoseSeries
from core.measure.gait import analyze_gait
from core.measure.gait_angles import (
    AT_EDGE,
    EDGE_FRACTION,
    FILTER_GAP,
    GAP_FILLED,
    at_edge,
    curve_keys,
    curve_points,
)
from core.measure.sagittal import sagittal_series
from tests.measure.synthetic import walking_series

KEYS = curve_keys()
#: A sample off by more than this after a broken frame must be marked (the filter-gap bound).
FILTER_GAP_DEG_BOUND = 15.0


def _mirrored(series: PoseSeries) -> PoseSeries:
    xy = series.xy.copy()
    xy[..., 0] = series.frame_size[0] - 1 - xy[..., 0]
    return PoseSeries(xy, series.scores, series.time_s, series.frame_index, series.frame_size,
                      series.backend, series.model)  # fmt: skip


def test_the_curves_are_the_side_view_angles_of_the_walk():
    series = walking_series(direction=-1)
    res = analyze_gait(series, reliable_score=0.8)
    truth = sagittal_series(series, direction=-1)
    for key in KEYS:
        # The raw curve is the signed angle of the keypoints as seen, frame by frame.
        assert_allclose(res.series[f"{key}_raw"], truth[key], atol=1e-9)
        # The filtered one follows it: a 6 Hz low-pass of a 1.8 Hz gait moves a sample by a few
        # degrees at the synthetic foot path's corners, not by tens.
        err = np.abs(res.series[key] - truth[key])
        assert np.median(err) < 1.0 and err.max() < 8.0, key
        # Reliable, except where the walker's toe reaches the picture's edge (the last frame).
        edge = at_edge(series.xy, series.frame_size)
        assert 0 < edge.sum() < 5
        assert_array_equal(res.series[f"{key}_reason"], np.where(edge, AT_EDGE, ""))
        assert_allclose(res.series[f"{key}_score"], 0.9)


def test_a_mirrored_walk_reads_the_same():
    series = walking_series(direction=1, noise_px=1.5, seed=3)
    a = analyze_gait(series, reliable_score=0.8)
    b = analyze_gait(_mirrored(series), reliable_score=0.8)
    assert a.walking_direction == "left_to_right" and b.walking_direction == "right_to_left"
    for key in KEYS:
        # The pipeline is linear in x and the angles are signed toward the walking direction: a
        # mirror changes nothing but rounding.
        assert_allclose(a.series[key], b.series[key], atol=1e-6, err_msg=key)


def test_a_filled_gap_is_marked_not_measured():
    series = walking_series(gap=(50, 53))  # 3 frames, within the 5 that are interpolated
    res = analyze_gait(series, reliable_score=0.8)
    s = res.series
    for key in KEYS:
        assert np.isfinite(s[key][50:53]).all()
        assert (s[f"{key}_reason"][50:53] == GAP_FILLED).all()
        assert s[f"{key}_score"][50:53].isna().all()
        assert (s[f"{key}_reason"][45:50] == "").all() and (s[f"{key}_reason"][53:58] == "").all()


def test_a_weak_point_makes_only_its_curves_unreliable():
    series = walking_series()
    scores = series.scores.copy()
    scores[60:70, INDEX["left_knee"]] = 0.5
    weak = PoseSeries(series.xy, scores, series.time_s, series.frame_index, series.frame_size,
                      series.backend, series.model)  # fmt: skip
    s = analyze_gait(weak, reliable_score=0.8).series
    # The left knee is read by the left hip (thigh), knee and ankle (shank) curves.
    for key in KEYS:
        reads_it = "left_knee" in curve_points(key)
        want = "low_score" if reads_it else ""
        assert (s[f"{key}_reason"][60:70] == want).all(), key
        assert_allclose(s[f"{key}_score"][60:70], 0.5 if reads_it else 0.9)
    assert {k for k in KEYS if "left_knee" in curve_points(k)} == {
        "left_hip_signed_flexion_deg", "left_knee_signed_flexion_deg", "left_ankle_dorsiflexion_deg"
    }  # fmt: skip
    # Without a reliable score nothing is judged low: the score is kept, no reason given.
    s = analyze_gait(weak).series
    assert (s["left_knee_signed_flexion_deg_reason"][60:70] == "").all()
    assert_allclose(s["left_knee_signed_flexion_deg_score"][60:70], 0.5)


def test_the_trunk_line_carries_its_weakest_seen_side():
    series = walking_series()
    scores = series.scores.copy()
    scores[:, INDEX["right_shoulder"]] = 0.3  # the far shoulder in a side view
    s = analyze_gait(
        PoseSeries(series.xy, scores, series.time_s, series.frame_index, series.frame_size),
        reliable_score=0.8,
    ).series
    # Both shoulders are seen, so the trunk line is their mean and reads the weak one too (the
    # last frame: the walker at the picture's edge, said first).
    assert (s["left_hip_signed_flexion_deg_reason"][:-1] == "low_score").all()
    assert (s["left_knee_signed_flexion_deg_reason"][:-1] == "").all()


def test_no_walk_no_curves():
    res = analyze_gait(walking_series(speed_px_s=0.0, direction=-1), reliable_score=0.8)
    assert res.walking_direction is None
    for key in KEYS:
        assert res.series[key].isna().all() and res.series[f"{key}_raw"].isna().all()
        assert (res.series[f"{key}_reason"] == "").all()


def test_curve_points_and_bad_input():
    assert curve_points("right_knee_signed_flexion_deg") == (
        "right_hip",
        "right_knee",
        "right_ankle",
    )
    assert curve_points("left_hip_signed_flexion_deg")[0] == "trunk"
    with pytest.raises(InputError, match="not a joint-angle curve"):
        curve_points("left_elbow_angle_deg")
    with pytest.raises(InputError, match="reliable score"):
        analyze_gait(walking_series(), reliable_score=-1.0)
    assert_array_equal(sorted(KEYS), sorted({f"{s}_{c}" for s in ("left", "right")
                       for c in ("hip_signed_flexion_deg", "knee_signed_flexion_deg",
                                 "ankle_dorsiflexion_deg")}))  # fmt: skip


def test_after_a_track_jump_only_the_walkers_stretch_has_curves():
    series = walking_series()
    xy = series.xy.copy()
    xy[140:, :, 1] -= 300.0  # from frame 140 the track holds someone else, 0.75 body heights up
    jumped = PoseSeries(xy, series.scores, series.time_s, series.frame_index, series.frame_size)
    res = analyze_gait(jumped, reliable_score=0.8)
    for key in KEYS:
        assert res.series[key][140:].isna().all() and res.series[f"{key}_raw"][140:].isna().all()
        assert np.isfinite(res.series[key][10:130]).all()


def test_the_picture_edge_marks_the_frames_where_the_walker_reaches_it():
    series = walking_series(duration_s=4.0)  # stays well inside the 1280 px picture
    assert not at_edge(series.xy, series.frame_size).any()
    xy = series.xy.copy()
    margin = EDGE_FRACTION * series.frame_size[1]
    xy[30:34, INDEX["nose"], 1] = margin - 1.0  # the head at the top edge: part of it cut off
    xy[50, INDEX["right_big_toe"], 0] = series.frame_size[0] + 5.0  # a toe outside the picture
    cut = PoseSeries(xy, series.scores, series.time_s, series.frame_index, series.frame_size)
    edge = at_edge(cut.xy, cut.frame_size)
    assert_array_equal(np.flatnonzero(edge), [30, 31, 32, 33, 50])
    s = analyze_gait(cut, reliable_score=0.8).series
    for key in KEYS:
        assert (s[f"{key}_reason"][[30, 31, 32, 33]] == AT_EDGE).all()
    # The toe outside the picture is not seen: its ankle is interpolated, which is said first.
    assert s["right_ankle_dorsiflexion_deg_reason"][50] == GAP_FILLED
    assert s["left_knee_signed_flexion_deg_reason"][50] == AT_EDGE


@pytest.mark.parametrize("shift", [(-60.0, -80.0), (-30.0, -40.0), (-20.0, -25.0), (0.0, -40.0)])
def test_a_broken_frame_does_not_pass_its_error_to_its_neighbours_unsaid(shift):
    series = walking_series(duration_s=4.0)
    xy = series.xy.copy()
    # One frame's left foot moved, scores untouched: a broken skeleton as MediaPipe gives one for
    # a frame (the shared walk, frame 184).
    for name in ("left_ankle", "left_heel", "left_big_toe"):
        xy[60, INDEX[name]] += shift
    broken = PoseSeries(xy, series.scores, series.time_s, series.frame_index, series.frame_size)
    clean = analyze_gait(series, reliable_score=0.8).series
    s = analyze_gait(broken, reliable_score=0.8).series
    key = "left_ankle_dorsiflexion_deg"
    err = np.abs(s[key] - clean[key])
    # No sample is moved further than the filter-gap bound and still called reliable: a foot far
    # off is rejected as a whole point (both coordinates) and its frame marked, a small shift moves
    # its neighbours by less than the bound.
    hidden = (s[f"{key}_reason"] == "") & (err > FILTER_GAP_DEG_BOUND)
    assert not hidden.any(), s[[key, f"{key}_raw", f"{key}_reason"]][55:66]
    assert err.max() < FILTER_GAP_DEG_BOUND
    if shift == (-60.0, -80.0):  # the frame's own reading is 77 degrees off: not a reliable one
        assert s[f"{key}_reason"][60] == FILTER_GAP


def test_the_summary_ranges_over_reliable_samples_and_counts_the_others():
    from core.measure.gait_angles import curve_summary

    series = walking_series(duration_s=4.0, gap=(50, 53))
    scores = series.scores.copy()
    scores[70:80, INDEX["left_knee"]] = 0.5
    res = analyze_gait(
        PoseSeries(series.xy, scores, series.time_s, series.frame_index, series.frame_size),
        reliable_score=0.8,
    )
    knee = curve_summary(res.series, res.reliable_score)["left_knee_signed_flexion_deg"]
    values = res.series["left_knee_signed_flexion_deg"].to_numpy()
    good = np.r_[0:50, 53:70, 80:120]
    assert knee.samples == 120 and knee.reasons == {"gap_filled": 3, "low_score": 10}
    assert knee.reliable_share == pytest.approx(107 / 120)
    assert knee.max_deg == values[good].max() and knee.min_deg == values[good].min()
    as_json = res.to_dict()["joint_angles"]["left_knee_signed_flexion_deg"]
    assert as_json["max_deg"] == round(knee.max_deg, 1) and as_json["samples"] == 120
    # Without a reliable score nothing is judged: no share to give.
    unjudged = analyze_gait(series)
    assert np.isnan(curve_summary(unjudged.series, unjudged.reliable_score)[
        "left_knee_signed_flexion_deg"].reliable_share)  # fmt: skip
    assert unjudged.to_dict()["reliable_score"] is None
