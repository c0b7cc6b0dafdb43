"""The gait page hands a Sapiens2-on-CUDA backend its frames in batches, as the CLI's ``--batch``
does, and one by one to any other (a test double stands in for the model: no GPU needed)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.app.gait_run import GPU_BATCH

pytestmark = pytest.mark.slow

N_FRAMES = 20


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (96, 64))
    rng = np.random.default_rng(0)
    for _ in range(N_FRAMES):
        writer.write(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    writer.release()
    return path


def _script(clip: str, device: str) -> None:
    from pathlib import Path

    import streamlit as st

    from core.app.gait_run import run_analysis
    from core.app.uploads import Upload
    from core.backends.fake import FakeBackend
    from core.video import probe_video

    class OnDevice(FakeBackend):
        """The double under Sapiens2's name, on ``device``, taking several frames at once."""

        name = "sapiens2"
        batches_frames = True  # the typed seam's flag: it takes several frames at once

        def estimate_pose_frames(self, images, *, max_batch=8):  # noqa: ANN001, ANN202
            st.session_state.setdefault("groups", []).append((len(images), max_batch))
            return [self.estimate_pose(image) for image in images]

    backend = OnDevice()
    backend.device = device
    info = probe_video(clip)
    upload = Upload("clip.mp4", b"", f"{device}-clip")
    analysis = run_analysis(Path(clip), upload, backend, info, 1, None)
    st.session_state["frames"] = None if analysis is None else analysis.n_frames


def _run(clip: Path, device: str) -> AppTest:
    at = AppTest.from_function(_script, args=(str(clip), device), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["frames"] == N_FRAMES
    return at


def test_cuda_gets_batches_of_eight(clip: Path) -> None:
    at = _run(clip, "cuda")
    # 20 frames in forwards of 8: 8, 8 and the last 4.
    assert at.session_state["groups"] == [(8, GPU_BATCH), (8, GPU_BATCH), (4, GPU_BATCH)]


def test_cpu_gets_frames_one_by_one(clip: Path) -> None:
    at = _run(clip, "cpu")
    assert "groups" not in at.session_state  # estimate_pose per frame, never the batch call
