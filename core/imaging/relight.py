"""Foreground-only Lambertian relighting from a normal map.

relit(p) = I(p) * (ambient + (1 - ambient) * max(0, n(p) . l)) * tint inside the foreground mask;
pixels outside the mask are returned unchanged, and a feathered weight at the mask edge blends the
two so no halo or hard seam appears. Deterministic: no randomness anywhere.

Frame. Normals and light share the camera frame of SPEC 5.3 / ``NormalMap``: x to the image's right,
y down, z forward (away from the camera, into the scene). In that frame a surface that faces the
camera has a normal with *negative* z. The Sapiens2 code does not state its y/z signs (SPEC 5.3), so
``relight`` measures the z sign from the map itself by default (:func:`camera_facing_z`: visible
surfaces face the camera, so the median z over the foreground has its sign); :data:`CAMERA_FACING_Z`
is the fallback and can be forced per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from core.errors import InputError
from core.imaging._arrays import check_mask, check_rgb, feather_alpha
from core.types import NormalMap

#: Sign of the z component of a normal that faces the camera. -1 for the OpenCV camera frame
#: (z forward). Flip to +1 if the model's normals point z toward the camera.
CAMERA_FACING_Z: float = -1.0


class LightKwargs(TypedDict):
    azimuth_deg: float
    elevation_deg: float
    ambient: float
    tint: tuple[float, float, float]


@dataclass(frozen=True)
class LightPreset:
    """A named light: direction (degrees, see :func:`light_direction`), ambient share and RGB tint."""

    azimuth_deg: float
    elevation_deg: float
    ambient: float = 0.25
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def kwargs(self) -> LightKwargs:
        """The preset as :func:`relight`'s keyword arguments."""
        return LightKwargs(
            azimuth_deg=self.azimuth_deg,
            elevation_deg=self.elevation_deg,
            ambient=self.ambient,
            tint=self.tint,
        )


#: Named lights. "canonical" is the fixed light for standardised before/after photographs.
PRESETS: dict[str, LightPreset] = {
    "front-right key": LightPreset(azimuth_deg=45.0, elevation_deg=30.0, ambient=0.25),
    "top-left rim": LightPreset(azimuth_deg=-135.0, elevation_deg=45.0, ambient=0.35),
    "under-light": LightPreset(azimuth_deg=0.0, elevation_deg=-60.0, ambient=0.2),
    "canonical": LightPreset(azimuth_deg=0.0, elevation_deg=20.0, ambient=0.4),
}


def light_direction(
    azimuth_deg: float, elevation_deg: float, *, facing_z: float = CAMERA_FACING_Z
) -> np.ndarray:
    """Unit vector from the subject toward the light, in the camera frame (x right, y down, z forward).

    Parameters
    ----------
    azimuth_deg : float
        0 = light at the camera; +90 = from the image's right; -90 = from the image's left;
        +-180 = from behind the subject (a rim light).
    elevation_deg : float
        0 = level with the subject; +90 = straight above; negative = from below.
    facing_z : float
        Sign of z for camera-facing normals (:data:`CAMERA_FACING_Z`).

    Returns
    -------
    (3,) float64, unit length: (cos e sin a, -sin e, facing_z cos e cos a).
    So (0, 0) gives (0, 0, facing_z), and (0, 90) gives (0, -1, 0), i.e. up in an image whose y points down.
    """
    if facing_z not in (-1.0, 1.0):
        raise InputError(f"facing_z must be -1 or +1, got {facing_z}")
    a, e = np.deg2rad(float(azimuth_deg)), np.deg2rad(float(elevation_deg))
    return np.array([np.cos(e) * np.sin(a), -np.sin(e), facing_z * np.cos(e) * np.cos(a)])


def camera_facing_z(normals: np.ndarray, mask: np.ndarray) -> float:
    """The z sign of camera-facing normals in this map (-1 or +1): the sign of the median z over ``mask``.

    Only surfaces facing the camera are visible, so most foreground normals share that sign.
    """
    n = np.asarray(normals, dtype=np.float64)
    z = n[..., 2][np.asarray(mask, dtype=bool) & np.isfinite(n[..., 2])]
    if z.size == 0:
        raise InputError("the foreground mask is empty: no normals to measure the orientation from")
    return -1.0 if np.median(z) < 0 else 1.0


def relight(
    image: np.ndarray,
    normals: np.ndarray | NormalMap,
    mask: np.ndarray | None = None,
    *,
    azimuth_deg: float,
    elevation_deg: float,
    ambient: float = 0.25,
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0),
    feather_px: float = 3.0,
    facing_z: float | str = "auto",
) -> np.ndarray:
    """Relight the foreground of ``image`` under one directional light.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    normals : (H, W, 3) float or NormalMap
        Camera-frame normals; re-normalised to unit length here (the model's are slightly short
        near edges). Non-finite normals count as background.
    mask : (H, W) bool, optional
        Foreground. Default: the NormalMap's mask; required when there is none, since normals on
        the background cannot be trusted.
    azimuth_deg, elevation_deg : float, degrees
        Light direction, see :func:`light_direction`.
    ambient : float in [0, 1]
        Share of light that reaches every surface (1 = the image unchanged, times ``tint``).
    tint : (3,) float >= 0
        RGB multiplier of the light.
    feather_px : float, pixels
        Width of the blend ramp inside the mask edge.
    facing_z : -1.0, +1.0 or "auto"
        z sign of camera-facing normals (:data:`CAMERA_FACING_Z`). "auto" (default) reads it from
        this map with :func:`camera_facing_z`, so a light "from the camera" lights the subject
        whichever z convention the model uses.

    Returns
    -------
    (H, W, 3) uint8 RGB; every pixel outside ``mask`` equals the input exactly.
    """
    rgb = check_rgb(image)
    if isinstance(normals, NormalMap):
        mask = normals.mask if mask is None else mask
        normals = normals.normals
    n = np.asarray(normals, dtype=np.float64)
    if n.shape != rgb.shape:
        raise InputError(f"normals have shape {n.shape}, the image is {rgb.shape}; they must match")
    if mask is None:
        raise InputError(
            "relight needs a foreground mask (normals on the background cannot be trusted)"
        )
    if not 0.0 <= ambient <= 1.0:
        raise InputError(f"ambient must be within [0, 1], got {ambient}")
    tint_arr = np.asarray(tint, dtype=np.float64)
    if tint_arr.shape != (3,) or np.any(tint_arr < 0) or not np.all(np.isfinite(tint_arr)):
        raise InputError(f"tint must be three non-negative numbers (R, G, B), got {tint}")

    norm = np.linalg.norm(n, axis=2)
    fg = check_mask(mask, rgb.shape) & np.isfinite(norm) & (norm > 1e-6)
    unit = np.where(fg[..., None], n / np.where(fg, norm, 1.0)[..., None], 0.0)
    if facing_z == "auto":
        facing = camera_facing_z(unit, fg) if fg.any() else CAMERA_FACING_Z
    else:
        facing = float(facing_z)
    lambert = np.maximum(0.0, unit @ light_direction(azimuth_deg, elevation_deg, facing_z=facing))
    shade = (ambient + (1.0 - ambient) * lambert)[..., None] * tint_arr  # H W 3
    relit = np.clip(rgb * shade, 0.0, 255.0)
    alpha = feather_alpha(fg, feather_px)[..., None]
    # alpha is exactly 0 outside the mask, so those pixels round back to their input values.
    return np.rint(rgb + alpha * (relit - rgb)).astype(np.uint8)


def relight_preset(
    image: np.ndarray,
    normals: np.ndarray | NormalMap,
    mask: np.ndarray | None = None,
    *,
    preset: str = "canonical",
    feather_px: float = 3.0,
    facing_z: float | str = "auto",
) -> np.ndarray:
    """:func:`relight` with a light from :data:`PRESETS` (raises ``InputError`` for an unknown name)."""
    if preset not in PRESETS:
        raise InputError(f"unknown light preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return relight(
        image, normals, mask, feather_px=feather_px, facing_z=facing_z, **PRESETS[preset].kwargs()
    )
