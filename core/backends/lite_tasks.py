"""The lite backend's MediaPipe Tasks: one is made per kind on first use, from the model files the
settings point to (``core.backends.models``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.backends.models import resolve_lite_model
from core.config import Settings

#: The kinds of task the lite backend makes: pose for photos and for video frames, the person
#: segmenter, the face detector and the hand landmarker.
TASK_KINDS = ("pose_image", "pose_video", "segmenter", "faces", "hands")


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

    if kind in ("pose_image", "pose_video"):
        mode = vision.RunningMode.VIDEO if kind == "pose_video" else vision.RunningMode.IMAGE
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
