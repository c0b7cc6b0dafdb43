"""The one interface every backend implements, and the value types it returns.

Images are RGB uint8 arrays (H, W, 3) at the public edge. A backend declares what it can do in
``capabilities``; calling something else raises ``UnsupportedCapability`` naming a backend that can.
"""

from __future__ import annotations

import enum
from abc import ABC
from dataclasses import dataclass

import numpy as np

from core.errors import UnsupportedCapability
from core.keypoints import Pose


class Capability(str, enum.Enum):
    PEOPLE = "people"  # person boxes
    POSE = "pose"  # body keypoints
    PERSON_MASK = "person_mask"  # foreground / background only
    BODY_PARTS = "body_parts"  # Sapiens2's 29 classes
    NORMALS = "normals"  # per-pixel surface normals
    FACES = "faces"  # face boxes
    HANDS = "hands"  # hand landmarks


#: Who to suggest when a capability is missing.
_PROVIDER = {
    Capability.BODY_PARTS: "the sapiens2 backend (needs the Sapiens2 seg weights: `python -m core fetch sapiens2 --task seg`)",
    Capability.NORMALS: "the sapiens2 backend (needs the Sapiens2 normal weights: `python -m core fetch sapiens2 --task normal`)",
    Capability.FACES: "the lite backend",
    Capability.HANDS: "the lite backend",
}


@dataclass(frozen=True)
class PersonBox:
    """A detected person: box (x1, y1, x2, y2) in pixels and the detector's score."""

    xyxy: tuple[float, float, float, float]
    score: float = 1.0

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = self.xyxy
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)


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
                f"body-part classes need {_PROVIDER[Capability.BODY_PARTS]}"
            )
        return self.class_map == self.class_names.index(name)


@dataclass(frozen=True)
class NormalMap:
    """normals: (H, W, 3) float32 camera-frame unit vectors (x right, y down, z forward per SPEC 5.3);
    mask: (H, W) bool foreground where the normals can be trusted, or None when unknown."""

    normals: np.ndarray
    mask: np.ndarray | None = None


class Backend(ABC):
    """Interface of a vision backend. Subclasses set the class attributes and override what they support."""

    name: str = ""
    model: str = ""
    size: str = ""
    device: str = "cpu"
    dtype: str = "float32"
    threshold: float = 0.5
    capabilities: frozenset[Capability] = frozenset()

    def _unsupported(self, cap: Capability) -> UnsupportedCapability:
        hint = _PROVIDER.get(cap, "another backend")
        return UnsupportedCapability(
            f"the {self.name} backend cannot provide {cap.value}; use {hint}"
        )

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        """Person boxes, largest first."""
        raise self._unsupported(Capability.PEOPLE)

    def estimate_pose(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None = None,
        *,
        timestamp_ms: int | None = None,
    ) -> list[Pose]:
        """One ``Pose`` per person (largest first). ``timestamp_ms`` marks frames of one video, in order."""
        raise self._unsupported(Capability.POSE)

    def segment(self, image: np.ndarray) -> Segmentation:
        raise self._unsupported(Capability.BODY_PARTS)

    def estimate_normals(self, image: np.ndarray) -> NormalMap:
        raise self._unsupported(Capability.NORMALS)

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
