"""Skin ROI building blocks: crops of face/neck and hands for a downstream lesion classifier.

With Sapiens2 the crops follow the body-part classes Face_Neck, Left_Hand and Right_Hand (pixels
outside the region dimmed); with the lite backend they are boxes around MediaPipe's face detection
and hand landmarks (no body-part mask, so nothing can be dimmed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.app import cache
from core.app.errors import attempt
from core.app.resources import backend_key, inference_lock
from core.backends.base import Capability

if TYPE_CHECKING:
    from core.backends.base import Backend
    from core.imaging.roi import CropResult


def _lite_crops(image: np.ndarray, backend: Backend, margin: float) -> CropResult:
    from core.imaging.roi import crops_from_boxes
    from core.keypoints import extent_box

    faces = backend.detect_faces(image)
    hands = backend.detect_hands(image)
    boxes = [faces[0].xyxy if faces else None]
    labels = ["Face"]
    for hand in hands:
        boxes.append(extent_box(hand.landmarks))
        # MediaPipe names hands as seen in a mirrored selfie (core.backends.base.Hand): swap for a photo.
        side = {"Left": "Right", "Right": "Left"}.get(hand.handedness, "")
        labels.append(f"{side}_Hand" if side else "Hand")
    if not hands:
        boxes.append(None)
        labels.append("Hands")
    return crops_from_boxes(image, boxes, labels, margin=margin)


def crops_for(
    image: np.ndarray, image_hash: str, backend: Backend, *, margin: float, dim: float
) -> CropResult | None:
    """Skin crops with whichever method the backend supports; segmentation is cached per file."""
    from core.imaging.roi import skin_crops

    if backend.supports(Capability.BODY_PARTS):

        def segment() -> object:
            with inference_lock(backend):
                return backend.segment(image)

        found = attempt(cache.cached, ("segment", image_hash, backend_key(backend)), segment)
        if found is None:
            return None
        return attempt(skin_crops, image, found[0], margin=margin, dim=dim)
    if backend.supports(Capability.FACES) and backend.supports(Capability.HANDS):

        def boxes() -> CropResult:
            with inference_lock(backend):
                return _lite_crops(image, backend, margin)

        found = attempt(
            cache.cached, ("skin_boxes", image_hash, backend_key(backend), margin), boxes
        )
        return None if found is None else found[0]
    st.error(
        f"The {backend.name} backend finds neither body parts nor faces and hands; "
        "choose lite or sapiens2 in the sidebar."
    )
    return None


def render_crops(result: CropResult) -> None:
    if result.crops:
        cols = st.columns(min(4, len(result.crops)))
        for i, crop in enumerate(result.crops):
            x1, y1, x2, y2 = crop.box_xyxy
            cols[i % len(cols)].image(crop.image, caption=f"{crop.label} ({x2 - x1}×{y2 - y1} px)")
    for reason in result.reasons:
        st.caption(f"No crop: {reason}")
