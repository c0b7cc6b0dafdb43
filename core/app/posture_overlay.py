"""The posture page's picture: the measured skeleton, numbered boxes when several people were found,
and a copy drawn for the screen (a 512 px photo in a narrow column is unreadable).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from core.analysis import PostureResult
    from core.keypoints import Pose

#: The overlay is shown this wide (CSS pixels): it fits the main column of the wide layout on a
#: 1280 px laptop window with the sidebar open.
DISPLAY_WIDTH_PX = 720
#: ... and drawn this wide: twice that, for sharp lines on a high-density screen and in the
#: image's fullscreen view, and under Streamlit's 1460 px cap (``image_utils``), above which it
#: would resample the picture again (bilinearly). The skeleton is drawn after scaling, so lines and
#: numbers stay sharp whatever the photo's size.
DRAW_WIDTH_PX = 1440


def scale_pose(pose: Pose, factor: float) -> Pose:
    """The same pose in an image ``factor`` times larger (pixels scale, scores do not)."""
    box = pose.box_xyxy
    return replace(
        pose,
        xy=pose.xy * factor,
        box_xyxy=None
        if box is None
        else (box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor),
        source_xy=None if pose.source_xy is None else pose.source_xy * factor,
    )


def draw_overlay(image: np.ndarray, result: PostureResult, *, factor: float = 1.0) -> np.ndarray:
    """The measured person's skeleton, points coloured by score, on ``image`` (H, W, 3) uint8 RGB,
    and numbered boxes (1 = largest, the measured one white) when several people were found.

    ``factor`` != 1 draws on a scaled copy, the points and boxes scaled alike: up with bicubic
    interpolation (smooth for photographs; nearest-neighbour would show blocks), down by pixel-area
    averaging (no aliasing).
    """
    from core.imaging.overlay import draw_people_boxes, draw_pose

    pose, people = result.pose, result.people
    if factor != 1.0:
        h, w = image.shape[:2]
        size = (round(w * factor), round(h * factor))
        how = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
        image = cv2.resize(image, size, interpolation=how)
        pose = scale_pose(pose, factor)
        people = tuple(scale_pose(p, factor) for p in people)
    drawn = draw_pose(image, pose, min_score=result.confidence.min_score)
    if len(people) > 1:
        boxes = [p.box for p in people]
        drawn = draw_people_boxes(drawn, boxes, measured=result.person_index)
    return drawn


def display_factor(width_px: int) -> float:
    """How much a photo ``width_px`` wide is scaled to be drawn :data:`DRAW_WIDTH_PX` wide."""
    return DRAW_WIDTH_PX / max(1, int(width_px))
