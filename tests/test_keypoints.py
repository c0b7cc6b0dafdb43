"""Canonical keypoints: the source mappings and the Pose / PoseSeries value types."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.errors import InputError
from core.keypoints import (
    CANONICAL_NAMES,
    INDEX,
    MEDIAPIPE_IDS,
    MEDIAPIPE_NAMES,
    SAPIENS2_IDS,
    Pose,
    PoseSeries,
)
from tests.conftest import shared_path


def test_sapiens2_ids_match_the_official_names():
    table = json.loads(shared_path("sapiens2", "keypoints308.json").read_text())
    names = {kp["id"]: kp["name"] for kp in table["keypoints"]}
    assert len(names) == 308
    for name, src in SAPIENS2_IDS.items():
        assert names[src] == name, f"{name} maps to id {src}, which is {names[src]}"


def test_sapiens2_ids_match_spec_table():
    # SPEC.md section 6 "Body ids for a joint-angle tool", typed in by hand: wrists are 62/41 and
    # hips 9/10, the two places where COCO's order would be wrong.
    spec = {"left_wrist": 62, "right_wrist": 41, "left_hip": 9, "right_hip": 10, "neck": 69,
            "left_big_toe": 15, "right_big_toe": 18, "left_small_toe": 16, "right_small_toe": 19,
            "left_heel": 17, "right_heel": 20, "left_ankle": 13, "right_ankle": 14}  # fmt: skip
    for name, src in spec.items():
        assert SAPIENS2_IDS[name] == src
    assert "## 6. Labels" in shared_path("sapiens2", "SPEC.md").read_text()


def test_mediapipe_ids_match_mediapipe_landmark_enum():
    from mediapipe.tasks.python.vision import PoseLandmark

    assert len(PoseLandmark) == 33
    for landmark in PoseLandmark:
        assert MEDIAPIPE_NAMES[landmark.value] == landmark.name.lower()
    for name, src in MEDIAPIPE_IDS.items():
        # MediaPipe calls the toe tip "foot_index"; everything else has the same name.
        expected = name.replace("big_toe", "foot_index")
        assert PoseLandmark(src).name.lower() == expected


def test_sources_never_invent_points():
    # MediaPipe has no neck or small toe: they must stay NaN whatever the input.
    pose = Pose.from_mediapipe(np.ones((33, 2)), np.ones(33), model="m")
    for name in ("neck", "left_small_toe", "right_small_toe"):
        assert not pose.has(name)
    assert pose.has("nose")


def test_threshold_and_derived_midpoints():
    xy = np.zeros((33, 2))
    xy[11], xy[12] = (10.0, 20.0), (30.0, 40.0)  # left / right shoulder
    xy[23], xy[24] = (12.0, 60.0), (28.0, 62.0)  # left / right hip
    vis = np.full(33, 0.9)
    vis[24] = 0.4  # right hip below the 0.5 threshold
    pose = Pose.from_mediapipe(xy, vis, model="m", threshold=0.5)
    # mid_shoulder = ((10 + 30) / 2, (20 + 40) / 2) = (20, 30)
    assert_allclose(pose.point("mid_shoulder"), [20.0, 30.0])
    assert not pose.has("right_hip")
    assert not pose.has("mid_hip")  # one side missing -> the midpoint is missing, not guessed
    assert pose.scores[INDEX["right_hip"]] == pytest.approx(0.4)  # the score is kept for display
    assert pose.as_dict()["right_hip"] is None
    # 21 mapped MediaPipe points minus the right hip = 20, plus mid_shoulder (mid_hip is missing) = 21
    assert pose.n_present == 21


def test_from_sapiens2_uses_its_own_ids():
    kps = np.arange(308 * 2, dtype=float).reshape(308, 2)
    pose = Pose.from_sapiens2(kps, np.ones(308), model="sapiens2_0.4b_pose")
    # left wrist is id 62 -> (124, 125); neck id 69 -> (138, 139)
    assert_allclose(pose.point("left_wrist"), [124.0, 125.0])
    assert_allclose(pose.point("neck"), [138.0, 139.0])
    assert pose.backend == "sapiens2" and pose.source_xy.shape == (308, 2)


def test_from_canonical_recomputes_midpoints_and_box():
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    xy[INDEX["left_hip"]], xy[INDEX["right_hip"]] = (0.0, 10.0), (4.0, 14.0)
    xy[INDEX["mid_hip"]] = (999.0, 999.0)  # ignored: derived points are recomputed
    pose = Pose.from_canonical(xy, np.ones(len(xy)), backend="t", model="t")
    assert_allclose(pose.point("mid_hip"), [2.0, 12.0])
    assert pose.box == (0.0, 10.0, 4.0, 14.0)


@pytest.mark.parametrize("shape", [(33,), (33, 3), (5, 2)])
def test_bad_shapes_raise_input_error(shape):
    with pytest.raises(InputError):
        Pose.from_mediapipe(np.zeros(shape), np.ones(shape[0]), model="m")


def test_pose_series_from_poses_keeps_gaps():
    pose = Pose.from_mediapipe(np.full((33, 2), 5.0), np.ones(33), model="m")
    series = PoseSeries.from_poses([pose, None, pose], [0.0, 0.1, 0.2], [0, 3, 6], (64, 48))
    assert series.xy.shape == (3, len(CANONICAL_NAMES), 2)
    assert series.n_frames_used == 2
    assert np.isnan(series.track("nose")[1]).all()
    assert series.backend == "lite"
    with pytest.raises(InputError):
        PoseSeries(np.zeros((2, 3, 2)), np.zeros((2, 3)), np.zeros(2), np.zeros(2, int), (1, 1))
