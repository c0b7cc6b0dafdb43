"""Building blocks shared by the heads: conv / deconv / pixel-shuffle stages, each -> IN -> SiLU.

IN is ``InstanceNorm2d`` without affine parameters or running stats (nothing in the state dict).
Sequential indices therefore advance by 3 per stage (keys ``0, 3, 6, ...``), as in the checkpoints.
"""

from __future__ import annotations

from typing import TypeGuard

import torch
from torch import nn

from core.sapiens2 import cpu_kernels
from core.sapiens2.presets import HeadConfig

# ConvTranspose2d (padding, output_padding) per kernel size so each stage exactly doubles H and W.
_DECONV_PADDING = {4: (1, 0), 3: (1, 1), 2: (0, 0)}


class Stages(nn.Sequential):
    """``nn.Sequential`` (same keys) that runs each InstanceNorm -> SiLU pair as one in-place pass
    of :func:`core.sapiens2.cpu_kernels.instance_norm_silu_` in bf16 CPU inference (contiguous or
    channels-last input)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = list(self)
        i = 0
        while i < len(layers):
            layer = layers[i]
            norm_next = i + 1 < len(layers) and _plain_instance_norm(layers[i + 1])
            if (
                i > 0  # x was made by the layer before, inside this stage: safe to overwrite
                and _plain_instance_norm(layer)
                and i + 1 < len(layers)
                and isinstance(layers[i + 1], nn.SiLU)
                and not torch.is_grad_enabled()
                and cpu_kernels.norm_silu_applies(x)
            ):
                x = cpu_kernels.instance_norm_silu_(x, layer.eps)  # x is the fresh conv output
                i += 2
                continue
            if (
                isinstance(layer, PointwiseConv2d)
                and norm_next
                and cpu_kernels.usable(x, op="head")
            ):
                x = layer(x, before_norm=True)
            else:
                x = layer(x)
            i += 1
        return x


def _plain_instance_norm(layer: nn.Module) -> TypeGuard[nn.InstanceNorm2d]:
    """An InstanceNorm2d that normalises with the input's own statistics and has no affine part:
    it removes any per-channel constant, and its result depends on nothing but its input."""
    return (
        isinstance(layer, nn.InstanceNorm2d) and not layer.affine and not layer.track_running_stats
    )


def _norm_act(channels: int) -> list[nn.Module]:
    return [
        nn.InstanceNorm2d(channels, eps=1e-5, affine=False, track_running_stats=False),
        nn.SiLU(),
    ]


class PointwiseConv2d(nn.Conv2d):
    """A 1x1 convolution (same parameters and keys as ``nn.Conv2d``) that runs reduced-precision CPU
    inference as one matmul over the pixels (either memory layout; channels-last stays so).

    oneDNN's bf16 1x1 convolution at the heads' full resolution (e.g. 768 -> 512 channels at
    256x192) runs at 0.25-0.5 of the bf16 matmul peak; ``addmm`` on the (C, H*W) view of the same
    NCHW tensor runs at 0.75-0.9 with no layout change. float32 keeps the convolution, whose
    results the golden fixtures pin bit for bit.
    """

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(
        self, x: torch.Tensor, *, before_norm: bool = False, nchw: bool = False
    ) -> torch.Tensor:
        """before_norm: an InstanceNorm without affine follows, which removes any per-channel
        constant, so the bias is not added (one pass over the output less; bf16 CPU inference
        only). nchw: return a contiguous NCHW tensor even from a channels-last input (the matmul
        writes that layout directly, instead of a copy afterwards)."""
        if (
            x.dtype == torch.float32
            or x.device.type != "cpu"
            or x.dim() != 4
            or torch.is_grad_enabled()
        ):
            return super().forward(x)
        b, c, h, w = x.shape
        weight = self.weight.view(self.out_channels, c)
        bias = None if before_norm else self.bias
        if cpu_kernels.channels_last(x):  # (B*H*W, C) rows
            rows = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
            if nchw:  # out[b] = W . rows[b]^T: (C_out, H*W), NCHW
                out = (
                    torch.mm(weight, rows[0].t())[None]
                    if b == 1
                    else torch.matmul(weight, rows.transpose(1, 2))
                )
                if bias is not None:
                    out += bias[:, None]
                return out.view(b, self.out_channels, h, w)
            flat = rows.view(b * h * w, c)
            out = (
                torch.mm(flat, weight.t()) if bias is None else torch.addmm(bias, flat, weight.t())
            )
            return out.view(b, h, w, self.out_channels).permute(0, 3, 1, 2)
        pixels = x.reshape(b, c, h * w)
        if b == 1:
            out = (
                torch.mm(weight, pixels[0])
                if bias is None
                else torch.addmm(bias[:, None], weight, pixels[0])
            )
        else:
            out = torch.matmul(weight, pixels)
            if bias is not None:
                out += bias[:, None]
        return out.view(b, self.out_channels, h, w)


def conv2d(
    in_channels: int, out_channels: int, kernel: int, *, stride: int = 1, padding: int = 0
) -> nn.Conv2d:
    """``nn.Conv2d`` with bias; a :class:`PointwiseConv2d` for the 1x1, stride-1 case."""
    if kernel == 1 and stride == 1 and padding == 0:
        return PointwiseConv2d(in_channels, out_channels)
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding)


def deconv_stages(
    in_channels: int, channels: tuple[int, ...], kernels: tuple[int, ...]
) -> nn.Sequential:
    """ConvTranspose2d(k, stride 2, no bias) -> IN -> SiLU per entry; each doubles H and W."""
    layers: list[nn.Module] = []
    for out, k in zip(channels, kernels, strict=True):
        if k not in _DECONV_PADDING:
            raise ValueError(f"deconv kernel size {k} is not supported (use 2, 3 or 4)")
        pad, out_pad = _DECONV_PADDING[k]
        layers += [
            nn.ConvTranspose2d(
                in_channels, out, k, stride=2, padding=pad, output_padding=out_pad, bias=False
            )
        ]
        layers += _norm_act(out)
        in_channels = out
    return Stages(*layers)


def conv_stages(
    in_channels: int, channels: tuple[int, ...], kernels: tuple[int, ...], *, stride: int = 1
) -> nn.Sequential:
    """Conv2d(k, 'same' padding for stride 1, none for stride 2) -> IN -> SiLU per entry."""
    layers: list[nn.Module] = []
    for out, k in zip(channels, kernels, strict=True):
        pad = (k - 1) // 2 if stride == 1 else 0
        layers += [conv2d(in_channels, out, k, stride=stride, padding=pad), *_norm_act(out)]
        in_channels = out
    return Stages(*layers)


def input_conv(channels: int) -> nn.Sequential:
    """The 3x3 conv -> IN -> SiLU that opens the normal and pointmap heads (key ``input_conv.0``)."""
    return conv_stages(channels, (channels,), (3,))


def upsample_blocks(in_channels: int, channels: tuple[int, ...]) -> nn.ModuleList:
    """Per entry u: Conv2d(3x3 -> 4u) -> PixelShuffle(2) -> IN(u) -> SiLU (key ``upsample_blocks.j.0``)."""
    blocks = nn.ModuleList()
    for u in channels:
        blocks.append(
            Stages(nn.Conv2d(in_channels, 4 * u, 3, padding=1), nn.PixelShuffle(2), *_norm_act(u))
        )
        in_channels = u
    return blocks


class DeconvHead(nn.Module):
    """featmap (B, C, h, w) -> deconv stages -> conv stages -> a 1x1 conv to ``out_channels``.

    The pose and seg heads share this shape (SPEC 3.1, 3.2) and differ only in their sizes and in
    the name of the last conv, which the checkpoints' keys fix: subclasses set ``final_name``.
    """

    final_name = ""

    def __init__(self, cfg: HeadConfig) -> None:
        super().__init__()
        self.deconv_layers = deconv_stages(
            cfg.in_channels, cfg.deconv_out_channels, cfg.deconv_kernel_sizes
        )
        c = cfg.deconv_out_channels[-1] if cfg.deconv_out_channels else cfg.in_channels
        self.conv_layers = conv_stages(c, cfg.conv_out_channels, cfg.conv_kernel_sizes)
        c = cfg.conv_out_channels[-1] if cfg.conv_out_channels else c
        self.add_module(self.final_name, conv2d(c, cfg.out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        final = getattr(self, self.final_name)
        if x.dim() == 4 and not torch.is_grad_enabled() and cpu_kernels.usable(x, op="head"):
            # bf16 CPU inference runs the stages channels-last: oneDNN's transposed convolutions
            # then skip their NCHW reorders (0.93 -> 0.52 s over the seg head's four), the 1x1
            # convs are (pixels, C) matmuls and the IN + SiLU kernel has a channels-last form.
            x = self.conv_layers(
                self.deconv_layers(x.contiguous(memory_format=torch.channels_last))
            )
            if isinstance(final, PointwiseConv2d):
                return final(x, nchw=True)
            return final(x).contiguous()
        return final(self.conv_layers(self.deconv_layers(x)))
