"""Anatomical angles from 3D joint centres (``core.measure.pose3d``): joint angles free of camera
foreshortening, trunk lean and neck flexion against the true vertical, and how far the subject is
turned from the camera. Names end in ``_3d_deg``; definitions in docs/MEASURES.md. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.keypoints import INDEX
from core.measure.floor import CAMERA_UP, Floor, fit_floor
from core.measure.pose3d import Points3D, keypoints_3d

#: 2D angles of a plane's own movements shrink as atan(tan(phi) cos(beta)) when that plane is turned
#: beta from the image plane; the largest error over all phi is 45 - atan(cos(beta)) degrees, which
#: reaches 1.8 degrees at beta = 20 (and 4.1 at 30). Beyond 20 degrees from a front or side view the
#: 2D angles get a warning.
YAW_WARN_DEG = 20.0

#: Turns (|yaw|, degrees) at which the trunk starts to cover the far hip and shoulder while they are
#: not yet behind the near ones: under sideless clothing their window then shows the trunk (in the
#: synthetic scene 2 cm too near at 45 degrees, 5 cm at 60); beyond ~80 they are hidden outright.
FAR_SIDE_WARN_DEG = (40.0, 80.0)

JOINTS = {
    "knee": ("hip", "knee", "ankle"),
    "hip": ("shoulder", "hip", "knee"),
    "elbow": ("shoulder", "elbow", "wrist"),
    "shoulder": ("hip", "shoulder", "elbow"),
}
FLEXION = ("knee", "hip", "elbow")


@dataclass(frozen=True)
class Measures3D:
    """values: name -> degrees (NaN where not measurable); sigma_deg: name -> standard error from
    the points' statistical uncertainty; reasons: name -> why NaN; vertical: where "up" came from;
    warnings: human-readable cautions (turned subject, assumed level camera)."""

    values: dict[str, float]
    sigma_deg: dict[str, float]
    reasons: dict[str, str]
    vertical: str
    warnings: tuple[str, ...]


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.full(3, np.nan)


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two 3D vectors, degrees in [0, 180]; NaN when one is missing or zero."""
    cross, dot = np.linalg.norm(np.cross(u, v)), float(u @ v)
    if (
        not (np.isfinite(cross) and np.isfinite(dot))
        or min(np.linalg.norm(u), np.linalg.norm(v)) < 1e-9
    ):
        return float("nan")
    return float(np.degrees(np.arctan2(cross, dot)))


def _propagate(fn: Callable[[np.ndarray], float], pts: np.ndarray, sig: np.ndarray) -> float:
    """First-order standard error of ``fn(pts)`` for independent coordinate errors ``sig``."""
    base, var = fn(pts), 0.0
    for idx in np.ndindex(pts.shape):
        h = max(float(sig[idx]), 1e-6)
        step = pts.copy()
        step[idx] += h
        var += ((fn(step) - base) / h * float(sig[idx])) ** 2
    return float(np.sqrt(var))


def _names(*names: str) -> list[int]:
    return [INDEX[n] for n in names]


def measures_3d(
    points: Points3D,
    *,
    floor: Floor | str | None,
    require_floor: bool = False,
) -> Measures3D:
    """3D joint angles, trunk lean, neck flexion and the subject's turn from the camera.

    Parameters
    ----------
    points : the person's 3D joint centres.
    floor : the fitted floor (its normal is "up"), or why none was found (a string or None):
        then the camera is assumed level (up = camera -y) and a warning says so.
    require_floor : give NaN trunk and neck angles (with the reason) instead of assuming a level
        camera.
    """
    values: dict[str, float] = {}
    sigma: dict[str, float] = {}
    reasons: dict[str, str] = {}
    warnings: list[str] = []

    def put(name: str, idx: list[int], fn: Callable[[np.ndarray], float]) -> None:
        pts, sig = points.xyz[idx], points.sigma_m[idx]
        missing = [points.reasons[i] for i in idx if not np.all(np.isfinite(points.xyz[i]))]
        values[name] = fn(pts) if not missing else float("nan")
        sigma[name] = _propagate(fn, pts, sig) if np.isfinite(values[name]) else float("nan")
        if missing:
            reasons[name] = missing[0] or "a point is missing"

    for side in ("left", "right"):
        for joint, (a, b, c) in JOINTS.items():
            name = f"{side}_{joint}_angle_3d_deg"
            idx = _names(f"{side}_{a}", f"{side}_{b}", f"{side}_{c}")
            put(name, idx, lambda p: angle_between_deg(p[0] - p[1], p[2] - p[1]))
            if joint in FLEXION:
                flex = f"{side}_{joint}_flexion_3d_deg"
                values[flex], sigma[flex] = 180.0 - values[name], sigma[name]
                if name in reasons:
                    reasons[flex] = reasons[name]

    if isinstance(floor, Floor):
        up, vertical = floor.normal, f"floor plane ({floor.n_inliers} pixels)"
    else:
        up, vertical = CAMERA_UP, f"camera assumed level ({floor or 'no floor given'})"
        warnings.append(
            f"no floor plane: the vertical is the camera's own, assumed level ({floor})"
        )
    lean_names = ("trunk_lean_3d_deg", "trunk_lean_sagittal_3d_deg", "trunk_lean_frontal_3d_deg")
    if require_floor and not isinstance(floor, Floor):
        for name in (*lean_names, "neck_flexion_3d_deg"):
            values[name], sigma[name] = float("nan"), float("nan")
            reasons[name] = f"no floor plane to give the vertical ({floor})"
    else:
        # Both sides: one side's hip->shoulder line tilts inwards (shoulders are wider than hips).
        put(
            lean_names[0],
            _names("mid_hip", "mid_shoulder"),
            lambda p: angle_between_deg(p[1] - p[0], up),
        )
        both_sides = _names("mid_hip", "mid_shoulder", "left_hip", "right_hip")
        put(lean_names[1], both_sides, lambda p: _lean_in(p, up, "sagittal"))
        put(lean_names[2], both_sides, lambda p: _lean_in(p, up, "frontal"))
        head = next((n for n in ("nose", "left_ear", "right_ear") if _has(points, n)), "nose")
        put(
            "neck_flexion_3d_deg",
            _names("mid_shoulder", head),
            lambda p: angle_between_deg(p[1] - p[0], up),
        )
        if isinstance(floor, Floor):
            # A tilt t of "up" changes an angle against it by at most t: added in quadrature.
            for name in (*lean_names, "neck_flexion_3d_deg"):
                sigma[name] = float(np.hypot(sigma[name], np.degrees(floor.normal_sigma_rad)))
    for line in ("hip", "shoulder"):
        put(f"{line}_yaw_3d_deg", _names(f"right_{line}", f"left_{line}"), lambda p: _yaw(p, up))
    yaw = values["hip_yaw_3d_deg"]
    if not np.isfinite(yaw):
        yaw = values["shoulder_yaw_3d_deg"]
    values["turn_from_view_3d_deg"] = off = _off_view(yaw)
    sigma["turn_from_view_3d_deg"] = sigma["hip_yaw_3d_deg"]
    if not np.isfinite(off):
        reasons["turn_from_view_3d_deg"] = reasons.get(
            "shoulder_yaw_3d_deg", "no hip or shoulder line"
        )
    if np.isfinite(off) and off > YAW_WARN_DEG:
        warnings.append(
            f"the subject is turned {off:.0f} degrees from a front or side view (over "
            f"{YAW_WARN_DEG:.0f}): 2D image-plane angles are unreliable, prefer the 3D ones"
        )
    if np.isfinite(yaw) and FAR_SIDE_WARN_DEG[0] < abs(yaw) < FAR_SIDE_WARN_DEG[1]:
        warnings.append(
            f"the subject is turned {abs(yaw):.0f} degrees: the far side's hip and shoulder may be "
            "read on the trunk in front of them (too near the camera); trust the near side"
        )
    return Measures3D(values, sigma, reasons, vertical, tuple(warnings))


def _has(points: Points3D, name: str) -> bool:
    return bool(np.all(np.isfinite(points.point(name))))


def analyze_3d(
    xy: np.ndarray,
    xyz: np.ndarray,
    class_map: np.ndarray,
    *,
    stature_m: float | None = None,
    box_xyxy: tuple[float, float, float, float] | None = None,
    require_floor: bool = False,
    seed: int = 0,
) -> tuple[Points3D, Floor | str, Measures3D]:
    """One person's 3D points, the floor and the 3D measures from canonical 2D keypoints (K, 2)
    pixels, a metric pointmap (H, W, 3) and the seg class map (H, W) of the same image.

    Floor candidates are background pixels below the highest ankle/heel/toe keypoint.
    """
    points = keypoints_3d(xy, xyz, class_map, stature_m=stature_m, box_xyxy=box_xyxy)
    feet = [INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("ankle", "heel", "big_toe")]
    foot_y = np.asarray(xy, np.float64)[feet, 1]
    below = float(np.nanmin(foot_y)) if np.isfinite(foot_y).any() else float("nan")
    floor = fit_floor(xyz, class_map, below_row=below, seed=seed)
    return points, floor, measures_3d(points, floor=floor, require_floor=require_floor)


def _body_axes(
    p_right: np.ndarray, p_left: np.ndarray, up: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(lateral towards the subject's left, forward), both horizontal unit vectors."""
    lat = p_left - p_right
    lat = _unit(lat - (lat @ up) * up)
    return lat, _unit(np.cross(lat, up))


def _lean_in(p: np.ndarray, up: np.ndarray, plane: str) -> float:
    """Signed trunk lean: sagittal positive forward; frontal positive towards the subject's right
    (the 2D sign for a subject facing the camera)."""
    lat, fwd = _body_axes(p[3], p[2], up)
    t = p[1] - p[0]
    across = t @ fwd if plane == "sagittal" else -(t @ lat)
    return float(np.degrees(np.arctan2(across, t @ up)))


def _yaw(p: np.ndarray, up: np.ndarray) -> float:
    """Signed turn of the subject's forward from the direction to the camera, about the vertical;
    positive when the subject's left side turns towards the camera, in (-180, 180]."""
    _, fwd = _body_axes(p[0], p[1], up)
    mid = (p[0] + p[1]) / 2
    toward = -mid - (-mid @ up) * up
    toward = _unit(toward)
    return float(np.degrees(np.arctan2(np.cross(fwd, toward) @ up, fwd @ toward)))


def _off_view(yaw: float) -> float:
    """Degrees from the nearest of the front, back and side views (0 = exactly one of them)."""
    if not np.isfinite(yaw):
        return float("nan")
    a = abs(yaw) % 180.0
    return float(min(a, abs(a - 90.0), 180.0 - a))
