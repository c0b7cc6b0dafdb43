"""The 4K window tokenizer (SPEC 2.7): shapes and window locality (no fixture covers its numerics)."""

from __future__ import annotations

import dataclasses

import torch
from numpy.testing import assert_allclose

from core.sapiens2.backbone import Sapiens2Backbone
from core.sapiens2.presets import get_preset
from core.sapiens2.tokenizer import WindowTokenizer


def _init(module: torch.nn.Module) -> None:
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)


@torch.inference_mode()
def test_each_window_token_depends_only_on_its_window() -> None:
    tok = WindowTokenizer(32, num_heads=4, ffn_dim=64, num_layers=2)
    _init(tok)
    x = torch.randn(1, 8 * 12, 32, generator=torch.Generator().manual_seed(0))  # 8x12 patch grid
    out, nh, nw = tok(x, 8, 12)
    assert (nh, nw) == (2, 3) and out.shape == (1, 6, 32)
    # Change one patch in window (row 1, col 2): grid position (5, 9) -> flat index 5 * 12 + 9 = 69.
    y = x.clone()
    y[0, 69] += 1.0
    changed = (tok(y, 8, 12)[0] - out).abs().amax(dim=-1)[0]
    assert changed[1 * 3 + 2] > 0
    assert_allclose(changed[[0, 1, 2, 3, 4]].numpy(), 0.0)


@torch.inference_mode()
def test_backbone_with_tokenizer_quarters_the_grid() -> None:
    base = get_preset("pose-tiny").backbone
    backbone = Sapiens2Backbone(dataclasses.replace(base, num_tokenizer_layers=1)).eval()
    feats = backbone(torch.zeros(1, 3, 256, 192))  # 16x12 patches -> 4x3 window tokens
    assert feats.shape == (1, 32, 4, 3)
