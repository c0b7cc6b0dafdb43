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
