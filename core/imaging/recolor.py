"""Hair recolour: an HSV hue rotation confined to the Hair class, with a feathered edge.

Saturation and value are kept, so highlights, shadows and strand texture survive; only the hue
turns. Grey or white hair (saturation 0) therefore stays grey, which is what a hue rotation means.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.errors import InputError
from core.imaging._arrays import check_class_map, check_rgb, feather_alpha
from core.labels.classes import CLASS_ID
from core.types import Segmentation


def rotate_hue(rgb: np.ndarray, hue_shift_deg: float) -> np.ndarray:
    """Rotate the HSV hue of every pixel by ``hue_shift_deg``; S and V unchanged.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    hue_shift_deg : float, degrees (wraps around 360)

    Returns
    -------
    (H, W, 3) float32 RGB in [0, 255] (not yet rounded, so a caller can blend first).
    """
    # Float HSV keeps hue in degrees [0, 360): OpenCV's uint8 HSV would quantise hue to 2 degrees.
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = np.mod(hsv[..., 0] + np.float32(hue_shift_deg), 360.0)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB) * 255.0


def recolor_hair(
    image: np.ndarray,
    class_map: np.ndarray | Segmentation,
    *,
    hue_shift_deg: float,
    hair_class: int = CLASS_ID["Hair"],
    feather_px: float = 2.0,
) -> np.ndarray:
    """Turn the hue of the hair by ``hue_shift_deg`` and leave everything else untouched.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    class_map : (H, W) int class ids, or Segmentation
        Sapiens2 body-part classes (the lite backend has no Hair class).
    hue_shift_deg : float, degrees
        e.g. 120 turns pure red into pure green.
    hair_class : int
        Class id of hair (Sapiens2: 4).
    feather_px : float, pixels
        Width of the blend ramp inside the hair edge, so the boundary does not look cut out.

    Returns
    -------
    (H, W, 3) uint8 RGB; pixels outside the hair class equal the input exactly. When no pixel
    is hair the result is an unchanged copy (check ``(class_map == hair_class).any()`` to tell
    the user).
    """
    rgb = check_rgb(image)
    cmap = check_class_map(
        class_map.class_map if isinstance(class_map, Segmentation) else class_map, rgb.shape
    )
    if not np.isfinite(hue_shift_deg):
        raise InputError(f"hue_shift_deg must be a finite number of degrees, got {hue_shift_deg}")
    hair = cmap == hair_class
    if not hair.any():
        return rgb.copy()
    alpha = feather_alpha(hair, feather_px)[..., None]
    turned = rotate_hue(rgb, hue_shift_deg)
    return np.clip(np.rint(rgb + alpha * (turned - rgb)), 0, 255).astype(np.uint8)
