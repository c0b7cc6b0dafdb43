"""Dense post-processing on hand-checked inputs (SPEC.md 5.2-5.4)."""

from __future__ import annotations

import torch
from numpy.testing import assert_allclose

from core.sapiens2.postprocess import gaussian_blur, metric_pointmap, seg_class_map, unit_normals


def test_seg_class_map_argmax_at_output_size() -> None:
    logits = torch.zeros(3, 2, 2)
    logits[2, :, 1] = 5.0
    out = seg_class_map(logits, out_hw=(4, 4))
    # Bilinear 2 -> 4, align_corners=False: output column j samples x = (j + 0.5) / 2 - 0.5, i.e.
    # -0.25 (clamped to 0: all logits 0, first max = class 0), 0.25 (class 2 logit 1.25), 0.75, 1.25.
    assert out.tolist() == [[0, 2, 2, 2]] * 4


def test_unit_normals_normalised_then_cropped() -> None:
    raw = torch.zeros(3, 4, 4)
    raw[2] = 3.0  # (0, 0, 3) -> (0, 0, 1)
    raw[:, :, 0] = 0.0  # a padded column of zeros: the clamp keeps it 0, not NaN
    out = unit_normals(raw, padding_ltrb=(1, 0, 0, 0), out_hw=(4, 3))
    assert out.shape == (4, 3, 3)
    assert_allclose(out[..., 2].numpy(), 1.0)


def test_gaussian_blur_kernel_and_constant_image() -> None:
    # 1-D kernel for sigma 0.8 over (-1, 0, 1): exp(-0.78125) = 0.45783 -> [0.45783, 1, 0.45783] / 1.91566.
    impulse = torch.zeros(1, 5, 5)
    impulse[0, 2, 2] = 1.0
    k1 = torch.tensor([0.45783, 1.0, 0.45783]) / 1.91566
    assert_allclose(
        gaussian_blur(impulse)[0, 1:4, 1:4].numpy(), torch.outer(k1, k1).numpy(), atol=1e-5
    )
    flat = torch.full((2, 6, 7), 3.5)
    assert_allclose(
        gaussian_blur(flat).numpy(), 3.5, rtol=1e-6
    )  # normalised kernel, reflect padding


def test_metric_pointmap_divides_by_scale_and_smooths_when_enlarging() -> None:
    pm = torch.full((3, 4, 4), 2.0)
    pm[2] = 8.0
    out = metric_pointmap(pm, torch.tensor([[2.0]]), padding_ltrb=(0, 0, 0, 0), out_hw=(8, 8))
    # Constant fields stay constant through blur and resize: X = Y = 2 / 2 = 1, Z = 8 / 2 = 4.
    assert out.shape == (8, 8, 3)
    assert_allclose(out[..., 0].numpy(), 1.0, rtol=1e-6)
    assert_allclose(out[..., 2].numpy(), 4.0, rtol=1e-6)
