"""2-D rotary position embedding computed and applied in bfloat16, as the official model does.

SPEC.md 2.3: periods, coordinates, angles, sin/cos and the rotated q/k are all rounded to bf16 even
in an fp32 model; computing them in fp32 moves the outputs by ~0.05, so the rounding is the contract.
"""

from __future__ import annotations

import math

import torch
from torch import nn

ROPE_DTYPE = torch.bfloat16


def rope_periods(
    head_dim: int, base: float = 100.0, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """(head_dim/4,) bf16 periods ``base ** (2 i / (head_dim / 2))``, each intermediate rounded to bf16."""
    if head_dim % 4:
        raise ValueError(f"RoPE needs head_dim divisible by 4, got {head_dim}")
    i = torch.arange(head_dim // 4, dtype=ROPE_DTYPE, device=device)
    return base ** (2 * i / (head_dim // 2))


class RopePositionEmbedding(nn.Module):
    """Builds the (h*w, d) sin/cos tables for a patch grid; ``periods`` is a persistent bf16 buffer."""

    def __init__(self, head_dim: int, *, base: float = 100.0) -> None:
        super().__init__()
        self.head_dim = head_dim
        self.base = base
        self.register_buffer("periods", rope_periods(head_dim, base), persistent=True)

    def forward(self, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
        """sin, cos: (h*w, head_dim) bf16 for patches in row-major order."""
        dev = self.periods.device
        # "separate" normalisation: each axis to (0, 1) by its own length, then to [-1, 1].
        cy = torch.arange(0.5, h, dtype=ROPE_DTYPE, device=dev) / h
        cx = torch.arange(0.5, w, dtype=ROPE_DTYPE, device=dev) / w
        coords = torch.stack(torch.meshgrid(cy, cx, indexing="ij"), dim=-1).flatten(0, 1)  # HW 2
        coords = 2.0 * coords - 1.0
        angles = (
            2 * math.pi * coords[:, :, None] / self.periods.to(ROPE_DTYPE)[None, None, :]
        )  # HW 2 d/4
        angles = angles.flatten(1, 2).tile(2)  # HW d: [y, x, y, x] blocks of d/4
        return torch.sin(angles), torch.cos(angles)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor) -> torch.Tensor:
    """Rotate the patch tokens of x (B, heads, N, d); the N - len(sin) prefix tokens stay unrotated.

    The whole tensor goes through bf16 (prefix tokens included) and comes back in x's dtype.
    """
    dtype = x.dtype
    x = x.to(ROPE_DTYPE)
    n_prefix = x.shape[-2] - sin.shape[-2]
    prefix, patches = x[:, :, :n_prefix], x[:, :, n_prefix:]
    patches = patches * cos + _rotate_half(patches) * sin
    return torch.cat((prefix, patches), dim=-2).to(dtype)
