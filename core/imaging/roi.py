"""Skin region crops (face/neck, hands) for a downstream classifier, and their metadata-free zip.

From a body-part class map each connected region of a requested class becomes one crop, with a
margin around it and everything outside the region dimmed, so the classifier sees the skin and
some context. Regions too small to be useful (segmentation speckle) are dropped; a class with no
usable region yields no crop and a reason the page can show.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from core.errors import InputError
from core.imaging._arrays import check_class_map, check_rgb
from core.imaging.decode import encode_png
from core.labels.classes import CLASS_NAMES
from core.types import Segmentation

SKIN_CLASSES: tuple[str, ...] = ("Face_Neck", "Left_Hand", "Right_Hand")


@dataclass(frozen=True)
class Crop:
    """One region: ``label``, its box (x1, y1, x2, y2) in source pixels (ints, x2/y2 exclusive),
    the cropped RGB uint8 image (y2-y1, x2-x1, 3) and the region's (y2-y1, x2-x1) bool mask in
    the crop (None for a box-only crop)."""

    label: str
    box_xyxy: tuple[int, int, int, int]
    image: np.ndarray = field(repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def area_px(self) -> int:
        """Pixels of the region itself (of the box when there is no mask)."""
        if self.mask is None:
            return int(self.image.shape[0] * self.image.shape[1])
        return int(self.mask.sum())


@dataclass(frozen=True)
class CropResult:
    """Crops in request order (largest region first within a class), and why a class has none."""

    crops: list[Crop]
    reasons: list[str]


def expand_box(
    box: tuple[float, float, float, float], shape: tuple[int, ...], *, margin: float
) -> tuple[int, int, int, int]:
    """Grow ``box`` (x1, y1, x2, y2; x2/y2 exclusive) by ``margin`` times its width/height on each side.

    The growth per side is rounded to whole pixels, then the box is clipped to the image ``shape``.
    """
    if margin < 0:
        raise InputError(f"margin must be >= 0, got {margin}")
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = round(margin * (x2 - x1)), round(margin * (y2 - y1))
    h, w = shape[:2]
    return (
        max(0, int(np.floor(x1)) - dx),
        max(0, int(np.floor(y1)) - dy),
        min(w, int(np.ceil(x2)) + dx),
        min(h, int(np.ceil(y2)) + dy),
    )


def _class_ids(class_map: np.ndarray | Segmentation) -> tuple[np.ndarray, Sequence[str]]:
    if isinstance(class_map, Segmentation):
        return class_map.class_map, class_map.class_names
    return class_map, CLASS_NAMES


def skin_crops(
    image: np.ndarray,
    class_map: np.ndarray | Segmentation,
    *,
    classes: Sequence[str] = SKIN_CLASSES,
    margin: float = 0.15,
    dim: float = 0.35,
    min_area_frac: float = 0.0005,
) -> CropResult:
    """One crop per connected region of each requested class.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    class_map : (H, W) int Sapiens2 class ids, or Segmentation (its own class names are used)
    classes : sequence of class names
    margin : float
        Box growth on each side, as a fraction of the region's width/height.
    dim : float in [0, 1]
        Brightness kept outside the region inside the crop (0 = black, 1 = not dimmed).
    min_area_frac : float
        Regions smaller than this fraction of the image's pixels are dropped as speckle.

    Returns
    -------
    CropResult: ``crops`` and, for each class without a crop, a reason in ``reasons``.
    """
    rgb = check_rgb(image)
    ids, names = _class_ids(class_map)
    ids = check_class_map(ids, rgb.shape)
    if not 0.0 <= dim <= 1.0:
        raise InputError(f"dim must be within [0, 1], got {dim}")
    if not 0.0 <= min_area_frac < 1.0:
        raise InputError(f"min_area_frac must be within [0, 1), got {min_area_frac}")
    min_area = max(1, int(np.ceil(min_area_frac * ids.size)))
    crops: list[Crop] = []
    reasons: list[str] = []
    for label in classes:
        if label not in names:
            reasons.append(
                f"{label}: this segmentation has no such class (body parts need the sapiens2 backend)"
            )
            continue
        region = (ids == names.index(label)).astype(np.uint8)
        if not region.any():
            reasons.append(f"{label}: not found in the image")
            continue
        n, comp, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
        keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
        if not keep:
            largest = int(stats[1:, cv2.CC_STAT_AREA].max())
            reasons.append(
                f"{label}: only small regions found (largest {largest} px, minimum {min_area} px)"
            )
            continue
        for i in sorted(keep, key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
            x, y, bw, bh = (int(v) for v in stats[i, :4])
            x1, y1, x2, y2 = expand_box((x, y, x + bw, y + bh), rgb.shape, margin=margin)
            mask = comp[y1:y2, x1:x2] == i
            tile = rgb[y1:y2, x1:x2]
            out = np.where(mask[..., None], tile, np.rint(tile * dim).astype(np.uint8))
            crops.append(Crop(label, (x1, y1, x2, y2), out, mask))
    return CropResult(crops, reasons)


def crops_from_boxes(
    image: np.ndarray,
    boxes: Sequence[tuple[float, float, float, float] | None],
    labels: Sequence[str],
    *,
    margin: float = 0.15,
) -> CropResult:
    """Crops around given boxes (e.g. the lite backend's face box, a box around hand landmarks).

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    boxes : sequence of (x1, y1, x2, y2) pixels, or None for "not found"
    labels : sequence of str, one per box
    margin : float
        Box growth on each side, as a fraction of the box's width/height.

    Returns
    -------
    CropResult with box-only crops (``mask`` None, nothing dimmed) and a reason for every box that
    is missing or lies outside the image.
    """
    rgb = check_rgb(image)
    if len(boxes) != len(labels):
        raise InputError(f"got {len(boxes)} boxes but {len(labels)} labels; give one label per box")
    crops: list[Crop] = []
    reasons: list[str] = []
    for box, label in zip(boxes, labels):
        if box is None:
            reasons.append(f"{label}: not found in the image")
            continue
        x1, y1, x2, y2 = expand_box(box, rgb.shape, margin=margin)
        if x2 <= x1 or y2 <= y1:
            reasons.append(f"{label}: the box {tuple(box)} lies outside the image")
            continue
        crops.append(Crop(label, (x1, y1, x2, y2), rgb[y1:y2, x1:x2].copy()))
    return CropResult(crops, reasons)


def crops_zip(crops: Sequence[Crop]) -> bytes:
    """A zip of the crops as PNGs without metadata, named ``NN_<label>.png`` in order.

    Entry timestamps are fixed (1980-01-01), so the same crops always give the same bytes and
    the archive leaks no capture or export time.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i, crop in enumerate(crops):
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in crop.label)
            info = zipfile.ZipInfo(f"{i:02d}_{safe}.png", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, encode_png(crop.image))
    return buf.getvalue()
