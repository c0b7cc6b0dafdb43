"""The lite (MediaPipe) backend on the real sample media in ../shared/data, and on bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import Capability, PersonBox
from core.errors import InputError, UnsupportedCapability
from tests.conftest import shared_path


def _load(name: str) -> np.ndarray:
    import cv2

    return cv2.cvtColor(cv2.imread(str(shared_path("data", name))), cv2.COLOR_BGR2RGB)


def test_person_found_with_shoulders_above_hips(lite_backend):
    image = _load("cameraman_standing.png")
    poses = lite_backend.estimate_pose(image)
    assert len(poses) >= 1
    pose = poses[0]
    assert pose.backend == "lite" and pose.model == "pose_landmarker_full" and pose.threshold == 0.5
    # Image y grows downwards: shoulders above hips means a smaller y.
    assert pose.point("mid_shoulder")[1] < pose.point("mid_hip")[1]
    assert not pose.has("neck")  # MediaPipe has no neck point
    x1, y1, x2, y2 = pose.box_xyxy
    assert 0 <= x1 < x2 <= 512 and 0 <= y1 < y2 <= 512
    assert x1 <= pose.point("nose")[0] <= x2
    boxes = lite_backend.detect_people(image)
    assert boxes and boxes[0].area > 0.1 * 512 * 512


def test_face_box_on_the_face(lite_backend):
    image = _load("portrait_face_neck.jpg")
    faces = lite_backend.detect_faces(image)
    assert len(faces) == 1
    x1, y1, x2, y2 = faces[0].xyxy
    nose = lite_backend.estimate_pose(image)[0].point("nose")
    # The pose nose must lie inside the face box, and the box is a face, not the whole portrait.
    assert x1 <= nose[0] <= x2 and y1 <= nose[1] <= y2
    assert 0.05 < faces[0].area / (512 * 600) < 0.5


def test_hand_landmarks_on_the_hand(lite_backend):
    image = _load("hand_closeup.jpg")
    hands = lite_backend.detect_hands(image)
    assert len(hands) == 1
    hand = hands[0]
    assert hand.landmarks.shape == (21, 2) and hand.handedness in ("Left", "Right")
    assert np.all((hand.landmarks >= -1) & (hand.landmarks <= [641, 481]))
    assert hand.box.area > 0.1 * 640 * 480  # a close-up: the hand fills much of the picture


def test_person_mask_segmentation(lite_backend):
    image = _load("portrait_face_neck.jpg")
    seg = lite_backend.segment(image)
    assert seg.class_names == ("Background", "Person") and seg.class_map.shape == (600, 512)
    face = lite_backend.detect_faces(image)[0].xyxy
    cx, cy = int((face[0] + face[2]) / 2), int((face[1] + face[3]) / 2)
    assert seg.person_mask[cy, cx]
    assert 0.2 < seg.person_mask.mean() < 0.95
    with pytest.raises(UnsupportedCapability, match="sapiens2"):
        lite_backend.estimate_normals(image)
    assert not lite_backend.supports(Capability.BODY_PARTS)


def test_pose_in_given_boxes_maps_back_to_the_image(lite_backend):
    image = _load("cameraman_standing.png")
    whole = lite_backend.estimate_pose(image)[0]
    (inside,) = lite_backend.estimate_pose(image, [PersonBox(whole.box_xyxy)])
    # The same person found in a crop: the shoulders land within a few pixels of the full-image run.
    assert np.nanmax(np.abs(inside.point("mid_shoulder") - whole.point("mid_shoulder"))) < 15


def test_bad_and_odd_inputs(lite_backend):
    with pytest.raises(InputError):
        lite_backend.estimate_pose(np.zeros((0, 0, 3), np.uint8))
    assert lite_backend.estimate_pose(np.zeros((1, 1, 3), np.uint8)) == []
    assert lite_backend.detect_faces(np.zeros((1, 1, 3), np.uint8)) == []
    assert lite_backend.segment(np.zeros((1, 1, 3), np.uint8)).class_map.shape == (1, 1)
    image = _load("cameraman_standing.png")
    gray = lite_backend.estimate_pose(image[..., 0])
    rgba = lite_backend.estimate_pose(np.dstack([image, np.full(image.shape[:2], 255, np.uint8)]))
    assert len(gray) >= 1 and len(rgba) >= 1


def test_huge_image_is_downscaled_and_mapped_back(lite_backend):
    import cv2

    image = _load("cameraman_standing.png")
    big = cv2.resize(
        image, (5120, 5120), interpolation=cv2.INTER_LINEAR
    )  # 10x, above the 4096 limit
    small_pose = lite_backend.estimate_pose(image)[0]
    big_pose = lite_backend.estimate_pose(big)[0]
    # Keypoints come back in the big image's pixels: 10x the small image's, within a few % of the body.
    assert np.nanmax(np.abs(big_pose.point("mid_hip") - 10 * small_pose.point("mid_hip"))) < 100
    assert big_pose.box_xyxy[2] > 512  # not left in the downscaled frame


def test_video_timestamps_may_restart(lite_backend):
    image = _load("cameraman_standing.png")
    with lite_backend.video_session():
        first = lite_backend.estimate_pose(image, timestamp_ms=0)
        lite_backend.estimate_pose(image, timestamp_ms=33)
        again = lite_backend.estimate_pose(
            image, timestamp_ms=0
        )  # a second video: no MediaPipe error
    assert len(first) >= 1 and len(again) >= 1
    assert lite_backend.describe()["model_file"] == "pose_landmarker_full.task"


def test_an_unknown_task_kind_is_refused():
    from core.backends.lite_tasks import TASK_KINDS, create_task
    from core.config import load_settings

    assert "hands" in TASK_KINDS
    with pytest.raises(ValueError, match="unknown MediaPipe task 'pose'"):
        create_task("pose", load_settings(), pose_model="m", num_poses=1, video_masks=False)
