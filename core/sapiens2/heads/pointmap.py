"""Pointmap head: the normal-head trunk -> XYZ, plus a strided-conv + MLP branch -> scale (SPEC 3.4)."""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2.heads.layers import conv2d, conv_stages
from core.sapiens2.heads.normal import UpsamplingTrunk
from core.sapiens2.presets import HeadConfig


class PointmapHead(UpsamplingTrunk):
    """featmap (B, C, h, w) -> (pointmap (B, 3, 16h, 16w), scale (B, 1)).

    The scale MLP has a fixed input width, so it only accepts the grid size it was built for
    (64x48 tokens, i.e. 1024x768 input, for the official models).
    """

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__(cfg)
        self.scale_conv_layers = conv_stages(
            cfg.in_channels, cfg.scale_conv_out_channels, cfg.scale_conv_kernel_sizes, stride=2
        )
        mlp: list[nn.Module] = [nn.Flatten()]
        widths = cfg.scale_final_layer
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            mlp.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                mlp.append(nn.SiLU())
        self.scale_final_layer = nn.Sequential(*mlp)
        self.conv_pointmap = conv2d(self.out_channels, cfg.out_channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scale = self.scale_final_layer(self.scale_conv_layers(x))
        return self.conv_pointmap(self.trunk(x)), scale
