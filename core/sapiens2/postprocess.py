"""Dense post-processing (SPEC.md 5.2-5.4): logits/normals/pointmaps at network size -> original size."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def seg_class_map(logits: torch.Tensor, *, out_hw: tuple[int, int]) -> torch.Tensor:
    """(29, h, w) logits -> (H, W) int64 class ids: bilinear resize (no antialias), then argmax."""
    up = F.interpolate(logits[None].float(), size=out_hw, mode="bilinear", align_corners=False)
    return up[0].argmax(dim=0)


def _crop(x: torch.Tensor, padding_ltrb: tuple[int, int, int, int]) -> torch.Tensor:
    left, top, right, bottom = padding_ltrb
    return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]


def unit_normals(
    raw: torch.Tensor, *, padding_ltrb: tuple[int, int, int, int], out_hw: tuple[int, int]
) -> torch.Tensor:
    """(3, h, w) raw normals -> (H, W, 3) float32: L2-normalise, crop the letterbox, bilinear resize.

    Not re-normalised after the resize (as the official demo), so vectors at edges are slightly short.
    """
    raw = raw.float()
    n = raw / raw.norm(dim=0, keepdim=True).clamp(min=1e-8)
    n = _crop(n, padding_ltrb)
    n = F.interpolate(n[None], size=out_hw, mode="bilinear", align_corners=False)[0]
    return n.permute(1, 2, 0).contiguous()


def _gaussian_kernel(kernel_size: int, sigma: float) -> torch.Tensor:
    half = (kernel_size - 1) * 0.5
    x = torch.linspace(-half, half, steps=kernel_size)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    k1 = pdf / pdf.sum()
    return torch.mm(k1[:, None], k1[None, :])


def gaussian_blur(x: torch.Tensor, *, kernel_size: int = 3, sigma: float = 0.8) -> torch.Tensor:
    """(C, H, W) separable-Gaussian blur with reflect padding, as torchvision's ``gaussian_blur``."""
    c = x.shape[0]
    kernel = _gaussian_kernel(kernel_size, sigma).to(x).expand(c, 1, kernel_size, kernel_size)
    p = kernel_size // 2
    padded = F.pad(x[None], (p, p, p, p), mode="reflect")
    return F.conv2d(padded, kernel, groups=c)[0]


def metric_pointmap(
    pointmap: torch.Tensor,
    scale: torch.Tensor,
    *,
    padding_ltrb: tuple[int, int, int, int],
    out_hw: tuple[int, int],
) -> torch.Tensor:
    """(3, h, w) canonical-camera XYZ and its scalar scale -> (H, W, 3) metric XYZ at the image size.

    Divides by the predicted scale, crops the letterbox, and (only when enlarging) smooths 4 times
    with a 3x3 Gaussian (sigma 0.8) before the bilinear resize, as the official demo.
    """
    metric = _crop(pointmap.float() / scale.float().reshape(()), padding_ltrb)
    if out_hw[0] > metric.shape[-2] or out_hw[1] > metric.shape[-1]:
        for _ in range(4):
            metric = gaussian_blur(metric)
    metric = F.interpolate(
        metric[None], size=out_hw, mode="bilinear", align_corners=False, antialias=False
    )[0]
    return metric.permute(1, 2, 0).contiguous()
