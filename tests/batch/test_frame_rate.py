"""Batch gait jobs and videos whose header states no frame rate: refused without ``--fps``; with
it they are analysed at that rate, while videos that state their own rate keep it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.batch.run import BatchOptions, run_batch
from core.cli import main
from core.errors import InputError
from core.store import Store
from tests.batch.conftest import cut_video
from tests.batch.test_run import read_summary
from tests.conftest import shared_path

FRAMES = 20  # the lite tracker finds the walker in them; a 442x248 raw y4m of 20 frames is 3 MB


def _archive(tmp_path: Path) -> Path:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    source = shared_path("data", "walking_side_view.mp4")
    root = tmp_path / "archive" / "P1"
    root.mkdir(parents=True)
    stated = tmp_path / "walk_30.y4m"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(source),
         "-vf", "scale=442:248", "-frames:v", str(FRAMES), "-pix_fmt", "yuv420p", "-r", "30",
         str(stated)],
        check=True, timeout=120,
    )  # fmt: skip
    head, body = stated.read_bytes().split(b"\n", 1)
    assert b" F30:1" in head
    # y4m is found by its content; .mkv is a name batch discovery takes as a video.
    (root / "no_rate.mkv").write_bytes(head.replace(b" F30:1", b" F0:1") + b"\n" + body)
    cut_video(source, root / "stated.mp4", FRAMES)
    return root.parent


@pytest.mark.slow
@pytest.mark.shared
def test_fps_applies_only_to_videos_that_state_none(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    with Store() as store:
        first = BatchOptions(kind="gait", backend="lite", workers=1, consent_confirmed=True,
                             summary_path=tmp_path / "run1.csv")  # fmt: skip
        run_batch(archive, first, store=store, show_progress=False)
        rows = read_summary(tmp_path / "run1.csv")
        assert rows["P1/no_rate.mkv"]["status"] == "failed"
        assert "does not state a frame rate" in rows["P1/no_rate.mkv"]["error"]
        assert rows["P1/stated.mp4"]["status"] == "processed"
        stored = {s.notes: s.params for s in store.list_sessions()}

    # The CLI's --fps reaches the jobs; the failed file is tried again with it.
    argv = ["batch", str(archive), "--kind", "gait", "--backend", "lite", "--workers", "1",
            "--quiet", "--consent-confirmed", "--retry-failed", "--fps", "30",
            "--out", str(tmp_path / "run2.csv")]  # fmt: skip
    assert main(argv) == 0
    rows = read_summary(tmp_path / "run2.csv")
    assert rows["P1/no_rate.mkv"]["status"] == "processed", rows["P1/no_rate.mkv"]["error"]
    # The video that states 30 fps does not take the option: same settings, nothing to redo.
    assert rows["P1/stated.mp4"]["status"] == "unchanged"
    with Store() as store:
        params = {s.notes: s.params for s in store.list_sessions()}
    assert params["batch: P1/no_rate.mkv"]["fps"] == 30.0
    assert "fps" not in params["batch: P1/stated.mp4"]
    assert params["batch: P1/stated.mp4"] == stored["batch: P1/stated.mp4"]


@pytest.mark.parametrize("fps", [0.0, -5.0, float("nan"), 5000.0])
def test_an_unusable_fps_is_refused_before_anything_runs(tmp_path: Path, fps: float) -> None:
    options = BatchOptions(kind="gait", consent_confirmed=True, fps=fps)
    with pytest.raises(InputError, match="frame rate"):
        run_batch(tmp_path, options, show_progress=False)
