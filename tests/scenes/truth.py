"""Exact 3D measures of a rendered scene: the scene's true joint centres through the same
measure definitions, with the true vertical as the floor."""

from __future__ import annotations

import numpy as np

from core.keypoints import CANONICAL_NAMES, DERIVED
from core.measure.floor import Floor
from core.measure.pose3d import Points3D
from core.measure.pose3d_measures import Measures3D, measures_3d
from tests.scenes.render import Scene, true_point


def true_points(scene: Scene) -> Points3D:
    nan3 = np.full(3, np.nan)
    xyz = np.array(
        [true_point(scene, n) if n in scene.joints_cam or n in DERIVED else nan3
         for n in CANONICAL_NAMES]
    )  # fmt: skip
    k = len(CANONICAL_NAMES)
    return Points3D(xyz, np.zeros((k, 3)), np.ones(k, int), ("",) * k, np.zeros(k), 1.75, "truth")


def true_measures(scene: Scene) -> Measures3D:
    return measures_3d(true_points(scene), floor=Floor(scene.up_cam, 0.0, 1, 0.0))
