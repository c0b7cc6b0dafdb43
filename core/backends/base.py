"""The one interface every backend implements (the value types it returns are in ``core.types``).

Images are RGB uint8 arrays (H, W, 3) at the public edge. A backend declares what it can do in
``capabilities``; calling something else raises ``UnsupportedCapability`` naming a backend that can.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from core.errors import InputError, UnsupportedCapability
from core.keypoints import Pose

# The value types live in the torch-free leaf ``core.types``; re-exported so this path keeps working.
from core.types import CAPABILITY_PROVIDERS as _PROVIDER
from core.types import (
    Capability,
    Detection,
    Hand,
    NormalMap,
    PersonBox,
    Segmentation,
    TaskHead,
)

__all__ = [
    "MAX_INFERENCE_SIDE",
    "Backend",
    "Capability",
    "Detection",
    "Hand",
    "NormalMap",
    "PersonBox",
    "Segmentation",
    "TaskHead",
    "as_rgb",
    "fit_for_inference",
    "inference_lock",
]

#: Images with a longer side are downscaled for inference; results are mapped back to the original
#: pixels. 4096 keeps every model's input within memory while far above what any model resolves.
MAX_INFERENCE_SIDE = 4096


def as_rgb(image: np.ndarray) -> np.ndarray:
    """The image as a contiguous RGB uint8 array (H, W, 3).

    Grayscale (H, W) or (H, W, 1) is replicated to three channels and RGBA drops its alpha.
    Raises ``InputError`` for anything else (empty, 0-size, not uint8, odd channel counts).
    """
    if image is None:
        raise InputError("no image given")
    arr = np.asarray(image)
    if arr.size == 0 or arr.ndim not in (2, 3) or min(arr.shape[:2]) == 0:
        raise InputError(
            f"the image is empty or not an image (array shape {arr.shape}); decode a picture first"
        )
    if arr.dtype != np.uint8:
        raise InputError(
            f"expected an 8-bit image (uint8), got {arr.dtype}; convert it with decode_image first"
        )
    if arr.ndim == 2:
        arr = arr[:, :, None]
    channels = arr.shape[2]
    if channels == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif channels == 4:
        arr = arr[:, :, :3]
    elif channels != 3:
        raise InputError(f"expected 1, 3 or 4 colour channels, got {channels}")
    return np.ascontiguousarray(arr)


def fit_for_inference(
    rgb: np.ndarray, *, max_side: int = MAX_INFERENCE_SIDE
) -> tuple[np.ndarray, float]:
    """Downscale ``rgb`` so its longer side is at most ``max_side`` pixels.

    Returns the (possibly) smaller image and the factor ``s`` (>= 1) with original = small * s,
    so a point (x, y) found in the small image is (x * s, y * s) in the original.
    """
    h, w = rgb.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return rgb, 1.0
    import cv2  # lazily: only huge images need it

    scale = longest / max_side
    size = (max(1, round(w / scale)), max(1, round(h / scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)  # area: no aliasing on big shrinks
    return small, scale


_LOCKS: weakref.WeakKeyDictionary[Backend, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


@contextmanager
def inference_lock(backend: Backend) -> Iterator[None]:
    """Hold ``backend``'s own lock: one model serves one image (or one whole video) at a time.

    The one inference lock of the project (``core.analysis`` re-exports it; the app takes this one
    too). Threads sharing a backend (several app sessions, a threaded batch) would otherwise run it
    concurrently: that oversubscribes the CPU threads the model already uses, races on its lazily
    created tasks and interleaves MediaPipe's per-video timestamps. Reentrant, so a caller that
    holds it may call ``core.analysis``, which takes it again.
    """
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(backend, threading.RLock())
    with lock:
        yield


class Backend:
    """Interface of a vision backend: every operation the app, the CLI and batch call on a model.

    Subclasses set the class attributes and override what they support. Operations with a natural
    fallback have one here (``find_people``: one ``estimate_pose``; ``estimate_pose_frames``: one
    ``estimate_pose`` per frame; ``video_session``: nothing to reset); the others raise
    ``UnsupportedCapability`` naming a backend that can, and ``capabilities`` says which a
    backend overrides (``tests/backends/test_seam.py`` holds the two in step).
    """

    name: str = ""
    model: str = ""
    size: str = ""
    device: str = "cpu"
    dtype: str = "float32"
    threshold: float = 0.5
    capabilities: frozenset[Capability] = frozenset()
    #: The flip test a pose call runs when it asks for none (Sapiens2); None: the backend has none.
    flip_test: bool | None = None
    #: True when ``estimate_pose_frames`` runs several frames in one forward (Sapiens2): a video
    #: is then analysed in groups of frames; otherwise frame by frame with their timestamps.
    batches_frames: bool = False

    def _unsupported(self, cap: Capability) -> UnsupportedCapability:
        hint = _PROVIDER.get(cap, "another backend")
        return UnsupportedCapability(
            f"the {self.name} backend cannot provide {cap.value}; use {hint}"
        )

    def supports(self, cap: Capability) -> bool:
        """True when this backend declares ``cap``."""
        return cap in self.capabilities

    # -- people and pose -------------------------------------------------------------------------
    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        """Person boxes, largest first."""
        raise self._unsupported(Capability.PEOPLE)

    def estimate_pose(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None = None,
        *,
        timestamp_ms: int | None = None,
        flip_test: bool | None = None,
    ) -> list[Pose]:
        """One ``Pose`` per person (largest first). ``timestamp_ms`` marks frames of one video, in
        order. ``flip_test``: average with the mirrored image for this call (None: the backend's
        ``flip_test``; ignored by a backend without one). Per call, so threads sharing a backend
        each get what they asked for."""
        raise self._unsupported(Capability.POSE)

    def find_people(self, image: np.ndarray, *, flip_test: bool | None = None) -> Detection:
        """Everyone in a photo with how they were found; here one ``estimate_pose`` on the whole image."""
        return Detection(tuple(self.estimate_pose(image, flip_test=flip_test)))

    def estimate_pose_frames(
        self, images: list[np.ndarray], *, max_batch: int = 8
    ) -> list[list[Pose]]:
        """``estimate_pose`` for each of several frames (detected boxes), in order; here one call
        per frame. A backend with ``batches_frames`` runs up to ``max_batch`` crops per forward."""
        return [self.estimate_pose(image) for image in images]

    @contextmanager
    def video_session(self) -> Iterator[Backend]:
        """Frames of one video in order: ``with backend.video_session(): ...`` (the lite backend
        starts a fresh VIDEO-mode tracker; here nothing to reset)."""
        yield self

    # -- dense maps and parts --------------------------------------------------------------------
    def segment(self, image: np.ndarray) -> Segmentation:
        """Class map at the image's size: person mask (lite) or Sapiens2's 29 body-part classes."""
        raise self._unsupported(Capability.PERSON_MASK)

    def estimate_normals(self, image: np.ndarray) -> NormalMap:
        """Per-pixel surface normals (Sapiens2 only)."""
        raise self._unsupported(Capability.NORMALS)

    def detect_faces(self, image: np.ndarray) -> list[PersonBox]:
        """Face boxes (xyxy pixels, largest first)."""
        raise self._unsupported(Capability.FACES)

    def detect_hands(self, image: np.ndarray) -> list[Hand]:
        """Hands with their landmarks, largest first."""
        raise self._unsupported(Capability.HANDS)

    def task_predictor(self, task: str) -> TaskHead:
        """The model of one Sapiens2 task ("seg", "pointmap"), loaded on first use: the 3D
        measures' heads (``core.analysis3d``)."""
        raise self._unsupported(Capability.POINTMAP)

    # -- bookkeeping -----------------------------------------------------------------------------
    def close(self) -> None:
        """Release model resources; the backend may be used again (models are re-created lazily).
        Most backends hold nothing to release."""

    def describe(self) -> dict[str, object]:
        """What produced a result: stored with every session."""
        return {
            "backend": self.name,
            "model": self.model,
            "size": self.size,
            "device": self.device,
            "dtype": self.dtype,
            "threshold": self.threshold,
        }

    def run_info(self, *, flip_test: bool | None = None) -> dict[str, object]:
        """``describe()`` of one call: with the flip test that call asked for (a backend without
        a flip test, or a call that asked for none, reports what ``describe()`` says)."""
        info = dict(self.describe())
        if flip_test is not None and self.flip_test is not None:
            info["flip_test"] = bool(flip_test)
        return info
