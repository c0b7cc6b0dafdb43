"""``python -m core watch``: a line per part outside its best RULA band, clean Ctrl-C, clear errors."""

from __future__ import annotations

from core.backends.fake import FakeBackend
from tests.cli.scenes import DESK_ALERTS, DESK_SITTER, write_video


def test_video_file_prints_parts_outside_their_best_band(cli, install, tmp_path):
    install(FakeBackend([DESK_SITTER]))
    video = write_video(tmp_path / "w.avi", 20, fps=10.0)  # 2.0 s of video
    code, out, err = cli("watch", video, "--every", "0.5")
    # Checks at 0, 0.5, 1.0, 1.5 s; each flags the trunk and the left upper arm (scenes.DESK_SITTER).
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split("look at this: ")[1] for line in lines] == list(DESK_ALERTS) * 4
    assert [line[:12] for line in lines[::2]] == ["[     0.0 s]", "[     0.5 s]", "[     1.0 s]", "[     1.5 s]"]  # fmt: skip
    assert "neck" not in out and "lower_arm" not in out and "4 checks, 8 alerts" in err


def test_ctrl_c_stops_cleanly(cli, install, tmp_path, monkeypatch):
    install(backend := FakeBackend([DESK_SITTER]))
    video = write_video(tmp_path / "w.avi", 20)
    calls = []

    def interrupt(image, boxes=None, *, timestamp_ms=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return FakeBackend.estimate_pose(backend, image)

    monkeypatch.setattr(backend, "estimate_pose", interrupt)
    code, out, err = cli("watch", video, "--every", "0.1")
    # The first check measured (2 alerts), the second was interrupted.
    assert code == 0 and "stopped" in err and "2 checks, 2 alerts" in err


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
