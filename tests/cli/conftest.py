"""CLI test helpers: run ``core.cli.main`` in-process with the fakes installed; tiny media files."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from core.cli import main
from tests.cli import fakes


@pytest.fixture
def fake_backend(monkeypatch):
    return fakes.install(monkeypatch)


@pytest.fixture
def cli(capsys):
    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_json(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return json.loads(out)


def write_image(path, value=128):
    cv2.imwrite(str(path), np.full((100, 300, 3), value, np.uint8))
    return path


def write_video(path, n, *, value=200, fps=10.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for _ in range(n):
        w.write(np.full((48, 64, 3), value, np.uint8))
    w.release()
    return path
