"""The view a posture is measured in, and the subject's left and right in front and back views.

``resolve_view`` takes the user's choice ("auto" or a view) and the picture's own reading
(``core.measure.view.infer_view``), returns the view used, warns when they contradict, and swaps
left/right labels that contradict the facing: a subject facing the camera has their left on the
image's right, one seen from behind on the image's left. Pose models often label every person as
if they faced the camera, so a back view (or a front view with a hidden face) comes out mirrored.
It swaps only when the facing is sure and the shoulder and hip labels agree with each other.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from core.measure.view import (
    FRONTAL,
    VIEW_CHOICES,
    ViewInference,
    infer_view,
    trunk_length_px,
)

#: A left/right pair tells the label order only when its points are this share of the trunk
#: length apart in x (closer, as in a turned trunk, and noise decides the order). Without a trunk
#: (a head-and-shoulders photo) the trunk length is taken as EARS_PER_TRUNK ear spreads (ears
#: ~0.4 shoulder spreads apart, shoulders ~0.8 trunk lengths: see core.measure.view).
ORDER_MIN_SPREAD = 0.15
EARS_PER_TRUNK = 3.0

#: Canonical index permutation that exchanges every left_* point with its right_* twin.
SWAP_INDEX = np.array(
    [
        INDEX[
            n.replace("left_", "right_") if n.startswith("left_") else n.replace("right_", "left_")
        ]
        for n in CANONICAL_NAMES
    ]
)


@dataclass(frozen=True)
class ViewChoice:
    """requested: the user's choice; inferred: the picture's reading (``ViewInference``); used: the
    view measured in; pose: the pose measured (left/right exchanged when ``swapped``); warnings:
    sentences for the user; side_sure: whether left and right are known to be the subject's own."""

    requested: str
    inferred: ViewInference
    used: str
    pose: Pose
    swapped: bool
    side_sure: bool
    warnings: tuple[str, ...]


def swap_sides(pose: Pose) -> Pose:
    """The pose with every left and right point exchanged (midpoints recomputed). The raw source
    points are dropped, so an overlay draws the corrected canonical points, not the model's labels;
    the flip test's two views are exchanged alike."""
    swapped = Pose.from_canonical(
        pose.xy[SWAP_INDEX],
        pose.scores[SWAP_INDEX],
        backend=pose.backend,
        model=pose.model,
        threshold=pose.threshold,
        box_xyxy=pose.box_xyxy,
    )
    if pose.flip_views is None:
        return swapped
    views = (pose.flip_views[0][SWAP_INDEX], pose.flip_views[1][SWAP_INDEX])
    return dataclasses.replace(swapped, flip_views=views)


def label_order(xy: np.ndarray) -> float:
    """+1 when the shoulder and hip labels put the subject's left on the image's right (as for a
    subject facing the camera), -1 when on its left, NaN when no pair is spread enough or the
    shoulders and hips disagree."""
    length = trunk_length_px(xy)
    if not np.isfinite(length):
        length = EARS_PER_TRUNK * abs(xy[INDEX["left_ear"], 0] - xy[INDEX["right_ear"], 0])
    signs = set()
    for joint in ("shoulder", "hip"):
        dx = xy[INDEX[f"left_{joint}"], 0] - xy[INDEX[f"right_{joint}"], 0]
        if np.isfinite(dx) and length > 0 and abs(dx) >= ORDER_MIN_SPREAD * length:
            signs.add(math.copysign(1.0, float(dx)))
    return signs.pop() if len(signs) == 1 else math.nan


def _contradiction(requested: str, seen: ViewInference) -> str:
    """A warning when the user's view contradicts a reading of the picture, else ""."""
    if seen.view is None or requested in ("auto", seen.view):
        return ""
    frontal_vs_side = (requested in FRONTAL) != (seen.view in FRONTAL)
    if frontal_vs_side or {requested, seen.view} == {"left", "right"}:
        clash = True
    else:  # front against back, or "side" against a side: only when the picture is sure
        clash = seen.sure and requested != "side" and seen.view != "side"
    if not clash:
        return ""
    return (
        f"you chose the {requested} view but the picture looks like a {seen.view} view "
        f"({'; '.join(seen.notes)}); measured as {requested}"
    )


def resolve_view(pose: Pose, requested: str = "auto") -> ViewChoice:
    """The view to measure ``pose`` in, the pose to measure, and what to tell the user.

    Parameters
    ----------
    pose : core.keypoints.Pose
    requested : one of ``VIEW_CHOICES``; "auto" measures in the inferred view ("front" when the
        picture cannot tell, with a warning).

    Returns
    -------
    ViewChoice. In a front or back view the facing is the picture's when it is sure, else the
    user's explicit "front"/"back"; labels that contradict a known facing are swapped back (both
    shoulders and hips must agree). When the facing is not known the labels stay as the model gave
    them and a warning says left and right are uncertain.
    """
    if requested not in VIEW_CHOICES:
        raise InputError(f"view must be one of {', '.join(VIEW_CHOICES)}; got {requested!r}")
    seen = infer_view(pose.xy)
    warnings: list[str] = []
    if requested == "auto":
        used = seen.view or "front"
        if seen.view is None:
            warnings.append("could not tell the view from the keypoints: measured as front")
        elif not seen.sure:
            warnings.append(f"view {seen.view} is a best guess: {'; '.join(seen.notes)}")
    else:
        used = requested
        clash = _contradiction(requested, seen)
        if clash:
            warnings.append(clash)
    swapped, side_sure = False, used not in FRONTAL
    if used in FRONTAL:
        if seen.view in FRONTAL and seen.facing_sure:
            facing = seen.view
        elif requested in FRONTAL:
            facing = requested
        else:
            facing = ""
        order, expected = label_order(pose.xy), {"front": 1.0, "back": -1.0}.get(facing)
        if expected is None or not np.isfinite(order):
            warnings.append(
                "left and right are uncertain: "
                + ("the labels' order is unclear" if expected else "facing not known")
                + "; kept as the model labelled them"
            )
        else:
            side_sure = True
            if order != expected:
                pose, swapped = swap_sides(pose), True
                where = "right" if facing == "front" else "left"
                warnings.append(
                    f"left and right were swapped back: seen from the {facing}, the subject's left "
                    f"is on the image's {where}, the pose model had labelled them the other way"
                )
    return ViewChoice(requested, seen, used, pose, swapped, side_sure, tuple(warnings))
