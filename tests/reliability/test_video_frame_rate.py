"""The walking sample as a y4m whose header states no frame rate (``F0:1``): refused without
``--fps``; with ``--fps 30`` the cadence is the one the same frames give with their rate stated
(it was analysed at an assumed 25 fps and stored: cadence 82 instead of ~98)."""

from __future__ import annotations

import json
import subprocess

import pytest

from core.cli import main
from tests.conftest import shared_path
from tests.reliability.harness import count

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def walks(tmp_path_factory):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    tmp = tmp_path_factory.mktemp("fps")
    stated = tmp / "walk_30.y4m"
    # A quarter of the size keeps the raw y4m small (~40 MB); the person is still found.
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i",
         str(shared_path("data", "walking_side_view.mp4")), "-vf", "scale=442:248",
         "-pix_fmt", "yuv420p", "-r", "30", str(stated)],
        check=True, timeout=300,
    )  # fmt: skip
    raw = stated.read_bytes()
    head, body = raw.split(b"\n", 1)
    assert b" F30:1" in head
    unstated = tmp / "walk_no_rate.y4m"
    unstated.write_bytes(head.replace(b" F30:1", b" F0:1") + b"\n" + body)
    return stated, unstated


def _cadence(capfd, *argv) -> float:
    assert main(["gait", *map(str, argv), "--backend", "lite", "--json"]) == 0
    return json.loads(capfd.readouterr().out)["cadence_spm"]


def test_no_rate_is_refused_and_a_given_one_gives_the_stated_cadence(walks, capfd):
    stated, unstated = walks
    assert main(["gait", str(unstated), "--backend", "lite", "--json"]) == 1
    assert "does not state a frame rate" in capfd.readouterr().err
    reference = _cadence(capfd, stated)
    given = _cadence(capfd, unstated, "--fps", "30")
    assert 90 < reference < 110  # the sample walks at ~98 steps/min (its mp4 gives 98-101)
    # The same frames at the same times (index / 30 either way): the same events, the same cadence.
    assert given == pytest.approx(reference, abs=1e-6)
    count(
        "videos: y4m stating no frame rate (CLI gait)", "refused; --fps 30 gives the stated cadence"
    )
