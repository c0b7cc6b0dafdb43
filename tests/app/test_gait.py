"""Gait session with the lite backend on the real walking video: parameters, chart, video, save, CSV."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from core.store import Store
from core.store.export import session_long_csv
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_walking_video_flow_gives_cadence_and_saves() -> None:
    subject_id = make_subject(height_m=1.65)
    at = open_page("pages/gait.py")
    data = shared_path("data", "walking_side_view.mp4").read_bytes()
    at.file_uploader(key="gait_upload").set_value(("walking_side_view.mp4", data, "video/mp4"))
    at.run()
    assert problems(at) == []
    # SOURCES.md: 230 frames at 30 fps; lite analyses every frame by default.
    assert "230 frames" in texts(at)
    assert at.number_input(key="gait_every").value == 1
    at.button(key="gait_run").click().run()
    assert problems(at) == []

    metrics = {m.label: m.value for m in at.metric}
    # SOURCES.md observes ankle crossings about every 0.6 s (~100 steps/min); lite gave 98.3 here.
    cadence = float(metrics["Cadence (steps/min)"])
    assert 80.0 < cadence < 130.0
    assert int(metrics["Heel strikes"]) >= 4
    assert metrics["Walking direction"] == "right to left"
    # Issue 15: the session's grade is shown with the parameters.
    assert [s.value for s in at.success] == ["**Quality: good** no problem found."]
    params = table_with(at, "parameter")
    step = params[params["parameter"] == "Step time"]  # words from core/measure/display.py
    assert 0.4 < float(step["left"].iloc[0]) < 0.8 and 0.4 < float(step["right"].iloc[0]) < 0.8
    assert len(at.get("vega_lite_chart")) >= 1
    assert len(at.get("video")) == 1
    # Issue 15: the hip, knee and ankle curves over the walk, each side with its reliable share.
    curves = table_with(at, "joint angle")
    assert len(curves) == 6 and set(curves["side"]) == {"left", "right"}
    knee = curves[curves["joint angle"] == "Knee signed flexion"].set_index("side")
    # A walking knee bends to about 60 degrees in swing (Perry, Gait Analysis, 2nd ed.): the
    # highest reliable sample must be a bent knee, the lowest a nearly straight one.
    for side in ("left", "right"):
        assert 30.0 < float(knee.loc[side, "highest"].rstrip("°")) < 90.0
        assert -15.0 < float(knee.loc[side, "lowest"].rstrip("°")) < 25.0

    # The frame inspector shows any analysed frame.
    at.slider(key="gait_frame").set_value(100).run()
    assert problems(at) == []
    assert any("frame 100 at" in str(img.proto) for img in at.get("image"))

    at.button(key="gait_save").click().run()
    assert problems(at) == []
    store = Store()
    (session,) = store.list_sessions(subject_id)
    assert session.kind == "gait" and "overlay.mp4" in session.artifacts

    # Reopened on the sessions page: the values table matches the CSV export, row for row.
    at.switch_page("pages/sessions.py").run()
    assert problems(at) == []
    shown = table_with(at, "measure")
    csv = pd.read_csv(io.StringIO(session_long_csv(session.id, store=store)), keep_default_na=False)
    # Whole-walk values have no time; the reliable score the curves were judged by is not a value.
    whole = csv[(csv["time_s"] == "") & (csv["metric"] != "reliable_min_score")]
    assert csv[csv["metric"] == "reliable_min_score"]["value"].tolist() == ["0.8"]
    knee_rows = csv[csv["metric"] == "knee_signed_flexion_deg"]
    assert set(knee_rows["side"]) == {"left", "right"}
    assert set(knee_rows["reliable"]) <= {"True", "False"} and "True" in set(knee_rows["reliable"])
    assert (knee_rows["score"] != "").mean() > 0.5  # gap-filled samples have no score
    assert len(shown) == len(whole)
    cad_csv = float(whole[whole["metric"] == "cadence_spm"]["value"].iloc[0])
    # The page shows words and units ("Cadence", "98.2 steps/min", core/measure/display.py), steps/min
    # to 1 decimal: the CSV's value rounds to the shown one within half of that last digit.
    cad_text = shown[shown["measure"] == "Cadence"]["value"].iloc[0]
    assert cad_text.endswith(" steps/min")
    assert float(cad_text.split()[0]) == pytest.approx(cad_csv, abs=0.05 + 1e-9)
    assert cad_csv == pytest.approx(cadence, abs=0.1)
    assert not math.isnan(cad_csv)


def test_fast_skips_the_flip_test_of_the_frames(monkeypatch) -> None:
    import core.analysis as analysis_module

    asked: list[bool] = []
    real = analysis_module.analyze_gait_video

    def spy(*args, **kwargs):
        asked.append(kwargs.get("fast", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis_module, "analyze_gait_video", spy)
    make_subject(height_m=1.67)  # a height of its own: no other test's cached analysis matches
    at = open_page("pages/gait.py")
    data = shared_path("data", "walking_side_view.mp4").read_bytes()
    at.file_uploader(key="gait_upload").set_value(("walking_side_view.mp4", data, "video/mp4"))
    at.run()
    assert at.checkbox(key="gait_fast").value is False  # lite: the flip test by default
    at.checkbox(key="gait_fast").check().run()
    at.button(key="gait_run").click().run()
    assert problems(at) == [] and asked == [True]
    assert float({m.label: m.value for m in at.metric}["Cadence (steps/min)"]) > 80.0
    # Another analysis: unticked, the cached fast one is not taken for it.
    at.checkbox(key="gait_fast").uncheck().run()
    assert at.button(key="gait_run") is not None and asked == [True]
    at.button(key="gait_run").click().run()
    assert problems(at) == [] and asked == [True, False]
