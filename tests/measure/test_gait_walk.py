"""The walk check on synthetic clips: a side-on walk, standing still, sliding, treadmill, towards
and away from the camera, and a mirrored walk."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.keypoints import INDEX, PoseSeries
from core.measure.gait import MIN_STEPS_FOR_DIRECTION, analyze_gait
from core.measure.gait_signals import body_height_series
from core.measure.gait_walk import MAX_SCALE_CHANGE, REFUSALS, leg_crossings
from core.measure.summary import gait_rows
from tests.measure.synthetic import walking_series


def _refused(res, verdict: str, words: str) -> None:
    """No events, no direction, no cadence, the verdict, a warning and the grade unusable."""
    assert res.walk.verdict == verdict
    assert res.walking_direction is None and res.heel_strikes == [] and res.toe_offs == []
    assert math.isnan(res.cadence_spm) and res.to_dict()["cadence_spm"] is None
    assert any(words in w for w in res.warnings), res.warnings
    assert res.quality.grade == "unusable" and res.quality.reasons[0][0] == "not_a_walk"
    assert res.to_dict()["walk_check"] == verdict
    # No events were looked for, so no count of rejected ones: NaN rows, not zeros.
    rows = gait_rows(res).set_index("metric")["value"]
    assert rows["quality_grade"] == 0.0 and np.isnan(rows["rejected_heel_strike_too_close"])


def _with_xy(series: PoseSeries, xy: np.ndarray) -> PoseSeries:
    return PoseSeries(xy, series.scores, series.time_s, series.frame_index, series.frame_size)


def test_a_side_view_walk_is_a_walk():
    res = analyze_gait(walking_series())
    assert res.walk.verdict == "walk" and res.walk.direction == 1.0
    # 170 px/s from the first to the last frame (179 / 30 s) over a 400 px body height.
    assert res.walk.travel_bh == pytest.approx(170.0 * 179 / 30 / 400, abs=1e-9)
    assert res.walk.scale_change == pytest.approx(1.0, abs=1e-6)  # the body height is constant
    # The feet pass each other twice a stride: 6 s at 1.09 s strides holds 11 passings, give or
    # take one at each end of the clip.
    assert 10 <= res.walk.leg_crossings <= 12


def test_standing_still_is_not_a_walk():
    s = walking_series(duration_s=1.0)
    xy = np.repeat(s.xy[:1], 90, axis=0)  # the first pose held for 3 s
    still = PoseSeries(
        xy, np.repeat(s.scores[:1], 90, axis=0), np.arange(90) / 30, np.arange(90), s.frame_size
    )
    res = analyze_gait(still)
    _refused(res, "not_a_walk", "not a walk: no periodic leg motion and no progression")
    assert res.walk.leg_crossings == 0


def test_sliding_across_without_steps_is_not_a_walk():
    # One pose carried across the image at 170 px/s (a bystander on a scooter, a drifting box).
    s = walking_series()
    xy = np.repeat(s.xy[:1], len(s.xy), axis=0)
    xy[..., 0] += 170.0 * s.time_s[:, None]
    _refused(analyze_gait(_with_xy(s, xy)), "no_leg_motion", "feet do not pass each other")


def test_walking_in_place_is_refused():
    res = analyze_gait(walking_series(speed_px_s=0.0))
    _refused(res, "in_place", "treadmill")
    assert res.walk.leg_crossings >= 10  # the legs do move: it is the travel that is missing


def test_a_few_half_seen_frames_at_the_start_do_not_make_a_walk_towards_the_camera():
    # The mirrored sample's failure: a handful of frames where the body reads half its height (a
    # head point on the shoulders as she enters) pulled a least-squares trend to 1.68. Here the
    # first 8 of 180 frames read half height: the robust trend stays near 1 and the walk is a walk.
    s = walking_series()
    xy = s.xy.copy()
    head = [INDEX[n] for n in ("nose", "left_ear", "right_ear")]
    ankle_y = np.nanmax(xy[:8, [INDEX["left_ankle"], INDEX["right_ankle"]], 1], axis=1)
    xy[:8, head, 1] = ankle_y[:, None] - 0.5 * (ankle_y[:, None] - xy[:8, head, 1])
    res = analyze_gait(_with_xy(s, xy))
    assert res.walk.verdict == "walk", res.warnings
    assert res.walk.scale_change == pytest.approx(1.0, abs=0.02)
    # A least-squares fit of the same heights is pulled well away from 1 by those 8 frames.
    h = body_height_series(xy)
    ok = np.isfinite(h)
    slope = np.polyfit(s.time_s[ok], np.log(h[ok]), 1)[0]
    assert math.exp(slope * (s.time_s[ok][-1] - s.time_s[ok][0])) > 1.05


@pytest.mark.parametrize(("start", "end"), [(1.0, 1.6), (1.6, 1.0)])
def test_walking_towards_or_away_from_the_camera_is_refused(start, end):
    # The walk in place scaled about its own ground point (x 150, y 620) by a factor going
    # geometrically from `start` to `end`: the body height grows (towards the camera) or shrinks
    # (away) by exactly 1.6, beyond the 1.3 limit, and stays inside the image.
    s = walking_series(speed_px_s=0.0, height_px=250.0)
    ramp = (s.time_s - s.time_s[0]) / (s.time_s[-1] - s.time_s[0])
    k = (start * (end / start) ** ramp)[:, None, None]
    centre = np.array([150.0, 620.0])
    res = analyze_gait(_with_xy(s, centre + k * (s.xy - centre)))
    _refused(res, "towards_or_away", "towards or away from the camera")
    assert max(res.walk.scale_change, 1 / res.walk.scale_change) == pytest.approx(1.6, rel=1e-6)
    assert MAX_SCALE_CHANGE < 1.6


def test_a_mirrored_walk_gives_the_same_cadence_and_the_opposite_direction():
    s = walking_series(si_pct=8.0, noise_px=1.0, seed=4)
    xy = s.xy.copy()
    xy[..., 0] = s.frame_size[0] - 1 - xy[..., 0]
    res, mirrored = analyze_gait(s), analyze_gait(_with_xy(s, xy))
    assert (res.walking_direction, mirrored.walking_direction) == ("left_to_right", "right_to_left")
    assert mirrored.cadence_spm == pytest.approx(res.cadence_spm, abs=1e-6)
    assert mirrored.quality.grade == res.quality.grade == "good"


def test_leg_crossings_ignore_jitter_inside_the_band():
    # Feet side by side with 10 px of alternating jitter: inside the +-0.05 H = +-20 px band.
    xy = np.full((60, len(INDEX), 2), np.nan)
    xy[:, INDEX["left_heel"], 0] = 500.0 + 10.0 * (-1.0) ** np.arange(60)
    xy[:, INDEX["right_heel"], 0] = 500.0
    xy[:, INDEX["left_heel"], 1] = xy[:, INDEX["right_heel"], 1] = 600.0
    assert leg_crossings(xy, 400.0) == 0
    xy[::15, INDEX["left_heel"], 0] = 530.0  # now beyond +20 px every 15 frames, below -20 never
    assert leg_crossings(xy, 400.0) == 0
    xy[7::15, INDEX["left_heel"], 0] = 470.0  # and beyond -20 px in between: 7 passings
    assert leg_crossings(xy, 400.0) == 7


def test_a_walk_without_one_plausible_step_has_no_direction():
    # 1.2 s at 300 px/s: the pelvis travels and the feet pass each other twice, so the signals
    # look like a walk, but no heel strike survives the plausibility rules (a lunge or a throw on
    # the pose2sim clips looked the same). The direction must not be reported from the signals
    # alone, and nothing signed by it either.
    res = analyze_gait(walking_series(duration_s=1.2, speed_px_s=300.0))
    assert res.walk.leg_crossings >= 2 and res.walk.travel_bh >= 0.5  # the signals of a walk
    assert len(res.heel_strikes) < MIN_STEPS_FOR_DIRECTION
    assert res.walk.verdict == "no_steps" and res.walk.direction == 0.0
    assert res.walking_direction is None and REFUSALS["no_steps"] in res.warnings
    assert not any("record a longer walk" in w for w in res.warnings)  # said once, not twice
    assert res.to_dict()["walk_check"] == "no_steps"
    assert res.series["forward_trunk_lean_deg"].isna().all()
    assert res.quality.grade == "unusable"
    # the same walk, long enough for its steps, keeps its direction and says nothing of the kind
    full = analyze_gait(walking_series(speed_px_s=300.0))
    assert full.walk.verdict == "walk" and full.walking_direction == "left_to_right"
    assert REFUSALS["no_steps"] not in full.warnings
    assert full.series["forward_trunk_lean_deg"].notna().any()
