"""The display table: names in words, units, decimals, "not measured"; built from the measure
tables, so every measure they define has a readable name."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.measure.display import (
    KNOWN_UNITS,
    NOT_MEASURED,
    display_info,
    display_table,
    format_number,
)
from core.measure.posture import MEASURE_INFO
from core.measure.summary import GAIT_PARAM_UNITS, split_side


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (12.345, "deg", "12.3°"),  # angles: 1 decimal, the degree sign without a space
        (64.141, "%", "64.1 %"),  # percent: 1 decimal (the gait page showed 64.141)
        (0.5449, "s", "0.54 s"),  # seconds: 2
        (110.04, "steps/min", "110.0 steps/min"),  # cadence: 1
        (0.384, "body_height", "0.38 body heights"),
        (10.0, "count", "10"),
        (1.2345, "grade", "1.23 grade"),  # a unit the table does not know: 2 decimals, its name
        (-0.04, "deg", "0.0°"),  # rounds to zero: no "-0.0"
    ],
)
def test_format_number(value, unit, text) -> None:
    assert format_number(value, unit) == text


@pytest.mark.parametrize("missing", [math.nan, None, float("inf")])
def test_missing_reads_not_measured(missing) -> None:
    assert format_number(missing, "deg") == NOT_MEASURED == "not measured"


def test_every_defined_measure_has_words_and_its_unit() -> None:
    keys = [split_side(k)[0] for k in MEASURE_INFO]
    keys += [split_side(p.replace("_{side}", "_left"))[0] for p in GAIT_PARAM_UNITS]
    for metric in keys:
        info = display_info(metric)
        assert "_" not in info.name and info.name[0].isupper(), (metric, info.name)
        assert info.unit == KNOWN_UNITS[metric]
    assert display_info("knee_angle_deg", "left").name == "Knee angle (left)"
    assert display_info("cadence_spm").name == "Cadence"
    # The posture meaning comes from MEASURE_INFO, without its side.
    assert display_info("knee_angle_deg").description.startswith("knee interior angle")


def test_unknown_rows_read_generically() -> None:
    rows = pd.DataFrame(
        {"metric": ["quality_grade", "step_time_s"], "side": ["", "right"],
         "value": [2.0, math.nan], "unit": ["grade", "s"]}
    )  # fmt: skip
    table = display_table(rows)
    assert table["measure"].tolist() == ["Quality grade", "Step time (right)"]
    assert table["value"].tolist() == ["2.00 grade", "not measured"]
    assert table["metric"].tolist() == ["quality_grade", "step_time_s"]  # the stored keys kept


def test_a_sided_description_names_neither_side() -> None:
    # Both rows of a metric share one text; before, side-view texts kept the last side read
    # ("Hip signed flexion (left)" described as "side view: right thigh ...").
    from core.measure.posture import MEASURE_INFO

    for key, info in MEASURE_INFO.items():
        if not info.side:
            continue
        metric = key.removeprefix(f"{info.side}_")
        text = display_info(metric, info.side).description
        assert text, key
        assert text == display_info(metric, "right" if info.side == "left" else "left").description
        assert " left " not in f" {text} ", (key, text)
    assert display_info("hip_signed_flexion_deg", "left").description.startswith("side view: thigh")
    # Only the side's own word goes: the same word in another sense stays ("0 = angle" before).
    assert display_info("ankle_dorsiflexion_deg", "left").description.endswith("0 = right angle")
