"""RoPE periods and rotation semantics (SPEC.md 2.3)."""

from __future__ import annotations

import pytest
import torch

from core.sapiens2.rope import apply_rope, rope_periods

# The bf16 period tables listed in SPEC.md 2.3 (computed by the official code).
SPEC_PERIODS = {
    64: [1, 1.3359375, 1.78125, 2.375, 3.15625, 4.21875, 5.625, 7.5, 10, 13.3125, 17.75, 23.75, 31.625, 42.25, 56.25, 75],
    80: [1, 1.2578125, 1.5859375, 2, 2.515625, 3.15625, 4, 5, 6.3125, 7.90625, 10, 12.625, 15.9375, 19.75, 25,
         31.625, 40, 50.5, 62.75, 79],
    76: [1, 1.2734375, 1.625, 2.078125, 2.640625, 3.375, 4.28125, 5.46875, 6.96875, 8.875, 11.3125, 14.3125,
         18.375, 23.25, 30, 37.75, 48.75, 61.5, 79],
}  # fmt: skip


@pytest.mark.parametrize("head_dim", sorted(SPEC_PERIODS))
def test_periods_match_spec_tables(head_dim: int) -> None:
    p = rope_periods(head_dim)
    assert p.dtype == torch.bfloat16
    assert p.float().tolist() == SPEC_PERIODS[head_dim]


def test_prefix_tokens_unrotated_but_rounded_to_bf16() -> None:
    # sin = 0, cos = 1 is the identity rotation: every token comes back only rounded to bf16.
    x = torch.tensor([[[[1.0 + 2**-12, 2.0, 3.0, 4.0]] * 3]])  # B=1, heads=1, N=3, d=4
    sin, cos = torch.zeros(1, 4, dtype=torch.bfloat16), torch.ones(1, 4, dtype=torch.bfloat16)
    out = apply_rope(x, sin, cos)
    assert out.dtype == torch.float32
    # 1 + 2^-12 is below bf16 resolution (2^-7 near 1), so it rounds to 1 in prefix and patch tokens.
    assert out[0, 0, :, 0].tolist() == [1.0, 1.0, 1.0]


def test_rotation_pairs_dim_i_with_i_plus_half() -> None:
    # sin = 1, cos = 0: x' = rot(x) = [-x2, x1] for halves x1 = (1, 2), x2 = (3, 4).
    x = torch.tensor([[[[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]]]])  # prefix 1 token, 1 patch
    sin, cos = torch.ones(1, 4, dtype=torch.bfloat16), torch.zeros(1, 4, dtype=torch.bfloat16)
    assert apply_rope(x, sin, cos)[0, 0, 1].tolist() == [-3.0, -4.0, 1.0, 2.0]


def test_odd_head_dim_rejected() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        rope_periods(10)
