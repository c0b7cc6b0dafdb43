"""Step length in metres from 3D heel points at heel strikes, on rendered strike frames of a walk
(tests/scenes/walk.py) with exact answers: one scale for the video, checked against the height."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from core.errors import InputError
from core.keypoints import INDEX
from core.measure.floor import CAMERA_UP, Floor
from core.measure.pose3d_measures import analyze_3d
from core.measure.pose3d_rows import step3d_rows
from core.measure.step3d import SCALE_TOLERANCE, StrikePoints, step_lengths_3d
from tests.scenes.walk import walk_strikes

#: Heel error: the heel keypoint is its sphere's centre, and at radius_scale 1 the offset model is
#: exact where the sphere is the visible surface; the shoe cylinder beside it and the window's
#: 9 px (~4 cm) span move the median by millimetres. 1 cm is 1.5% of these 0.65 m steps.
TOL_M = 0.01


@pytest.fixture(scope="module")
def strikes():
    return walk_strikes(3)


def _points(strikes, *, scale: float = 1.0, stature_m: float | None = 1.75, drop=()):  # noqa: ANN001, ANN202
    out = []
    for k, (side, scene) in enumerate(strikes):
        xy = scene.xy.copy()
        for name in drop if k == 1 else ():
            xy[INDEX[name]] = np.nan
        pts, floor, _ = analyze_3d(xy, scene.xyz * scale, scene.class_map, stature_m=stature_m)
        up = floor.normal if isinstance(floor, Floor) else CAMERA_UP
        out.append(StrikePoints(side, k, pts, up))
    return out


def _truth(side: str, scene) -> float:  # noqa: ANN001
    # (striking heel - other heel) along the walk (world +z), from the scene's own joints.
    other = "right" if side == "left" else "left"
    j = scene.skeleton.joints
    return float(j[f"{side}_heel"][2] - j[f"{other}_heel"][2])


def test_step_lengths_match_the_scene(strikes):
    got = step_lengths_3d(_points(strikes), height_m=1.75)
    for (side, scene), (_, s, value, why) in zip(strikes, got.per_strike, strict=True):
        assert s == side and why == ""
        assert abs(value - _truth(side, scene)) < TOL_M, (value, _truth(side, scene))
    # Leg segments from the 3D knee, hip and ankle (each ~1-2 mm off): the stature within 1%.
    assert abs(got.stature_m - 1.75) < 0.0175 and abs(got.scale - 1.0) < 0.01
    assert got.warnings == ()
    assert math.isfinite(got.lengths_m["step_length_left_3d_m"])
    assert math.isfinite(got.lengths_m["step_length_right_3d_m"])


def test_a_wrong_pointmap_scale_is_caught_by_the_height(strikes):
    # The pointmap 20% too large everywhere (a monocular scale error): the entered height finds
    # it (over the 10% tolerance: a warning) and one factor for the video takes it out.
    scaled = _points(strikes, scale=1.2)
    got = step_lengths_3d(scaled, height_m=1.75)
    assert abs(got.stature_m / 1.75 - 1.2) < 0.015  # the leg segments, 20% long
    assert SCALE_TOLERANCE < 0.2  # so the check must fire
    assert any("entered height (1.75 m) by 20%" in w for w in got.warnings)
    for (side, scene), (_, _, value, _) in zip(strikes, got.per_strike, strict=True):
        assert abs(value - _truth(side, scene)) < TOL_M * 1.2
    # Without a height nothing checks it: the steps come out 20% long, and it says so.
    raw = step_lengths_3d(scaled, height_m=None)
    assert raw.scale == 1.0 and any("unchecked" in w for w in raw.warnings)
    for (side, scene), (_, _, value, _) in zip(strikes, raw.per_strike, strict=True):
        assert abs(value - 1.2 * _truth(side, scene)) < TOL_M * 1.2


def test_a_missing_heel_gives_nan_with_the_reason(strikes):
    got = step_lengths_3d(_points(strikes, drop=("right_heel",)), height_m=1.75)
    frame, side, value, why = got.per_strike[1]
    assert (frame, side) == (1, "right") and math.isnan(value)
    assert "no 2D keypoint" in why
    assert math.isfinite(got.lengths_m["step_length_left_3d_m"])  # the other strikes still count
    assert math.isnan(got.lengths_m["step_length_right_3d_m"])  # its only strike is gone
    rows = step3d_rows(got)
    per = rows[rows.metric == "step_3d_m"]
    assert per.frame.tolist() == [0, 1, 2] and per.value.isna().tolist() == [False, True, False]


def test_strikes_without_a_line_fall_back_to_the_horizontal_distance(strikes):
    # One strike alone gives no walking direction: the heels' horizontal distance (which also
    # holds the step width, here the hip spacing of 0.18 m against 0.65 m: sqrt(L^2 + w^2)).
    one = _points(strikes[:1])
    got = step_lengths_3d(one, height_m=1.75)
    side, scene = strikes[0]
    lat = scene.skeleton.joints["left_heel"][0] - scene.skeleton.joints["right_heel"][0]
    assert abs(got.per_strike[0][2] - math.hypot(_truth(side, scene), lat)) < TOL_M
    assert any("do not spread along a line" in w for w in got.warnings)
    assert set(step3d_rows(got).metric) >= {"warning_3d_no_line", "pointmap_scale_3d"}


def test_an_impossible_height_is_refused(strikes):
    with pytest.raises(InputError, match="between 0.5 and 2.6"):
        step_lengths_3d([], height_m=3.5)
    empty = step_lengths_3d([], height_m=None)
    assert math.isnan(empty.stature_m) and empty.per_strike == ()
    assert dataclasses.is_dataclass(empty)
