"""``python -m core posture --3d``: refuses without Sapiens2 or its weights, and with the golden tiny
seg and pointmap models adds ``measures_3d`` (plumbing only: tiny random models)."""

from __future__ import annotations

import math

import pytest

from core.backends.fake import FakeBackend
from tests.cli.conftest import run_json
from tests.cli.scenes import BIG, write_image


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("SAPIENS2_CHECKPOINT_ROOT", str(tmp_path / "none"))
    monkeypatch.delenv("SAPIENS_CHECKPOINT_ROOT", raising=False)


def test_3d_needs_the_sapiens2_backend(cli, install, tmp_path):
    requests = install(FakeBackend([BIG]))
    code, out, err = cli("posture", write_image(tmp_path / "a.png"), "--3d", "--backend", "lite")
    assert code == 1 and out == "" and "--3d needs --backend sapiens2" in err
    assert requests == []


def test_3d_without_weights_names_both_files_before_any_model_runs(
    cli, install, tmp_path, no_weights
):
    requests = install(FakeBackend([BIG]))
    code, _, err = cli("posture", write_image(tmp_path / "a.png"), "--3d", "--backend", "sapiens2")
    assert code == 1 and "seg and pointmap weights" in err
    assert "fetch sapiens2 --task seg" in err and "fetch sapiens2 --task pointmap" in err
    assert requests == []  # refused before the pose backend was even asked for


def test_3d_with_the_golden_tiny_models(cli, install, tmp_path, monkeypatch):
    from core.sapiens2.predictor import PointmapPredictor, SegPredictor
    from tests.sapiens2.golden import golden_model

    predictors = (SegPredictor(golden_model("seg")), PointmapPredictor(golden_model("pointmap")))
    monkeypatch.setattr("core.cli.posture.load_3d_predictors", lambda size: predictors)
    install(FakeBackend([BIG]))
    out = run_json(
        cli, "posture", write_image(tmp_path / "a.png"), "--3d", "--backend", "sapiens2", "--json"
    )
    three_d = out["measures_3d"]
    assert {"left_knee_angle_3d_deg", "trunk_lean_3d_deg", "hip_yaw_3d_deg"} <= set(
        three_d["measures"]
    )
    for name, value in three_d["measures"].items():
        # A number, or null with the reason (the tiny models' output is noise).
        assert (value is not None and math.isfinite(value)) or name in three_d["reasons"], name
    assert three_d["vertical"] and three_d["models"] == [p.name for p in predictors]
    code, text, _ = cli("posture", write_image(tmp_path / "a.png"), "--3d", "--backend", "sapiens2")
    assert code == 0 and "3D from the pointmap" in text and "2D image-plane angles" in text


def test_3d_save_stores_the_3d_rows_beside_the_2d_ones(cli, install, tmp_path, monkeypatch):
    from core.measure.pose3d_rows import SIGMA_SUFFIX
    from core.store import Store
    from tests.measure.test_pose3d import OPEN
    from tests.scenes.fakes import ScenePointmap, SceneSeg
    from tests.scenes.render import Camera, render
    from tests.scenes.skeleton import build_skeleton

    scene = render(build_skeleton(OPEN), Camera(yaw_deg=15.0, pitch_deg=10.0))
    monkeypatch.setattr(
        "core.cli.posture.load_3d_predictors",
        lambda size: (SceneSeg(scene), ScenePointmap(scene)),
    )
    install(FakeBackend([scene.xy]))
    with Store() as s:
        s.create_subject("P1", consent=True, height_m=1.75)
    h, w = scene.class_map.shape
    image = write_image(tmp_path / "a.png", size=(w, h))
    out = run_json(cli, "posture", image, "--3d", "--backend", "sapiens2", "--json", "--save", "P1")
    three_d = out["measures_3d"]
    assert three_d["stature_source"] == "given" and three_d["stature_m"] == 1.75
    with Store() as s:
        rows = s.load_measurements(out["session_id"], companions=True)
        params = s.get_session(out["session_id"]).params
    stored = {(m, side): v for m, side, v in zip(rows.metric, rows.side, rows.value)}
    knee = three_d["measures"]["left_knee_angle_3d_deg"]
    assert knee is not None and math.isclose(stored[("knee_angle_3d_deg", "left")], knee)
    sigma = three_d["sigma_deg"]["left_knee_angle_3d_deg"]
    assert math.isclose(stored[("knee_angle_3d_deg" + SIGMA_SUFFIX, "left")], sigma)
    assert ("knee_angle_deg", "left") in stored  # the 2D rows are still there
    assert params.get("3d") is True  # a 3D session is told apart from a 2D one of the same photo
