"""The backbone's linears with bias: PyTorch's ``F.linear`` or oneDNN's with the bias fused.

For bf16 on the CPU, ``F.linear`` with a bias goes through ``addmm``, which first copies the bias
into every row of the output and then accumulates the product onto it; oneDNN's linear
(``torch.ops.mkldnn._linear_pointwise``, the op PyTorch's own compiler emits for CPU linears)
adds the bias inside the matmul instead. Both round once from float32: the results were
bit-identical at pose-0.4b's shapes on an AMX Xeon, and ``tests/sapiens2/test_linear.py`` checks
them against float64 on every machine. On that Xeon the fused call took 16 against 28 ms for the
1024 x 1024 projection (docs/PERFORMANCE.md). Which one runs is the ``linear`` route of
:mod:`core.sapiens2.routes` (``own`` = the fused oneDNN call), measured once per machine like the
other bf16 routes; the fused call is taken only for plain contiguous bf16 CPU tensors outside
autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.sapiens2 import cpu_kernels

_works: bool | None = None


def fused_available() -> bool:
    """Whether oneDNN's pointwise linear runs bf16 here: the op exists in this torch build and a
    tiny call succeeds (checked once per process). Where oneDNN may not use bf16 instructions
    (``ONEDNN_MAX_CPU_ISA=AVX2``, CI's second round, or a CPU without them) it cannot build the
    primitive and raises; the linears then stay on ``F.linear``."""
    global _works
    if _works is None:
        _works = False
        if torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise"):
            x = torch.ones(1, 2, dtype=torch.bfloat16)
            try:
                fused_linear(x, torch.ones(2, 2, dtype=torch.bfloat16), torch.zeros(2).bfloat16())
                _works = True
            except RuntimeError:
                pass
    return _works


def fused_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """oneDNN's linear with the bias fused (no route check: callers and the measurement)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


def fused_applies(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> bool:
    """True when the fused call can and should run for these tensors (the ``linear`` route)."""
    return (
        bias is not None
        and x.dim() >= 2
        and x.is_contiguous()
        and weight.is_contiguous()
        and bias.is_contiguous()
        and fused_available()
        and cpu_kernels.usable(x, weight, bias, op="linear")
    )


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.linear(x, weight, bias)``, through oneDNN's fused call where the route says so."""
    if bias is not None and fused_applies(x, weight, bias):
        return fused_linear(x, weight, bias)
    return F.linear(x, weight, bias)


def module(lin: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``lin(x)`` for an ``nn.Linear``, through :func:`linear`."""
    return linear(x, lin.weight, lin.bias)
