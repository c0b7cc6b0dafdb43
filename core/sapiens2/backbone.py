"""The Sapiens2 ViT backbone: patch embedding, cls + storage tokens, RoPE blocks, final RMSNorm."""

from __future__ import annotations

import torch
from torch import nn

from core.sapiens2.block import TransformerBlock
from core.sapiens2.norm import RMSNorm
from core.sapiens2.presets import BackboneConfig
from core.sapiens2.rope import RopePositionEmbedding, token_tables
from core.sapiens2.tokenizer import WindowTokenizer


class PatchEmbed(nn.Module):
    """Non-overlapping patch conv; the key is ``patch_embed.projection`` as in the checkpoints."""

    def __init__(self, in_channels: int, dim: int, patch_size: int) -> None:
        super().__init__()
        self.projection = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        """x (B, 3, H, W) -> tokens (B, h*w, C) in row-major patch order, and the grid (h, w)."""
        x = self.projection(x)  # B C h w
        h, w = x.shape[-2:]
        return x.flatten(2).transpose(1, 2), h, w


class Sapiens2Backbone(nn.Module):
    """Image (B, 3, H, W), normalised, H and W multiples of the patch size -> featmap (B, C, H/16, W/16)."""

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.embed_dim
        self.patch_embed = PatchEmbed(cfg.in_channels, c, cfg.patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c))
        self.storage_tokens = nn.Parameter(torch.zeros(1, cfg.n_storage_tokens, c))
        self.rope_embed = RopePositionEmbedding(cfg.head_dim, base=cfg.rope_base)
        self.tokenizer: WindowTokenizer | None = None
        if cfg.num_tokenizer_layers:
            self.tokenizer = WindowTokenizer(
                c,
                num_heads=cfg.num_heads,
                ffn_dim=cfg.ffn_dim,
                num_layers=cfg.num_tokenizer_layers,
                window_size=cfg.window_size,
            )
        self.blocks = nn.ModuleList(
            TransformerBlock(
                c,
                num_heads=cfg.num_heads,
                num_kv_heads=kv,
                head_dim=cfg.head_dim,
                ffn_dim=cfg.ffn_dim,
            )
            for kv in cfg.num_kv_heads
        )
        self.ln1 = RMSNorm(c)

    def tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        """The normalised token sequence (B, 9 + h*w, C) after the final norm, and the grid (h, w)."""
        patches, h, w = self.patch_embed(x)
        if self.tokenizer is not None:
            patches, h, w = self.tokenizer(patches, h, w)  # 4K model: one token per 4x4 window
        b = patches.shape[0]
        x = torch.cat(
            (self.cls_token.expand(b, -1, -1), self.storage_tokens.expand(b, -1, -1), patches),
            dim=1,
        )  # B N C
        sin, cos = self.rope_embed(h, w)
        rope = token_tables(sin, cos, n_prefix=self.cfg.num_prefix_tokens)
        for block in self.blocks:
            x = block(x, rope)
        return self.ln1(x), h, w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens, h, w = self.tokens(x)
        patches = tokens[:, self.cfg.num_prefix_tokens :]  # B hw C
        return patches.reshape(patches.shape[0], h, w, -1).permute(0, 3, 1, 2)  # B C h w
