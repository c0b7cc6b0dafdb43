"""``python -m core gait``: JSON contract on a synthetic walk, too few steps, errors, saving."""

from __future__ import annotations

import json

import pytest
from numpy.testing import assert_allclose

from core.backends.fake import FakeBackend
from core.store import Store
from tests.cli.conftest import run_json
from tests.cli.scenes import WALK_TRUTH, walking_backend, write_video, write_walk_video
from tests.test_gait_batching import BatchedFake

KEYS = {
    "backend", "model", "n_frames_used", "n_steps", "cadence_spm", "step_time_left_s", "step_time_right_s",
    "symmetry_index_step_time_pct", "walking_direction", "heel_strikes", "warnings",
}  # fmt: skip
WALK_S = 6.0  # 180 frames at 30 fps
SHORT_S = 1.5  # 45 frames


@pytest.fixture(scope="module")
def walk_video(tmp_path_factory):
    return write_walk_video(tmp_path_factory.mktemp("walk") / "walk.avi", WALK_S)


def test_json_keys_and_values_of_a_walk(cli, install, walk_video):
    requests = install(backend := walking_backend(WALK_S))
    out = run_json(cli, "gait", walk_video, "--json")
    assert set(out) >= KEYS
    assert (out["backend"], out["model"]) == ("fake (test double)", "fake")
    assert requests == [("auto", "0.4b")] and backend.calls == 180
    assert out["n_frames_used"] == 180 and out["warnings"] == []
    assert out["walking_direction"] == "left_to_right"  # the synthetic pelvis moves toward +x
    assert out["quality_grade"] == "good" and out["quality"]["reasons"] == []
    stride, left, right = WALK_TRUTH  # 1.0909 s stride at 110 steps/min, steps 0.5182 / 0.5727 s
    assert abs(out["cadence_spm"] - 110.0) < 2.0
    assert_allclose([out["step_time_left_s"], out["step_time_right_s"]], [left, right], atol=0.02)
    # (R - L) / mean * 100 = 10 % by construction.
    assert abs(out["symmetry_index_step_time_pct"] - 10.0) < 2.0
    strikes = out["heel_strikes"]
    # 6 s hold 5.5 strides; the strikes at the very edges of the signal cannot be confirmed.
    assert out["n_steps"] == len(strikes) >= 9
    assert all(set(e) == {"time_s", "side"} for e in strikes)
    assert all(a["side"] != b["side"] for a, b in zip(strikes, strikes[1:]))
    for e in strikes:
        # Left strikes at 0.1 s + k stride, right ones a right step later (tests/measure/synthetic.py).
        offset = 0.1 if e["side"] == "left" else 0.1 + right
        k = round((e["time_s"] - offset) / stride)
        assert abs(e["time_s"] - (offset + k * stride)) < 1 / 30, e
    # Added on purpose (issue 15): the joint-angle curves over the walk, judged by the reliable
    # score of the settings (the fake backend is judged as lite: 0.8; its points all score 1, so
    # only samples at the picture's edge or interpolated are not reliable).
    angles = out["joint_angles"]
    assert set(angles) == {f"{s}_{m}" for s in ("left", "right") for m in
                           ("hip_signed_flexion_deg", "knee_signed_flexion_deg", "ankle_dorsiflexion_deg")}  # fmt: skip
    knee = angles["left_knee_signed_flexion_deg"]
    assert set(knee) == {"min_deg", "max_deg", "samples", "reliable_share", "reasons"}
    assert knee["samples"] == 180 and knee["min_deg"] <= knee["max_deg"]
    assert 0.0 < knee["reliable_share"] <= 1.0 and out["reliable_score"] == 0.8


def test_fast_asks_the_frames_for_no_flip_test(cli, install, walk_video):
    install(backend := walking_backend(WALK_S))
    asked = []
    real = backend.estimate_pose

    def spy(image, boxes=None, *, timestamp_ms=None, flip_test=None):
        asked.append(flip_test)
        return real(image, boxes, timestamp_ms=timestamp_ms, flip_test=flip_test)

    backend.estimate_pose = spy
    run_json(cli, "gait", walk_video, "--json", "--every", "6")
    run_json(cli, "gait", walk_video, "--json", "--every", "6", "--fast")
    # The fake backend is not lite: fast changes nothing for it (lite's frames: gait_flip_test).
    assert set(asked) == {None}


def test_every_nth_frame(cli, install, walk_video):
    install(backend := walking_backend(WALK_S))
    out = run_json(cli, "gait", walk_video, "--json", "--every", "2")
    # Every 2nd of 180 frames: 90 analysed at 15 fps, still fast enough for events.
    assert out["n_frames_used"] == out["n_frames_analysed"] == backend.calls == 90
    assert abs(out["cadence_spm"] - 110.0) < 2.0


def test_too_few_steps_is_exit_0_with_nulls_and_warning(cli, install, tmp_path):
    install(walking_backend(SHORT_S))
    code, out, err = cli("gait", write_walk_video(tmp_path / "short.avi", SHORT_S), "--json")
    assert code == 0 and "NaN" not in out
    data = json.loads(out)
    # Strikes by construction at 0.1 s (left, at the signal's edge: not found), 0.673 s (right) and
    # 1.191 s (left): two found, one step of each kind at most, so no right step time nor symmetry.
    assert [e["side"] for e in data["heel_strikes"]] == ["right", "left"]
    assert data["n_steps"] == 2 and data["n_frames_used"] == 45
    assert data["step_time_right_s"] is None and data["symmetry_index_step_time_pct"] is None
    assert len(data["warnings"]) == 1 and "only 2 heel strikes found" in data["warnings"][0]
    # Issue 15: fewer than 4 valid alternating strikes is no cadence, and the grade says why.
    assert data["cadence_spm"] is None and data["quality_grade"] == "unusable"
    assert [r["code"] for r in data["quality"]["reasons"]] == ["too_few_strikes"]
    code, out, err = cli("gait", tmp_path / "short.avi")  # text mode: the warning goes to stderr
    assert code == 0 and "warning: only 2 heel strikes found" in err
    assert "quality_grade" in out and "unusable" in out
    assert "- 2 valid alternating heel strikes, fewer than 4: no cadence" in out


def test_bad_inputs(cli, install, tmp_path):
    install(FakeBackend([]))  # nobody in any frame
    (tmp_path / "e.mp4").write_bytes(b"")
    (tmp_path / "t.mp4").write_bytes(b"text" * 100)
    dark = write_video(tmp_path / "d.avi", 4)
    for path, msg in (
        (tmp_path / "none.mp4", "no such file"),
        (tmp_path / "e.mp4", "is empty"),
        (tmp_path / "t.mp4", "video"),
        (dark, "no person found in any of the 4 analysed frames"),
    ):
        code, out, err = cli("gait", path, "--json")
        assert code == 1 and out == "", path
        assert err.startswith("error: ") and msg in err and len(err.strip().splitlines()) == 1, err
    code, _, err = cli("gait", dark, "--every", "0")
    assert code == 1 and "--every" in err


def test_save_stores_gait_session(cli, install, walk_video):
    install(walking_backend(WALK_S))
    with Store() as s:
        s.create_subject("P1", height_m=1.7, consent=True)
    out = run_json(cli, "gait", walk_video, "--json", "--save", "P1")
    with Store() as s:
        session = s.get_session(out["session_id"])
        rows = s.load_measurements(session.id)
    assert session.kind == "gait" and session.params["height_m"] == 1.7  # the subject's height
    value = rows.set_index(["metric", "side"])["value"]
    assert_allclose(value[("cadence_spm", "")], out["cadence_spm"], atol=1e-4)  # JSON rounds to 4
    assert value[("n_steps", "")] == out["n_steps"]
    assert (rows.metric == "heel_strike").sum() == out["n_steps"]
    # With a height, step lengths are also in metres: body heights x 1.7 m.
    assert_allclose(value[("step_length_m", "left")], value[("step_length_bh", "left")] * 1.7)


def test_progress_bar_on_stderr(cli, install, walk_video):
    install(walking_backend(WALK_S))
    code, out, err = cli("gait", walk_video, "--json", "--progress")
    assert code == 0 and json.loads(out)["n_frames_used"] == 180  # stdout stays pure JSON
    # Not a terminal: the bar is logged as full lines; the last one says all frames are done.
    last = err.strip().splitlines()[-1]
    assert "180/180" in last and "frames/s" in last and "0:00 left" in last


def test_batch_reaches_a_batching_backend(cli, install, tmp_path):
    video = write_video(tmp_path / "w.avi", 10, fps=30.0)
    install(backend := BatchedFake())
    out = run_json(cli, "gait", video, "--json", "--batch", "4")
    assert backend.groups == [(4, 4), (4, 4), (2, 4)] and out["n_frames_analysed"] == 10
    install(default := BatchedFake())
    run_json(cli, "gait", video, "--json")
    assert default.groups == [] and default.calls == 10  # default 1: frame by frame, as before
    code, _, err = cli("gait", video, "--batch", "0")
    assert code == 1 and "--batch" in err


def test_batch_is_ignored_by_a_frame_by_frame_backend(cli, install, walk_video):
    install(walking_backend(WALK_S))
    plain = run_json(cli, "gait", walk_video, "--json", "--every", "2")
    install(backend := walking_backend(WALK_S))
    batched = run_json(cli, "gait", walk_video, "--json", "--every", "2", "--batch", "8")
    assert batched == plain and backend.calls == 90


def test_max_seconds_cuts_a_long_video_and_says_so(cli, install, walk_video):
    install(backend := walking_backend(WALK_S))
    code, out, err = cli("gait", walk_video, "--json", "--max-seconds", "4", "--progress")
    assert code == 0, err
    data = json.loads(out)
    # 4 s of 30 fps: frames 0-120 (the one at exactly 4.000 s included), announced before the
    # analysis on stderr, and in the warnings; the progress bar counts the frames of the cut.
    assert data["n_frames_analysed"] == backend.calls == 121
    cut = [w for w in data["warnings"] if w.startswith("only the first 4 s of the 6 s")]
    assert len(cut) == 1 and "--max-seconds" in cut[0]
    assert f"note: {cut[0]}" in err
    bar = [line for line in err.splitlines() if "frames/s" in line]
    assert "121/121" in bar[-1]
    assert all("/121" in line for line in bar)  # the total of the cut was known from the start
    assert abs(data["cadence_spm"] - 110.0) < 2.0  # the synthetic walk's cadence, in 4 s too
    install(walking_backend(WALK_S))
    whole = run_json(cli, "gait", walk_video, "--json", "--max-seconds", "0")
    assert whole["n_frames_analysed"] == 180 and whole["warnings"] == []
    code, _, err = cli("gait", walk_video, "--json", "--max-seconds", "-1")
    assert code == 1 and "--max-seconds must be > 0" in err
