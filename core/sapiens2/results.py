"""What the predictors return: numpy arrays at the original image size, plus the device and dtype
that produced them (they change the numbers slightly, so every result records them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PoseResult:
    """keypoints (N, 308, 2) float32 image pixels (x, y); scores (N, 308) raw heatmap maxima;
    boxes_xyxy (N, 4) the person boxes used, in processing order; views (N, 2, 308, 2) or None:
    with the flip test, when asked, the keypoints decoded from the image's own heatmaps and from
    the mirror image's (mapped back), which the measures' confidence compares."""

    keypoints: np.ndarray
    scores: np.ndarray
    boxes_xyxy: np.ndarray
    model: str
    device: str
    dtype: str
    views: np.ndarray | None = None


@dataclass(frozen=True)
class SegResult:
    """class_map (H, W) uint8 class ids (0 = background, names in ``core.sapiens2.classes``)."""

    class_map: np.ndarray
    model: str
    device: str
    dtype: str


@dataclass(frozen=True)
class NormalResult:
    """normals (H, W, 3) float32, unit length at network resolution (slightly shorter at edges)."""

    normals: np.ndarray
    model: str
    device: str
    dtype: str


@dataclass(frozen=True)
class PointmapResult:
    """xyz (H, W, 3) float32 metric camera coordinates (x right, y down, z forward; likely metres);
    scale: the predicted canonical scale 768 / fx at network resolution."""

    xyz: np.ndarray
    scale: float
    model: str
    device: str
    dtype: str

    @property
    def depth(self) -> np.ndarray:
        """(H, W) float32, channel z."""
        return self.xyz[..., 2]
