"""Where pose-0.4b's attention time goes on this CPU: the two products or the softmax (not a test).

At pose-0.4b's shape (3081 tokens, 16 heads) it times PyTorch's SDPA and the own kernel
(``core/sapiens2/cpu_kernels``, where it can run) at head dims 16, 32, 64 and 128, interleaved
(``core.sapiens2.routes.time_interleaved``, medians). The products' work grows with the head dim,
the softmax's (one exp per logit: tokens^2 x heads) does not, so a straight-line fit
``t(d) = a + b d`` splits the time at d = 64 into ``a`` (softmax and everything else that does not
grow with d) and ``64 b`` (the products). The products' bound at the measured bf16 matmul peak is
printed beside them. Prints the CPU, a table and the split.

Run: ``python benchmarks/bench_attention.py [--tokens 3081] [--heads 16] [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sapiens2 import matmul_peak_gflops  # noqa: E402

from core.sapiens2 import cpu_kernels, routes  # noqa: E402

DIMS = (16, 32, 64, 128)


def _candidates(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, own: bool) -> dict:
    qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))
    cands = {"sdpa": lambda: F.scaled_dot_product_attention(qt, kt, vt)}
    if own:
        cands["own"] = lambda: cpu_kernels.attention(q, k, v)
    return cands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=3081)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    n, h = args.tokens, args.heads
    model, flags = routes.cpu_info()
    print(
        f"# {model}; amx: {routes.has_amx(flags)}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; load average {os.getloadavg()}"
    )
    with cpu_kernels.enabled(True):
        own_ok = cpu_kernels.library() is not None
    peaks = [matmul_peak_gflops(torch.bfloat16)]
    times: dict[str, list[float]] = {"sdpa": [], "own": []}
    print("| head dim | SDPA ms | own ms | products' bound ms |")
    print("|---|---|---|---|")
    with torch.inference_mode(), cpu_kernels.enabled(True):
        for d in DIMS:
            q, k, v = (torch.randn(1, n, h, d).to(torch.bfloat16) for _ in range(3))
            cands = _candidates(q, k, v, own_ok)
            med = routes.time_interleaved(cands, args.repeats)
            bound = 4 * n * n * d * h / (peaks[0] * 1e9) * 1e3
            for name in times:
                times[name].append(med.get(name, float("nan")))
            own = f"{med['own']:.1f}" if own_ok else "-"
            print(f"| {d} | {med['sdpa']:.1f} | {own} | {bound:.1f} |", flush=True)
    peaks.append(matmul_peak_gflops(torch.bfloat16))
    print(f"# bf16 matmul peak before/after: {peaks[0]:.0f}/{peaks[1]:.0f} GFLOP/s")
    for name, ts in times.items():
        if not np.isfinite(ts).all():
            continue
        slope, intercept = np.polyfit(DIMS, ts, 1)
        at64 = intercept + 64 * slope
        print(
            f"# {name}: t(d) = {intercept:.1f} + {slope:.3f} d ms; at d = 64 "
            f"{intercept / at64:.0%} does not grow with d (softmax and the rest), "
            f"{64 * slope / at64:.0%} does (the products)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
