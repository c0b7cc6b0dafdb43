"""What the fake backend "sees" in the CLI and analysis tests: people with hand-derived angles, a walk.

Coordinates are image pixels, x right, y down. Each angle below is derived by hand next to the points
so the tests can compare the real ``posture_measures`` / ``rula_scores`` / ``analyze_gait`` output
with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from core.backends.fake import FakeBackend, standing_skeleton
from core.keypoints import PoseSeries
from tests.measure.synthetic import walk_truth, walking_series

#: (width, height) of the test photo; both people lie inside it.
PHOTO_SIZE = (900, 600)

#: The large person, front view, box (100, 0, 500, 500).
BIG = {
    "nose": (350.0, 50.0),
    "left_shoulder": (300.0, 100.0),
    "right_shoulder": (200.0, 200.0),
    "left_elbow": (400.0, 100.0),
    "left_wrist": (500.0, 0.0),
    "right_elbow": (200.0, 300.0),
    "right_wrist": (200.0, 400.0),
    "left_hip": (300.0, 400.0),
    "right_hip": (200.0, 400.0),
    "left_knee": (300.0, 500.0),
    "left_ankle": (400.0, 500.0),
    "right_knee": (100.0, 500.0),
    "right_ankle": (200.0, 500.0),
}
#: BIG's measures (view "front"), from the vectors out of the middle point of each joint:
BIG_MEASURES = {
    "left_knee_angle_deg": 90.0,  # knee->hip (0,-100), knee->ankle (100,0)
    "right_knee_angle_deg": 45.0,  # knee->hip (100,-100), knee->ankle (100,0)
    "left_hip_angle_deg": 180.0,  # hip->shoulder (0,-300), hip->knee (0,100)
    "right_hip_angle_deg": 135.0,  # hip->shoulder (0,-200), hip->knee (-100,100)
    "left_elbow_angle_deg": 135.0,  # elbow->shoulder (-100,0), elbow->wrist (100,-100)
    "right_elbow_angle_deg": 180.0,  # elbow->shoulder (0,-100), elbow->wrist (0,100)
    "left_shoulder_angle_deg": 90.0,  # shoulder->hip (0,300), shoulder->elbow (100,0)
    "right_shoulder_angle_deg": 0.0,  # shoulder->hip (0,200), shoulder->elbow (0,100)
    "left_knee_flexion_deg": 90.0,  # 180 - angle, for knee, hip and elbow
    "right_knee_flexion_deg": 135.0,
    "left_hip_flexion_deg": 0.0,
    "right_hip_flexion_deg": 45.0,
    "left_elbow_flexion_deg": 45.0,
    "right_elbow_flexion_deg": 0.0,
    # nose (350,50) - mid-shoulder (250,150) = (100,-100): 45 deg off the vertical.
    "neck_flexion_deg": 45.0,
    # mid-shoulder (250,150) - mid-hip (250,400) = (0,-250): upright.
    "trunk_lean_deg": 0.0,
    # right (200,200) -> left (300,100) shoulder: the left one 100 px higher over 100 px, +45.
    "shoulder_tilt_deg": 45.0,
    "hip_tilt_deg": 0.0,  # both hips at y = 400
}
#: A measure BIG cannot have: the craniovertebral angle needs a side view (and a neck point).
BIG_NOT_VISIBLE = "craniovertebral_angle_deg"

#: A small person standing straight (knees 180 deg) to the right of BIG: box about
#: (676, 27, 724, 180), so (700, 100) lies inside it.
SMALL = {n: (x + 600.0, y) for n, (x, y) in standing_skeleton(200, 200).items()}
SMALL_POINT = (700.0, 100.0)

#: Someone at a desk seen from the side (view "side"), facing the image's right (nose ahead of ears).
DESK_SITTER = {
    "nose": (420.0, 210.0),
    "left_ear": (400.0, 200.0),
    "right_ear": (400.0, 200.0),
    "left_shoulder": (400.0, 300.0),
    "right_shoulder": (400.0, 300.0),
    "left_hip": (300.0, 400.0),
    "right_hip": (300.0, 400.0),
    "left_elbow": (500.0, 300.0),
    "left_wrist": (500.0, 200.0),
    "right_elbow": (350.0, 350.0),
    "right_wrist": (400.0, 400.0),
}
#: DESK_SITTER's RULA reading (McAtamney & Corlett 1993 bands in core.measure.ergonomics):
#: neck: ear - shoulder = (0,-100), 0 deg -> "0-10° flexion", score 1, fine.
#: trunk: shoulder - hip = (100,-100), 45 deg -> "20-60° flexion", score 3, look.
#: left upper arm: shoulder->hip (-100,100), shoulder->elbow (100,0), 135 deg -> ">90°", score 4, look.
#: left lower arm: elbow->shoulder (-100,0), elbow->wrist (0,-100): 90 deg flexion -> score 1, fine.
#: right upper arm: shoulder->elbow (-50,50) along shoulder->hip, 0 deg -> "0-20°", score 1, fine.
#: right lower arm: elbow->shoulder (50,-50), elbow->wrist (50,50): 90 deg flexion -> score 1, fine.
DESK_ALERTS = (
    "trunk 45.0 deg, band 20-60° flexion (RULA score 3)",
    "upper_arm (left) 135.0 deg, band >90° (RULA score 4)",
)

#: The synthetic walk (tests/measure/synthetic.py): 110 steps/min, right steps 10 % longer, walking
#: toward the image's right in a 1280 x 720 frame at 30 fps.
WALK = {"cadence_spm": 110.0, "si_pct": 10.0}
WALK_FPS = 30.0
WALK_FRAME = (1280, 720)
#: (stride, left step, right step) seconds: 1.0909, 0.5182, 0.5727.
WALK_TRUTH = walk_truth(WALK["cadence_spm"], WALK["si_pct"])


def walking_backend(duration_s: float) -> FakeBackend:
    """A FakeBackend whose video frames hold the synthetic walker of ``duration_s`` seconds."""
    series = walking_series(fps=WALK_FPS, duration_s=duration_s, frame_size=WALK_FRAME, **WALK)
    return FakeBackend(motion=series_motion(series))


def series_motion(series: PoseSeries) -> Callable[[int], list[np.ndarray]]:
    """A FakeBackend motion playing ``series``: the frame nearest each timestamp, nobody after the end."""

    def motion(timestamp_ms: int) -> list[np.ndarray]:
        t = timestamp_ms / 1000.0
        i = int(np.argmin(np.abs(series.time_s - t)))
        return [series.xy[i]] if abs(series.time_s[i] - t) < 0.5 / WALK_FPS else []

    return motion


def write_image(path: Path, value: int = 128, size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """A flat grey (width, height) PNG: the fake backend ignores pixels, the decoder does not."""
    cv2.imwrite(str(path), np.full((size[1], size[0], 3), value, np.uint8))
    return path


def write_video(
    path: Path, n: int, *, fps: float = 10.0, size: tuple[int, int] = (64, 48), value: int = 200
) -> Path:
    """``n`` flat frames of (width, height) at ``fps`` as MJPG AVI (every OpenCV build reads it)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    frame = np.full((size[1], size[0], 3), value, np.uint8)
    for _ in range(n):
        writer.write(frame)
    writer.release()
    return path


def write_walk_video(path: Path, duration_s: float) -> Path:
    """A video the size and frame rate of the synthetic walk (its pixels do not matter)."""
    return write_video(path, int(round(duration_s * WALK_FPS)), fps=WALK_FPS, size=WALK_FRAME)
