"""Chart builders: one panel per signal, every panel spanning the whole recording."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.app.charts import time_series_panels


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
