"""The posture page's 3D option with a Sapiens2 backend whose pose, seg and pointmap heads are a
rendered scene's doubles (tests/scenes/fakes.py): cost shown before, 2D and 3D side by side, the
turned-away warning, missing weights with the download offered, and the 3D rows saved."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from core.analysis3d import duration_words, extra_seconds_3d
from core.app.posture3d_ui import cost_text
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.measure.test_pose3d import OPEN
from tests.scenes.fakes import ScenePose, scene_backend
from tests.scenes.render import Camera, render
from tests.scenes.skeleton import build_skeleton
from tests.scenes.truth import true_measures

pytestmark = pytest.mark.slow

#: Camera 30 degrees round the subject: past the 20-degree turned-away warning.
SCENE = render(build_skeleton(OPEN), Camera(yaw_deg=30.0, pitch_deg=10.0))


@pytest.fixture
def use(monkeypatch):  # noqa: ANN201
    import core.backends.selection
    from core.app import cache, resources

    def install(backend):  # noqa: ANN001, ANN202
        monkeypatch.setattr(core.backends.selection, "get_backend", lambda *a, **k: backend)
        resources.clear_backends()
        cache.clear()
        return backend

    yield install
    resources.clear_backends()


def _upload(at):  # noqa: ANN001, ANN202
    ok, png = cv2.imencode(".png", np.full((*SCENE.class_map.shape, 3), 128, np.uint8))
    assert ok
    at.radio(key="posture_source").set_value("Upload")
    at.file_uploader(key="posture_upload").set_value(("scene.png", png.tobytes(), "image/png"))
    return at.run()


def _cell(table, measure: str, column: str) -> str:  # noqa: ANN001
    return table[table["measure"] == measure][column].iloc[0]


def test_3d_beside_2d_with_the_turned_warning_and_saved(use) -> None:
    backend = use(scene_backend(SCENE))
    make_subject(height_m=1.75)
    at = _upload(open_page("pages/posture.py"))
    assert problems(at) == []
    toggle = at.toggle(key="posture_3d")
    # The cost is on the option before it runs: the doubles say cpu / float32, 0.4b.
    assert toggle.label.endswith(cost_text("0.4b", "cpu", "float32"))
    sec = extra_seconds_3d("0.4b", "cpu", "float32")
    assert sec is not None and f"about {duration_words(sec)} more" in toggle.label
    assert backend.task_predictor("pointmap").calls == 0  # nothing ran before it is turned on
    toggle.set_value(True).run()
    assert problems(at) == []
    table = table_with(at, "3D − 2D")
    truth = true_measures(SCENE)
    three = _cell(table, "Knee angle (left)", "3D")
    value, sigma = (float(v.strip().rstrip("°")) for v in three.split("±"))
    assert abs(value - truth.values["left_knee_angle_3d_deg"]) < 1.0  # tests/measure/test_pose3d
    assert 0 < sigma < 1.0  # a noise-free scene: a small statistical sigma
    flat = float(_cell(table, "Knee angle (left)", "2D").rstrip("°"))
    diff = float(_cell(table, "Knee angle (left)", "3D − 2D").rstrip("°"))
    assert math.isclose(diff, value - flat, abs_tol=0.11)  # both shown rounded to 0.1
    assert _cell(table, "Hip yaw", "2D") == "(no 2D twin)"
    assert any("turned" in w.value and "prefer the 3D" in w.value for w in at.warning)
    assert "Stature for the surface-to-joint offset: 1.75 m (given)" in texts(at)
    at.button(key="posture_save").click().run()
    assert problems(at) == []
    with Store() as s:
        session = s.list_sessions(s.list_subjects()[0].id)[0]
        rows = s.load_measurements(session.id)
    assert session.params.get("3d") is True
    knee = rows[(rows.metric == "knee_angle_3d_deg") & (rows.side == "left")]["value"].iloc[0]
    assert abs(knee - value) < 0.051  # the table shows it rounded to 0.1
    assert rows[rows.metric == "warning_3d_turned"]["value"].tolist() == [1.0]
    assert ((rows.metric == "knee_angle_deg") & (rows.side == "left")).any()  # 2D kept


def test_missing_weights_are_named_and_offered_for_download(use, monkeypatch, tmp_path) -> None:
    from core.backends.sapiens2 import Sapiens2Backend

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("SAPIENS2_CHECKPOINT_ROOT", str(tmp_path / "none"))
    monkeypatch.delenv("SAPIENS_CHECKPOINT_ROOT", raising=False)
    use(Sapiens2Backend("0.4b", predictors={"pose": ScenePose(SCENE)}, detector=None))
    make_subject()
    at = _upload(open_page("pages/posture.py"))
    at.toggle(key="posture_3d").set_value(True).run()
    assert problems(at) == []
    assert "need the Sapiens2 seg and pointmap weights (0.4b)" in texts(at)
    for task in ("seg", "pointmap"):
        assert at.button(key=f"posture_3d_download_{task}") is not None
    assert not any("3D − 2D" in f.value.columns for f in [*at.table, *at.dataframe])


def test_lite_style_backend_has_no_3d_option(use) -> None:
    from core.backends.fake import FakeBackend

    use(FakeBackend([SCENE.xy]))
    make_subject()
    at = _upload(open_page("pages/posture.py"))
    assert problems(at) == []
    assert not [t for t in at.toggle if t.key == "posture_3d"]
    assert "need the Sapiens2 backend" in texts(at)
