"""A subject with two posture sessions (a different overlay PNG each) and one gait session (its
overlay video's frames carry their index as grey level), saved straight into the store."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.measure.gait import analyze_gait
from core.measure.summary import gait_rows, posture_rows
from core.store import Store
from tests.measure.synthetic import walking_series

#: Unicode, Windows-forbidden characters and markup: the label must survive into the PDF as typed.
LABEL = 'Zoë :*?"<>| Πα <b>'
INFO = {"backend": "lite", "model": "mediapipe-pose-full", "size": "", "device": "cpu",
        "dtype": "float32", "threshold": 0.5}  # fmt: skip
FPS = 30.0
#: Grey level of overlay video frame i: i * GREY_STEP, so a picture tells which frame it is (the
#: 6 s walk's 180 frames give levels 0..179, all below 255).
GREY_STEP = 1


def png(rgb: tuple[int, int, int], size: tuple[int, int] = (240, 360)) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0], 3), rgb, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def overlay_mp4(tmp_path, n: int) -> bytes:
    from core.video import write_overlay_video

    frames = (np.full((128, 160, 3), i * GREY_STEP, np.uint8) for i in range(n))
    return write_overlay_video(frames, tmp_path / "overlay.mp4", fps=FPS).read_bytes()


@dataclass
class Scene:
    subject_id: int
    posture: list[int]
    gait: int
    gait_rows: pd.DataFrame


@pytest.fixture
def scene(tmp_path) -> Scene:
    walk = walking_series(cadence_spm=110.0, fps=FPS)
    rows = gait_rows(analyze_gait(walk, height_m=1.7))
    # A quality row as another part of the app may add them: a name the display table does not
    # know, so the report must render it generically.
    quality = pd.DataFrame([{"frame": None, "time_s": math.nan, "metric": "quality_grade",
                             "side": "", "value": 2.0, "unit": "grade"}])  # fmt: skip
    rows = pd.concat([rows, quality], ignore_index=True).astype({"frame": "Int64"})
    with Store() as store:
        sid = store.create_subject(LABEL, consent=True, height_m=1.7, birth_year=1985)
        posture = [
            store.save_session(
                sid, kind="posture", backend_info=INFO, source_hash=f"p{i}",
                measurements=posture_rows({"left_knee_angle_deg": knee,
                                           "right_knee_angle_deg": math.nan,
                                           "trunk_lean_deg": 2.0, "neck_flexion_deg": 10.0}),
                artifacts={"overlay.png": png(colour)}, notes=f"visit {i}",
            )
            for i, (knee, colour) in enumerate(((150.0, (200, 0, 0)), (170.0, (0, 200, 0))))
        ]  # fmt: skip
        gait = store.save_session(
            sid, kind="gait", backend_info=INFO, source_hash="g",
            measurements=rows, artifacts={"overlay.mp4": overlay_mp4(tmp_path, len(walk.time_s))},
        )  # fmt: skip
    return Scene(sid, posture, gait, rows)
