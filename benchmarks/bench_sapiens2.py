"""Sapiens2 forward time on this machine, as a ratio to the measured matmul bound (not a test).

For each task (default pose, seg, normal at 0.4b, 1024x768, batch 1, random weights) and each dtype
(float32; bfloat16 via ``torch.autocast`` as the predictor runs it), it times the forward pass
(warm-up + timed runs), counts its FLOPs with ``torch.utils.flop_counter.FlopCounterMode`` (on the
``meta`` device, so counting costs no compute) and measures a 2048x2048 matmul peak per dtype in
the same run, then prints achieved GFLOP/s and the ratio to that peak.

Run: ``python benchmarks/bench_sapiens2.py [--tasks pose seg normal] [--runs 2] [--warmup 1]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.sapiens2 import build_model  # noqa: E402
from core.sapiens2.device import cpu_has_fast_bf16, dtype_name  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def matmul_peak_gflops(dtype: torch.dtype, *, n: int = 2048, reps: int = 10) -> float:
    """Best-of-``reps`` GFLOP/s of an n x n x n matmul (2 n^3 FLOPs) in ``dtype``."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(dtype)
    b = torch.randn(n, n, generator=gen).to(dtype)
    torch.mm(a, b)  # warm-up (thread pool, packing buffers)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def count_flops(name: str, hw: tuple[int, int]) -> int:
    """FLOPs of one forward (batch 1), counted on the meta device."""
    with torch.device("meta"):
        model = build_model(name).eval()
        x = torch.empty(1, 3, *hw)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def time_forward(
    model: torch.nn.Module, x: torch.Tensor, dtype: torch.dtype, *, warmup: int, runs: int
) -> list[float]:
    """Wall-clock seconds of each timed forward under inference mode (+ bf16 autocast)."""
    times = []
    for i in range(warmup + runs):
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32),
        ):
            t0 = time.perf_counter()
            model(x)
            dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["pose", "seg", "normal"])
    parser.add_argument("--size", default="0.4b")
    parser.add_argument("--hw", nargs=2, type=int, default=[1024, 768], metavar=("H", "W"))
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    hw = tuple(args.hw)

    print(
        f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )
    print(
        f"# cpu native bf16 flags: {cpu_has_fast_bf16()}; load average at start: {os.getloadavg()}"
    )
    peaks = {d: matmul_peak_gflops(DTYPES[d]) for d in args.dtypes}
    for d, p in peaks.items():
        print(f"matmul 2048^3 peak {d}: {p:.0f} GFLOP/s")
    print("| task | dtype | TFLOP | forward s (median) | runs s | GFLOP/s | ratio to matmul peak |")
    print("|---|---|---|---|---|---|---|")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, *hw, generator=gen)
    for task in args.tasks:
        name = f"{task}-{args.size}"
        flops = count_flops(name, hw)
        torch.manual_seed(0)
        model = build_model(name).eval()  # random init: the speed does not depend on the weights
        for d in args.dtypes:
            times = time_forward(model, x, DTYPES[d], warmup=args.warmup, runs=args.runs)
            med = statistics.median(times)
            gflops = flops / med / 1e9
            runs = ", ".join(f"{t:.1f}" for t in times)
            print(
                f"| {name} | {dtype_name(DTYPES[d])} | {flops / 1e12:.2f} | {med:.1f} | {runs} | {gflops:.0f} "
                f"| {gflops / peaks[d]:.2f} |",
                flush=True,
            )
        del model
    print(f"# load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
