"""The lite backend's raw poses and its flip test: a photo and its mirror image, poses averaged.

MediaPipe's pose landmarker has no flip test of its own, and on real photos it moves hip, knee and
foot landmarks by 10-30 px between a photo and its mirror image while scoring them 0.8-1.0
(docs/VALIDATION.md). Here the mirror image's poses are mapped back (x -> width - x, left and
right landmarks swapped), each pose is matched to its mirrored twin by box IoU, and matched
landmarks are averaged: positions by plain mean, visibility by mean. Plain, not score-weighted:
MediaPipe's visibility says whether a point is in view, not how well it is placed, and the two
views are symmetric, so neither deserves more weight (Sapiens2's flip test averages its two
heatmaps the same way). Where the two views place a landmark more than ``DISAGREE_FRACTION`` of
the body height apart, an average would be two different answers blended into a third: the point
keeps the photo's own (unmirrored) position and its visibility is lowered to ``doubt_score``
(between the keypoint threshold and the reliable score), so it stays drawn but every measure
using it is flagged unreliable (core/measure/confidence.py).

A pose without a mirrored twin is kept as the view that found it gave it (on the whole image; in
a crop, the photo's only). On the whole image such a one-view person gets a second look: the
flip test on a crop around them, whose answer stands in for the missing view (merged, compared and
scored the same way), so their measures are checked like everyone else's; when the crop does not
find them either, the pose stays one view. Photos only: video frames
(VIDEO mode) never run it, so the gait and desk-watch paths cost what they did.

Last, one result's people are put largest first without a second find of the same person
(:func:`largest_first_unique`), photos and video frames alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from core.backends.crops import padded_crop
from core.backends.lite_tasks import mp_image
from core.keypoints import MEDIAPIPE_NAMES, Pose, extent_box
from core.types import area, clip_box, inside_share, iou

#: Two views placing a landmark further apart than this share of the body height disagree. Half
#: the gap is each view's error from the mean; on a thigh (about a quarter of the body height) a
#: 4% gap turns the segment by up to about 9 degrees, beyond the 6-degree consistency bar.
DISAGREE_FRACTION = 0.04
#: A pose and its mirrored twin overlap at least this much (box IoU); below it they are two people.
TWIN_IOU = 0.5


class RawPose(NamedTuple):
    """MediaPipe's 33 landmarks in pixels (33, 2), their visibility (33,), and the person box;
    views: after a flip test, the photo's and the mirror's own landmarks (each (33, 2), the mirror
    mapped back), which the measures' confidence compares (core/measure/confidence.py)."""

    xy: np.ndarray
    visibility: np.ndarray
    box: tuple[float, float, float, float]
    views: tuple[np.ndarray, np.ndarray] | None = None


#: Two poses whose boxes overlap more than this are one person found twice (VIDEO-mode re-detection).
DUPLICATE_IOU = 0.6
#: Without a mask, a re-detection may cover only part of the body (e.g. a walker leaving the frame):
#: a landmark box lying this much inside a larger box is that person again.
DUPLICATE_INSIDE = 0.9


def box_area(pose: Pose) -> float:
    """The pose's box area, pixels (0 without a box)."""
    return 0.0 if pose.box is None else area(pose.box)


def _mirror_order() -> np.ndarray:
    """For each of the 33 landmark ids, the id of its mirror twin (left <-> right; nose itself)."""
    index = {name: i for i, name in enumerate(MEDIAPIPE_NAMES)}

    def twin(name: str) -> str:
        for a, b in (("left", "right"), ("right", "left")):
            if a in name:
                return name.replace(a, b)
        return name

    return np.array([index[twin(name)] for name in MEDIAPIPE_NAMES])


#: ``MIRROR_ORDER[i]``: the landmark id that lands on id ``i`` once a mirror image is mapped back.
MIRROR_ORDER = _mirror_order()


def unmirror(pose: RawPose, width: float) -> RawPose:
    """A pose found in the mirror image (flipped left-right), in the original image's frame."""
    xy = np.array(pose.xy, dtype=np.float64)[MIRROR_ORDER]
    xy[:, 0] = width - xy[:, 0]
    x1, y1, x2, y2 = pose.box
    return RawPose(
        xy, np.asarray(pose.visibility, np.float64)[MIRROR_ORDER], (width - x2, y1, width - x1, y2)
    )


def merge(pose: RawPose, twin: RawPose, *, doubt_score: float) -> tuple[RawPose, int]:
    """The two views of one person averaged, and how many landmarks they disagree on."""
    xy = (pose.xy + twin.xy) / 2.0
    visibility = (pose.visibility + twin.visibility) / 2.0
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = pose.box, twin.box
    box = (min(ax1, bx1), min(ay1, by1), max(ax2, bx2), max(ay2, by2))
    height = box[3] - box[1]
    gap = np.linalg.norm(pose.xy - twin.xy, axis=1)  # NaN where either view lacks the point
    doubtful = np.isfinite(gap) & (gap > DISAGREE_FRACTION * height)
    visibility = np.where(doubtful, np.fmin(visibility, doubt_score), visibility)
    xy = np.where(doubtful[:, None], pose.xy, xy)  # the photo's own answer, not a blend of two
    return RawPose(xy, visibility, box, (pose.xy, twin.xy)), int(doubtful.sum())


def flip_merge(
    poses: list[RawPose],
    mirrored: list[RawPose],
    width: float,
    *,
    doubt_score: float,
    mirror_only: bool = False,
) -> tuple[list[RawPose], int]:
    """Each original pose averaged with its twin from the mirror image (``mirrored`` as found
    there, not yet mapped back); the total of disagreeing landmarks.

    Twins are paired best overlap first over all pairs, so the pairing does not depend on which
    of the two images is the photo: the photo and its mirror image pair the same people. A photo
    pose without a twin is kept as the photo gave it. A mirror pose without one is kept (mapped
    back) when ``mirror_only``: the whole image's pass sets it, so a photo and its mirror image
    find the same people (MediaPipe finds a person in one view of a photo and misses them in the
    other). The second looks' crops and tiles do not: there such one-view poses were seen 50 px
    off the person's own points (tests/backends/test_lite_retry.py).
    """
    back = [unmirror(m, width) for m in mirrored]
    pairs = sorted(
        ((iou(p.box, m.box), i, j) for i, p in enumerate(poses) for j, m in enumerate(back)),
        key=lambda pair: pair[0],
        reverse=True,
    )
    twin: dict[int, int] = {}
    for overlap, i, j in pairs:
        if overlap < TWIN_IOU:
            break
        if i not in twin and j not in twin.values():
            twin[i] = j
    out, doubtful = [], 0
    for i, pose in enumerate(poses):
        if i not in twin:
            out.append(pose)
            continue
        merged, n = merge(pose, back[twin[i]], doubt_score=doubt_score)
        out.append(merged)
        doubtful += n
    if mirror_only:
        out += [m for j, m in enumerate(back) if j not in twin.values()]
    return out, doubtful


def shift_raw(pose: RawPose, dx: float, dy: float) -> RawPose:
    """A crop's raw pose in the frame of the image the crop was cut from (origin at -dx, -dy)."""
    offset = np.array([dx, dy], dtype=np.float64)
    x1, y1, x2, y2 = pose.box
    views = None if pose.views is None else (pose.views[0] + offset, pose.views[1] + offset)
    return RawPose(pose.xy + offset, pose.visibility, (x1 + dx, y1 + dy, x2 + dx, y2 + dy), views)


def best_twin(pose: RawPose, candidates: list[RawPose]) -> RawPose | None:
    """The candidate overlapping ``pose`` most, if by at least :data:`TWIN_IOU` (else None)."""
    scored = [(iou(pose.box, c.box), i) for i, c in enumerate(candidates)]
    overlap, i = max(scored, default=(0.0, -1))
    return candidates[i] if overlap >= TWIN_IOU else None


def second_views(
    raw: list[RawPose],
    look: Callable[[tuple[int, int, int, int]], list[RawPose]],
    width: int,
    height: int,
    *,
    from_masks: bool,
    doubt_score: float,
) -> list[RawPose]:
    """``raw`` (a whole photo's people after the flip test) with each person whom one view found
    merged with ``look``'s find of them in a crop around them (``look(crop)``: the flip test's
    people in that crop, in its pixels), the crop's answer standing in for the missing view;
    unchanged when the crop does not show them. Not for a partial second find of someone both
    views found, which :func:`largest_first_unique` drops: merged with the crop's view of that
    whole person it would outgrow and replace them."""
    both = [pose.box for pose in raw if pose.views is not None]
    out = []
    for pose in raw:
        if pose.views is not None or any(
            same_person(pose.box, box, from_masks=from_masks) for box in both
        ):
            out.append(pose)
            continue
        crop = padded_crop(pose.box, width, height)
        twin = best_twin(pose, [shift_raw(p, crop[0], crop[1]) for p in look(crop)])
        out.append(pose if twin is None else merge(pose, twin, doubt_score=doubt_score)[0])
    return out


def doubt_score(threshold: float, reliable: float) -> float:
    """A visibility that keeps a point found (>= ``threshold``) but below the reliable score."""
    return min(max(threshold, (threshold + reliable) / 2.0), np.nextafter(reliable, 0.0))


def mask_box(mask: np.ndarray, scale: float) -> np.ndarray | None:
    """[[x1, y1], [x2, y2]] (pixels of the original image) around mask > 0.5, or None when empty."""
    import cv2

    # boundingRect of a binary image is one vectorised pass; np.nonzero built index arrays of
    # every foreground pixel (~7 ms per 1080p mask).
    x, y, w, h = cv2.boundingRect((mask > 0.5).view(np.uint8))
    if w == 0 or h == 0:
        return None
    return np.array([[x, y], [x + w, y + h]], dtype=np.float64) * scale


def raw_poses(result: Any, width: int, height: int, scale: float) -> list[RawPose]:
    """The poses of one MediaPipe result in original-image pixels; boxes from the landmarks and,
    where the result has them, the person masks."""
    poses: list[RawPose] = []
    masks = result.segmentation_masks or []
    for i, landmarks in enumerate(result.pose_landmarks):
        # Normalised coordinates do not depend on the inference resolution: scale by the original size.
        xy = np.array([[lm.x * width, lm.y * height] for lm in landmarks], dtype=np.float64)
        vis = np.array([np.nan if lm.visibility is None else lm.visibility for lm in landmarks])
        pts = [xy]
        if i < len(masks):
            found = mask_box(masks[i].numpy_view()[..., 0], scale)
            if found is not None:
                pts.append(found)
        extent = extent_box(np.concatenate(pts))
        if extent is None:
            continue  # not one finite landmark: nobody to place
        poses.append(RawPose(xy, vis, clip_box(extent, width, height)))
    return poses


def same_person(
    a: tuple[float, float, float, float],
    b: tuple[float, float, float, float],
    *,
    from_masks: bool,
) -> bool:
    """Two boxes of one result that are one person found twice (IoU, or for landmark-only boxes
    also containment)."""
    return iou(a, b) > DUPLICATE_IOU or (not from_masks and inside_share(a, b) > DUPLICATE_INSIDE)


def largest_first_unique(poses: list[Pose], *, from_masks: bool = True) -> list[Pose]:
    """Largest first, without a second find of someone already kept (:func:`same_person`)."""
    kept: list[Pose] = []
    for pose in sorted(poses, key=box_area, reverse=True):
        if pose.box is None or not any(
            k.box is not None and same_person(pose.box, k.box, from_masks=from_masks) for k in kept
        ):
            kept.append(pose)
    return kept


def video_frame_raw(
    task: Any,
    mirror_task: Any | None,
    small: np.ndarray,
    size: tuple[int, int],
    scale: float,
    timestamp_ms: int,
    *,
    doubt_score: float,
) -> tuple[list[RawPose], bool]:
    """One video frame's raw poses in pixels of the ``size`` (width, height) original, and
    whether their boxes come from person masks. With a ``mirror_task`` (the flip test: a VIDEO-mode
    landmarker of its own follows the mirrored stream) the mirrored frame's are merged in, as for
    a photo (:func:`flip_merge`, mirror-only finds kept). The two run one after the other: on a
    second thread the pair took 1.4 passes instead of 2, but a CI run then hung inside
    MediaPipe's dispatcher (its worker pool grew, the garbage collector ran a dropped backend's
    finaliser there, and that finaliser's close waited on the pool's own lock)."""
    width, height = size
    if mirror_task is None:
        result = task.detect_for_video(mp_image(small), timestamp_ms)
        return raw_poses(result, width, height, scale), bool(result.segmentation_masks)
    result = task.detect_for_video(mp_image(small), timestamp_ms)
    mirror = mirror_task.detect_for_video(mp_image(small[:, ::-1]), timestamp_ms)
    raw = flip_merge(raw_poses(result, width, height, scale),
                     raw_poses(mirror, width, height, scale), width,
                     doubt_score=doubt_score, mirror_only=True)[0]  # fmt: skip
    return raw, bool(result.segmentation_masks)
