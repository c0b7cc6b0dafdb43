"""Small synthetic videos made with the ffmpeg binary that imageio-ffmpeg bundles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    imageio_ffmpeg = pytest.importorskip(
        "imageio_ffmpeg", reason="needs imageio-ffmpeg's bundled ffmpeg"
    )
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(exe: str, *args: str) -> None:
    subprocess.run([exe, "-y", "-hide_banner", "-loglevel", "error", *args], check=True, timeout=60)


@pytest.fixture
def make_video(ffmpeg: str, tmp_path: Path):
    """make_video(name, *ffmpeg_args) -> path of tmp_path/name written by ffmpeg."""

    def make(name: str, *args: str) -> Path:
        out = tmp_path / name
        run_ffmpeg(ffmpeg, *args, str(out))
        return out

    return make
