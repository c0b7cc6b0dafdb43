"""Sapiens2 0.4b on a CUDA GPU: forward time, images per second and the ratio to the matmul bound.

For each task (pose, seg, normal, pointmap), dtype (float32 with TF32 off, bfloat16 weights) and
batch size, a random-weight model built on ``meta`` is allocated straight on the GPU in the run
dtype (as the predictor runs it: no autocast, packed qkv, ``scaled_dot_product_attention``), timed
with CUDA events after warm-up, and compared with an 8192^3 matmul peak measured in the same run.
Then the posture predictor end to end (numpy image in, keypoints out, flip test batched) and a
check that CUDA bf16 stays close to CPU float32 on the same weights.

Run on a machine with a GPU: ``python benchmarks/bench_sapiens2_gpu.py [--batches 1 8]``.
Not a test.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.sapiens2 import build_model  # noqa: E402
from core.sapiens2.predictor import PosePredictor  # noqa: E402
from core.sapiens2.runtime import materialize_random  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def cuda_time_s(fn, *, warmup: int, runs: int) -> float:
    """Median seconds of ``fn()`` over ``runs`` after ``warmup`` calls, timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return statistics.median(times)


def matmul_peak_tflops(dtype: torch.dtype, n: int = 8192) -> float:
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    return 2 * n**3 / cuda_time_s(lambda: a @ b, warmup=3, runs=10) / 1e12


def forward_flops(name: str, hw: tuple[int, int]) -> int:
    with torch.device("meta"):
        model = build_model(name).eval()
        x = torch.empty(1, 3, *hw)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def bench_forwards(args: argparse.Namespace, peaks: dict[str, float]) -> None:
    hw = tuple(args.hw)
    print(
        "\n| model | dtype | batch | TFLOP / image | forward (ms) | images/s | TFLOP/s | x the bound |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for task in args.tasks:
        name = f"{task}-{args.size}"
        flops = forward_flops(name, hw)
        for dname, dtype in DTYPES.items():
            with torch.device("meta"):
                model = build_model(name)
            model = materialize_random(model, device="cuda", dtype=dtype)
            for batch in args.batches:
                x = torch.randn(batch, 3, *hw, device="cuda", dtype=dtype)
                with torch.inference_mode():
                    t = cuda_time_s(lambda m=model, x=x: m(x), warmup=args.warmup, runs=args.runs)
                achieved = flops * batch / t / 1e12
                bound = flops * batch / (peaks[dname] * 1e12)
                print(
                    f"| {name} | {dname} | {batch} | {flops / 1e12:.2f} | {t * 1e3:.1f} | "
                    f"{batch / t:.1f} | {achieved:.0f} | {t / bound:.2f} |"
                )
            del model
            torch.cuda.empty_cache()


def bench_posture(args: argparse.Namespace) -> None:
    image = np.random.default_rng(0).integers(0, 255, (720, 540, 3), dtype=np.uint8)
    print("\n| posture predictor (pose 0.4b, 720x540 photo, one box) | dtype | seconds |")
    print("|---|---|---|")
    for dname, dtype in DTYPES.items():
        with torch.device("meta"):
            model = build_model(f"pose-{args.size}")
        model = materialize_random(model, device="cuda", dtype=dtype)
        for flip in (True, False):
            pred = PosePredictor(model, device="cuda", dtype=dtype, flip_test=flip)
            for _ in range(args.warmup):
                pred.predict(image)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(args.runs):
                pred.predict(image)
            torch.cuda.synchronize()
            t = (time.perf_counter() - t0) / args.runs
            print(f"| flip test {'on (batch 2)' if flip else 'off'} | {dname} | {t:.3f} |")
        del model, pred
        torch.cuda.empty_cache()


def check_agreement(args: argparse.Namespace) -> None:
    """CUDA bf16 and float32 (TF32 off) against CPU float32 on the same random pose weights."""
    hw = (256, 192)  # small, so the CPU reference is quick
    with torch.device("meta"):
        model = build_model(f"pose-{args.size}")
    ref = materialize_random(model, device="cpu", dtype=torch.float32, seed=1)
    x = torch.randn(1, 3, *hw, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        want = ref(x)
    scale = want.abs().max().item()
    print("\n| pose 0.4b at 256x192 vs CPU float32 | max abs diff | relative to max abs |")
    print("|---|---|---|")
    for dname, dtype in DTYPES.items():
        gpu = ref.to(device="cuda", dtype=dtype)
        with torch.inference_mode():
            got = gpu(x.to("cuda", dtype)).float().cpu()
        diff = (got - want).abs().max().item()
        print(f"| cuda {dname} | {diff:.3g} | {diff / scale:.3%} |")
        ref = gpu.to(device="cpu", dtype=torch.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["pose", "seg", "normal", "pointmap"])
    parser.add_argument("--size", default="0.4b")
    parser.add_argument("--hw", nargs=2, type=int, default=[1024, 768], metavar=("H", "W"))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: this benchmark needs a GPU", file=sys.stderr)
        return 1
    # float32 means float32 here: TF32 would change the numbers (and the bound).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(
        f"{torch.cuda.get_device_name()} | torch {torch.__version__} | {platform.python_version()}"
    )
    peaks = {name: matmul_peak_tflops(dtype) for name, dtype in DTYPES.items()}
    print("matmul peak (8192^3): " + ", ".join(f"{k} {v:.0f} TFLOP/s" for k, v in peaks.items()))
    bench_forwards(args, peaks)
    bench_posture(args)
    check_agreement(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
