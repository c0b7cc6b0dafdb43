"""The 4K window tokenizer (SPEC.md 2.7): each 4x4 window of patch tokens -> one token.

Used only by the ``sapiens2_1b_4k_pretrain`` backbone; no task checkpoint has it. Keys and shapes
match the pretrain manifest; the numerics follow SPEC 2.7 but no golden fixture covers them.
"""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2.block import TransformerBlock


class WindowTokenizer(nn.Module):
    """Patch tokens (B, h*w, C) on an h x w grid -> window tokens (B, h/s * w/s, C), s = window size.

    Each window's s*s tokens (row-major) get the shared ``w_cls`` token prepended and
    ``local_pos_embed`` added, pass through plain blocks (full MHSA, no qk-norm, no layer scale, no
    RoPE), and the window's output cls token becomes its token.
    """

    def __init__(
        self, dim: int, *, num_heads: int, ffn_dim: int, num_layers: int, window_size: int = 4
    ) -> None:
        super().__init__()
        self.window_size = window_size
        self.w_cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.local_pos_embed = nn.Parameter(torch.zeros(1, 1 + window_size**2, dim))
        self.blocks = nn.ModuleList(
            TransformerBlock(
                dim,
                num_heads=num_heads,
                num_kv_heads=num_heads,
                head_dim=dim // num_heads,
                ffn_dim=ffn_dim,
                qk_norm=False,
                layer_scale=False,
            )
            for _ in range(num_layers)
        )

    def forward(self, tokens: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, int, int]:
        s = self.window_size
        if h % s or w % s:
            raise ValueError(f"the 4K tokenizer needs a patch grid divisible by {s}, got {h}x{w}")
        b, _, c = tokens.shape
        nh, nw = h // s, w // s
        x = tokens.reshape(b, nh, s, nw, s, c).permute(0, 1, 3, 2, 4, 5)  # B nh nw s s C
        x = x.reshape(b * nh * nw, s * s, c)
        x = torch.cat((self.w_cls.expand(x.shape[0], -1, -1), x), dim=1) + self.local_pos_embed
        for block in self.blocks:
            x = block(x, None)
        return x[:, 0].reshape(b, nh * nw, c), nh, nw
