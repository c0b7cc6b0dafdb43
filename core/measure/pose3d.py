"""3D keypoints read from a metric pointmap: one camera-space joint centre per 2D keypoint.

For each canonical keypoint a small window around it is restricted to the body-part classes that
can show that joint (``JOINT_CLASSES``), split into depth clusters so a limb hidden behind another
never takes the near limb's depth, and summarised by its median. The pointmap sees the body's
surface; the joint centre lies ``JOINT_DEPTH_FRACTION * stature`` further along the viewing ray.
Pure numpy; definitions in docs/MEASURES.md ("3D measures").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, DERIVED, INDEX
from core.labels.classes import CLASS_ID
from core.measure.pose3d_tables import (
    DEFAULT_STATURE_M,
    JOINT_CLASSES,
    JOINT_DEPTH_FRACTION,
    NEIGHBOURS,
    SHOULDER_ANKLE_FRACTION,
)

#: Two surfaces further apart in depth than this are different clusters (metres): a limb hidden
#: behind another lies at least one limb thickness (>= ~8 cm) behind it, while one surface patch of
#: a window spans a few centimetres (plus pointmap noise).
CLUSTER_GAP_M = 0.06
#: Fewest window pixels of one depth cluster that make a 3D point (fewer: NaN, too few body pixels).
MIN_PIXELS = 6
#: A limb segment leaving a joint within this angle of the direction to the camera covers that
#: joint's own surface: for a joint sphere of radius rho and a segment of radius ~0.9 rho at angle a,
#: the segment's surface lies rho (0.9 / sin(a) - 1) in front of the joint's (0.8 rho at 30
#: degrees, 0.17 rho at 50; more if the segment is as thick as the joint), so the point is not
#: read there.
COVER_DEG = 50.0
#: Standard error of a median over n Gaussian samples is sqrt(pi/2) sigma / sqrt(n); MAD * 1.4826
#: estimates sigma.
_MEDIAN_SE = np.sqrt(np.pi / 2) * 1.4826


@dataclass(frozen=True)
class Points3D:
    """Canonical 3D joint centres of one person in camera coordinates (x right, y down, z forward).

    xyz: (K, 3) float, metres (the pointmap's unit); NaN where not measurable.
    sigma_m: (K, 3) float, standard error of each coordinate from the window's spread (statistical
    only: the surface-to-centre offset model adds its own error, see docs/MEASURES.md).
    n_pixels: (K,) int, pixels of the chosen depth cluster. reasons: (K,) why a point is NaN ('' when
    present). offset_m: (K,) the surface-to-centre offset applied. stature_m and how it was found.
    """

    xyz: np.ndarray
    sigma_m: np.ndarray
    n_pixels: np.ndarray
    reasons: tuple[str, ...]
    offset_m: np.ndarray
    stature_m: float
    stature_source: str

    def point(self, name: str) -> np.ndarray:
        """(3,) metres of a canonical point, NaN when missing."""
        return self.xyz[INDEX[name]]

    def sigma(self, name: str) -> np.ndarray:
        return self.sigma_m[INDEX[name]]

    def reason(self, name: str) -> str:
        return self.reasons[INDEX[name]]


def _part(name: str) -> str:
    return name.split("_", 1)[1] if name.startswith(("left_", "right_")) else name


def _window(
    xyz: np.ndarray, class_map: np.ndarray, x: float, y: float, r: int, box: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | str:
    """The window's points (n, 3), classes (n,) and pixel offsets (n, 2), or why there is none."""
    h, w = class_map.shape
    cx, cy = int(round(x)), int(round(y))
    if cx - r < 0 or cy - r < 0 or cx + r >= w or cy + r >= h:
        return "at the image edge (window leaves the image)"
    if box is not None and not (box[0] <= x <= box[2] and box[1] <= y <= box[3]):
        return "outside the person's box"
    ys, xs = np.mgrid[cy - r : cy + r + 1, cx - r : cx + r + 1]
    keep = np.ones(ys.shape, bool)
    if box is not None:
        keep &= (xs >= box[0]) & (xs <= box[2]) & (ys >= box[1]) & (ys <= box[3])
    pts = xyz[ys[keep], xs[keep]]
    cls = class_map[ys[keep], xs[keep]]
    offs = np.stack([xs[keep] - x, ys[keep] - y], axis=1)
    return pts, cls, offs


def _clusters(depth: np.ndarray) -> np.ndarray:
    """Cluster label per sample: sorted depths split where consecutive values jump > CLUSTER_GAP_M."""
    order = np.argsort(depth)
    labels = np.empty(len(depth), int)
    labels[order] = np.concatenate([[0], np.cumsum(np.diff(depth[order]) > CLUSTER_GAP_M)])
    return labels


def _choose_cluster(
    depth: np.ndarray, own: np.ndarray, other: np.ndarray, near_side: bool | None
) -> tuple[np.ndarray | None, str]:
    """Mask of the depth cluster that shows this joint, or None and why.

    Clusters are tried nearest first and need >= MIN_PIXELS pixels. With pixels of this side's own
    classes in the window, the cluster must hold some of them and at least as many as of the other
    side's (a sideless clothing cluster in front of them belongs to another limb). With only the
    other side's limb visible the joint is hidden behind it; with only sideless classes (clothing)
    the nearest cluster is taken, unless the other side is the one known to be nearer.
    """
    labels = _clusters(depth)
    for lab in np.unique(labels):  # labels grow with depth: nearest cluster first
        m = labels == lab
        if m.sum() < MIN_PIXELS:
            continue
        if own.any():
            if own[m].sum() > 0 and own[m].sum() >= other[m].sum():
                return m, ""
        elif other.any() and near_side is not True:
            return None, "occluded (only the other side's limb is visible there)"
        elif not other[m].any():
            return m, ""
    if own.any() or other.any():
        return None, "occluded (no depth layer of this limb with enough pixels)"
    return None, "too few body pixels near the keypoint"


def _robust_point(pts: np.ndarray, offs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The surface point at the keypoint and its standard error.

    A window spans several centimetres in x and y (geometry, not noise), and occlusion or the
    class filter can keep an off-centre part of it, where a plain median of x and y would be pulled
    sideways. x and y change with the pixel offset by about depth / focal length, so a least-squares
    slope takes that out and x, y are the medians of the detrended values (the value at the
    keypoint, robust to outliers). Depth is the plain median: its slope is steep and unstable where
    a surface turns away, and extrapolating it would be worse than its small off-centre bias.
    The standard error comes from the MAD of the detrended values.
    """
    design = np.column_stack([np.ones(len(offs)), offs])
    coef, *_ = np.linalg.lstsq(design, pts, rcond=None)
    detrended = pts - offs @ coef[1:]
    detrended[:, 2] = pts[:, 2] - offs @ coef[1:, 2]  # residuals for the spread only
    centre = np.median(detrended, axis=0)
    mad = np.median(np.abs(detrended - centre), axis=0)
    centre[2] = np.median(pts[:, 2])
    return centre, _MEDIAN_SE * mad / np.sqrt(len(pts))


def _near_side(xyz: np.ndarray, class_map: np.ndarray, box: np.ndarray | None) -> bool | None:
    """True when the subject's left limbs are nearer the camera than the right ones, None if unknown.

    Compares the median depth of each side's limb classes present on both sides.
    """
    sel = np.ones(class_map.shape, bool)
    if box is not None:
        ys, xs = np.mgrid[: class_map.shape[0], : class_map.shape[1]]
        sel = (xs >= box[0]) & (xs <= box[2]) & (ys >= box[1]) & (ys <= box[3])
    diffs = []
    for part in ("Upper_Arm", "Lower_Arm", "Upper_Leg", "Lower_Leg"):
        zl = xyz[..., 2][sel & (class_map == CLASS_ID[f"Left_{part}"])]
        zr = xyz[..., 2][sel & (class_map == CLASS_ID[f"Right_{part}"])]
        if len(zl) >= MIN_PIXELS and len(zr) >= MIN_PIXELS:
            diffs.append(np.median(zl) - np.median(zr))
    if not diffs or abs(np.median(diffs)) < CLUSTER_GAP_M:
        return None
    return bool(np.median(diffs) < 0)


def _check(xy: np.ndarray, xyz: np.ndarray, class_map: np.ndarray) -> None:
    if xy.shape != (len(CANONICAL_NAMES), 2):
        raise InputError(
            f"expected canonical keypoints ({len(CANONICAL_NAMES)}, 2), got {xy.shape}"
        )
    if xyz.ndim != 3 or xyz.shape[2] != 3:
        raise InputError(f"expected a pointmap (H, W, 3), got shape {xyz.shape}")
    if class_map.shape != xyz.shape[:2]:
        raise InputError(f"seg map {class_map.shape} and pointmap {xyz.shape[:2]} differ in size")


def keypoints_3d(
    xy: np.ndarray,
    xyz: np.ndarray,
    class_map: np.ndarray,
    *,
    window_px: int | None = None,
    stature_m: float | None = None,
    box_xyxy: tuple[float, float, float, float] | None = None,
) -> Points3D:
    """3D joint centres for one person's canonical 2D keypoints.

    Parameters
    ----------
    xy : (K, 2) float, canonical keypoints in image pixels (``Pose.xy``), NaN where missing.
    xyz : (H, W, 3) float, metric pointmap in camera coordinates (``PointmapResult.xyz``).
    class_map : (H, W) int, Sapiens2 seg classes of the same image.
    window_px : half size of the square window; default 1.2% of the keypoints' height in pixels
        (at least 2), small against a joint's image so the median stays on its surface.
    stature_m : subject height for the surface-to-centre offset; default estimated from the
        uncorrected shoulder-to-ankle distance, else ``DEFAULT_STATURE_M``.
    box_xyxy : the person's box; pixels outside it are never used.

    Returns
    -------
    Points3D; derived midpoints (mid_shoulder, mid_hip) are the means of their two sides.
    """
    xy = np.asarray(xy, np.float64)
    xyz = np.asarray(xyz, np.float64)
    class_map = np.asarray(class_map)
    _check(xy, xyz, class_map)
    finite = np.all(np.isfinite(xy), axis=1)
    if window_px is None:
        span = np.ptp(xy[finite, 1]) if finite.sum() >= 2 else 0.0
        window_px = max(2, int(round(0.012 * span)))
    box = None if box_xyxy is None else np.asarray(box_xyxy, np.float64)
    near_left = _near_side(xyz, class_map, box)
    k = len(CANONICAL_NAMES)
    surface, sigma = np.full((k, 3), np.nan), np.full((k, 3), np.nan)
    n_pixels, reasons = np.zeros(k, int), [""] * k
    for name, classes in JOINT_CLASSES.items():
        i = INDEX[name]
        if not finite[i]:
            reasons[i] = "no 2D keypoint"
            continue
        win = _window(xyz, class_map, float(xy[i, 0]), float(xy[i, 1]), window_px, box)
        if isinstance(win, str):
            reasons[i] = win
            continue
        pts, cls, offs = win
        side = name.split("_")[0]
        other = {"left": "Right", "right": "Left"}.get(side)
        own_ids = [CLASS_ID[c] for c in classes if c.startswith(side.capitalize() + "_")]
        other_ids = [CLASS_ID[c.replace(side.capitalize(), other, 1)] for c in classes
                     if other and c.startswith(side.capitalize() + "_")]  # fmt: skip
        allowed = np.isin(cls, [CLASS_ID[c] for c in classes] + other_ids)
        allowed &= np.all(np.isfinite(pts), axis=1)
        pts, cls, offs = pts[allowed], cls[allowed], offs[allowed]
        if len(pts) < MIN_PIXELS:
            reasons[i] = "too few body pixels near the keypoint"
            continue
        near = None if other is None or near_left is None else near_left == (side == "left")
        hidden = _hidden_pair(name, xy, window_px, near, cls, own_ids + other_ids)
        if hidden:
            reasons[i] = hidden
            continue
        mask, why = _choose_cluster(pts[:, 2], np.isin(cls, own_ids), np.isin(cls, other_ids), near)
        if mask is None:
            reasons[i] = why
            continue
        if np.hypot(*offs[mask].mean(axis=0)) > window_px / 2:
            reasons[i] = "only the edge of the window shows this joint (mostly hidden)"
            continue
        surface[i], sigma[i] = _robust_point(pts[mask], offs[mask])
        n_pixels[i] = int(mask.sum())
    stature, source = _stature(surface, stature_m)
    offset = np.array([JOINT_DEPTH_FRACTION.get(_part(n), 0.0) * stature for n in CANONICAL_NAMES])
    with np.errstate(invalid="ignore", divide="ignore"):
        rays = surface / np.linalg.norm(surface, axis=1, keepdims=True)
    centres = surface + offset[:, None] * rays
    _drop_covered(centres, rays, reasons)
    for name, (a, b) in DERIVED.items():
        i, ia, ib = INDEX[name], INDEX[a], INDEX[b]
        centres[i] = (centres[ia] + centres[ib]) / 2
        sigma[i] = np.hypot(sigma[ia], sigma[ib]) / 2
        n_pixels[i] = min(n_pixels[ia], n_pixels[ib])
        reasons[i] = reasons[ia] or reasons[ib]
    return Points3D(centres, sigma, n_pixels, tuple(reasons), offset, stature, source)


def _drop_covered(centres: np.ndarray, rays: np.ndarray, reasons: list[str]) -> None:
    """NaN (in place) the joints that a limb pointing at the camera covers (``COVER_DEG``)."""
    cos_max = np.cos(np.radians(COVER_DEG))
    covered = []
    for side in ("left", "right"):
        for part, nbrs in NEIGHBOURS.items():
            i = INDEX[f"{side}_{part}"]
            for nb in nbrs:
                seg = centres[INDEX[f"{side}_{nb}"]] - centres[i]
                norm = np.linalg.norm(seg)
                if np.isfinite(norm) and norm > 0 and -(seg @ rays[i]) / norm > cos_max:
                    covered.append((i, nb))
                    break
    for i, nb in covered:
        centres[i] = np.nan
        reasons[i] = f"covered by its own limb (towards the {nb}) pointing at the camera"


def _hidden_pair(
    name: str, xy: np.ndarray, r: int, near: bool | None, cls: np.ndarray, sided: list[int]
) -> str:
    """Why a joint whose window shows only sideless classes cannot be read, or ''.

    When its left/right counterpart projects within two window sizes, both windows see the same
    surface (in a side view the far hip lies behind the near one, under the same shorts): only the
    side known to be nearer the camera (from its own limbs' depth) may take it.
    """
    if not name.startswith(("left_", "right_")) or np.isin(cls, sided).any():
        return ""
    side, part = name.split("_", 1)
    twin = xy[INDEX[f"{'right' if side == 'left' else 'left'}_{part}"]]
    if not np.all(np.isfinite(twin)) or np.hypot(*(twin - xy[INDEX[name]])) > 2 * (2 * r + 1):
        return ""
    if near is None:
        return "left and right overlap under clothing and neither side is known to be nearer"
    return "" if near else "occluded (behind the nearer side, under the same clothing)"


def _stature(surface: np.ndarray, given: float | None) -> tuple[float, str]:
    if given is not None:
        if not np.isfinite(given) or not 0.5 <= given <= 2.6:
            raise InputError(f"stature must be between 0.5 and 2.6 metres, got {given}")
        return float(given), "given"
    with warnings.catch_warnings():  # a side with no point at all is NaN, handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        sh = np.nanmean(surface[[INDEX["left_shoulder"], INDEX["right_shoulder"]]], axis=0)
        an = np.nanmean(surface[[INDEX["left_ankle"], INDEX["right_ankle"]]], axis=0)
    est = float(np.linalg.norm(sh - an)) / SHOULDER_ANKLE_FRACTION
    if np.isfinite(est) and 1.0 <= est <= 2.4:
        return est, "estimated from shoulder-to-ankle distance"
    return DEFAULT_STATURE_M, "default (not measurable)"
