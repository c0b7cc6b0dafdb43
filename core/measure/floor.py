"""The floor plane under a person, fitted by RANSAC to the pointmap's background pixels below the
feet; its normal is the true vertical for the 3D trunk and neck angles. Pure numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError

#: A floor candidate's normal must lie within this of the camera's up (-y): a camera pitched more
#: than 45 degrees is not a posture photo, and walls (normal ~ camera z) are never taken for floors.
MAX_TILT_DEG = 45.0
#: Inlier distance: 2 cm plus 1% of the point's depth (pointmap error grows with distance).
INLIER_M, INLIER_PER_M = 0.02, 0.01
#: Fewest inliers, and their smallest share of the candidate pixels, that make a floor.
MIN_INLIERS, MIN_SHARE = 100, 0.3
ITERATIONS, MAX_POINTS, REFINE_STEPS = 200, 5000, 4
CAMERA_UP = np.array([0.0, -1.0, 0.0])


@dataclass(frozen=True)
class Floor:
    """normal: (3,) unit, pointing up, camera coordinates; offset_m: plane is normal . p + offset = 0;
    n_inliers; rms_m: inlier distance RMS; normal_sigma_rad: standard error of the normal's tilt."""

    normal: np.ndarray
    offset_m: float
    n_inliers: int
    rms_m: float
    normal_sigma_rad: float = 0.0

    @property
    def tilt_deg(self) -> float:
        """Angle between the floor normal and the camera's up: the camera's pitch/roll."""
        return float(np.degrees(np.arccos(np.clip(self.normal @ CAMERA_UP, -1, 1))))


def _plane(p: np.ndarray) -> tuple[np.ndarray, float] | None:
    n = np.cross(p[1] - p[0], p[2] - p[0])
    norm = np.linalg.norm(n)
    if norm < 1e-12:
        return None
    n = n / norm
    if n @ CAMERA_UP < 0:
        n = -n
    return n, float(-n @ p[0])


def _refine(cand: np.ndarray, inl: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Least-squares plane of the inliers, then inliers re-chosen within 3 robust sigmas of it, a
    few times: RANSAC's fixed threshold cuts a noisy floor's residuals short and biases its tilt."""
    for _ in range(REFINE_STEPS):
        centre = cand[inl].mean(axis=0)
        normal = np.linalg.svd(cand[inl] - centre, full_matrices=False)[2][-1]
        if normal @ CAMERA_UP < 0:
            normal = -normal
        offset = float(-normal @ centre)
        resid = cand @ normal + offset
        scale = 1.4826 * np.median(np.abs(resid[inl]))
        inl = np.abs(resid) < max(3.0 * scale, INLIER_M)
    return normal, offset, inl


def fit_floor(
    xyz: np.ndarray, class_map: np.ndarray, *, below_row: float, seed: int = 0
) -> Floor | str:
    """Floor plane from background pixels (class 0) at image rows >= ``below_row`` (the feet).

    Parameters
    ----------
    xyz : (H, W, 3) float, metric pointmap, camera coordinates.
    class_map : (H, W) int, Sapiens2 seg classes (0 = background).
    below_row : pixels; only rows at or below it (in the image) are floor candidates, e.g. the
        highest foot keypoint's row.
    seed : RANSAC sampling seed (the fit is deterministic for a given seed).

    Returns
    -------
    Floor, or a string saying why no floor was found.
    """
    xyz = np.asarray(xyz, np.float64)
    if xyz.ndim != 3 or xyz.shape[2] != 3 or class_map.shape != xyz.shape[:2]:
        raise InputError(f"pointmap {xyz.shape} and seg map {class_map.shape} do not match")
    if not np.isfinite(below_row):
        return "no foot keypoint to look below"
    rows = np.arange(xyz.shape[0])[:, None] >= below_row
    cand = xyz[(class_map == 0) & rows & np.all(np.isfinite(xyz), axis=2)]
    if len(cand) < MIN_INLIERS:
        return f"no floor visible ({len(cand)} background pixels below the feet)"
    rng = np.random.default_rng(seed)
    if len(cand) > MAX_POINTS:
        cand = cand[rng.choice(len(cand), MAX_POINTS, replace=False)]
    tol = INLIER_M + INLIER_PER_M * np.abs(cand[:, 2])
    best: np.ndarray | None = None
    cos_max = np.cos(np.radians(MAX_TILT_DEG))
    for _ in range(ITERATIONS):
        plane = _plane(cand[rng.choice(len(cand), 3, replace=False)])
        if plane is None or plane[0] @ CAMERA_UP < cos_max:
            continue
        inl = np.abs(cand @ plane[0] + plane[1]) < tol
        if best is None or inl.sum() > best.sum():
            best = inl
    if best is None or best.sum() < max(MIN_INLIERS, MIN_SHARE * len(cand)):
        return "no floor visible (the background below the feet is not a level plane)"
    normal, offset, inl = _refine(cand, best)
    if normal @ CAMERA_UP < cos_max:
        return "no floor visible (the best plane is tilted more than 45 degrees)"
    resid = cand[inl] @ normal + offset
    rms = float(np.sqrt(np.mean(resid**2)))
    # Tilt error of a least-squares plane: residual RMS / sqrt(n * spread along its flattest
    # in-plane axis); pointmap noise mostly stays in the inlier RMS, so this is its statistical part.
    spread = np.linalg.svd(cand[inl] - cand[inl].mean(axis=0), compute_uv=False)[1] ** 2
    sigma = float(rms / np.sqrt(max(spread, 1e-12)))
    return Floor(normal, offset, int(inl.sum()), rms, sigma)
