"""The Sapiens2 backend: 308-keypoint pose, 29-class body parts and surface normals.

Models are loaded on first use (one per task). Pose is top-down: person boxes come from the caller,
else from the lite (MediaPipe) detector when it is installed with its model files, else from the
bounding box of the Sapiens2 seg foreground, else the whole image is taken as one centred subject.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.backends.base import (
    Backend,
    Capability,
    NormalMap,
    PersonBox,
    Segmentation,
    TaskHead,
)
from core.config import Settings, load_settings
from core.errors import InputError, ModelNotAvailable, SapiensMeasureError
from core.keypoints import Pose
from core.labels.classes import CLASS_NAMES
from core.sapiens2.device import dtype_name, pick_device, pick_dtype
from core.sapiens2.presets import SIZES

#: ``detector="auto"``: try the lite backend; None: no detector (seg foreground, then full image).
AUTO = "auto"


class Sapiens2Backend(Backend):
    """Sapiens2 of one size on one device.

    Parameters
    ----------
    size : "0.4b", "0.8b", "1b" or "5b".
    settings : checkpoint roots, device/dtype defaults and the keypoint threshold (default: environment).
    device, dtype : override ``settings.device`` / ``settings.dtype`` ("auto", "cpu", "cuda", "mps";
        "auto", "float32", "bfloat16").
    flip_test : average pose heatmaps with the mirrored image's (official default; 2x the cost).
    predictors : task -> ready predictor, used instead of loading checkpoints (tests, custom models).
    detector : a backend whose ``detect_people`` gives person boxes, ``"auto"`` for the lite backend
        when available, or None for none.
    """

    name = "sapiens2"
    capabilities = frozenset(
        {
            Capability.PEOPLE,
            Capability.POSE,
            Capability.PERSON_MASK,
            Capability.BODY_PARTS,
            Capability.NORMALS,
            Capability.POINTMAP,
        }
    )
    batches_frames = True

    def __init__(
        self,
        size: str = "0.4b",
        *,
        settings: Settings | None = None,
        device: str | None = None,
        dtype: str | None = None,
        flip_test: bool = True,
        predictors: dict[str, Any] | None = None,
        detector: Backend | str | None = AUTO,
    ) -> None:
        if size not in SIZES and not predictors:
            raise InputError(f"Sapiens2 size {size!r}: choose one of {', '.join(SIZES)}")
        self.settings = settings or load_settings()
        self.size = size
        self.model = f"sapiens2-{size}"
        self.threshold = self.settings.sapiens2_threshold
        self._flip_test = flip_test
        self._predictors: dict[str, Any] = dict(predictors or {})
        if self._predictors:
            first = next(iter(self._predictors.values()))
            self.device, self.dtype = first.device, dtype_name(first.dtype)
        else:
            self.device = pick_device(device or self.settings.device)
            self.dtype = dtype_name(pick_dtype(self.device, dtype or self.settings.dtype))
        self._detector: Backend | str | None = detector
        self._owns_detector = False
        self._missing: set[str] = set()

    @property
    def flip_test(self) -> bool:
        """The flip test a pose call runs when it asks for none (the constructor's; settable,
        applies to a loaded model too). Callers ask per call (``estimate_pose(flip_test=)``)
        instead of switching this on a shared backend."""
        return self._flip_test

    @flip_test.setter
    def flip_test(self, enabled: bool) -> None:
        self._flip_test = bool(enabled)
        if "pose" in self._predictors:
            self._predictors["pose"].flip_test = self._flip_test

    # -- models ----------------------------------------------------------------------------------
    def _predictor(self, task: str) -> Any:
        """The task's predictor, loaded on first use; ``ModelNotAvailable`` when its weights are absent."""
        if task not in self._predictors:
            from core.sapiens2.predictor import load_predictor

            kwargs: dict[str, Any] = {"flip_test": self.flip_test} if task == "pose" else {}
            self._predictors[task] = load_predictor(
                task,
                self.size,
                settings=self.settings,
                device=self.device,
                dtype=self.dtype,
                **kwargs,
            )
        return self._predictors[task]

    def task_predictor(self, task: str) -> TaskHead:
        """The predictor of ``task`` ("pose", "seg", "normal", "pointmap") on this backend's
        device and dtype, loaded on first use and kept (the 3D measures use seg and pointmap);
        ``ModelNotAvailable`` when its weights are absent."""
        return self._predictor(task)

    def _optional_predictor(self, task: str) -> Any | None:
        if task in self._missing:
            return None
        try:
            return self._predictor(task)
        except ModelNotAvailable:
            self._missing.add(task)
            return None

    def _lite_detector(self) -> Backend | None:
        if self._detector == AUTO:
            try:
                from core.backends.lite import LiteBackend

                self._detector = LiteBackend(self.settings)
                self._owns_detector = True
            except (ImportError, SapiensMeasureError):
                self._detector = None  # not installed or no model files: fall back quietly
        return self._detector if isinstance(self._detector, Backend) else None

    def close(self) -> None:
        """Drop the loaded models (and the lite detector this backend created); reloaded on next use."""
        self._predictors.clear()
        self._missing.clear()
        if self._owns_detector and isinstance(self._detector, Backend):
            self._detector.close()
            self._detector, self._owns_detector = AUTO, False

    # -- capabilities ----------------------------------------------------------------------------
    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        """Person boxes, largest first: the lite detector's, else the seg foreground's extent, else []."""
        detector = self._lite_detector()
        if detector is not None:
            return sorted(detector.detect_people(image), key=lambda b: b.area, reverse=True)
        seg = self._optional_predictor("seg")
        if seg is None:
            return []
        mask = seg.predict(image).class_map > 0
        if not mask.any():
            return []
        ys, xs = np.nonzero(mask)
        return [
            PersonBox((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), 1.0)
        ]

    def estimate_pose(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None = None,
        *,
        timestamp_ms: int | None = None,
        flip_test: bool | None = None,
    ) -> list[Pose]:
        """One ``Pose`` per box (largest first); without boxes, detected ones or the whole image.

        ``timestamp_ms`` is accepted for interface compatibility; Sapiens2 treats frames
        independently. ``flip_test``: this call's (None: the backend's ``flip_test``).
        """
        predictor = self._predictor("pose")
        if boxes is None:
            boxes = self.detect_people(image)
        xyxy = self._pose_boxes(boxes)
        flip = self._flip_test if flip_test is None else bool(flip_test)
        # A photo keeps its two views, so each measure is also read on each (confidence).
        return self._poses(predictor.predict(image, xyxy, flip_test=flip, views=flip))

    def estimate_pose_frames(
        self, images: list[np.ndarray], *, max_batch: int = 8
    ) -> list[list[Pose]]:
        """``estimate_pose`` (detected boxes) for each of several frames, their crops batched.

        The crops of all frames share forwards of at most ``max_batch`` crops
        (``PosePredictor.predict_many``): on video, one pass over the weights serves several
        frames. With ``max_batch=1`` the poses of a frame with one box (or none) equal
        ``estimate_pose(frame)``; in float32, forwards of other sizes (larger batches, or a frame's
        several boxes split up) may differ from it in the last digits (other matmul kernels).
        """
        predictor = self._predictor("pose")
        xyxy = [self._pose_boxes(self.detect_people(image)) for image in images]
        many = predictor.predict_many(images, xyxy, max_batch=max_batch, flip_test=self._flip_test)
        return [self._poses(r) for r in many]

    @staticmethod
    def _pose_boxes(boxes: list[PersonBox]) -> np.ndarray | None:
        """Boxes largest first as (N, 4) x1 y1 x2 y2, or None (no boxes: the whole image)."""
        boxes = sorted(boxes, key=lambda b: b.area, reverse=True)
        return np.array([b.xyxy for b in boxes], np.float32).reshape(-1, 4) if boxes else None

    def _poses(self, result: Any) -> list[Pose]:
        """One ``Pose`` per instance of a ``PoseResult``, in its box order."""
        views = result.views
        return [
            Pose.from_sapiens2(
                kp,
                sc,
                model=self.model,
                threshold=self.threshold,
                box_xyxy=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                views=None if views is None else (views[i, 0], views[i, 1]),
            )
            for i, (kp, sc, box) in enumerate(
                zip(result.keypoints, result.scores, result.boxes_xyxy)
            )
        ]

    def segment(self, image: np.ndarray) -> Segmentation:
        """The 29 body-part classes at the image's size (names in ``core.sapiens2.classes``)."""
        return Segmentation(self._predictor("seg").predict(image).class_map, CLASS_NAMES)

    def estimate_normals(self, image: np.ndarray) -> NormalMap:
        """Unit normals at the image's size; ``mask`` is the seg foreground when seg weights exist."""
        normals = self._predictor("normal").predict(image).normals
        seg = self._optional_predictor("seg")
        mask = seg.predict(image).class_map > 0 if seg is not None else None
        return NormalMap(normals, mask)

    def describe(self) -> dict[str, object]:
        """Backend, model, size, device, dtype, threshold, plus which task models are loaded."""
        return {
            **super().describe(),
            "flip_test": self.flip_test,
            "loaded_tasks": sorted(self._predictors),
        }
