"""Input checks and the feathered mask edge shared by the imaging functions."""

from __future__ import annotations

import cv2
import numpy as np

from core.errors import InputError
from core.types import check_rgb as check_rgb  # the one RGB check, re-exported for imaging


def check_mask(mask: np.ndarray, shape: tuple[int, ...], *, name: str = "mask") -> np.ndarray:
    """Return ``mask`` as an (H, W) bool array matching ``shape[:2]`` or raise ``InputError``."""
    arr = np.asarray(mask)
    if arr.shape != tuple(shape[:2]):
        raise InputError(
            f"{name} has shape {arr.shape}, the image is {tuple(shape[:2])}; they must match"
        )
    return arr.astype(bool, copy=False)


def check_class_map(class_map: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Return an (H, W) integer class map matching the image, or raise ``InputError``."""
    arr = np.asarray(class_map)
    if arr.shape != tuple(shape[:2]):
        raise InputError(
            f"class map has shape {arr.shape}, the image is {tuple(shape[:2])}; they must match"
        )
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"class map must hold integer class ids, got {arr.dtype}")
    return arr


def feather_alpha(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """Blend weight that is 1 inside ``mask`` and falls to 0 outside it.

    Parameters
    ----------
    mask : (H, W) bool
    feather_px : float, pixels
        Width of the ramp, measured *inside* the mask from its boundary. 0 gives a hard edge.

    Returns
    -------
    (H, W) float32 in [0, 1]; exactly 0 on every pixel outside the mask, so an edit blended with it
    can never leak onto the background (no halo), and exactly 1 deeper than ``feather_px``.
    """
    if feather_px < 0:
        raise InputError(f"feather_px must be >= 0, got {feather_px}")
    inside = mask.astype(np.uint8)
    if feather_px == 0 or not inside.any():
        return inside.astype(np.float32)
    # Distance of each inside pixel to the nearest outside pixel (1 for the rim). Pad so the image
    # border does not count as "outside": a subject cut by the frame keeps full strength there.
    padded = cv2.copyMakeBorder(inside, 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    return np.clip(dist / (feather_px + 1.0), 0.0, 1.0).astype(np.float32) * (inside > 0)
