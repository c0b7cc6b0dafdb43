"""Surface-normal head: 3x3 input conv -> 4 pixel-shuffle blocks (x16) -> 3x3 convs -> 3 (SPEC 3.3)."""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2.heads.layers import conv2d, conv_stages, input_conv, upsample_blocks
from core.sapiens2.presets import HeadConfig


class UpsamplingTrunk(nn.Module):
    """The part the normal and pointmap heads share: featmap (B, C, h, w) -> (B, c_last, 16h, 16w)."""

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__()
        self.input_conv = input_conv(cfg.in_channels)
        self.upsample_blocks = upsample_blocks(cfg.in_channels, cfg.upsample_channels)
        c = cfg.upsample_channels[-1] if cfg.upsample_channels else cfg.in_channels
        self.conv_layers = conv_stages(c, cfg.conv_out_channels, cfg.conv_kernel_sizes)
        self.out_channels = cfg.conv_out_channels[-1] if cfg.conv_out_channels else c

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_conv(x)
        for block in self.upsample_blocks:
            x = block(x)
        return self.conv_layers(x)


class NormalHead(UpsamplingTrunk):
    """featmap (B, C, h, w) -> raw (un-normalised) normals (B, 3, 16h, 16w)."""

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__(cfg)
        self.conv_normal = conv2d(self.out_channels, cfg.out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_normal(self.trunk(x))
