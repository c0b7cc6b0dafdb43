"""Re-export of :mod:`core.labels.keypoints308` (the table moved to the torch-free leaf; this path keeps working)."""

from core.labels.keypoints308 import (
    FLIP_INDICES,
    FLIP_PAIRS,
    GROUPS,
    KEYPOINT_COLOURS_RGB,
    KEYPOINT_NAMES,
    NUM_KEYPOINTS,
    SKELETON_LINKS,
)

__all__ = [
    "FLIP_INDICES",
    "FLIP_PAIRS",
    "GROUPS",
    "KEYPOINT_COLOURS_RGB",
    "KEYPOINT_NAMES",
    "NUM_KEYPOINTS",
    "SKELETON_LINKS",
]
