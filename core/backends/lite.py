"""The lite backend: MediaPipe Tasks pose, person mask, faces and hands, offline and fast on a CPU.

Models are created on first use and reused. A video's frames go through a separate VIDEO-mode pose
landmarker (it tracks between frames and needs strictly increasing timestamps); when timestamps
restart or go backwards a fresh one is made, and :meth:`LiteBackend.video_session` makes one per video.
Photos and video frames also go through mirrored (the flip test, :mod:`core.backends.lite_flip`; a
video's mirrored frames through a second VIDEO-mode landmarker of their own).
Video frames skip MediaPipe's full-resolution person masks by default (they double the cost of a
1080p frame); their person boxes then come from the landmarks (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np

from core.backends.base import (
    MAX_INFERENCE_SIDE,
    Backend,
    Capability,
    Detection,
    Hand,
    PersonBox,
    Segmentation,
    as_rgb,
    fit_for_inference,
)
from core.backends.crops import padded_crop, second_look, shift_pose
from core.backends.lite_flip import (
    RawPose,
    box_area,
    doubt_score,
    flip_merge,
    largest_first_unique,
    raw_poses,
    second_views,
    video_frame_raw,
)
from core.backends.lite_tasks import VIDEO_TASKS, create_task, face_boxes, hand_list, mp_image
from core.backends.models import resolve_lite_model
from core.config import Settings, load_settings
from core.errors import InputError
from core.keypoints import Pose

POSE_MODELS = ("lite", "full", "heavy")
#: MediaPipe finds nobody in smaller images; skipping them avoids feeding degenerate tensors.
MIN_SIDE = 16
#: Backends holding open MediaPipe tasks, for :func:`close_all`.
_LIVE: weakref.WeakSet[LiteBackend] = weakref.WeakSet()


def _close_tasks(tasks: dict[str, Any]) -> None:
    """Close and forget MediaPipe tasks (a backend's ``close`` and its finaliser)."""
    for kind in list(tasks):
        task = tasks.pop(kind, None)
        if task is not None:
            task.close()


def close_all() -> None:
    """Close every live backend's MediaPipe tasks. Hosts that keep backends alive until the process
    ends (a test session, a server) call this before shutdown: MediaPipe's own finalisers fail
    noisily once its worker threads are gone."""
    for backend in list(_LIVE):
        backend.close()


class LiteBackend(Backend):
    """MediaPipe Tasks backend (``mediapipe>=1.2``): 33-landmark pose, person mask, faces, hands.

    Parameters
    ----------
    settings : where model files are looked up and the visibility threshold (default: environment).
    model : pose landmarker variant, "lite", "full" or "heavy".
    num_poses : most people found per image; keep >= 2 so a bystander cannot hide the subject.
    threshold : visibility below which a keypoint is missing (default ``settings.lite_threshold``).
    max_side : longer image side above which images are downscaled for inference (pixels).
    flip_test : photos and video frames also go through mirrored and the two views are averaged
        (:mod:`core.backends.lite_flip`; 2x the cost). Video frames flip since 2026-12-07: on the
        shared walk it took the joint-angle curves of a mirrored copy from 81 % to 96 % of
        samples within 6 degrees of the original's (docs/VALIDATION.md, section 6).
    video_masks : also compute person masks for video frames (``timestamp_ms`` given). Boxes then
        include the head top and hair, at about twice the cost per 1080p frame; without them
        boxes are the landmarks' extent. Photos always get masks.
    """

    name = "lite"
    capabilities = frozenset(
        {
            Capability.PEOPLE,
            Capability.POSE,
            Capability.PERSON_MASK,
            Capability.FACES,
            Capability.HANDS,
        }
    )

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str = "full",
        num_poses: int = 2,
        threshold: float | None = None,
        max_side: int = MAX_INFERENCE_SIDE,
        video_masks: bool = False,
        flip_test: bool = True,
    ) -> None:
        if model not in POSE_MODELS:
            raise InputError(f"lite pose model {model!r}: choose one of {', '.join(POSE_MODELS)}")
        if num_poses < 1:
            raise InputError(f"num_poses must be at least 1, got {num_poses}")
        self.settings = settings or load_settings()
        self.model = f"pose_landmarker_{model}"
        self.size = model
        self.num_poses = num_poses
        self.threshold = self.settings.lite_threshold if threshold is None else float(threshold)
        self.max_side = max_side
        self.video_masks = bool(video_masks)
        self.flip_test: bool = bool(flip_test)  # a call's flip_test=None runs this one
        # Fail early with the fetch hint rather than on the first frame.
        self._pose_path = resolve_lite_model(self.model, self.settings)
        self._tasks: dict[str, Any] = {}
        # A backend dropped without close() must not leave its tasks to the garbage collector:
        # collected together with their dispatcher in one cycle, a task's own finaliser waits
        # forever on a worker thread that is already gone (a hung test run showed it). This
        # finaliser holds the tasks, so they outlive the backend and are closed while their
        # workers still run. Not at interpreter exit (close_all is for that; the workers are
        # gone by then).
        self._finalizer = weakref.finalize(self, _close_tasks, self._tasks)
        self._finalizer.atexit = False
        self._last_timestamp_ms: int | None = None

    # -- model handling -------------------------------------------------------------------------
    def _task(self, kind: str) -> Any:
        if kind in self._tasks:
            return self._tasks[kind]
        _LIVE.add(self)
        task = create_task(
            kind,
            self.settings,
            pose_model=self.model,
            num_poses=self.num_poses,
            video_masks=self.video_masks,
        )
        self._tasks[kind] = task
        return task

    def _drop(self, kind: str) -> None:
        task = self._tasks.pop(kind, None)
        if task is not None:
            task.close()

    def close(self) -> None:
        """Close every MediaPipe task (they hold native threads); later calls re-create them."""
        _close_tasks(self._tasks)
        self._last_timestamp_ms = None

    def __enter__(self) -> LiteBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def video_session(self) -> Iterator[LiteBackend]:
        """Frames of one video in order: ``with backend.video_session(): backend.estimate_pose(f, timestamp_ms=t)``."""
        self._drop_video()
        try:
            yield self
        finally:
            self._drop_video()

    def _drop_video(self) -> None:
        """A fresh start for the VIDEO-mode landmarkers (the frames' and their mirrors')."""
        for kind in VIDEO_TASKS:
            self._drop(kind)
        self._last_timestamp_ms = None

    # -- helpers --------------------------------------------------------------------------------
    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
        rgb = as_rgb(image)
        if min(rgb.shape[:2]) < MIN_SIDE:
            return None
        small, scale = fit_for_inference(rgb, max_side=self.max_side)
        return rgb, small, scale

    def _poses(self, raw: list[RawPose], *, from_masks: bool) -> list[Pose]:
        poses = [
            Pose.from_mediapipe(
                p.xy,
                p.visibility,
                model=self.model,
                threshold=self.threshold,
                box_xyxy=p.box,
                views=p.views,
            )
            for p in raw
        ]
        return largest_first_unique(poses, from_masks=from_masks)

    # -- Backend interface ----------------------------------------------------------------------
    def estimate_pose(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None = None,
        *,
        timestamp_ms: int | None = None,
        flip_test: bool | None = None,
    ) -> list[Pose]:
        """One ``Pose`` per person, largest first (keypoints in original-image pixels).

        ``boxes``: look for one person inside each box (padded by 25%) instead of the whole image.
        ``timestamp_ms``: frames of one video in increasing order use MediaPipe's VIDEO mode, which
        follows people between frames; a timestamp that is not larger than the last one starts over.
        ``flip_test``: also the mirror image, the two views averaged and points they disagree on
        scored unreliable (:mod:`core.backends.lite_flip`; None: the backend's ``flip_test``),
        for photos and video frames alike.
        """
        return self._estimate(image, boxes, timestamp_ms, flip_test, whole_image=True)

    def _estimate(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None,
        timestamp_ms: int | None,
        flip_test: bool | None,
        *,
        whole_image: bool,
    ) -> list[Pose]:
        """:meth:`estimate_pose`; ``whole_image``: the image is the photo itself, not a crop or
        tile of it. Only there is a person whom only the flip test's mirror view found kept
        (``lite_flip.flip_merge``), and a one-view person given a second look."""
        prepared = self._prepare(image)
        if prepared is None:
            return []
        rgb, small, scale = prepared
        height, width = rgb.shape[:2]
        flip = self.flip_test if flip_test is None else bool(flip_test)
        if boxes is not None:
            return self._pose_in_boxes(rgb, boxes, flip)
        if timestamp_ms is None:
            raw, from_masks = self._photo_raw(small, width, height, scale, flip, whole_image)
            if flip and whole_image:
                raw = second_views(
                    raw,
                    partial(self._crop_raw, rgb),
                    width,
                    height,
                    from_masks=from_masks,
                    doubt_score=self._doubt_score(),
                )
        else:
            raw, from_masks = self._video_raw(small, width, height, scale, int(timestamp_ms), flip)
        return self._poses(raw, from_masks=from_masks)

    def _video_raw(
        self,
        small: np.ndarray,
        width: int,
        height: int,
        scale: float,
        timestamp_ms: int,
        flip: bool,
    ) -> tuple[list[RawPose], bool]:
        """One video frame's raw poses, the mirrored frame's merged in when ``flip`` (its own
        VIDEO-mode landmarker tracks the mirrored stream), and whether boxes come from masks."""
        if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
            self._drop_video()  # a new video (or a seek back): VIDEO mode cannot go back
        self._last_timestamp_ms = timestamp_ms
        mirror_task = self._task("pose_video_mirror") if flip else None
        return video_frame_raw(self._task("pose_video"), mirror_task, small, (width, height),
                               scale, timestamp_ms, doubt_score=self._doubt_score())  # fmt: skip

    def _doubt_score(self) -> float:
        """The visibility a point the flip test's two views disagree on gets (``lite_flip``)."""
        return doubt_score(self.threshold, self.settings.reliable_score("lite"))

    def _photo_raw(
        self,
        small: np.ndarray,
        width: int,
        height: int,
        scale: float,
        flip: bool,
        mirror_only: bool,
    ) -> tuple[list[RawPose], bool]:
        """One photo's raw poses (the flip test's two views merged when ``flip``) in pixels of the
        ``width`` x ``height`` original, and whether their boxes come from person masks."""
        result = self._task("pose_image").detect(mp_image(small))
        raw = raw_poses(result, width, height, scale)
        if flip:
            mirror = self._task("pose_image").detect(mp_image(small[:, ::-1]))
            raw = flip_merge(
                raw,
                raw_poses(mirror, width, height, scale),
                width,
                doubt_score=self._doubt_score(),
                mirror_only=mirror_only,
            )[0]
        return raw, bool(result.segmentation_masks)

    def _crop_raw(self, rgb: np.ndarray, crop: tuple[int, int, int, int]) -> list[RawPose]:
        """The flip test's people inside ``crop`` of ``rgb`` (its pixels; one-view finds left out,
        as in any crop)."""
        x1, y1, x2, y2 = crop
        prepared = self._prepare(rgb[y1:y2, x1:x2])
        if prepared is None:
            return []
        inside, small, scale = prepared
        return self._photo_raw(small, inside.shape[1], inside.shape[0], scale, True, False)[0]

    def _pose_in_boxes(self, rgb: np.ndarray, boxes: list[PersonBox], flip: bool) -> list[Pose]:
        height, width = rgb.shape[:2]
        poses = []
        for box in boxes:
            cx1, cy1, cx2, cy2 = padded_crop(box.xyxy, width, height)
            if min(cx2 - cx1, cy2 - cy1) < MIN_SIDE:
                continue
            found = self._crop_look(rgb[cy1:cy2, cx1:cx2], flip_test=flip)
            if found:
                poses.append(shift_pose(found[0], cx1, cy1))
        return sorted(poses, key=box_area, reverse=True)

    def _crop_look(self, crop: np.ndarray, *, flip_test: bool | None) -> list[Pose]:
        """One look inside a crop (a second look's crop or tile, a given box): the photo view's
        people only."""
        return self._estimate(crop, None, None, flip_test, whole_image=False)

    def find_people(self, image: np.ndarray, *, flip_test: bool | None = None) -> Detection:
        """Everyone in a photo; when the whole image shows nobody, second looks on crops around the
        person mask, then on tiles (:mod:`core.backends.crops`), which ``found_by`` names
        (``flip_test``: as in :meth:`estimate_pose`, for the second looks too)."""
        poses = self.estimate_pose(image, flip_test=flip_test)
        if poses or self._prepare(image) is None:
            return Detection(tuple(poses))
        look = partial(self._crop_look, flip_test=flip_test)
        found, how = second_look(as_rgb(image), look, lambda r: self.segment(r).person_mask)
        return Detection(tuple(found), how or "full_image")

    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        """Person boxes (xyxy pixels, largest first) from the pose landmarks and person masks."""
        return [
            PersonBox(p.box, float(np.nanmean(p.scores)))
            for p in self.estimate_pose(image)
            if p.box
        ]

    def segment(self, image: np.ndarray) -> Segmentation:
        """Person mask from the selfie segmenter, as classes ("Background", "Person") at the image's size."""
        rgb = as_rgb(image)
        height, width = rgb.shape[:2]
        if min(height, width) < MIN_SIDE:
            return Segmentation(np.zeros((height, width), np.uint8), ("Background", "Person"))
        small, _ = fit_for_inference(rgb, max_side=self.max_side)
        result = self._task("segmenter").segment(mp_image(small))
        confidence = result.confidence_masks[-1].numpy_view()[
            ..., 0
        ]  # the model's one "person" channel
        if confidence.shape != (height, width):
            import cv2

            confidence = cv2.resize(confidence, (width, height), interpolation=cv2.INTER_LINEAR)
        return Segmentation((confidence > 0.5).astype(np.uint8), ("Background", "Person"))

    def detect_faces(self, image: np.ndarray) -> list[PersonBox]:
        """Face boxes (xyxy pixels, largest first) from BlazeFace short range (faces within ~2 m)."""
        prepared = self._prepare(image)
        if prepared is None:
            return []
        rgb, small, scale = prepared
        result = self._task("faces").detect(mp_image(small))
        return face_boxes(result, scale, rgb.shape[1], rgb.shape[0])

    def detect_hands(self, image: np.ndarray) -> list[Hand]:
        """Up to two hands: 21 landmarks each in original pixels, largest first."""
        prepared = self._prepare(image)
        if prepared is None:
            return []
        rgb, small, _ = prepared
        return hand_list(self._task("hands").detect(mp_image(small)), rgb.shape[1], rgb.shape[0])

    def describe(self) -> dict[str, object]:
        """What produced a result, plus the pose model file used."""
        return {
            **super().describe(),
            "model_file": self._pose_path.name,
            "num_poses": self.num_poses,
            "video_masks": self.video_masks,
            "flip_test": self.flip_test,  # photos and video frames
        }
