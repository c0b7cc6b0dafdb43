"""Skin ROI crops from a synthetic class map: boxes by hand, dimming, speckle, absent classes, zip."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.backends.base import Segmentation
from core.errors import InputError
from core.imaging.roi import crops_from_boxes, crops_zip, expand_box, skin_crops
from core.keypoints import extent_box
from core.sapiens2.classes import CLASS_ID

FACE, LEFT, RIGHT = CLASS_ID["Face_Neck"], CLASS_ID["Left_Hand"], CLASS_ID["Right_Hand"]


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """100x200 image of grey 200; a 20x40 face block, two left-hand blobs, one speckle pixel."""
    img = np.full((100, 200, 3), 200, np.uint8)
    cmap = np.zeros((100, 200), np.uint8)
    cmap[20:40, 50:90] = FACE  # rows 20..39, cols 50..89
    cmap[60:70, 10:20] = LEFT  # 100 px
    cmap[80:100, 170:200] = LEFT  # 600 px, touching the bottom-right corner
    cmap[5, 5] = RIGHT  # 1 px: speckle (minimum is ceil(0.0005 * 20000) = 10 px)
    return img, cmap


def test_face_box_with_margin_and_dimming():
    img, cmap = _scene()
    res = skin_crops(img, cmap, classes=("Face_Neck",), margin=0.15, dim=0.35)
    (crop,) = res.crops
    # Region x 50..90 (w 40), y 20..40 (h 20); margin: round(0.15*40) = 6, round(0.15*20) = 3.
    assert crop.box_xyxy == (44, 17, 96, 43)
    assert crop.image.shape == (26, 52, 3) and crop.mask.shape == (26, 52)
    assert crop.area_px == 800 and crop.label == "Face_Neck"
    assert tuple(crop.image[13, 26]) == (200, 200, 200)  # inside the region
    assert tuple(crop.image[0, 0]) == (70, 70, 70)  # margin: round(200 * 0.35) = 70
    assert res.reasons == []


def test_one_crop_per_region_largest_first_clipped_at_border():
    img, cmap = _scene()
    res = skin_crops(img, cmap, classes=("Left_Hand",), margin=0.1)
    assert [c.label for c in res.crops] == ["Left_Hand", "Left_Hand"]
    big, small = res.crops
    # Big: x 170..200 (w 30), y 80..100 (h 20); growth 3 and 2 px, clipped at the image's 200/100.
    assert big.box_xyxy == (167, 78, 200, 100)
    # Small: x 10..20, y 60..70; growth round(1.0) = 1 px each side.
    assert small.box_xyxy == (9, 59, 21, 71)


def test_absent_and_speckle_classes_give_reasons():
    img, cmap = _scene()
    res = skin_crops(img, cmap)
    assert {c.label for c in res.crops} == {"Face_Neck", "Left_Hand"}
    assert res.reasons == ["Right_Hand: only small regions found (largest 1 px, minimum 10 px)"]
    res = skin_crops(img, np.zeros_like(cmap), classes=("Face_Neck",))
    assert res.crops == [] and res.reasons == ["Face_Neck: not found in the image"]


def test_lite_segmentation_has_no_body_parts():
    img, _ = _scene()
    seg = Segmentation(np.ones((100, 200), np.uint8), ("background", "person"))
    res = skin_crops(img, seg)
    assert res.crops == [] and len(res.reasons) == 3
    assert "sapiens2" in res.reasons[0]


def test_crops_from_boxes_and_extent_box():
    img, _ = _scene()
    res = crops_from_boxes(
        img, [(10, 10, 30, 20), None, (500, 500, 600, 600)], ["face", "hand", "off"], margin=0.5
    )
    # (10,10,30,20): w 20, h 10 -> growth 10 and 5 -> (0, 5, 40, 25).
    assert [c.box_xyxy for c in res.crops] == [(0, 5, 40, 25)]
    assert res.crops[0].mask is None and res.crops[0].image.shape == (20, 40, 3)
    assert (
        res.reasons[0] == "hand: not found in the image" and "outside the image" in res.reasons[1]
    )
    assert extent_box(np.array([[3.0, 4.0], [np.nan, 1.0], [7.0, 2.0]])) == (3.0, 2.0, 7.0, 4.0)
    assert extent_box(np.full((21, 2), np.nan)) is None


def test_zip_holds_metadata_free_pngs_and_is_reproducible():
    img, cmap = _scene()
    crops = skin_crops(img, cmap).crops
    data = crops_zip(crops)
    assert data == crops_zip(crops)  # fixed timestamps: same input, same bytes
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["00_Face_Neck.png", "01_Left_Hand.png", "02_Left_Hand.png"]
        im = Image.open(io.BytesIO(zf.read("00_Face_Neck.png")))
        assert im.size == (52, 26) and len(im.getexif()) == 0
        np.testing.assert_array_equal(np.asarray(im), crops[0].image)


def test_bad_inputs():
    img, cmap = _scene()
    with pytest.raises(InputError, match="dim"):
        skin_crops(img, cmap, dim=2.0)
    with pytest.raises(InputError, match="must match"):
        skin_crops(img, cmap[:50])
    with pytest.raises(InputError, match="one label per box"):
        crops_from_boxes(img, [(0, 0, 1, 1)], [])
    with pytest.raises(InputError, match="margin"):
        expand_box((0, 0, 1, 1), (10, 10), margin=-0.1)
