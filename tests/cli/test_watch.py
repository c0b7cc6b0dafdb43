"""``python -m core watch``: a line per part outside its best RULA band, alerts on a strain that
lasts (not on a flicker), the work period saved as a "desk" session, clean Ctrl-C, clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.backends.fake import FakeBackend
from core.store import Store
from core.store.export import session_long_csv
from tests.cli.scenes import DESK_ALERTS, DESK_SITTER, write_video
from tests.conftest import shared_path

#: Someone sitting upright, side view facing right: every RULA part in its best band
#: (ear above shoulder: neck 0°; shoulder above hip: trunk 0°; elbow below shoulder: upper arm 0°;
#: forearm horizontal: lower arm 90° flexion).
DESK_NEUTRAL = {
    "nose": (420.0, 210.0), "left_ear": (400.0, 200.0), "right_ear": (400.0, 200.0),
    "left_shoulder": (400.0, 300.0), "right_shoulder": (400.0, 300.0),
    "left_hip": (400.0, 450.0), "right_hip": (400.0, 450.0),
    "left_elbow": (400.0, 400.0), "left_wrist": (500.0, 400.0),
    "right_elbow": (400.0, 400.0), "right_wrist": (500.0, 400.0),
}  # fmt: skip
#: The smoothing/alert options of the scripted tests: 0.1-s checks, a 1.05-s window (11 checks:
#: (t-1.05, t] holds t-1.0 ... t, so no frame sits on the window's edge), alerts after 1.45 s.
FAST = ("--every", "0.1", "--window", "1.05", "--alert-after", "1.45", "--alerts-only")


def scripted(install, monkeypatch, strained, *, stop_at=None):
    """The CLI's backend sees DESK_SITTER on the checks (0-based) in ``strained``, DESK_NEUTRAL on the
    others; Ctrl-C on check ``stop_at``."""
    install(backend := FakeBackend([DESK_NEUTRAL]))
    sitter = FakeBackend([DESK_SITTER])
    calls = []

    def estimate(image, boxes=None, *, timestamp_ms=None, flip_test=None):
        i = len(calls)
        calls.append(i)
        if i == stop_at:
            raise KeyboardInterrupt
        return FakeBackend.estimate_pose(sitter if i in strained else backend, image)

    monkeypatch.setattr(backend, "estimate_pose", estimate)


def test_video_file_prints_parts_outside_their_best_band(cli, install, tmp_path):
    install(FakeBackend([DESK_SITTER]))
    video = write_video(tmp_path / "w.avi", 20, fps=10.0)  # 2.0 s of video
    code, out, err = cli("watch", video, "--every", "0.5")
    # Checks at 0, 0.5, 1.0, 1.5 s; each flags the trunk and the left upper arm (scenes.DESK_SITTER).
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split("look at this: ")[1] for line in lines] == list(DESK_ALERTS) * 4
    assert [line[:12] for line in lines[::2]] == ["[     0.0 s]", "[     0.5 s]", "[     1.0 s]", "[     1.5 s]"]  # fmt: skip
    assert (
        "neck" not in out
        and "lower_arm" not in out
        and "4 checks, 8 parts outside their best band, 0 sustained-strain alerts" in err
    )


def test_ctrl_c_stops_cleanly(cli, install, tmp_path, monkeypatch):
    install(backend := FakeBackend([DESK_SITTER]))
    video = write_video(tmp_path / "w.avi", 20)
    calls = []

    def interrupt(image, boxes=None, *, timestamp_ms=None, flip_test=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return FakeBackend.estimate_pose(backend, image)

    monkeypatch.setattr(backend, "estimate_pose", interrupt)
    code, out, err = cli("watch", video, "--every", "0.1")
    # The first check measured (2 alerts), the second was interrupted.
    assert code == 0 and "stopped" in err and "2 checks, 2 parts outside their best band" in err


def test_max_checks_and_no_person(cli, install, tmp_path):
    install(FakeBackend([]))
    video = write_video(tmp_path / "d.avi", 20, value=0)
    code, out, _ = cli("watch", video, "--every", "0.1", "--max-checks", "3")
    assert code == 0 and out.count("no person in view") == 3


def test_bad_source(cli, install, tmp_path):
    install(FakeBackend([DESK_SITTER]))
    code, _, err = cli("watch", tmp_path / "missing.mp4")
    assert code == 1 and "cannot open video file" in err
    code, _, err = cli("watch", "0", "--every", "-1")
    assert code == 1 and "--every" in err


def test_sustained_strain_alerts_once_at_the_derived_time(cli, install, tmp_path, monkeypatch):
    # Checks at 0.0, 0.1, ..., 2.9 s; DESK_SITTER (trunk and left upper arm strained) from 0.5 s.
    # At t = 0.5 + k*0.1 the window holds 10 - k neutral checks of 0.1 s each, of 1.1 s: the smoothed
    # angle turns strained once that is below 0.55 s, at k = 5: t = 1.0. Alert at 1.0 + 1.45 -> the
    # first check at or after 2.45 s: 2.5 s. The period ends at 2.9 s with both still strained.
    scripted(install, monkeypatch, range(5, 30))
    code, out, err = cli("watch", write_video(tmp_path / "w.avi", 30), *FAST)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split(" outside")[0].split(" back")[0] for line in lines] == [
        "[     2.5 s] ALERT: trunk",
        "[     2.5 s] ALERT: upper_arm (left)",
        "[     2.9 s] recovered: trunk",
        "[     2.9 s] recovered: upper_arm (left)",
    ]
    assert "(smoothed 45.0 deg, band 20-60° flexion)" in lines[0] and "(left)" in lines[1]
    assert "(end of the period)" in lines[2] and "2 sustained-strain alerts" in err


def test_a_flicker_does_not_alert(cli, install, tmp_path, monkeypatch):
    # Strained on 5 checks (0.5 s, t = 0.5 .. 0.9): at most 0.5 s of the 1.1-s window, less than half,
    # so the smoothed band never leaves neutral and nothing is printed; the same posture held from
    # 0.5 s on alerts at 2.5 s (test above).
    scripted(install, monkeypatch, range(5, 10))
    code, out, err = cli("watch", write_video(tmp_path / "w.avi", 30), *FAST)
    assert code == 0 and out == "" and "0 sustained-strain alerts" in err


def test_save_stores_the_work_period(cli, install, tmp_path, monkeypatch):
    with Store() as s:
        sid = s.create_subject("P1", consent=True)
    scripted(install, monkeypatch, range(5, 30))
    video = write_video(tmp_path / "w.avi", 30)
    code, out, err = cli(
        "watch", video, *FAST, "--interval", "1", "--save", "P1", "--notes", "desk A"
    )
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "saved the work period as session 1 of 'P1'"
    with Store() as s:
        (session,) = s.list_sessions(sid)
        rows = s.load_measurements(session.id)
        csv = session_long_csv(session.id, store=s)
    assert (session.kind, session.notes, session.artifacts) == ("desk", "desk A", {})
    assert session.params["alert_after_s"] == 1.45 and session.params["source"] == "video file"
    assert session.params["start_utc"] <= session.params["end_utc"]
    whole = rows[rows["time_s"].isna()].set_index(["metric", "side"])["value"]
    assert whole[("n_alerts", "")] == 2.0
    assert math.isclose(whole[("duration_min", "")], 2.9 / 60, rel_tol=1e-6)
    # Trunk smoothed strained from t = 1.0 to the end: the checks 1.0 .. 2.9 each stand for the
    # 0.1 s before them, (0.9, 2.9] = 2.0 s.
    assert math.isclose(whole[("trunk_above_neutral_min", "")], 2.0 / 60, rel_tol=1e-6)
    assert whole[("neck_above_neutral_min", "")] == 0.0
    # Interval 0 is (0, 1]: trunk strained (0.9, 1.0] = 10 %; interval 1 (1, 2]: 100 %.
    trunk = rows[rows["metric"] == "trunk_20_60_flexion_share_pct"]
    assert trunk["frame"].tolist() == [0, 1, 2]
    assert [round(v, 6) for v in trunk["value"]] == [10.0, 100.0, 100.0]
    assert "trunk_alert" in csv and ",desk," in csv


def test_ctrl_c_ends_the_period_and_saves_it(cli, install, tmp_path, monkeypatch):
    with Store() as s:
        s.create_subject("P1", consent=True)
    scripted(install, monkeypatch, range(0, 30), stop_at=20)
    code, out, err = cli("watch", write_video(tmp_path / "w.avi", 30), *FAST, "--save", "P1")
    # Strained from the first check (it stands alone): alert at 1.5 s; Ctrl-C on the check at 2.0 s,
    # so the period ends at 1.9 s, the last check measured.
    assert code == 0 and "stopped" in err
    assert out.splitlines()[0].startswith("[     1.5 s] ALERT: trunk")
    with Store() as s:
        (session,) = s.list_sessions()
        rows = s.load_measurements(session.id)
    duration = rows[rows["metric"] == "duration_min"]["value"].iloc[0]
    assert math.isclose(duration, 1.9 / 60, rel_tol=1e-6)


def test_save_needs_a_consented_subject_and_bad_options_are_refused(cli, install, tmp_path):
    install(FakeBackend([DESK_SITTER]))
    video = write_video(tmp_path / "w.avi", 5)
    code, _, err = cli("watch", video, "--save", "NOBODY")
    assert code == 1 and "subject add NOBODY --consent" in err
    code, _, err = cli("watch", video, "--window", "10", "--alert-after", "5")
    assert code == 1 and "--alert-after (5.0) must be at least --window (10.0)" in err
    with Store() as s:
        assert s.list_sessions() == []


@pytest.mark.slow
@pytest.mark.shared
def test_real_video_with_the_lite_backend_saves_a_whole_period(cli):
    # The shared walking video (7.6 s when written) through MediaPipe: not a desk, but real frames at
    # real times. Whatever the alerts, every second of the period is in some band or "not visible".
    with Store() as s:
        s.create_subject("P1", consent=True)
    video = shared_path("data", "walking_side_view.mp4")
    code, out, err = cli(
        "watch", video, "--backend", "lite", "--every", "0.5", "--window", "2", "--alert-after", "2",
        "--interval", "3", "--alerts-only", "--save", "P1",
    )  # fmt: skip
    assert code == 0, err
    with Store() as s:
        (session,) = s.list_sessions()
        rows = s.load_measurements(session.id)
    assert session.kind == "desk" and session.backend == "lite"
    shares = rows[rows["metric"].str.endswith("_share_pct")].copy()
    shares["part"] = shares["metric"].str.extract(r"^(neck|trunk|upper_arm|lower_arm)_")[0]
    totals = shares.groupby(["frame", "part", "side"])["value"].sum()
    assert len(totals) == 6 * shares["frame"].nunique()
    assert np.allclose(totals.to_numpy(), 100.0)  # float sums of shares: exact up to rounding
    duration = rows[rows["metric"] == "duration_min"]["value"].iloc[0] * 60
    assert 5.0 <= duration <= 8.0


def test_a_camera_that_stops_mid_period_still_saves_it(cli, install, monkeypatch):
    from core.cli import watch as watch_cli
    from core.errors import InputError

    with Store() as s:
        s.create_subject("P1", consent=True)
    install(FakeBackend([DESK_SITTER]))
    frame = np.full((48, 64, 3), 200, np.uint8)

    def camera(source, every_s):
        for i in range(12):
            yield i * 0.1, frame
        raise InputError(f"camera {source} stopped delivering frames")

    monkeypatch.setattr(watch_cli, "sample_frames", camera)
    code, out, err = cli("watch", "0", *FAST, "--save", "P1")
    # Strained from the first frame: alert at 1.5 s would need 16 checks; 12 (0 .. 1.1 s) give none.
    assert code == 1 and "camera 0 stopped delivering frames" in err
    assert "saved the work period as session 1" in out
    with Store() as s:
        (session,) = s.list_sessions()
        rows = s.load_measurements(session.id)
    assert session.params["source"] == "camera" and session.source_hash == ""
    duration = rows[rows["metric"] == "duration_min"]["value"].iloc[0]
    assert math.isclose(duration, 1.1 / 60, rel_tol=1e-6)
