"""A video whose header states no frame rate (y4m ``F0:1`` or none, a rate of 0 or 1e6) is refused
unless one is given; a given rate sets the frame times (index / fps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
from core.video import NoFrameRate, iter_frames, probe_video
from core.video.probe import check_given_fps


def y4m(path: Path, rate: str, frames: int = 6) -> Path:
    """A tiny 16x16 YUV4MPEG2 file; ``rate`` is the header's F token ("F30:1", "F0:1", "" for none)."""
    head = " ".join(t for t in ("YUV4MPEG2 W16 H16", rate, "Ip A1:1 C420jpeg") if t) + "\n"
    path.write_bytes(head.encode() + (b"FRAME\n" + b"\x80" * (16 * 16 * 3 // 2)) * frames)
    return path


@pytest.mark.parametrize("rate", ["F0:1", "", "F1000000:1", "F1:1000000", "F30:0", "Fx:1"])
def test_no_stated_rate_is_refused(tmp_path, rate):
    # ffmpeg reads the first two as 25 fps without a word; the next three are not frame rates.
    path = y4m(tmp_path / "walk.y4m", rate)
    for call in (lambda: probe_video(path), lambda: next(iter_frames(path))):
        with pytest.raises(NoFrameRate, match=r"walk.y4m does not state a frame rate; give it"):
            call()


def test_a_given_rate_sets_the_frame_times(tmp_path):
    path = y4m(tmp_path / "walk.y4m", "F0:1")
    info = probe_video(path, fps=50)
    assert (info.fps, info.fps_given, info.n_frames) == (50.0, True, 6)
    assert info.duration_s == pytest.approx(6 / 50)
    times = [f.time_s for f in iter_frames(path, fps=50)]
    # Not the demuxer's assumed 25 fps clock (0.04 s a frame): index / 50, exactly.
    np.testing.assert_allclose(times, np.arange(6) / 50, rtol=0, atol=1e-12)


def test_a_stated_rate_is_kept_and_a_different_given_one_refused(tmp_path):
    path = y4m(tmp_path / "walk.y4m", "F30:1")
    info = probe_video(path)
    assert (info.fps, info.fps_given) == (30.0, False)
    assert probe_video(path, fps=30).fps == 30.0  # the same rate given: fine
    with pytest.raises(InputError, match="walk.y4m states 30 fps; a frame rate is only given"):
        probe_video(path, fps=25)


@pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf"), 1e6, "abc"])
def test_a_given_rate_must_be_a_frame_rate(bad):
    with pytest.raises(InputError, match="frame rate must be"):
        check_given_fps(bad)


def test_an_mp4_with_an_absurd_rate_is_refused(make_video):
    # 2000 fps in the container: beyond any camera's rate, taken as stating none.
    path = make_video("fast.mp4", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=2000", "-frames:v", "4", "-pix_fmt", "yuv420p")  # fmt: skip
    with pytest.raises(NoFrameRate):
        probe_video(path)
    assert probe_video(path, fps=30).fps == 30.0


def test_gait_cli_asks_for_fps_and_uses_it(tmp_path, capfd):
    from core.cli import main

    path = y4m(tmp_path / "walk.y4m", "F0:1")
    assert main(["gait", str(path), "--json", "--backend", "lite"]) == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not state a frame rate; give it (`gait --fps 30`" in err[0], err
    assert main(["gait", str(path), "--json", "--fps", "0"]) == 1
    assert "frame rate must be between 1 and 1000 fps" in capfd.readouterr().err
