"""Chart builders: one panel per signal, every panel spanning the whole recording."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.app.charts import curve_panels, time_series_panels


def test_panels_span_the_recording_and_skip_missing_columns():
    # The signal exists only from 1.5 s on (the walker appears late), but the x axis must still
    # run from the first to the last frame, so panels line up and the gap is visible.
    t = np.arange(0, 7.7, 1 / 30)
    series = pd.DataFrame({"time_s": t, "lean": np.where(t > 1.5, 5.0, np.nan)})
    events = pd.DataFrame({"time_s": [2.6, 3.2], "side": ["left", "right"]})
    panels = time_series_panels(series, {"lean": "lean (°)", "absent": "x"}, events=events)
    assert len(panels) == 1
    spec = panels[0].to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"] == [0.0, float(t[-1])]
    assert spec["layer"][1]["mark"]["type"] == "rule"  # heel strikes drawn


def _layers(spec: dict) -> list[dict]:
    """Every plain layer of a (nested) layer spec."""
    out = []
    for layer in spec.get("layer", [spec]):
        out += _layers(layer) if "layer" in layer else [layer]
    return out


def test_curve_panels_draw_both_sides_and_ring_the_unreliable_samples():
    t = np.arange(6) / 30.0
    series = pd.DataFrame(
        {
            "time_s": t,
            "left_knee_signed_flexion_deg": [5.0, 10.0, np.nan, 30.0, 50.0, 60.0],
            "left_knee_signed_flexion_deg_reason": ["", "", "", "gap_filled", "", ""],
            "right_knee_signed_flexion_deg": [40.0, 30.0, 20.0, 10.0, 5.0, 2.0],
            "right_knee_signed_flexion_deg_reason": ["low_score", "", "", "", "", ""],
        }
    )
    events = pd.DataFrame({"time_s": [0.1], "side": ["left"]})
    (panel,) = curve_panels(
        series, {"knee_signed_flexion_deg": "knee", "hip_signed_flexion_deg": "hip"}, events=events
    )  # no hip columns: no hip panel
    spec = panel.to_dict()
    assert spec["title"]["text"] == "knee"
    layers = _layers(spec)
    line = next(x for x in layers if x["mark"] == "line" or x["mark"].get("type") == "line")
    assert line["encoding"]["detail"]["field"] == "run"
    (rings,) = [x for x in layers if x["mark"]["type"] == "point"]
    assert rings["mark"]["filled"] is False
    assert rings["transform"] == [{"filter": "(datum.doubt !== '')"}]
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert sorted(set(data["side"])) == ["left", "right"]
    # The left knee's missing third sample splits its line in two runs (not bridged, not drawn
    # as 0); the right one is one run.
    left = data[data["side"] == "left"]
    assert left["run"].tolist()[:2] != left["run"].tolist()[-2:]
    assert data[data["side"] == "right"]["run"].nunique() == 1
    doubtful = data[data["doubt"] != ""]
    assert sorted(zip(doubtful["side"], doubtful["time_s"].round(4))) == [
        ("left", round(3 / 30, 4)),
        ("right", 0.0),
    ]
    assert any(x["mark"]["type"] == "rule" for x in layers)  # the heel strike
    assert data[data["side"] == "left"]["value"].isna().sum() == 1  # kept missing, not 0
