"""``python -m core watch``: a line per exceeded RULA band, clean Ctrl-C, clear source errors."""

from __future__ import annotations

from tests.cli.conftest import write_video


def test_video_file_prints_exceeded_bands(cli, fake_backend, tmp_path):
    video = write_video(tmp_path / "w.avi", 20, fps=10.0)  # 2.0 s of video
    code, out, err = cli("watch", video, "--every", "0.5")
    # Checks at 0, 0.5, 1.0, 1.5 s -> 4 checks; fake trunk lean 3.2 deg exceeds (score 2), neck does not.
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4 and all("look at this: trunk 3.2 deg" in line for line in lines)
    assert "neck" not in out and "4 checks, 4 alerts" in err


def test_ctrl_c_stops_cleanly(cli, fake_backend, tmp_path, monkeypatch):
    video = write_video(tmp_path / "w.avi", 20)
    calls = []

    def interrupt(image, boxes=None, *, timestamp_ms=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return type(fake_backend).estimate_pose(fake_backend, image)

    monkeypatch.setattr(fake_backend, "estimate_pose", interrupt)
    code, out, err = cli("watch", video, "--every", "0.1")
    assert code == 0 and "stopped" in err and "2 checks, 1 alerts" in err


def test_max_checks_and_no_person(cli, fake_backend, tmp_path):
    code, out, _ = cli(
        "watch", write_video(tmp_path / "d.avi", 20, value=0), "--every", "0.1", "--max-checks", "3"
    )
    assert code == 0 and out.count("no person in view") == 3


def test_bad_source(cli, fake_backend, tmp_path):
    code, _, err = cli("watch", tmp_path / "missing.mp4")
    assert code == 1 and "cannot open video file" in err
    code, _, err = cli("watch", "0", "--every", "-1")
    assert code == 1 and "--every" in err
