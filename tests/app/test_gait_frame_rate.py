"""The Gait page on a video that states no usable frame rate: it says so and asks for one; the
given rate is what the page then shows and uses."""

from __future__ import annotations

import subprocess

import pytest

from tests.app.helpers import make_subject, open_page, problems, texts
from tests.conftest import shared_path

pytestmark = pytest.mark.shared


@pytest.fixture
def absurd_rate_mp4(tmp_path) -> bytes:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "clip.mp4"
    # 2000 fps in the container: no camera's rate, so the header counts as stating none.
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=64x48:rate=2000", "-frames:v", "8", "-pix_fmt", "yuv420p", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    return out.read_bytes()


def test_the_page_asks_for_the_frame_rate(absurd_rate_mp4):
    shared_path("models")  # the page loads the lite backend once it has a frame rate
    make_subject()
    at = open_page("pages/gait.py")
    at.file_uploader(key="gait_upload").set_value(("clip.mp4", absurd_rate_mp4, "video/mp4"))
    at.run()
    assert problems(at) == []
    assert any("does not state a frame rate" in w.value for w in at.warning)
    assert at.number_input(key="gait_fps").value is None
    assert not at.button  # nothing to analyse until the rate is given
    at.number_input(key="gait_fps").set_value(30.0).run()
    assert problems(at) == []
    assert "clip.mp4: 64×48, 30.0 fps, 8 frames" in texts(at)
    assert at.button(key="gait_run")
