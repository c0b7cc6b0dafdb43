"""An archive folder built from the real media in ``../shared/data``, and what the single-file path
measures on the same files (the reference every engine must reproduce)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path

VIDEO_FRAMES = 40  # enough for the lite tracker to follow the walker, short enough for CI


def cut_video(source: Path, target: Path, n_frames: int) -> Path:
    """The first ``n_frames`` of ``source`` re-encoded (mp4v) at the same rate and size."""
    cap = cv2.VideoCapture(str(source))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    try:
        for _ in range(n_frames):
            ok, frame = cap.read()
            if not ok:
                break
            writer.write(frame)
    finally:
        writer.release()
        cap.release()
    return target


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real media, once per module: two photos and a 40-frame walking clip."""
    src = shared_path("data")
    out = tmp_path_factory.mktemp("media")
    for name in ("cameraman_standing.png", "astronaut_upper_body.png"):
        shutil.copy(src / name, out / name)
    cut_video(src / "walking_side_view.mp4", out / "walk.mp4", VIDEO_FRAMES)
    return out


def build_archive(root: Path, media: Path) -> Path:
    """P01: two photos, a corrupt photo, a text file; P02: a copy of P01's photo and the video;
    P03: a photo of a subject that exists without consent (the test creates it)."""
    for rel, name in [
        ("P01/standing.png", "cameraman_standing.png"),
        ("P01/upper.png", "astronaut_upper_body.png"),
        ("P02/standing_copy.png", "cameraman_standing.png"),
        ("P02/walk.mp4", "walk.mp4"),
        ("P03/standing.png", "cameraman_standing.png"),
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(media / name, root / rel)
    data = (media / "cameraman_standing.png").read_bytes()
    (root / "P01/broken.png").write_bytes(data[: len(data) // 3])  # a truncated PNG
    (root / "P01/notes.txt").write_text("not media", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def reference(media_dir: Path) -> dict[str, pd.DataFrame]:
    """Measurement rows of the single-file path (decode as the CLI does, then core.analysis)."""
    from core.analysis import analyze_gait_video, analyze_posture
    from core.backends.selection import get_backend
    from core.cli._common import decode_image_bytes
    from core.config import load_settings

    # Module scope runs before the per-test environment of tests/conftest.py: name the models here.
    env = {**os.environ, "SAPIENS_MEASURE_MODEL_DIR": str(shared_path("models"))}
    backend = get_backend("lite", settings=load_settings(env))
    out = {}
    try:
        for name in ("cameraman_standing.png", "astronaut_upper_body.png"):
            image = decode_image_bytes((media_dir / name).read_bytes(), name)
            out[name] = analyze_posture(image, backend).rows
        out["walk.mp4"] = analyze_gait_video(media_dir / "walk.mp4", backend).rows
    finally:
        backend.close()
    return out


def assert_same_rows(stored: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same metrics in the same order, values equal to float precision (NaN where NaN)."""
    assert list(stored["metric"]) == list(expected["metric"])
    assert list(stored["side"].fillna("")) == list(expected["side"].fillna(""))
    np.testing.assert_allclose(
        stored["value"].to_numpy(float), expected["value"].to_numpy(float), rtol=1e-9, atol=1e-9
    )
