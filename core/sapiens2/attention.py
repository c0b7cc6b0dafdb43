"""Grouped-query self-attention with qk-norm, bf16 RoPE and attention layer scale (SPEC 2.4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.sapiens2 import cpu_kernels, linear
from core.sapiens2.norm import RMSNorm
from core.sapiens2.rope import apply_rope_tokens, token_tables


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

    def pack_qkv(self) -> None:
        """Store wq, wk, wv as views of one packed (q + 2 kv, C) weight so one matmul computes all three.

        Memory-neutral (the three parameters become views of the packed storage, so their keys and
        ``load_state_dict`` keep working); the separate and packed matmuls give equal results here
        (checked on the golden fixtures), but the packed one skips two passes over x.
        """
        if self._packed():
            return
        lins = (self.wq, self.wk, self.wv)
        weight = torch.cat([m.weight.detach() for m in lins])
        bias = torch.cat([m.bias.detach() for m in lins])
        start = 0
        for m in lins:
            n = m.out_features
            m.weight = nn.Parameter(weight[start : start + n], requires_grad=False)
            m.bias = nn.Parameter(bias[start : start + n], requires_grad=False)
            start += n
        self._qkv_weight, self._qkv_bias = weight, bias

    def _packed(self) -> bool:
        """True while wq/wk/wv still are the views made by :meth:`pack_qkv` (a later ``.to(dtype)``
        or ``load_state_dict(assign=True)`` replaces them, and the separate matmuls are used)."""
        packed = getattr(self, "_qkv_weight", None)
        return (
            packed is not None
            and self.wq.weight.data_ptr() == packed.data_ptr()
            and self.wv.weight.data_ptr() + self.wv.weight.nbytes
            == packed.data_ptr() + packed.nbytes
            and self.wv.bias.data_ptr() + self.wv.bias.nbytes
            == self._qkv_bias.data_ptr() + self._qkv_bias.nbytes
        )

    def _qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._packed():
            q_dim = self.num_heads * self.head_dim
            kv_dim = self.num_kv_heads * self.head_dim
            return linear.linear(x, self._qkv_weight, self._qkv_bias).split(
                (q_dim, kv_dim, kv_dim), -1
            )
        return linear.module(self.wq, x), linear.module(self.wk, x), linear.module(self.wv, x)

    def _fused_norm_rope(
        self, q: torch.Tensor, k: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None
    ) -> bool:
        return (
            rope is not None
            and not self.training
            and isinstance(self.q_norm, RMSNorm)
            and isinstance(self.k_norm, RMSNorm)
            and cpu_kernels.rmsnorm_rope_applies(q, self.q_norm.weight, *rope)
            and cpu_kernels.rmsnorm_rope_applies(k, self.k_norm.weight, *rope)
        )

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None
    ) -> torch.Tensor:
        """x: (B, N, C) -> (B, N, C), already multiplied by the layer scale.

        rope: (sin, cos) patch tables (h*w, d) as ``RopePositionEmbedding`` gives them, or the
        per-token (N, 1, d) tables of :func:`core.sapiens2.rope.token_tables` (the backbone builds
        those once per forward), or None for no RoPE. Norm and rotation act in the (B, N, heads, d)
        layout the linears produce; bf16 on the CPU goes to :mod:`core.sapiens2.cpu_kernels` where
        it can run, otherwise SDPA takes the transposed views (read without a copy).
        """
        b, n, _ = x.shape
        q, k, v = self._qkv(x)
        q = q.view(b, n, self.num_heads, self.head_dim)  # B N h d
        k = k.view(b, n, self.num_kv_heads, self.head_dim)  # B N kv d
        v = v.view(b, n, self.num_kv_heads, self.head_dim)
        if rope is not None and rope[0].dim() == 2:
            rope = token_tables(*rope, n_prefix=n - rope[0].shape[0])
        qn, kn = self.q_norm, self.k_norm
        if (
            rope is not None
            and isinstance(qn, RMSNorm)
            and isinstance(kn, RMSNorm)
            and self._fused_norm_rope(q, k, rope)
        ):
            # bf16 on an AVX512-BF16 CPU: qk-norm and RoPE in one pass each for q and k.
            q = cpu_kernels.rmsnorm_rope(q, qn.weight, qn.eps, *rope)
            k = cpu_kernels.rmsnorm_rope(k, kn.weight, kn.eps, *rope)
        else:
            q, k = self.q_norm(q), self.k_norm(k)
            if rope is not None:
                q, k = apply_rope_tokens(q, rope), apply_rope_tokens(k, rope)
        if not self.training and cpu_kernels.applies(q, k, v):
            # bf16 on an AVX512-BF16 CPU: the flash kernel reads this layout and the shared kv heads.
            out = cpu_kernels.attention(q, k, v).view(b, n, self.num_heads * self.head_dim)
            return self.gamma(linear.module(self.proj, out))
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # B h N d
        if self.num_kv_heads != self.num_heads:
            # q head j uses kv head j // group (consecutive repeat, not tiling).
            group = self.num_heads // self.num_kv_heads
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        out = F.scaled_dot_product_attention(q, k, v)  # B h N d
        out = out.transpose(1, 2).reshape(b, n, self.num_heads * self.head_dim)
        return self.gamma(linear.module(self.proj, out))
