"""Second looks for a photo in which the pose detector found nobody: crops around the person mask,
then overlapping square tiles, with the keypoints mapped back to the whole image.

MediaPipe's person detector letterboxes the whole image to 224x224, so a person 400 px tall in a
1768x994 frame is about 50 px tall where the detector looks, and often missed. Upscaling the image
changes nothing (the letterbox shrinks it back); a crop is what makes the person larger there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from core.keypoints import INDEX, Pose
from core.types import clip_box

#: How a photo's people were found (``Detection.found_by``).
FULL_IMAGE, MASK_CROP, TILE = "full_image", "mask_crop", "tile"
FOUND_BY = (FULL_IMAGE, MASK_CROP, TILE)

Box = tuple[int, int, int, int]
Estimate = Callable[[np.ndarray], list[Pose]]
#: A look inside a box (a given box, a one-view person's second view) pads it by this share of
#: its width and height on each side, so a limb the box cut off is whole in the crop.
CROP_PAD = 0.25


def padded_crop(
    box: tuple[float, float, float, float], width: int, height: int, pad: float = CROP_PAD
) -> Box:
    """``box`` (x1, y1, x2, y2) grown by ``pad`` of its size each side and cut to the picture, in
    whole pixels."""
    x1, y1, x2, y2 = box
    pad_x, pad_y = pad * (x2 - x1), pad * (y2 - y1)
    cx1, cy1, cx2, cy2 = clip_box((x1 - pad_x, y1 - pad_y, x2 + pad_x, y2 + pad_y), width, height)
    return int(cx1), int(cy1), int(cx2), int(cy2)


PersonMask = Callable[[np.ndarray], np.ndarray]

#: Tile sides as shares of the image's shorter side; every level is tried. 1.0: full-height squares
#: across a wide frame (the walker case); 0.6: smaller squares for people well under half the
#: frame height.
TILE_SHARES = (1.0, 0.6)
#: Tiles overlap so that anyone up to half a tile's side lies wholly inside one of them.
MAX_STRIDE_SHARE = 0.5
#: Smaller crops hold too few pixels for the 256x256 landmark model to be worth a try.
MIN_CROP_SIDE = 96
#: Mask components smaller than this share of the image are noise of the selfie segmenter.
MIN_MASK_SHARE = 2e-4
#: At most this many mask components are tried (largest first).
MAX_MASK_CROPS = 4
#: A crop around a mask component is this many times the component's longer side (the component
#: may be only a part of the person), and at least half the image's shorter side.
MASK_CROP_GROWTH = 1.5
#: A second look must see at least this many of the 12 limb points (shoulders to ankles): tiles of an
#: empty photo otherwise now and then yield a "person" made of a few low-visibility guesses.
MIN_LIMB_POINTS = 4
#: Two finds whose boxes overlap this much (IoU), or whose smaller box lies this much inside the
#: other, are one person seen in two overlapping crops.
SAME_IOU, SAME_INSIDE = 0.5, 0.8

_LIMBS = [
    INDEX[f"{side}_{joint}"]
    for side in ("left", "right")
    for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
]


def shift_pose(pose: Pose, dx: float, dy: float) -> Pose:
    """The same pose in a frame whose origin is (-dx, -dy): crop coordinates back to the image."""
    offset = np.array([dx, dy], dtype=np.float64)
    box = pose.box_xyxy
    return Pose(
        pose.xy + offset,
        pose.scores,
        pose.backend,
        pose.model,
        pose.threshold,
        None if box is None else (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy),
        None if pose.source_xy is None else pose.source_xy + offset,
        pose.source_scores,
        None
        if pose.flip_views is None
        else (pose.flip_views[0] + offset, pose.flip_views[1] + offset),
    )


def square_tiles(width: int, height: int, share: float) -> list[Box]:
    """Overlapping squares (x1, y1, x2, y2 pixels) of side ``share`` x the shorter image side that
    cover the image, neighbours at most half a side apart; [] when a side would be under
    ``MIN_CROP_SIDE`` or the one tile would be the whole image."""
    side = int(round(share * min(width, height)))
    if side < MIN_CROP_SIDE or (side >= width and side >= height):
        return []

    def starts(length: int) -> np.ndarray:
        n = max(1, math.ceil((length - side) / (MAX_STRIDE_SHARE * side)) + 1)
        return np.linspace(0, max(0, length - side), n).round().astype(int)

    return [
        (int(x), int(y), int(min(width, x + side)), int(min(height, y + side)))
        for y in starts(height)
        for x in starts(width)
    ]


def mask_crops(mask: np.ndarray) -> list[Box]:
    """Square crops (x1, y1, x2, y2 pixels, clipped to the image) around the largest components of a
    (H, W) person mask, largest first; [] for an empty mask."""
    import cv2

    height, width = mask.shape[:2]
    n, _, stats, centroids = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8))
    order = sorted(range(1, n), key=lambda i: stats[i, cv2.CC_STAT_AREA], reverse=True)
    crops: list[Box] = []
    for i in order[:MAX_MASK_CROPS]:
        if stats[i, cv2.CC_STAT_AREA] < MIN_MASK_SHARE * width * height:
            break
        x, y, w, h = stats[i, :4]
        side = max(MASK_CROP_GROWTH * max(w, h), 0.5 * min(width, height), MIN_CROP_SIDE)
        cx, cy = x + w / 2, y + h / 2
        box = (
            int(max(0, cx - side / 2)),
            int(max(0, cy - side / 2)),
            int(min(width, cx + side / 2)),
            int(min(height, cy + side / 2)),
        )
        if min(box[2] - box[0], box[3] - box[1]) >= MIN_CROP_SIDE:
            crops.append(box)
    return crops


def _limb_points(pose: Pose) -> int:
    return int(np.all(np.isfinite(pose.xy[_LIMBS]), axis=1).sum())


def _quality(pose: Pose) -> tuple[int, float]:
    scores = pose.scores[np.isfinite(pose.scores)]
    return pose.n_present, float(scores.mean()) if scores.size else 0.0


def _cut(box: tuple[float, ...], crop: Box, width: int, height: int) -> bool:
    """True when ``box`` (image pixels) reaches an edge of ``crop`` that lies inside the image:
    the person runs on beyond the crop, so another crop sees more of them."""
    x1, y1, x2, y2 = crop
    near = 2.0  # pixels: MediaPipe's mask boxes end on the crop's last pixel row or column
    return bool(
        (x1 > 0 and box[0] <= x1 + near)
        or (y1 > 0 and box[1] <= y1 + near)
        or (x2 < width and box[2] >= x2 - near)
        or (y2 < height and box[3] >= y2 - near)
    )


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    smaller = min(area_a, area_b)
    return (union > 0 and inter / union > SAME_IOU) or (
        smaller > 0 and inter / smaller > SAME_INSIDE
    )


def best_unique(poses: list[Pose]) -> list[Pose]:
    """One pose per person, largest box first: of finds of the same person (overlapping boxes)
    the one with the most present keypoints, then the higher mean score, is kept."""
    kept: list[Pose] = []
    for pose in sorted(poses, key=_quality, reverse=True):
        if pose.box is not None and not any(_same(pose.box, k.require_box()) for k in kept):
            kept.append(pose)

    def area(p: Pose) -> float:
        x1, y1, x2, y2 = p.require_box()
        return (x2 - x1) * (y2 - y1)

    return sorted(kept, key=area, reverse=True)


def finds_in_crops(rgb: np.ndarray, crops: list[Box], estimate: Estimate) -> list[Pose]:
    """Everyone ``estimate`` finds in the crops of ``rgb``, in whole-image pixels.

    Dropped: finds with fewer than ``MIN_LIMB_POINTS`` limb points, and finds cut by an edge of
    their crop that lies inside the image. Neighbouring crops overlap by half a side, so a person
    who runs on past one crop's edge is seen whole in another; what remains cut is a fragment, or a
    "person" the landmark model makes up from a crop filled by something else (on the shared hand
    close-up every phantom skeleton fills its tile edge to edge, with visibilities up to 1.0).
    """
    height, width = rgb.shape[:2]
    found = []
    for crop in crops:
        x1, y1, x2, y2 = crop
        for pose in estimate(rgb[y1:y2, x1:x2]):
            if _limb_points(pose) >= MIN_LIMB_POINTS and pose.box is not None:
                moved = shift_pose(pose, x1, y1)
                if not _cut(moved.require_box(), crop, width, height):
                    found.append(moved)
    return found


def second_look(
    rgb: np.ndarray, estimate: Estimate, person_mask: PersonMask | None = None
) -> tuple[list[Pose], str | None]:
    """(poses largest first, how the largest was found) for an RGB photo in which ``estimate``
    found nobody on the whole image; ([], None) when every look fails.

    Every look is taken (crops around ``person_mask``'s components, then each level of
    ``TILE_SHARES``) so that a photo of several small people reports all of them; one person seen
    in several crops is kept once (:func:`best_unique`).
    """
    height, width = rgb.shape[:2]
    looks = [] if person_mask is None else [(MASK_CROP, mask_crops(person_mask(rgb)))]
    looks += [(TILE, square_tiles(width, height, share)) for share in TILE_SHARES]
    found: list[Pose] = []
    how: dict[int, str] = {}
    for kind, crops in looks:
        for pose in finds_in_crops(rgb, crops, estimate):
            found.append(pose)
            how[id(pose)] = kind
    poses = best_unique(found)
    return poses, how[id(poses[0])] if poses else None
