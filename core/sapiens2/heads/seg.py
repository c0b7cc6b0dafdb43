"""Body-part segmentation head: 4 deconvs (x16) -> 1x1 convs -> 29 logits at input size (SPEC 3.2)."""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2.heads.layers import conv_stages, deconv_stages
from core.sapiens2.presets import HeadConfig


class SegHead(nn.Module):
    """featmap (B, C, h, w) -> logits (B, 29, 16h, 16w)."""

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__()
        self.deconv_layers = deconv_stages(
            cfg.in_channels, cfg.deconv_out_channels, cfg.deconv_kernel_sizes
        )
        c = cfg.deconv_out_channels[-1] if cfg.deconv_out_channels else cfg.in_channels
        self.conv_layers = conv_stages(c, cfg.conv_out_channels, cfg.conv_kernel_sizes)
        c = cfg.conv_out_channels[-1] if cfg.conv_out_channels else c
        self.conv_seg = nn.Conv2d(c, cfg.out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_seg(self.conv_layers(self.deconv_layers(x)))
