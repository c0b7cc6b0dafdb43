"""Input hygiene shared by the backends, and the capability errors of the interface."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import Backend, Capability, Segmentation, as_rgb, fit_for_inference
from core.errors import InputError, UnsupportedCapability


@pytest.mark.parametrize(
    "image",
    [np.zeros((0, 0, 3), np.uint8), np.zeros((10, 0, 3), np.uint8), np.zeros((4, 4, 2), np.uint8),
     np.zeros((4, 4, 3), np.float32), np.zeros(5, np.uint8), None],
)  # fmt: skip
def test_bad_images_raise_input_error(image):
    with pytest.raises(InputError):
        as_rgb(image)


def test_grayscale_and_rgba_become_rgb():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = as_rgb(gray)
    assert rgb.shape == (3, 4, 3) and (rgb[..., 2] == gray).all()
    assert as_rgb(gray[..., None]).shape == (3, 4, 3)
    rgba = np.dstack([np.full((3, 4), c, np.uint8) for c in (10, 20, 30, 0)])
    assert as_rgb(rgba)[0, 0].tolist() == [10, 20, 30]  # alpha dropped, colours kept


def test_fit_for_inference_scale_maps_back():
    image = np.zeros((100, 400, 3), np.uint8)
    small, scale = fit_for_inference(image, max_side=100)
    # longest side 400 -> 100: factor 4, so the small image is 25 x 100
    assert small.shape == (25, 100, 3) and scale == pytest.approx(4.0)
    same, one = fit_for_inference(image, max_side=400)
    assert same is image and one == 1.0


def test_unsupported_capability_names_a_backend_that_can():
    class Nothing(Backend):
        name = "nothing"

    backend = Nothing()
    assert not backend.supports(Capability.NORMALS)
    with pytest.raises(UnsupportedCapability, match="sapiens2"):
        backend.estimate_normals(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(UnsupportedCapability, match="lite"):
        backend.estimate_pose(np.zeros((4, 4, 3), np.uint8))
    assert backend.describe()["backend"] == "nothing"


def test_segmentation_masks():
    seg = Segmentation(np.array([[0, 1], [1, 0]], np.uint8), ("Background", "Person"))
    assert seg.person_mask.sum() == 2
    assert seg.mask_of("Person").tolist() == [[False, True], [True, False]]
    with pytest.raises(UnsupportedCapability, match="body-part"):
        seg.mask_of("Face_Neck")
