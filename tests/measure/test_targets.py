"""Exercise targets: value against target ± tolerance, bounds inclusive."""

from __future__ import annotations

import math

import pytest

from core.errors import InputError
from core.measure.targets import PRESETS, check_preset, check_target


@pytest.mark.parametrize(
    ("value", "expected"),
    # 90 ± 10 -> [80, 100] inclusive.
    [
        (90.0, "within"),
        (80.0, "within"),
        (100.0, "within"),
        (100.5, "above"),
        (79.9, "below"),
        (math.nan, "not measured"),
    ],
)
def test_check_target(value, expected):
    assert check_target(value, 90.0, 10.0) == expected


def test_bad_target():
    with pytest.raises(InputError, match="tolerance"):
        check_target(1.0, 90.0, -1.0)


def test_presets():
    # Squat preset: knee flexion 90 ± 10; flexion 105 = knee angle 75 -> above the band.
    squat = PRESETS["squat knee flexion (left)"]
    assert (squat.metric, squat.target, squat.tolerance) == ("left_knee_flexion_deg", 90.0, 10.0)
    assert check_preset({"left_knee_flexion_deg": 105.0}, "squat knee flexion (left)") == "above"
    assert check_preset({}, "level hips") == "not measured"
    with pytest.raises(InputError, match="unknown target"):
        check_preset({}, "plank")
