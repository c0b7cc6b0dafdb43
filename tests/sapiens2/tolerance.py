"""Tolerances for comparing float32 Sapiens2 outputs with the golden fixtures on any CPU.

Float32 results are not bit-identical across CPUs: MKL and oneDNN pick other kernels (and so other
summation orders) per vendor, ISA and thread count. Two error sources set the tolerances:

* **float32 accumulation.** A sum of ``n`` products summed in another order moves by about
  ``u * sqrt(n)`` of the terms' magnitude (u = 2**-24, rounding errors add like a random walk);
  ``layers`` such stages in a row add the same way. :func:`tolerance` turns that into an absolute
  tolerance relative to the output's range (max |ref|). That is the error's standard deviation;
  the largest of N such errors is about sqrt(2 ln N) of it, 4.9 for the largest golden output
  (N = 166k), hence the factor SAFETY = 5.
* **bf16 rounding flips.** The model rounds q and k to bf16 for RoPE (SPEC 2.3). An fp32-level
  difference upstream occasionally flips one of those roundings, a jump of one bf16 unit (2**-8
  relative) in one element. Everything downstream of the backbone's RoPE therefore differs by up to
  a fraction of a bf16 unit, whatever the float32 error was: the bound there is
  ``unit=U_BF16, reduction=1`` (2**-9 of the range). Measured on five numerics paths (default, the
  forced-AVX2 settings of ``.ci/run``, ``MKL_CBWR=COMPATIBLE``, ``ATEN_CPU_CAPABILITY=default``,
  one thread) the worst element reached 0.41 of that bound (normal raw output), and such flips are
  rare: below the 99th percentile the error stays at the float32 scale (docs/SAPIENS2.md).

Class labels and keypoint argmaxes are compared tie-aware (:func:`assert_labels_tie_aware`).
"""

from __future__ import annotations

import math
import os

import numpy as np

U_FP32 = 2.0**-24  # float32 unit roundoff
U_BF16 = 2.0**-9  # bfloat16 unit roundoff (8 significant bits)
SAFETY = 5.0  # sqrt(2 ln N) for N = 1.7e5 elements, rounded up


def tolerance(
    ref: np.ndarray,
    *,
    reduction: int,
    layers: int = 1,
    unit: float = U_FP32,
    safety: float = SAFETY,
) -> float:
    """Absolute tolerance ``safety * unit * sqrt(reduction * layers) * max|ref|``.

    ``reduction``: the longest sum behind one output element in one layer (a linear's input width,
    a convolution's ``in_channels * kh * kw``); ``layers``: such stages in a row. For outputs behind
    the bf16 RoPE use ``unit=U_BF16, reduction=1, safety=1`` (one bf16 rounding, see the module doc).
    """
    scale = float(np.max(np.abs(ref)))
    return safety * unit * math.sqrt(reduction * layers) * scale


def bf16_flip_tolerance(ref: np.ndarray) -> float:
    """Bound on any element downstream of the backbone's bf16 RoPE: 2**-9 of the range."""
    return tolerance(ref, reduction=1, unit=U_BF16, safety=1.0)


def error_stats(got: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    err = np.abs(np.asarray(got, np.float64) - np.asarray(ref, np.float64))
    return {
        "max": float(err.max()),
        "p99": float(np.percentile(err, 99)),
        "mean": float(err.mean()),
    }


def assert_within(
    got: np.ndarray,
    ref: np.ndarray,
    *,
    max_tol: float,
    p99_tol: float | None = None,
    err_msg: str = "",
) -> None:
    """|got - ref| <= max_tol everywhere and, if given, its 99th percentile <= p99_tol.

    The percentile catches a small systematic error (a wrong eps) that a max bound wide enough for
    rare bf16 flips would let through.
    """
    assert np.shape(got) == np.shape(ref), f"{err_msg} shape {np.shape(got)} != {np.shape(ref)}"
    s = error_stats(got, ref)
    msg = f"{err_msg} error max {s['max']:.3g} (tol {max_tol:.3g}), p99 {s['p99']:.3g}"
    _log_margin(err_msg, s["max"] / max_tol, None if p99_tol is None else s["p99"] / p99_tol)
    assert s["max"] <= max_tol, msg
    if p99_tol is not None:
        assert s["p99"] <= p99_tol, f"{msg} (p99 tol {p99_tol:.3g})"


def _log_margin(name: str, max_ratio: float, p99_ratio: float | None) -> None:
    """With SAPIENS2_TOLERANCE_LOG=<file>, append error/tolerance ratios (to measure the margin)."""
    path = os.environ.get("SAPIENS2_TOLERANCE_LOG")
    if path:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{test}\t{name}\t{max_ratio:.4f}\t{p99_ratio}\n")


def top2_gap(scores: np.ndarray, axis: int) -> np.ndarray:
    """Best minus second-best score along ``axis`` (the margin of an argmax)."""
    part = -np.partition(-np.asarray(scores, np.float64), 1, axis=axis)
    return np.take(part, 0, axis=axis) - np.take(part, 1, axis=axis)


def assert_labels_tie_aware(
    got: np.ndarray, ref: np.ndarray, ref_scores: np.ndarray, *, axis: int, tol: float
) -> None:
    """Argmax labels equal, except where the reference's two best scores are within ``tol``.

    ``ref_scores`` are the scores the reference argmax was taken over (labels along ``axis``);
    ``tol`` is the float tolerance of those scores, so a pair within ``2 * tol`` may swap order.
    """
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"labels shape {got.shape} != {ref.shape}"
    differ = got != ref
    near_tie = top2_gap(ref_scores, axis) <= 2 * tol
    bad = differ & ~near_tie
    assert not bad.any(), (
        f"{int(bad.sum())} labels differ where the reference's top-2 gap exceeds 2*{tol:.3g} "
        f"({int(differ.sum())} differ in all, {int(near_tie.sum())} near-ties)"
    )


def reduction_and_depth(module: object) -> tuple[int, int]:
    """(longest sum behind one output element, number of summing layers) of a torch module.

    Linear: in_features; Conv2d: in_channels/groups * kh * kw; ConvTranspose2d with stride s: each
    output sums in_channels * kh * kw / s**2 products. A norm layer (InstanceNorm, RMSNorm) counts
    as one more step: its mean / variance is a sum too, and it rescales the error it was handed
    with the values (the output range no longer shows the scale at which that error was made).
    Feeds :func:`tolerance`.
    """
    from torch import nn

    from core.sapiens2.norm import RMSNorm

    sizes = []
    for m in module.modules():  # type: ignore[attr-defined]
        if isinstance(m, nn.Linear):
            sizes.append(m.in_features)
        elif isinstance(m, nn.Conv2d):
            sizes.append(m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1])
        elif isinstance(m, nn.ConvTranspose2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            sizes.append(m.in_channels * k // (m.stride[0] * m.stride[1]))
    norms = sum(isinstance(m, (nn.InstanceNorm2d, RMSNorm)) for m in module.modules())  # type: ignore[attr-defined]
    return max(sizes), len(sizes) + norms


def module_tolerance(module: object, ref: np.ndarray) -> float:
    """:func:`tolerance` for a float32 module without bf16 steps (heads, patch embedding)."""
    reduction, layers = reduction_and_depth(module)
    return tolerance(ref, reduction=reduction, layers=layers)
