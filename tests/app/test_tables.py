"""The pure table and report helpers behind the pages."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.app.report import build_report, svg_line_chart
from core.app.tables import NOT_VISIBLE, format_value, measures_table, repeatability_table
from core.measure.display import NOT_MEASURED


def test_format_value_never_invents_a_number() -> None:
    assert format_value(math.nan, "deg") == NOT_VISIBLE
    assert format_value(None, "deg") == NOT_VISIBLE  # type: ignore[arg-type]
    assert format_value(12.345, "deg") == "12.3°"
    assert format_value(98.25, "steps/min") == "98.2 steps/min"


def test_measures_table_rows_units_and_sides() -> None:
    table = measures_table({"left_knee_angle_deg": 170.0, "trunk_lean_deg": math.nan})
    assert list(table["measure"]) == ["knee angle", "trunk lean"]
    assert list(table["side"]) == ["left", ""]
    assert list(table["value"]) == ["170.0°", NOT_VISIBLE]
    assert list(table["unit"]) == ["deg", "deg"]


def test_repeatability_mean_sd_and_flags() -> None:
    runs = [
        {"left_knee_angle_deg": 170.0, "trunk_lean_deg": 1.0, "neck_flexion_deg": math.nan},
        {"left_knee_angle_deg": 172.0, "trunk_lean_deg": 9.0, "neck_flexion_deg": 5.0},
    ]
    table = repeatability_table(runs, sd_limit_deg=3.0).set_index("key")
    # knee: mean 171, sample SD |170 - 172| / sqrt(2) = 1.414 < 3 -> stable
    assert table.loc["left_knee_angle_deg", "mean"] == pytest.approx(171.0)
    assert table.loc["left_knee_angle_deg", "sd"] == pytest.approx(1.41, abs=0.01)
    assert table.loc["left_knee_angle_deg", "readout"] == "stable"
    # trunk: SD 8 / sqrt(2) = 5.66 > 3 -> unstable
    assert table.loc["trunk_lean_deg", "readout"].startswith("unstable: SD")
    # neck: seen once of twice -> unstable, not averaged as if complete
    assert table.loc["neck_flexion_deg", "readout"] == "unstable: visible in 1 of 2 photos"


def test_repeatability_says_unreliable_where_a_photo_flags_the_measure() -> None:
    runs = [
        {"left_knee_angle_deg": 170.0, "trunk_lean_deg": 1.0, "hip_tilt_deg": math.nan},
        {"left_knee_angle_deg": 171.0, "trunk_lean_deg": 1.5, "hip_tilt_deg": math.nan},
        {"left_knee_angle_deg": 170.5, "trunk_lean_deg": 1.2, "hip_tilt_deg": math.nan},
    ]
    # The knee is flagged in the second photo; the hip tilt is "flagged" where it has no value.
    marks = [set(), {"left_knee_angle_deg", "hip_tilt_deg"}, {"hip_tilt_deg"}]
    table = repeatability_table(runs, sd_limit_deg=3.0, unreliable=marks).set_index("key")
    # Its SD (0.5) would read stable: a mean over a number not to be relied on is not.
    assert table.loc["left_knee_angle_deg", "readout"] == "unreliable in 1 of 3 photos"
    assert table.loc["left_knee_angle_deg", "mean"] == pytest.approx(170.5)  # still shown
    assert table.loc["trunk_lean_deg", "readout"] == "stable"
    assert table.loc["hip_tilt_deg", "readout"] == NOT_VISIBLE
    unmarked = repeatability_table(runs, sd_limit_deg=3.0).set_index("key")
    assert unmarked.loc["left_knee_angle_deg", "readout"] == "stable"


def test_report_is_self_contained_and_escapes_labels() -> None:
    sessions = pd.DataFrame({"session": [1, 2], "notes": ["<script>x</script>", ""]})
    history = pd.DataFrame(
        {
            "session": [1, 2],
            "created": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "kind": ["posture", "posture"],
            "measure": ["knee_angle_deg (left)"] * 2,
            "metric": ["knee_angle_deg"] * 2,
            "side": ["left"] * 2,
            "value": [150.0, math.nan],
            "unit": ["deg"] * 2,
        }
    )
    html = build_report("<b>P1</b>", sessions, history, trend_measures=["knee_angle_deg (left)"])
    assert "&lt;b&gt;P1&lt;/b&gt;" in html and "<b>P1</b>" not in html
    assert "<script>" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "Measurements, not diagnoses" in html
    # The missing value reads in words from the display table (never "nan" or "None"), and the
    # measure is named in words, not by its key.
    assert "<svg" in html and NOT_MEASURED in html and "knee_angle_deg" not in html
    assert "Knee angle (left, °) by session" in html and "1 Jan" in html


def test_svg_chart_handles_no_values() -> None:
    assert "no values" in svg_line_chart([0.0], [math.nan], title="t")
