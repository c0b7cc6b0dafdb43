"""Tidy long rows for the store and CSV export."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.errors import InputError
from core.measure.posture import posture_measures
from core.measure.summary import COLUMNS, gait_rows, posture_rows, split_side
from tests.measure.synthetic import make_pose, walking_series


def test_split_side():
    assert split_side("left_knee_angle_deg") == ("knee_angle_deg", "left")
    assert split_side("step_time_right_s") == ("step_time_s", "right")
    assert split_side("trunk_lean_deg") == ("trunk_lean_deg", "")


def test_posture_rows():
    # Left knee straight: hip (0,0), knee (0,10), ankle (0,20) -> 180 deg, flexion 0.
    pose = make_pose({"left_hip": (0, 0), "left_knee": (0, 10), "left_ankle": (0, 20)})
    df = posture_rows(posture_measures(pose), frame=3, time_s=0.1)
    # 19 measures of every view + 9 signed side-view ones (core.measure.sagittal), NaN rows kept.
    assert tuple(df.columns) == COLUMNS and len(df) == 28
    knee = df[(df.metric == "knee_angle_deg") & (df.side == "left")]
    assert (
        knee.value.tolist() == [180.0]
        and knee.unit.tolist() == ["deg"]
        and knee.frame.tolist() == [3]
    )
    right = df[(df.metric == "knee_angle_deg") & (df.side == "right")]
    assert math.isnan(right.value.iloc[0])  # not visible is a NaN row, not a missing row
    assert set(df.side) == {"left", "right", ""}
    with pytest.raises(InputError, match="not a posture measure"):
        posture_rows({"left_knee_speed": 1.0})


def test_gait_rows():
    from core.measure.gait import analyze_gait

    res = analyze_gait(walking_series(), height_m=1.7, reliable_score=0.8)
    df = gait_rows(res)
    assert tuple(df.columns) == COLUMNS
    assert str(df.frame.dtype) == "Int64"
    # 180 frames x 4 per-frame signals, plus 6 joint-angle curves (3 per side) with a score and a
    # reliable flag each; a sample not reliable has a reason row too (here: the last frame, where
    # the synthetic walker's toe reaches the picture's edge).
    reasons = df.metric.str.contains(":reason:")
    per_frame = df.frame.notna() & (df.unit != "s")
    assert (per_frame & ~reasons).sum() == 180 * 4 + 180 * 6 * 3
    assert set(df[reasons].metric.str.partition(":reason:")[2]) == {"at_edge"}
    assert set(df[reasons].frame) == {179}
    knee = df[df.metric == "knee_signed_flexion_deg"]
    assert len(knee) == 2 * 180 and set(knee.side) == {"left", "right"}
    assert (df[df.metric == "knee_signed_flexion_deg:reliable"].value == 1.0).sum() == 2 * 179
    assert df[df.metric == "reliable:min_score"].value.tolist() == [0.8]
    # Without a reliable score a sample with no reason against it has no flag (unknown), not True;
    # one with a reason (the edge) is still False.
    unjudged = gait_rows(analyze_gait(walking_series()))
    flags = unjudged[unjudged.metric.str.endswith(":reliable")]
    assert (flags.value == 0.0).all() and set(flags.frame) == {179}
    assert (unjudged.metric == "knee_signed_flexion_deg:score").sum() == 2 * 180
    hs = df[df.metric == "heel_strike"]
    assert len(hs) == res.n_steps and set(hs.side) == {"left", "right"}
    cad = df[df.metric == "cadence_spm"]
    assert cad.frame.isna().all() and cad.unit.tolist() == ["steps/min"]
    assert abs(cad.value.iloc[0] - 110.0) < 2.0
    st = df[df.metric == "step_time_s"]
    assert sorted(st.side) == ["left", "right"]
    assert df[df.metric == "n_steps"].value.tolist() == [float(res.n_steps)]
    raw = gait_rows(res, include_raw=True)
    assert (raw.metric == "trunk_lean_deg_raw").sum() == 180
    assert (raw.metric == "knee_signed_flexion_deg_raw").sum() == 2 * 180
    assert isinstance(raw, pd.DataFrame)
    with pytest.raises(InputError, match="GaitResult"):
        gait_rows({})


def test_the_row_schema_is_defined_once() -> None:
    # measure builds the rows, the store keeps them: one tuple, from core.types, for both.
    from core.store.records import MEASUREMENT_COLUMNS
    from core.types import ROW_COLUMNS

    assert COLUMNS is ROW_COLUMNS and MEASUREMENT_COLUMNS is ROW_COLUMNS
