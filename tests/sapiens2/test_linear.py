"""The fused-bias oneDNN linear (core/sapiens2/linear.py) against float64 and against F.linear."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from core.sapiens2 import cpu_kernels, linear

pytestmark = pytest.mark.skipif(
    not linear.fused_available(),
    reason="oneDNN's bf16 linear cannot run here (no such op in this torch, or bf16 instructions "
    "barred, e.g. ONEDNN_MAX_CPU_ISA=AVX2)",
)


def _case(tokens: int = 257, cin: int = 96, cout: int = 160, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(1, tokens, cin, generator=gen).to(torch.bfloat16)
    w = torch.randn(cout, cin, generator=gen).mul(0.1).to(torch.bfloat16)
    b = torch.randn(cout, generator=gen).to(torch.bfloat16)
    return x, w, b


def _error_vs_float64(y: torch.Tensor, x, w, b) -> float:
    ref = F.linear(x.double(), w.double(), b.double())
    return ((y.double() - ref).abs() / ref.abs().clamp_min(1.0)).max().item()


@pytest.mark.parametrize("shape", [(257, 96, 160), (33, 64, 64), (1, 128, 48)])
def test_fused_matches_float64_like_pytorch(shape: tuple[int, int, int]) -> None:
    x, w, b = _case(*shape)
    fused, theirs = linear.fused_linear(x, w, b), F.linear(x, w, b)
    assert fused.shape == theirs.shape and fused.dtype == torch.bfloat16
    # Both round the float32 sum once to bf16: half a bf16 ulp (2^-9 relative, 2^-9 absolute
    # near zero) plus float32 summation noise; twice that bounds each of them.
    assert _error_vs_float64(fused, x, w, b) <= 2 * 2**-9
    assert _error_vs_float64(theirs, x, w, b) <= 2 * 2**-9


def test_a_dropped_bias_is_caught() -> None:
    # The tolerance above must still see a real bug: the bias left out (or added twice).
    x, w, b = _case()
    assert _error_vs_float64(linear.fused_linear(x, w, torch.zeros_like(b)), x, w, b) > 0.05
    assert _error_vs_float64(linear.fused_linear(x, w, 2 * b), x, w, b) > 0.05


def _ran_fused(fn) -> bool:
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return "mkldnn::_linear_pointwise" in {e.key for e in prof.key_averages()}


def test_the_route_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    x, w, b = _case()
    monkeypatch.setattr(cpu_kernels, "library", lambda: object())  # "built", whatever the CPU
    with torch.inference_mode(), cpu_kernels.enabled(True):
        assert _ran_fused(lambda: linear.linear(x, w, b))
    with torch.inference_mode(), cpu_kernels.enabled(False):
        assert not _ran_fused(lambda: linear.linear(x, w, b))


def test_plain_linear_where_the_fused_call_does_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    x, w, b = _case()
    monkeypatch.setattr(cpu_kernels, "library", lambda: object())
    with torch.inference_mode(), cpu_kernels.enabled(True):
        assert not linear.fused_applies(x, w, None)  # no bias: nothing to fuse
        assert not linear.fused_applies(x.float(), w.float(), b.float())  # float32
        assert not linear.fused_applies(x.transpose(1, 2), w, b)  # not contiguous
        y = linear.linear(x.float(), w.float(), b.float())
    assert torch.equal(y, F.linear(x.float(), w.float(), b.float()))
    w_grad = w.clone().requires_grad_(True)
    with cpu_kernels.enabled(True):
        assert not linear.fused_applies(x, w_grad, b)  # autograd: PyTorch's op
