"""The value types that backends return and imaging, video and measure read: torch-free, at the bottom.

``core.backends.base`` re-exports them (the old import path keeps working); the layers above the
backends import them from here, so an image crop or a mask never pulls in a model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from core.errors import InputError, UnsupportedCapability
from core.keypoints import Pose


class Capability(str, enum.Enum):
    PEOPLE = "people"  # person boxes
    POSE = "pose"  # body keypoints
    PERSON_MASK = "person_mask"  # foreground / background only
    BODY_PARTS = "body_parts"  # Sapiens2's 29 classes
    NORMALS = "normals"  # per-pixel surface normals
    FACES = "faces"  # face boxes
    HANDS = "hands"  # hand landmarks
    POINTMAP = "pointmap"  # Sapiens2's seg and pointmap heads (the 3D measures)


#: The columns of a measurement row, in order: what ``core.measure.summary`` builds and the store
#: keeps (``frame``: empty for a whole-image measure; ``time_s``: NaN for a photo).
ROW_COLUMNS = ("frame", "time_s", "metric", "side", "value", "unit")

#: Who to suggest when a capability is missing.
CAPABILITY_PROVIDERS = {
    Capability.PEOPLE: "the lite or sapiens2 backend",
    Capability.POSE: "the lite or sapiens2 backend",
    Capability.PERSON_MASK: "the lite or sapiens2 backend",
    Capability.BODY_PARTS: "the sapiens2 backend (needs the Sapiens2 seg weights: `python -m core fetch sapiens2 --task seg`)",
    Capability.NORMALS: "the sapiens2 backend (needs the Sapiens2 normal weights: `python -m core fetch sapiens2 --task normal`)",
    Capability.FACES: "the lite backend",
    Capability.HANDS: "the lite backend",
    Capability.POINTMAP: "the sapiens2 backend (needs the Sapiens2 seg and pointmap weights: `python -m core fetch sapiens2 --task pointmap`)",
}


class TaskHead(Protocol):
    """One Sapiens2 task model as the 3D measures use it (``core.sapiens2.predictor``'s
    ``SegPredictor`` / ``PointmapPredictor``, or a test double): ``predict(image)`` gives a result
    with ``.class_map`` (H, W) int (seg) or ``.xyz`` (H, W, 3) float metres (pointmap)."""

    name: str

    def predict(self, image: np.ndarray) -> Any: ...


#: An (x1, y1, x2, y2) box in pixels; the box geometry below is the project's only one.
Box = tuple[float, float, float, float]


def area(box: Box) -> float:
    """A box's area in square pixels (0 for an inverted or empty box)."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def clip_box(box: Box, width: float, height: float) -> Box:
    """``box`` cut to a ``width`` x ``height`` picture (its part inside it)."""
    x1, y1, x2, y2 = box
    return (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))


def _intersection(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0-1)."""
    inter = _intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def inside_share(a: Box, b: Box) -> float:
    """The share of the smaller box's area that lies inside the other box (0-1)."""
    smaller = min(area(a), area(b))
    return _intersection(a, b) / smaller if smaller > 0 else 0.0


@dataclass(frozen=True)
class PersonBox:
    """A detected person: box (x1, y1, x2, y2) in pixels and the detector's score."""

    xyxy: tuple[float, float, float, float]
    score: float = 1.0

    @property
    def area(self) -> float:
        return area(self.xyxy)


@dataclass(frozen=True)
class Hand:
    """One detected hand.

    handedness: "Left" or "Right" as MediaPipe labels it (it assumes a mirrored, selfie-style
    image, so on an ordinary photo the label names the other hand); landmarks: (21, 2) float
    pixels in MediaPipe's hand order (0 = wrist, 4 = thumb tip, 8 = index tip ...); box: xyxy
    pixels around the landmarks; score: the handedness confidence.
    """

    handedness: str
    landmarks: np.ndarray
    box: PersonBox
    score: float = 1.0


@dataclass(frozen=True)
class Detection:
    """The people found in one photo, largest first, and how: ``found_by`` is "full_image" (the
    whole image at once), "mask_crop" or "tile" (second looks, :mod:`core.backends.crops`)."""

    poses: tuple[Pose, ...]
    found_by: str = "full_image"


@dataclass(frozen=True)
class Segmentation:
    """class_map: (H, W) uint8 class ids at the image's size; class_names[i] names id i (0 = background)."""

    class_map: np.ndarray
    class_names: tuple[str, ...]

    @property
    def person_mask(self) -> np.ndarray:
        """(H, W) bool, True on the person (every non-background class)."""
        return self.class_map > 0

    def mask_of(self, name: str) -> np.ndarray:
        if name not in self.class_names:
            raise UnsupportedCapability(
                f"class {name!r} is not produced by this segmentation (classes: {', '.join(self.class_names)}); "
                f"body-part classes need {CAPABILITY_PROVIDERS[Capability.BODY_PARTS]}"
            )
        return self.class_map == self.class_names.index(name)


@dataclass(frozen=True)
class NormalMap:
    """normals: (H, W, 3) float32 camera-frame unit vectors (x right, y down, z forward per SPEC 5.3);
    mask: (H, W) bool foreground where the normals can be trusted, or None when unknown."""

    normals: np.ndarray
    mask: np.ndarray | None = None


def check_rgb(image: object, *, name: str = "image") -> np.ndarray:
    """``image`` as a C-contiguous (H, W, 3) uint8 array, else ``InputError``: the one RGB check of
    the analysis, the Sapiens2 preprocessing, imaging and the video writer (decoded photos and
    frames are uint8; a float array is a caller's bug, said as such)."""
    arr = np.asarray(image) if isinstance(image, (np.ndarray, list, tuple)) else None
    if arr is None or arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        got = f"shape {arr.shape}" if arr is not None else type(image).__name__
        raise InputError(f"{name} must be an RGB uint8 image of shape (H, W, 3), got {got}")
    if arr.dtype != np.uint8:
        raise InputError(
            f"{name} must be an RGB uint8 image (0-255), got {arr.dtype}; decode it with "
            "core.imaging.decode"
        )
    return np.ascontiguousarray(arr)
