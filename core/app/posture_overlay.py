"""The posture page's picture: the measured skeleton, numbered boxes when several people were found,
and a copy scaled up for reading on screen (a 512 px photo drawn in a narrow column is unreadable).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from core.analysis import PostureResult
    from core.keypoints import Pose

#: The overlay is shown this wide (pixels) and drawn at least this wide: smaller photos are scaled
#: up before the skeleton is drawn, so the lines and numbers stay sharp. 720 px fits the main column
#: of the wide layout on a 1280 px laptop window with the sidebar open.
DISPLAY_WIDTH_PX = 720


def scale_pose(pose: Pose, factor: float) -> Pose:
    """The same pose in an image ``factor`` times larger (pixels scale, scores do not)."""
    box = pose.box_xyxy
    return replace(
        pose,
        xy=pose.xy * factor,
        box_xyxy=None if box is None else tuple(float(v) * factor for v in box),  # type: ignore[arg-type]
        source_xy=None if pose.source_xy is None else pose.source_xy * factor,
    )


def draw_overlay(image: np.ndarray, result: PostureResult, *, factor: float = 1.0) -> np.ndarray:
    """The measured person's skeleton, points coloured by score, on ``image`` (H, W, 3) uint8 RGB,
    and numbered boxes (1 = largest, the measured one white) when several people were found.

    ``factor`` > 1 draws on a copy scaled up with bicubic interpolation (smooth for photographs;
    nearest-neighbour would show blocks), with the points and boxes scaled alike.
    """
    from core.imaging.overlay import draw_people_boxes, draw_pose

    pose, people = result.pose, result.people
    if factor != 1.0:
        h, w = image.shape[:2]
        size = (round(w * factor), round(h * factor))
        image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
        pose = scale_pose(pose, factor)
        people = tuple(scale_pose(p, factor) for p in people)
    drawn = draw_pose(image, pose, min_score=result.confidence.min_score)
    if len(people) > 1:
        boxes = [p.box for p in people]
        drawn = draw_people_boxes(drawn, boxes, measured=result.person_index)  # type: ignore[arg-type]
    return drawn


def display_factor(width_px: int) -> float:
    """How much a photo ``width_px`` wide is scaled up for the screen (1.0: wide enough already)."""
    return max(1.0, DISPLAY_WIDTH_PX / max(1, int(width_px)))
