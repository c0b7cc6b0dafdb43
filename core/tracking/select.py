"""The person to measure in one photo: the largest, or the one nearest a point the user gives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.keypoints import Pose
from core.tracking.people import area, center


def select_person(poses: Sequence[Pose], point: tuple[float, float] | None = None) -> Pose | None:
    """The person to measure in one image.

    Without ``point``: the largest by box area (``Pose.box``: the backend's box or the keypoint
    extent). With ``point`` (x, y pixels, e.g. a click): the person whose box is nearest to it
    (distance 0 inside a box; ties, such as overlapping boxes, go to the nearer box centre).
    Returns None when there is nobody.
    """
    people = [p for p in poses if p.box is not None]
    if not people:
        return None
    if point is None:
        return max(people, key=lambda p: area(p.require_box()))
    px, py = float(point[0]), float(point[1])

    def distance(p: Pose) -> tuple[float, float]:
        x1, y1, x2, y2 = p.require_box()
        dx, dy = max(x1 - px, 0.0, px - x2), max(y1 - py, 0.0, py - y2)
        cx, cy = center(p.require_box())
        return float(np.hypot(dx, dy)), float(np.hypot(cx - px, cy - py))

    return min(people, key=distance)
