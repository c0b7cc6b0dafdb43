"""The lite backend's MediaPipe Tasks: one is made per kind on first use, from the model files the
settings point to (``core.backends.models``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.backends.base import Hand, PersonBox
from core.backends.models import resolve_lite_model
from core.config import Settings
from core.keypoints import extent_box
from core.types import clip_box

#: The kinds of task the lite backend makes: pose for photos, for video frames and for their
#: mirrors (the flip test: a VIDEO-mode landmarker tracks one stream), the person segmenter, the
#: face detector and the hand landmarker.
TASK_KINDS = ("pose_image", "pose_video", "pose_video_mirror", "segmenter", "faces", "hands")
#: The VIDEO-mode kinds: made fresh for every video.
VIDEO_TASKS = ("pose_video", "pose_video_mirror")


def create_task(
    kind: str, settings: Settings, *, pose_model: str, num_poses: int, video_masks: bool
) -> Any:
    """A new MediaPipe task of ``kind`` (:data:`TASK_KINDS`); ``pose_model`` names the pose
    landmarker file, ``num_poses`` the most people it finds, ``video_masks`` whether video frames
    also get person masks. Raises ``ModelNotAvailable`` when the model file is missing."""
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    def base(key: str) -> BaseOptions:
        return BaseOptions(model_asset_path=str(resolve_lite_model(key, settings)))

    if kind in ("pose_image", *VIDEO_TASKS):
        mode = vision.RunningMode.VIDEO if kind in VIDEO_TASKS else vision.RunningMode.IMAGE
        task = vision.PoseLandmarker.create_from_options(
            vision.PoseLandmarkerOptions(
                base_options=base(pose_model),
                running_mode=mode,
                num_poses=num_poses,
                # Masks give tight person boxes; at video rates they cost as much as the pose.
                output_segmentation_masks=kind == "pose_image" or video_masks,
            )
        )
    elif kind == "segmenter":
        task = vision.ImageSegmenter.create_from_options(
            vision.ImageSegmenterOptions(
                base_options=base("selfie_segmenter"), output_confidence_masks=True
            )
        )
    elif kind == "faces":
        task = vision.FaceDetector.create_from_options(
            vision.FaceDetectorOptions(base_options=base("blaze_face_short_range"))
        )
    elif kind == "hands":
        task = vision.HandLandmarker.create_from_options(
            vision.HandLandmarkerOptions(base_options=base("hand_landmarker"), num_hands=2)
        )
    else:
        raise ValueError(f"unknown MediaPipe task {kind!r}: one of {', '.join(TASK_KINDS)}")
    return task


def mp_image(rgb: np.ndarray) -> Any:
    """An RGB array as the ``mediapipe.Image`` the tasks take."""
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


def face_boxes(result: Any, scale: float, width: int, height: int) -> list[PersonBox]:
    """A face detector result as boxes in pixels of the ``width`` x ``height`` original (the
    detector saw it downscaled by ``scale``), largest first."""
    faces = []
    for det in result.detections:
        bb = det.bounding_box
        x1, y1 = bb.origin_x * scale, bb.origin_y * scale
        x2, y2 = x1 + bb.width * scale, y1 + bb.height * scale
        box = clip_box((x1, y1, x2, y2), width, height)
        faces.append(PersonBox(box, float(det.categories[0].score) if det.categories else 1.0))
    return sorted(faces, key=lambda b: b.area, reverse=True)


def hand_list(result: Any, width: int, height: int) -> list[Hand]:
    """A hand landmarker result as hands (21 landmarks in pixels, box, handedness), largest first."""
    hands = []
    for landmarks, handedness in zip(result.hand_landmarks, result.handedness):
        xy = np.array([[lm.x * width, lm.y * height] for lm in landmarks], dtype=np.float64)
        extent = extent_box(xy)
        if extent is None:
            continue  # not one finite landmark: no hand to place
        box = PersonBox(clip_box(extent, width, height))
        best = handedness[0] if handedness else None
        label = (best.category_name or best.display_name or "") if best else ""
        hands.append(Hand(label, xy, box, float(best.score) if best else float("nan")))
    return sorted(hands, key=lambda h: h.box.area, reverse=True)
