"""RULA bands (McAtamney & Corlett 1993, table 1 posture scores) and the desk check."""

from __future__ import annotations

import math

import pytest

from core.errors import InputError
from core.measure.ergonomics import FINE, LOOK, NOT_MEASURED, desk_check, rula_band, rula_scores


@pytest.mark.parametrize(
    ("part", "angle", "label", "score"),
    [
        # Neck: extension 4, 0-10 -> 1, 10-20 -> 2, >20 -> 3; bands closed at the top.
        ("neck", -5.0, "extension", 4),
        ("neck", 0.0, "0-10° flexion", 1),
        ("neck", 10.0, "0-10° flexion", 1),
        ("neck", 10.5, "10-20° flexion", 2),
        ("neck", 35.0, ">20° flexion", 3),
        # Trunk: upright (our 5 deg tolerance) 1, 0-20 -> 2, 20-60 -> 3, >60 -> 4.
        ("trunk", 3.0, "upright (<5°)", 1),
        ("trunk", 15.0, "0-20° flexion", 2),
        ("trunk", 45.0, "20-60° flexion", 3),
        ("trunk", 75.0, ">60° flexion", 4),
        # Upper arm: 0-20 -> 1, 20-45 -> 2, 45-90 -> 3, >90 -> 4.
        ("upper_arm", 10.0, "0-20°", 1),
        ("upper_arm", 30.0, "20-45°", 2),
        ("upper_arm", 60.0, "45-90°", 3),
        ("upper_arm", 120.0, ">90°", 4),
        # Lower arm: 60-100 flexion -> 1, otherwise 2.
        ("lower_arm", 30.0, "<60° flexion", 2),
        ("lower_arm", 80.0, "60-100° flexion", 1),
        ("lower_arm", 130.0, ">100° flexion", 2),
    ],
)
def test_bands(part, angle, label, score):
    band = rula_band(part, angle)
    assert (band.label, band.score) == (label, score)


def test_nan_and_unknown_part():
    assert rula_band("neck", math.nan) is None
    with pytest.raises(InputError, match="unknown RULA part"):
        rula_band("wrist", 10.0)


def _measures(**over: float) -> dict[str, float]:
    base = {
        "neck_flexion_deg": 5.0,
        "trunk_lean_deg": -2.0,
        "left_shoulder_angle_deg": 10.0,
        "right_shoulder_angle_deg": 15.0,
        "left_elbow_flexion_deg": 80.0,
        "right_elbow_flexion_deg": 90.0,
    }
    base.update(over)
    return base


def test_rula_items_and_desk_check_fine():
    items = rula_scores(_measures(), view="left")
    assert [(i.part, i.side) for i in items] == [
        ("neck", ""), ("trunk", ""), ("upper_arm", "left"), ("upper_arm", "right"),
        ("lower_arm", "left"), ("lower_arm", "right"),
    ]  # fmt: skip
    # Trunk is scored on |lean|: -2 -> 2 deg, upright.
    assert items[1].angle_deg == 2.0 and items[1].score == 1
    assert all(i.status == FINE for i in items)
    check = desk_check(_measures(), view="left")
    assert check.status == FINE and check.flagged == ()


def test_desk_check_flags_parts_and_handles_missing():
    # Neck 25 -> band 3; right elbow flexion 40 -> <60 band 2; left upper arm missing -> not measured.
    m = _measures(
        neck_flexion_deg=25.0, right_elbow_flexion_deg=40.0, left_shoulder_angle_deg=math.nan
    )
    check = desk_check(m, view="right")
    assert check.status == LOOK
    assert check.flagged == ("neck", "lower_arm (right)")
    missing = [i for i in check.items if i.part == "upper_arm" and i.side == "left"][0]
    assert (missing.status, missing.score, missing.band) == (NOT_MEASURED, None, "not visible")
    # Extension in a side view is RULA's worst neck band.
    assert rula_scores(_measures(neck_flexion_deg=-8.0), view="left")[0].score == 4


def test_front_view_note_and_nothing_visible():
    items = rula_scores(_measures(), view="front")
    assert "side view" in items[0].note and items[2].note == ""
    # A back view is frontal too: its trunk lean is a side bend as well.
    assert "side view" in rula_scores(_measures(), view="back")[1].note
    assert rula_scores(_measures(), view="right")[1].note == ""
    empty = {k: math.nan for k in _measures()}
    assert desk_check(empty).status == NOT_MEASURED
    with pytest.raises(InputError, match="posture_measures"):
        rula_scores({}, view="left")
