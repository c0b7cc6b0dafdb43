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
    periods: torch.Tensor  # the registered buffer (nn.Module's attribute lookup types it loosely)
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


def token_tables(
    sin: torch.Tensor, cos: torch.Tensor, n_prefix: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tables over all N = n_prefix + h*w tokens, for :func:`apply_rope_tokens`: (N, 1, d) bf16.

    Prefix rows are the identity rotation (sin 0, cos 1), which leaves a bf16 value unchanged, so no
    split/concatenate is needed. The sin table carries the sign of ``rotate_half`` (first half
    negated) so the rotation is ``x * cos + swap_halves(x) * sin_signed``: negation is exact, and
    each product and the sum round to bf16 exactly as in :func:`apply_rope`.
    """
    d = sin.shape[-1]
    pad_sin = sin.new_zeros(n_prefix, d)
    pad_cos = cos.new_ones(n_prefix, d)
    half = d // 2
    signed = torch.cat((-sin[:, :half], sin[:, half:]), dim=-1)
    return (
        torch.cat((pad_sin, signed))[:, None, :],  # N 1 d
        torch.cat((pad_cos, cos))[:, None, :],
    )


def apply_rope_tokens(x: torch.Tensor, tables: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """x (B, N, heads, d) -> rotated in bf16, back in x's dtype; ``tables`` from :func:`token_tables`.

    Bit-identical to :func:`apply_rope` on the (B, heads, N, d) view (prefix tokens only rounded).
    """
    sin_signed, cos = tables
    dtype = x.dtype
    x = x.to(ROPE_DTYPE)
    swapped = x.roll(x.shape[-1] // 2, dims=-1)  # [x2, x1]
    return (x * cos + swapped * sin_signed).to(dtype)
