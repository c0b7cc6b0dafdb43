"""``python -m core gait --3d``: refused without Sapiens2; with seg and pointmap doubles it runs the
heads on the heel-strike frames only and reports and stores ``steps_3d`` (plumbing: the doubles
see no body, so every step is null with its reason; accuracy is tests/measure/test_step3d.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from core.store import Store
from tests.cli.conftest import run_json
from tests.cli.scenes import walking_backend, write_walk_video

WALK_S = 6.0


class _Blank:
    """A seg or pointmap double: background everywhere, a flat wall 3 m away; counts its calls."""

    def __init__(self, task: str) -> None:
        self.name, self.calls = f"blank-{task}", 0

    def predict(self, image: np.ndarray) -> SimpleNamespace:
        self.calls += 1
        h, w = image.shape[:2]
        xyz = np.zeros((h, w, 3), np.float32)
        xyz[..., 2] = 3.0
        return SimpleNamespace(class_map=np.zeros((h, w), np.uint8), xyz=xyz)


@pytest.fixture(scope="module")
def walk_video(tmp_path_factory):
    return write_walk_video(tmp_path_factory.mktemp("walk") / "walk.avi", WALK_S)


def test_3d_needs_the_sapiens2_backend(cli, install, walk_video):
    requests = install(walking_backend(WALK_S))
    code, out, err = cli("gait", walk_video, "--3d", "--backend", "lite")
    assert code == 1 and out == "" and "--3d needs --backend sapiens2" in err
    assert requests == []


def test_3d_runs_the_heads_on_the_strike_frames_only(cli, install, walk_video, monkeypatch):
    heads = (_Blank("seg"), _Blank("pointmap"))
    monkeypatch.setattr("core.cli.gait.load_3d_predictors", lambda size: heads)
    install(walking_backend(WALK_S))
    with Store() as s:
        s.create_subject("P1", consent=True, height_m=1.7)
    out = run_json(
        cli, "gait", walk_video, "--3d", "--backend", "sapiens2", "--json", "--save", "P1"
    )
    steps = out["steps_3d"]
    n = len(out["heel_strikes"])
    assert n >= 9 and heads[0].calls == heads[1].calls == n  # strike frames only, not all 180
    assert [e["side"] for e in steps["per_strike"]] == [e["side"] for e in out["heel_strikes"]]
    for e in steps["per_strike"]:
        assert e["step_m"] is None and "heel" in e["reason"]  # no body pixels: NaN with why
    assert set(steps["step_length_m"]) == {"step_length_left_3d_m", "step_length_right_3d_m"}
    assert any("could not be measured in 3D" in w for w in steps["warnings"])
    with Store() as s:
        rows = s.load_measurements(out["session_id"])
        params = s.get_session(out["session_id"]).params
    assert (rows.metric == "step_3d_m").sum() == n and params.get("3d") is True
    assert "cadence_spm" in set(rows.metric)  # the 2D gait rows are kept
