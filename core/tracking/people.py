"""Person geometry for tracking: boxes, the body anchor, completeness, and duplicate detections.

Pose models sometimes report one person twice in a frame: a second, partial skeleton lying over
the first (MediaPipe does it most on people near the frame edge or half hidden). Left in, such a
duplicate starts a track of its own that can take the real person's frames; :func:`merge_duplicates`
keeps one detection per person before any tracking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from core.keypoints import CANONICAL_NAMES, DERIVED, INDEX, Pose
from core.types import Box, area, inside_share  # box geometry, defined once there

#: The limb points that say how complete a detected body is.
CORE_POINTS = tuple(
    INDEX[f"{s}_{j}"]
    for s in ("left", "right")
    for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)
#: Measured points only: the derived midpoints would count the hips and shoulders twice.
_MEASURED = tuple(i for i, name in enumerate(CANONICAL_NAMES) if name not in DERIVED)

#: Two skeletons whose shared points lie this close (median, in body heights) are one person,
#: whatever their boxes: two people never stand with their joints within a tenth of a body height.
SAME_POINTS_BODY_HEIGHTS = 0.1
#: A looser match (a partial skeleton whose guessed points drift) counts only with overlapping boxes.
NEAR_POINTS_BODY_HEIGHTS = 0.25
NEAR_POINTS_MIN_OVERLAP = 0.7  # share of the smaller box inside the other
#: Points two detections must both have before their keypoints are compared at all.
MIN_SHARED_POINTS = 3
#: Without enough shared points, a box lying this much inside another one is a fragment of it.
INSIDE_SHARE = 0.9


def center(box: Box) -> np.ndarray:
    """(2,) pixels, the centre of an (x1, y1, x2, y2) box."""
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def height(box: Box) -> float:
    """The body size of a box in pixels: its longer side (a person may lie or be cut at the knees)."""
    return max(box[3] - box[1], box[2] - box[0], 1.0)


def anchor(pose: Pose) -> np.ndarray:
    """(2,) pixels: the pelvis (it moves with the body, not with the arms), else the box centre."""
    hip = pose.point("mid_hip")
    return hip if np.all(np.isfinite(hip)) else center(pose.require_box())


def completeness(pose: Pose) -> float:
    """Share (0-1) of the twelve limb points (shoulders to ankles) the pose has."""
    return float(np.mean(np.all(np.isfinite(pose.xy[list(CORE_POINTS)]), axis=1)))


def points_distance(a: Pose, b: Pose) -> tuple[float, int]:
    """(median distance in pixels over the measured points both poses have, how many they share)."""
    pa, pb = a.xy[list(_MEASURED)], b.xy[list(_MEASURED)]
    both = np.all(np.isfinite(pa), axis=1) & np.all(np.isfinite(pb), axis=1)
    n = int(both.sum())
    if n == 0:
        return float("inf"), 0
    return float(np.median(np.hypot(*(pa[both] - pb[both]).T))), n


def same_person(a: Pose, b: Pose) -> bool:
    """True when two detections of one frame are one person found twice (see the module notes)."""
    box_a, box_b = a.box, b.box
    if box_a is None or box_b is None:
        return False
    size = max(height(box_a), height(box_b))
    dist, shared = points_distance(a, b)
    inside = inside_share(box_a, box_b)
    if shared >= MIN_SHARED_POINTS:
        if dist <= SAME_POINTS_BODY_HEIGHTS * size:
            return True
        return dist <= NEAR_POINTS_BODY_HEIGHTS * size and inside >= NEAR_POINTS_MIN_OVERLAP
    return inside >= INSIDE_SHARE


def _richness(pose: Pose) -> tuple[int, float]:
    return pose.n_present, area(pose.require_box())


def merge_duplicates(
    poses: Sequence[Pose], *, distinct: Callable[[int, int], bool] | None = None
) -> tuple[list[Pose], int]:
    """One detection per person: (the kept poses, how many duplicates were dropped).

    Of a group of detections that are :func:`same_person`, the most complete (then the largest)
    is kept. ``distinct(i, j)``: True when detections i and j are known to be two people (each the
    continuation of its own established track, such as two people crossing); they are then never
    merged, however close their skeletons come.
    """
    order = sorted(
        (i for i, p in enumerate(poses) if p.box is not None and area(p.box) > 0),
        key=lambda i: _richness(poses[i]),
        reverse=True,
    )
    kept: list[int] = []
    dropped = 0
    for i in order:
        if any(
            same_person(poses[i], poses[k]) and not (distinct is not None and distinct(i, k))
            for k in kept
        ):
            dropped += 1
        else:
            kept.append(i)
    return [poses[i] for i in sorted(kept)], dropped
