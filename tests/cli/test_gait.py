"""``python -m core gait``: JSON contract, too few steps, errors, saving."""

from __future__ import annotations

from core.store import Store
from tests.cli.conftest import run_json, write_video

KEYS = {
    "backend", "model", "n_frames_used", "n_steps", "cadence_spm", "step_time_left_s", "step_time_right_s",
    "symmetry_index_step_time_pct", "walking_direction", "heel_strikes", "warnings",
}  # fmt: skip


def test_json_keys_and_values(cli, fake_backend, tmp_path):
    out = run_json(cli, "gait", write_video(tmp_path / "w.avi", 12), "--json")
    assert set(out) >= KEYS
    # 12 frames all with the person -> n_frames_used 12; the fake gait gives 2 steps at 120 spm.
    assert out["n_frames_used"] == 12 and out["n_steps"] == 2 and out["cadence_spm"] == 120.0
    assert out["heel_strikes"] == [
        {"time_s": 0.0, "side": "left"},
        {"time_s": 0.5, "side": "right"},
    ]
    assert out["walking_direction"] == "left_to_right" and out["warnings"] == []


def test_too_few_steps_is_exit_0_with_nulls_and_warning(cli, fake_backend, tmp_path):
    code, out, err = cli("gait", write_video(tmp_path / "w.avi", 12), "--json", "--every", "3")
    assert code == 0 and "NaN" not in out
    import json

    data = json.loads(out)
    # every 3rd of 12 frames -> 4 frames (< 10): nulls and the warning.
    assert (
        data["n_frames_used"] == 4
        and data["cadence_spm"] is None
        and data["warnings"] == ["too few steps for events"]
    )


def test_bad_inputs(cli, fake_backend, tmp_path):
    (tmp_path / "e.mp4").write_bytes(b"")
    (tmp_path / "t.mp4").write_bytes(b"text" * 100)
    dark = write_video(tmp_path / "d.avi", 4, value=0)
    for path, msg in (
        (tmp_path / "none.mp4", "no such file"),
        (tmp_path / "e.mp4", "is empty"),
        (tmp_path / "t.mp4", "video"),
        (dark, "no person"),
    ):
        code, out, err = cli("gait", path, "--json")
        assert (
            code == 1
            and out == ""
            and err.startswith("error: ")
            and msg in err
            and len(err.strip().splitlines()) == 1
        )
    code, _, err = cli("gait", dark, "--every", "0")
    assert code == 1 and "--every" in err


def test_save_stores_gait_session(cli, fake_backend, tmp_path):
    with Store() as s:
        s.create_subject("P1", height_m=1.7, consent=True)
    out = run_json(cli, "gait", write_video(tmp_path / "w.avi", 12), "--json", "--save", "P1")
    with Store() as s:
        session = s.get_session(out["session_id"])
        assert session.kind == "gait" and session.params["height_m"] == 1.7  # the subject's height
        assert s.load_measurements(session.id)["metric"].tolist() == ["cadence_spm", "n_steps"]
