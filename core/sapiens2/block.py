"""The transformer block: SwiGLU feed-forward and the pre-norm residual wiring (SPEC 2.4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.sapiens2 import cpu_kernels, linear
from core.sapiens2.attention import GroupedQueryAttention
from core.sapiens2.norm import RMSNorm


class SwiGLU(nn.Module):
    """``w3(silu(a) * b)`` with ``[a | b] = w12(x)``: gate first, value second, hidden = ffn_dim."""

    def __init__(self, dim: int, ffn_dim: int) -> None:
        super().__init__()
        self.w12 = nn.Linear(dim, 2 * ffn_dim)
        self.w3 = nn.Linear(ffn_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            a, b = self.w12(x).chunk(2, dim=-1)
            return self.w3(F.silu(a) * b)
        # On the CPU: two matmuls on the halves of w12 (row views, no copy) instead of one and a
        # chunk. The halves come out contiguous, which w3 reads faster, and each result is half as
        # large (fresh large allocations cost page faults). Results equal the packed matmul's.
        weight, bias = self.w12.weight, self.w12.bias
        n = weight.shape[0] // 2
        bias_a, bias_b = (None, None) if bias is None else (bias[:n], bias[n:])
        if not torch.is_grad_enabled() and cpu_kernels.usable(x, weight, op="feed_forward"):
            # bf16 on an AVX512-BF16 CPU: bias-free matmuls, then bias, SiLU and product in one pass.
            a, b = F.linear(x, weight[:n]), F.linear(x, weight[n:])
            return linear.module(self.w3, cpu_kernels.swiglu(a, b, bias_a, bias_b))
        a = linear.linear(x, weight[:n], bias_a)
        b = linear.linear(x, weight[n:], bias_b)
        if torch.is_grad_enabled():
            return self.w3(F.silu(a) * b)
        return linear.module(self.w3, F.silu(a, inplace=True).mul_(b))  # inference: reuse a


class TransformerBlock(nn.Module):
    """``x + attn(ln1(x))`` (layer scale inside ``attn``) then ``x + ffn(ln2(x))`` (no layer scale)."""

    def __init__(
        self,
        dim: int,
        *,
        num_heads: int,
        num_kv_heads: int,
        head_dim: int,
        ffn_dim: int,
        qk_norm: bool = True,
        layer_scale: bool = True,
    ) -> None:
        super().__init__()
        self.ln1 = RMSNorm(dim)
        self.attn = GroupedQueryAttention(
            dim,
            num_heads=num_heads,
            num_kv_heads=num_kv_heads,
            head_dim=head_dim,
            qk_norm=qk_norm,
            layer_scale=layer_scale,
        )
        self.ln2 = RMSNorm(dim)
        self.ffn = SwiGLU(dim, ffn_dim)

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None
    ) -> torch.Tensor:
        """x: (B, N, C); rope: RoPE tables (see ``GroupedQueryAttention.forward``), or None."""
        x = x + self.attn(self.ln1(x), rope)
        return x + self.ffn(self.ln2(x))
