"""Hostile input files through the CLI (`posture`, `infer`, `gait`): one `error:` line each, no hang,
no traceback, bounded memory (nothing is decoded that the limits refuse)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.backends.fake import FakeBackend
from tests.imaging.test_decode import _png_header
from tests.imaging.test_decode_limits import grey_png
from tests.reliability.harness import count


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _hostile(tmp_path: Path, case: str) -> Path:
    path = tmp_path / "input.png"
    if case == "30000x30000":  # 900 Mpx: infer decoded it with OpenCV (5.6 GB)
        path.write_bytes(_png_header(30000, 30000))
    elif case == "60000x60000":  # OpenCV raised cv2.error
        path.write_bytes(_png_header(60000, 60000))
    elif case == "99000000x1":  # MemoryError traceback
        path.write_bytes(grey_png(99_000_000, 1))
    elif case == "fifo":  # posture hung forever
        os.mkfifo(path)
    elif case == "symlink to /dev/zero":  # read until out of memory
        path.symlink_to("/dev/zero")
    return path


CASES = ("30000x30000", "60000x60000", "99000000x1", "fifo", "symlink to /dev/zero")
EXPECTED = {
    "30000x30000": "over the 100 Mpx limit",
    "60000x60000": "over the 100 Mpx limit",
    "99000000x1": "each side must be 1 to",
    "fifo": "is a FIFO (named pipe), not a regular file",
    "symlink to /dev/zero": "is a device or socket, not a regular file",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES)
def test_posture_refuses_in_one_line(cli, install, tmp_path, case):
    install(FakeBackend())
    code, _, err = cli("posture", _hostile(tmp_path, case), "--json")
    assert code == 1 and EXPECTED[case] in _one_error_line(err)
    count("inputs: huge / FIFO / device files (CLI posture, infer, gait)", "refused: error line")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES)
def test_infer_uses_the_same_decoder(cli, tmp_path, case):
    # The image is refused before any checkpoint is looked up (none exists under this name).
    code, _, err = cli("infer", _hostile(tmp_path, case), "--size", "tiny", "--checkpoint", tmp_path / "none.safetensors")  # fmt: skip
    assert code == 1 and EXPECTED[case] in _one_error_line(err)
    count("inputs: huge / FIFO / device files (CLI posture, infer, gait)", "refused: error line")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", ["fifo", "symlink to /dev/zero"])
def test_gait_refuses_non_regular_files(cli, install, tmp_path, case):
    install(FakeBackend())
    path = _hostile(tmp_path, case).rename(tmp_path / "walk.mp4")
    code, _, err = cli("gait", path, "--json")
    assert code == 1 and EXPECTED[case] in _one_error_line(err)
    count("inputs: huge / FIFO / device files (CLI posture, infer, gait)", "refused: error line")
