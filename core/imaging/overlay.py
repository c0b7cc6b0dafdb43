"""Overlays for display and export: skeletons, body-part colours, normal maps.

Each function returns a new RGB uint8 image and never changes its input. A skeleton is drawn in
its source's own topology (Sapiens2's 308 points or MediaPipe's 33), so what the user sees is what
the model produced, not the canonical subset the measurements read.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.errors import InputError
from core.imaging._arrays import check_class_map, check_mask, check_rgb
from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from core.labels.classes import PALETTE_RGB
from core.labels.keypoints308 import KEYPOINT_COLOURS_RGB, NUM_KEYPOINTS, SKELETON_LINKS
from core.types import NormalMap, Segmentation

Colour = tuple[int, int, int]
# The official Sapiens body colours: subject's left green, right orange, centre line blue.
LEFT_RGB: Colour = (0, 255, 0)
RIGHT_RGB: Colour = (255, 128, 0)
CENTRE_RGB: Colour = (51, 153, 255)
#: Point colours by score when ``draw_pose`` gets a reliable score: at or above it green, between
#: the missing threshold and it yellow, below the threshold (a point the measures ignored) red.
RELIABLE_RGB: Colour = (0, 200, 0)
DOUBTFUL_RGB: Colour = (255, 210, 0)
IGNORED_RGB: Colour = (230, 0, 0)
#: One line for a caption or legend under an overlay drawn with a reliable score.
SCORE_LEGEND = (
    "Points: green = score at or above the reliable score, yellow = used but below it (its "
    "measures are flagged unreliable), red = below the score threshold (not used)."
)

#: MediaPipe's BlazePose 33-landmark connections (``mediapipe ... POSE_CONNECTIONS``), written out
#: because the Tasks API does not export them in a stable place.
MEDIAPIPE_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
    (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
    (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)  # fmt: skip

#: Canonical links, for a pose without its source points.
CANONICAL_LINKS: tuple[tuple[str, str], ...] = (
    ("left_ankle", "left_knee"), ("left_knee", "left_hip"), ("right_ankle", "right_knee"),
    ("right_knee", "right_hip"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"), ("left_elbow", "left_wrist"),
    ("right_elbow", "right_wrist"), ("left_eye", "right_eye"), ("nose", "left_eye"),
    ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    ("left_ankle", "left_heel"), ("right_ankle", "right_heel"), ("left_ankle", "left_big_toe"),
    ("right_ankle", "right_big_toe"), ("left_big_toe", "left_small_toe"),
    ("right_big_toe", "right_small_toe"), ("neck", "mid_shoulder"),
)  # fmt: skip


def _side_colour(*names: str) -> Colour:
    if all(n.startswith("left") for n in names):
        return LEFT_RGB
    if all(n.startswith("right") for n in names):
        return RIGHT_RGB
    return CENTRE_RGB


def _mediapipe_style() -> tuple[list[tuple[tuple[int, int], Colour]], list[Colour]]:
    from core.keypoints import MEDIAPIPE_NAMES

    links = [
        ((a, b), _side_colour(MEDIAPIPE_NAMES[a], MEDIAPIPE_NAMES[b]))
        for a, b in MEDIAPIPE_CONNECTIONS
    ]
    return links, [_side_colour(n) for n in MEDIAPIPE_NAMES]


def _canonical_style() -> tuple[list[tuple[tuple[int, int], Colour]], list[Colour]]:
    links = [((INDEX[a], INDEX[b]), _side_colour(a, b)) for a, b in CANONICAL_LINKS]
    return links, [_side_colour(n) for n in CANONICAL_NAMES]


def _points_and_style(pose: Pose):
    """(N, 2) points, (N,) scores (NaN: unknown), links, colours for the best topology this pose
    offers; canonical points below the threshold are NaN, source points keep their position."""
    src = None if pose.source_xy is None else np.asarray(pose.source_xy, dtype=np.float64)
    if src is not None and pose.backend == "sapiens2" and src.shape == (NUM_KEYPOINTS, 2):
        links, colours = list(SKELETON_LINKS), list(KEYPOINT_COLOURS_RGB)
    elif src is not None and pose.backend == "lite" and src.shape == (33, 2):
        links, colours = _mediapipe_style()
    else:
        links, colours = _canonical_style()
        return (
            np.asarray(pose.xy, dtype=np.float64),
            np.asarray(pose.scores, dtype=np.float64),
            links,
            colours,
        )
    scores = pose.source_scores
    scores = np.full(len(src), np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    return src, scores, links, colours


def score_colours(scores: np.ndarray, *, threshold: float, min_score: float) -> list[Colour]:
    """The band colour of each score: :data:`RELIABLE_RGB` at or above ``min_score``,
    :data:`DOUBTFUL_RGB` from ``threshold`` up or unknown (NaN), :data:`IGNORED_RGB` below
    ``threshold``."""

    def band(v: float) -> Colour:
        if v >= min_score:
            return RELIABLE_RGB
        return DOUBTFUL_RGB if v >= threshold or np.isnan(v) else IGNORED_RGB

    return [band(v) for v in np.asarray(scores, dtype=np.float64)]


def draw_pose(
    image: np.ndarray,
    pose: Pose,
    *,
    threshold: float | None = None,
    radius: int | None = None,
    thickness: int | None = None,
    min_score: float | None = None,
) -> np.ndarray:
    """Draw one person's skeleton on a copy of ``image``.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    pose : Pose
        Drawn in Sapiens2's 308-point skeleton when ``pose.backend == "sapiens2"``, MediaPipe's 33
        when ``"lite"`` (both need ``pose.source_xy``), else in the canonical points.
    threshold : float, optional
        Points (and their links) scoring below this are not drawn. Default: ``pose.threshold``.
    radius, thickness : int, optional, pixels
        Default: scaled with the image (about 0.4 % and 0.25 % of its longer side).
    min_score : float, optional
        The reliable score (``core.measure.confidence``). When given, points are coloured by score
        (:func:`score_colours`, :data:`SCORE_LEGEND`) and points below ``threshold`` are drawn
        too, in red and without links, where the source gave a position; links keep their side
        colours. Default: points in their side colours, below-threshold points left out.

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    out = check_rgb(image).copy()
    h, w = out.shape[:2]
    thr = pose.threshold if threshold is None else float(threshold)
    xy, scores, links, colours = _points_and_style(pose)
    inside = np.all(np.isfinite(xy), axis=1) & (xy[:, 0] >= 0) & (xy[:, 0] < w)
    inside &= (xy[:, 1] >= 0) & (xy[:, 1] < h)  # official: inside only
    # A canonical point below the threshold is NaN already; an unknown score (NaN) does not hide it.
    ok = inside & ~(np.nan_to_num(scores, nan=np.inf) < thr)
    shown = ok
    if min_score is not None:
        # A point left out by the threshold is red even when its score is unknown.
        colours = score_colours(np.where(ok, scores, -np.inf), threshold=thr, min_score=min_score)
        shown = inside
    r = radius if radius is not None else max(2, round(0.004 * max(h, w)))
    t = thickness if thickness is not None else max(1, round(0.0025 * max(h, w)))
    # cv2 draws with sub-pixel precision through a fixed-point shift.
    shift = 4
    pts = np.where(inside[:, None], np.rint(np.nan_to_num(xy) * (1 << shift)), 0).astype(np.int64)
    for (a, b), colour in links:
        if ok[a] and ok[b]:
            cv2.line(
                out, tuple(map(int, pts[a])), tuple(map(int, pts[b])), colour, t, cv2.LINE_AA, shift
            )
    for k in np.flatnonzero(shown):
        cv2.circle(out, tuple(map(int, pts[k])), r << shift, colours[k], -1, cv2.LINE_AA, shift)
    return out


def overlay_segmentation(
    image: np.ndarray,
    seg: Segmentation | np.ndarray,
    *,
    alpha: float = 0.5,
    palette: tuple[Colour, ...] = PALETTE_RGB,
    include_background: bool = False,
) -> np.ndarray:
    """Blend each class's palette colour over the image.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    seg : Segmentation or (H, W) int class map
    alpha : float in [0, 1]
        Weight of the palette colour (0.5 is the official 50/50 blend).
    palette : sequence of (R, G, B)
        Colour of class id i; default the Sapiens2 palette.
    include_background : bool
        Also tint class 0 (the official visualiser does); by default the background is left as is.

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    rgb = check_rgb(image)
    class_map = check_class_map(seg.class_map if isinstance(seg, Segmentation) else seg, rgb.shape)
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be within [0, 1], got {alpha}")
    if class_map.size and (class_map.min() < 0 or class_map.max() >= len(palette)):
        raise InputError(
            f"class ids must lie in [0, {len(palette) - 1}] for this palette, got {class_map.max()}"
        )
    colours = np.asarray(palette, dtype=np.float64)[class_map]
    blended = np.rint((1.0 - alpha) * rgb + alpha * colours).astype(np.uint8)
    if include_background:
        return blended
    return np.where((class_map > 0)[..., None], blended, rgb)


def normals_to_rgb(normals: np.ndarray | NormalMap, mask: np.ndarray | None = None) -> np.ndarray:
    """Visualise surface normals the official way: ((n + 1) / 2 * 255), x to R, y to G, z to B.

    Parameters
    ----------
    normals : (H, W, 3) float or NormalMap
        Camera-frame normals (components in [-1, 1]).
    mask : (H, W) bool, optional
        Foreground; pixels outside it (and non-finite normals) are black, because normals on the
        background are meaningless. Default: the NormalMap's own mask, else every pixel.

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    if isinstance(normals, NormalMap):
        mask = normals.mask if mask is None else mask
        normals = normals.normals
    n = np.asarray(normals, dtype=np.float64)
    if n.ndim != 3 or n.shape[2] != 3:
        raise InputError(f"normals must have shape (H, W, 3), got {n.shape}")
    keep = np.all(np.isfinite(n), axis=2)
    if mask is not None:
        keep &= check_mask(mask, n.shape, name="normal mask")
    # The official script sets the background to -1 (which maps to 0) and truncates to uint8.
    n = np.where(keep[..., None], np.clip(np.nan_to_num(n), -1.0, 1.0), -1.0)
    return ((n + 1.0) / 2.0 * 255.0).astype(np.uint8)


def draw_people_boxes(
    image: np.ndarray,
    boxes: list[tuple[float, float, float, float] | None],
    *,
    measured: int | None = None,
    thickness: int | None = None,
) -> np.ndarray:
    """Draw numbered person boxes (1, 2, ... in the order given) on a copy of ``image``.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    boxes : list of (x1, y1, x2, y2), pixels, or None (a person without a box: not drawn)
        The people found, in the order their numbers are reported (largest first in a posture readout).
    measured : int, optional
        Index into ``boxes`` of the person measured: drawn in white and thicker, the others grey.
    thickness : int, optional, pixels
        Default: scaled with the image (about 0.25 % of its longer side).

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    out = check_rgb(image).copy()
    h, w = out.shape[:2]
    t = thickness if thickness is not None else max(1, round(0.0025 * max(h, w)))
    scale = max(0.5, 0.0008 * max(h, w))  # cv2 font scale: about 30 px tall text on a 1768 px side
    for i, box in enumerate(boxes):
        if box is None:
            continue  # its number is skipped, so the others keep theirs
        x1, y1, x2, y2 = box
        chosen = i == measured
        colour: Colour = (255, 255, 255) if chosen else (160, 160, 160)
        width = 2 * t if chosen else t
        p1 = (int(round(max(0, x1))), int(round(max(0, y1))))
        p2 = (int(round(min(w - 1, x2))), int(round(min(h - 1, y2))))
        cv2.rectangle(out, p1, p2, (0, 0, 0), width + 2, cv2.LINE_AA)  # dark rim: seen on any photo
        cv2.rectangle(out, p1, p2, colour, width, cv2.LINE_AA)
        label = str(i + 1)
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, width)
        org = (p1[0] + width + 2, min(h - base - 1, p1[1] + th + width + 2))
        cv2.rectangle(
            out, (org[0] - 2, org[1] - th - 2), (org[0] + tw + 2, org[1] + base), (0, 0, 0), -1
        )
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, width, cv2.LINE_AA)
    return out
