"""Pinhole rendering of a skeleton scene to what the Sapiens2 heads would give: a metric pointmap
(SPEC.md 5.4: OpenCV camera, x right, y down, z forward; X = (u - cx) Z / f), a seg class map and
the 2D keypoints (the exact projections of the joint centres, hidden ones included, as a pose
model still guesses them). Per-pixel ray intersection with spheres, cylinders and planes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.keypoints import CANONICAL_NAMES, DERIVED, INDEX
from core.sapiens2.classes import CLASS_ID
from tests.scenes.skeleton import Primitive, Skeleton


@dataclass(frozen=True)
class Camera:
    """Orbits ``target`` at ``distance_m``: ``yaw_deg`` about the vertical (0 = in front of the
    subject, positive towards the subject's left), ``pitch_deg`` above it, looking at the target."""

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    distance_m: float = 3.0
    target: tuple[float, float, float] = (0.0, 0.9, 0.0)
    focal_px: float = 480.0
    width: int = 240
    height: int = 320

    def pose(self) -> tuple[np.ndarray, np.ndarray]:
        """(R (3, 3) world->camera rows = camera axes in world, C (3,) camera centre)."""
        yaw, pitch = np.radians(self.yaw_deg), np.radians(self.pitch_deg)
        t = np.asarray(self.target, float)
        c = t + self.distance_m * np.array(
            [np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)]
        )
        z = (t - c) / np.linalg.norm(t - c)
        x = np.cross(z, [0.0, 1.0, 0.0])
        x /= np.linalg.norm(x)
        return np.stack([x, np.cross(z, x), z]), c

    def to_camera(self, p: np.ndarray) -> np.ndarray:
        r, c = self.pose()
        return (np.asarray(p, float) - c) @ r.T

    def project(self, p_cam: np.ndarray) -> np.ndarray:
        """(..., 3) camera metres -> (..., 2) pixels (pixel (col, row) has its centre at (col, row))."""
        cx, cy = (self.width - 1) / 2, (self.height - 1) / 2
        return np.stack(
            [self.focal_px * p_cam[..., 0] / p_cam[..., 2] + cx,
             self.focal_px * p_cam[..., 1] / p_cam[..., 2] + cy], axis=-1
        )  # fmt: skip

    def rays(self) -> np.ndarray:
        """(H, W, 3) unit viewing rays in camera coordinates."""
        cx, cy = (self.width - 1) / 2, (self.height - 1) / 2
        v, u = np.mgrid[: self.height, : self.width].astype(float)
        d = np.stack([(u - cx) / self.focal_px, (v - cy) / self.focal_px, np.ones_like(u)], -1)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Scene:
    xyz: np.ndarray  # (H, W, 3) camera metres
    class_map: np.ndarray  # (H, W) uint8
    xy: np.ndarray  # (K, 2) canonical keypoints, pixels
    joints_cam: dict[str, np.ndarray]  # true joint centres, camera metres
    up_cam: np.ndarray  # the true vertical in camera coordinates
    camera: Camera
    skeleton: Skeleton


def _sphere_t(d: np.ndarray, c: np.ndarray, r: float) -> np.ndarray:
    b = d @ c
    disc = b * b - (c @ c - r * r)
    with np.errstate(invalid="ignore"):
        t = b - np.sqrt(disc)
    return np.where((disc >= 0) & (t > 0), t, np.inf)


def _cylinder_t(d: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    axis = b - a
    length = np.linalg.norm(axis)
    u = axis / length
    dp = d - (d @ u)[:, None] * u
    w = -a
    wp = w - (w @ u) * u
    qa, qb, qc = np.sum(dp * dp, 1), 2 * dp @ wp, wp @ wp - r * r
    disc = qb * qb - 4 * qa * qc
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-qb - np.sqrt(disc)) / (2 * qa)
    s = (t[:, None] * d - a) @ u
    ok = (disc >= 0) & (t > 0) & (s >= 0) & (s <= length)
    return np.where(ok, t, np.inf)


def _plane_t(d: np.ndarray, n: np.ndarray, p0: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (p0 @ n) / (d @ n)
    return np.where(t > 0, t, np.inf)


def render(
    skeleton: Skeleton,
    camera: Camera = Camera(),
    *,
    floor: bool = True,
    wall_distance_m: float = 6.0,
) -> Scene:
    """Ray-cast the skeleton's primitives, the floor (y = 0) and a far wall facing the camera
    (background class; without ``floor`` the wall alone fills the background)."""
    d = camera.rays().reshape(-1, 3)
    best = np.full(len(d), np.inf)
    label = np.zeros(len(d), np.uint8)

    def hit(t: np.ndarray, cls: int) -> None:
        nonlocal best
        closer = t < best
        best = np.where(closer, t, best)
        label[closer] = cls

    r, c = camera.pose()
    up_cam = r @ np.array([0.0, 1.0, 0.0])
    if floor:
        hit(_plane_t(d, up_cam, camera.to_camera(np.zeros(3))), 0)
    hit(_plane_t(d, np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, wall_distance_m])), 0)
    for prim in skeleton.primitives:
        hit(_primitive_t(d, prim, camera), CLASS_ID[prim.label])
    xyz = (best[:, None] * d).reshape(camera.height, camera.width, 3)
    joints_cam = {k: camera.to_camera(v) for k, v in skeleton.joints.items()}
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, p in joints_cam.items():
        if name in INDEX:
            xy[INDEX[name]] = camera.project(p)
    for name, (a, b) in DERIVED.items():
        xy[INDEX[name]] = (xy[INDEX[a]] + xy[INDEX[b]]) / 2
    class_map = label.reshape(camera.height, camera.width)
    return Scene(xyz, class_map, xy, joints_cam, up_cam, camera, skeleton)


def _primitive_t(d: np.ndarray, prim: Primitive, camera: Camera) -> np.ndarray:
    a = camera.to_camera(prim.a)
    if prim.b is None:
        return _sphere_t(d, a, prim.radius)
    return _cylinder_t(d, a, camera.to_camera(prim.b), prim.radius)


def true_point(scene: Scene, name: str) -> np.ndarray:
    """True camera-space centre of a canonical point, derived midpoints included."""
    if name in DERIVED:
        a, b = DERIVED[name]
        return (scene.joints_cam[a] + scene.joints_cam[b]) / 2
    return scene.joints_cam[name]
