"""One person's unbroken stretch of detections in a video (a *fragment*), as the tracker builds it
and :mod:`core.tracking.walker` re-joins them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.keypoints import Pose
from core.tracking.people import Box, anchor, center, height
from core.tracking.progression import Progression


@dataclass
class Fragment:
    """One person's unbroken stretch of detections: ``poses[i]`` was seen at step ``steps[i]``."""

    id: int
    steps: list[int] = field(default_factory=list)
    poses: list[Pose] = field(default_factory=list)
    box: Box = (0.0, 0.0, 0.0, 0.0)  # the last box
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per step, box centre
    progression: Progression = field(default_factory=Progression)

    @property
    def first(self) -> int:
        return self.steps[0]

    @property
    def last(self) -> int:
        return self.steps[-1]

    def predicted_box(self, step: int) -> Box:
        dx, dy = self.velocity * (step - self.last)
        x1, y1, x2, y2 = self.box
        return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)

    def add(self, step: int, pose: Pose) -> None:
        box: Box = pose.require_box()
        if self.steps:
            new_v = (center(box) - center(self.box)) / (step - self.last)
            self.velocity = 0.5 * self.velocity + 0.5 * new_v if len(self.steps) > 1 else new_v
        self.box = box
        self.steps.append(step)
        self.poses.append(pose)
        self.progression.add(float(anchor(pose)[0]), height(box))
