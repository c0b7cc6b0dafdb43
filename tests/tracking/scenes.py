"""Synthetic detections for tracking tests: standing skeletons placed, moved and cut at will."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.backends.fake import standing_skeleton
from core.keypoints import CANONICAL_NAMES, INDEX, Pose


def person(cx: float, top: float, tall: float, *, keep: Iterable[str] | None = None) -> Pose:
    """A standing skeleton ``tall`` px high centred on x = cx, head top at y = top; with ``keep``,
    only those points (a partial skeleton, its box the extent of what it has)."""
    base = standing_skeleton(
        1000, 1000, fill=tall / 1000
    )  # centred at x 500, top (1000 - tall) / 2
    dy = top - (1000 - tall) / 2
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    names = set(base) if keep is None else set(keep)
    for name, (x, y) in base.items():
        if name in names:
            xy[INDEX[name]] = (x - 500 + cx, y + dy)
    return Pose.from_canonical(xy, np.ones(len(xy)), backend="t", model="t")


def nose_x(pose: Pose | None) -> float | None:
    return None if pose is None else float(pose.point("nose")[0])


def hip_x(pose: Pose | None) -> float | None:
    return None if pose is None else float(pose.point("left_hip")[0])
