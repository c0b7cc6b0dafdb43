"""Pre-processing (SPEC.md 4): RGB uint8 images -> normalised network input, and the geometry to undo it.

All geometric ops are OpenCV calls on the uint8 image; they act per channel, so feeding RGB gives
the same pixels as the official BGR path with the channel order reversed.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from core.errors import InputError
from core.types import check_rgb

#: Per-channel RGB mean and std on the 0-255 scale (they travel with the model).
MEAN_RGB = (123.675, 116.28, 103.53)
STD_RGB = (58.395, 57.12, 57.375)
BBOX_PADDING = 1.25


#: ``image`` if it is an RGB uint8 (H, W, 3) array, else ``InputError``: the project's one check.
check_image = check_rgb


def normalize(images_rgb: np.ndarray) -> torch.Tensor:
    """(B, H, W, 3) or (H, W, 3) uint8 RGB -> (B, 3, H, W) float32, ``(v - mean) / std``."""
    x = torch.from_numpy(np.ascontiguousarray(images_rgb))
    if x.ndim == 3:
        x = x[None]
    x = x.permute(0, 3, 1, 2).float()
    mean = torch.tensor(MEAN_RGB).view(1, 3, 1, 1)
    std = torch.tensor(STD_RGB).view(1, 3, 1, 1)
    return (x - mean) / std


def bbox_center_scale(
    boxes_xyxy: np.ndarray, *, input_hw: tuple[int, int], padding: float = BBOX_PADDING
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N, 4) x1 y1 x2 y2 -> centres (N, 2) and padded, aspect-fixed sizes (N, 2), float32 pixels.

    The size is the box times ``padding``, then widened or heightened to the input's w/h ratio.
    """
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    center = (boxes[:, 2:] + boxes[:, :2]) * 0.5
    scale = (boxes[:, 2:] - boxes[:, :2]) * padding
    aspect = input_hw[1] / input_hw[0]
    w, h = scale[:, :1], scale[:, 1:]
    scale = np.where(w > h * aspect, np.hstack([w, w / aspect]), np.hstack([h * aspect, h]))
    return center.astype(np.float32), scale.astype(np.float32)


def udp_warp_matrix(
    center: np.ndarray, scale: np.ndarray, *, input_hw: tuple[int, int]
) -> np.ndarray:
    """(2, 3) float32 affine mapping the box (centre, size) onto the input with UDP's (size - 1) scaling."""
    sx = (input_hw[1] - 1) / float(scale[0])
    sy = (input_hw[0] - 1) / float(scale[1])
    tx = sx * (-float(center[0]) + 0.5 * float(scale[0]))
    ty = sy * (-float(center[1]) + 0.5 * float(scale[1]))
    return np.array([[sx, 0.0, tx], [0.0, sy, ty]], dtype=np.float32)


def crop_person(
    image: np.ndarray, center: np.ndarray, scale: np.ndarray, *, input_hw: tuple[int, int]
) -> np.ndarray:
    """The (input_h, input_w, 3) uint8 crop of one person, black outside the image.

    Shrinking warps are bilinear (OpenCV's warpAffine maps the official INTER_AREA request to it),
    enlarging ones bicubic.
    """
    m = udp_warp_matrix(center, scale, input_hw=input_hw)
    flags = cv2.INTER_LINEAR if min(m[0, 0], m[1, 1]) < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(image, m, (input_hw[1], input_hw[0]), flags=flags)


def resize_stretch(image: np.ndarray, *, input_hw: tuple[int, int]) -> np.ndarray:
    """Seg input: plain resize to (input_h, input_w), aspect not kept; area when narrowing, else cubic."""
    interp = cv2.INTER_AREA if input_hw[1] < image.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(image, (input_hw[1], input_hw[0]), interpolation=interp)


def letterbox(
    image: np.ndarray, *, input_hw: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Normal/pointmap input: resize keeping aspect (bilinear), centre, pad black.

    Returns the (input_h, input_w, 3) uint8 image and the padding (left, top, right, bottom) in pixels.
    """
    h, w = image.shape[:2]
    s = min(input_hw[1] / w, input_hw[0] / h)
    new_w, new_h = max(1, int(w * s)), max(1, int(h * s))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    left, top = (input_hw[1] - new_w) // 2, (input_hw[0] - new_h) // 2
    right, bottom = input_hw[1] - new_w - left, input_hw[0] - new_h - top
    padded = cv2.copyMakeBorder(
        resized, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(0, 0, 0)
    )
    return padded, (left, top, right, bottom)


def select_boxes(
    boxes_xyxy: np.ndarray, scores: np.ndarray, *, score_thr: float = 0.3, iou_thr: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Person boxes with score > ``score_thr`` after greedy NMS (IoU > ``iou_thr`` suppressed).

    Areas use the official "+1 pixel" convention. Returns (M, 4) boxes and (M,) scores by
    descending score.
    """
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    if len(boxes) != len(scores):
        raise InputError(f"{len(boxes)} boxes but {len(scores)} scores")
    keep_mask = scores > score_thr
    boxes, scores = boxes[keep_mask], scores[keep_mask]
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= iou_thr]
    return boxes[keep], scores[keep]
