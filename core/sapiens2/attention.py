"""Grouped-query self-attention with qk-norm, bf16 RoPE and attention layer scale (SPEC 2.4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.sapiens2.norm import RMSNorm
from core.sapiens2.rope import apply_rope


class LayerScale(nn.Module):
    """Per-channel scale; a module so the key reads ``attn.gamma.weight`` as in the checkpoints."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((dim,), 1e-4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight


class GroupedQueryAttention(nn.Module):
    """Attention over all tokens; ``num_kv_heads < num_heads`` shares each kv head by consecutive q heads."""

    def __init__(
        self,
        dim: int,
        *,
        num_heads: int,
        num_kv_heads: int,
        head_dim: int,
        qk_norm: bool = True,
        layer_scale: bool = True,
    ) -> None:
        super().__init__()
        self.num_heads, self.num_kv_heads, self.head_dim = num_heads, num_kv_heads, head_dim
        self.wq = nn.Linear(dim, num_heads * head_dim)
        self.wk = nn.Linear(dim, num_kv_heads * head_dim)
        self.wv = nn.Linear(dim, num_kv_heads * head_dim)
        # The 4K window tokenizer's blocks have neither qk-norm nor layer scale (SPEC 2.7).
        self.q_norm = RMSNorm(head_dim) if qk_norm else nn.Identity()
        self.k_norm = RMSNorm(head_dim) if qk_norm else nn.Identity()
        self.proj = nn.Linear(num_heads * head_dim, dim)
        self.gamma = LayerScale(dim) if layer_scale else nn.Identity()

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None
    ) -> torch.Tensor:
        """x: (B, N, C) -> (B, N, C), already multiplied by the layer scale; rope None: no RoPE."""
        b, n, _ = x.shape
        q = self.wq(x).view(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # B h N d
        k = self.wk(x).view(b, n, self.num_kv_heads, self.head_dim).transpose(1, 2)  # B kv N d
        v = self.wv(x).view(b, n, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.q_norm(q), self.k_norm(k)
        if self.num_kv_heads != self.num_heads:
            # q head j uses kv head j // group (consecutive repeat, not tiling).
            group = self.num_heads // self.num_kv_heads
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        if rope is not None:
            sin, cos = rope
            q, k = apply_rope(q, sin, cos), apply_rope(k, sin, cos)
        out = F.scaled_dot_product_attention(q, k, v)  # B h N d
        out = out.transpose(1, 2).reshape(b, n, self.num_heads * self.head_dim)
        return self.gamma(self.proj(out))
