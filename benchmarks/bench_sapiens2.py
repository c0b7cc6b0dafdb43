"""Sapiens2 speed and memory on this machine, as ratios to the measured matmul bound (not a test).

For each task (default pose, seg, normal at 0.4b, 1024x768, batch 1, random weights built on
``meta`` and allocated straight in the run dtype) and each dtype it times the backbone and the head
separately, the way the predictor runs them (weights in the dtype, no autocast, inference mode),
counts their FLOPs with ``torch.utils.flop_counter.FlopCounterMode`` on ``meta`` and measures a
2048x2048 matmul peak right before and right after each forward, so every ratio compares figures
taken under the same load. bf16 runs three times by default: the default route (per op, what
``core/sapiens2/routes.py`` chose for this machine), the project's own CPU kernels everywhere
(``core/sapiens2/cpu_kernels``), PyTorch's ops only, and bf16 autocast over float32 weights
(PyTorch's ops), so the four compare within one run; a line then says how far the default is from
the fastest. Then, unless ``--no-posture``, a posture snapshot end to end (decode,
detect, pose with and without flip test, measures, overlay) and, in a fresh process, the peak RSS
with the pose + seg models loaded.

Run: ``python benchmarks/bench_sapiens2.py [--tasks pose seg normal] [--runs 1] [--warmup 0]
[--kernels default own torch autocast]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.backends.base import Backend, Capability  # noqa: E402
from core.sapiens2 import build_model, cpu_kernels, routes  # noqa: E402
from core.sapiens2.device import cpu_has_fast_bf16, dtype_name, pick_dtype  # noqa: E402
from core.sapiens2.runtime import materialize_random  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
PHOTO = ROOT.parent / "shared" / "data" / "cameraman_standing.png"


def matmul_peak_gflops(dtype: torch.dtype, *, n: int = 2048, reps: int = 5) -> float:
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


def count_flops(name: str, hw: tuple[int, int]) -> tuple[int, int]:
    """(backbone, head) FLOPs of one forward at batch 1, counted on the meta device."""
    with torch.device("meta"):
        model = build_model(name).eval()
        x = torch.empty(1, 3, *hw)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        feats = model.backbone(x)
    backbone = counter.get_total_flops()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.decode_head(feats)
    return backbone, counter.get_total_flops()


def load_model(name: str, dtype: torch.dtype) -> torch.nn.Module:
    with torch.device("meta"):
        model = build_model(name)
    return materialize_random(model, dtype=dtype)


@torch.inference_mode()
def time_parts(model: torch.nn.Module, x: torch.Tensor) -> tuple[float, float]:
    t0 = time.perf_counter()
    feats = model.backbone(x)
    t1 = time.perf_counter()
    model.decode_head(feats)
    return t1 - t0, time.perf_counter() - t1


def bench_forward(args: argparse.Namespace, hw: tuple[int, int]) -> None:
    print(
        "| model | dtype | kernels | part | TFLOP | s (median) | GFLOP/s "
        "| matmul peak before/after | ratio to peak | x the bound |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    auto = "bfloat16" if pick_dtype("cpu", "auto") == torch.bfloat16 else "float32"
    for task in args.tasks:
        name = f"{task}-{args.size}"
        flops = count_flops(name, hw)
        every: dict[str, float] = {}  # "dtype kernels" -> seconds, across the dtypes run
        for d in args.dtypes:
            dtype = DTYPES[d]
            if dtype == torch.bfloat16 and not cpu_has_fast_bf16() and not args.slow_bf16:
                # PyTorch's bf16 matmul is scalar code on one thread there (1.2 GFLOP/s on an
                # AVX2-only EPYC): one forward would take most of an hour.
                print(f"# {name} bfloat16: skipped, this CPU has no bf16 instructions "
                      "(PyTorch emulates bf16, about 65x slower; --slow-bf16 times it anyway)")  # fmt: skip
                continue
            model = load_model(name, dtype)
            totals: dict[str, float] = {}
            # core/sapiens2/cpu_kernels is bf16-only: float32 always runs on PyTorch's ops.
            for kernels in args.kernels if dtype == torch.bfloat16 else ["torch"]:
                if kernels == "autocast":
                    continue  # below, on float32 weights
                forced = kernels != "default"
                with cpu_kernels.enabled(kernels == "own") if forced else contextlib.nullcontext():
                    totals[kernels] = bench_one(model, name, dtype, kernels, flops, hw, args)
            del model
            if dtype == torch.bfloat16 and "autocast" in args.kernels:
                # The third candidate: float32 weights, bf16 autocast, PyTorch's ops only.
                model = load_model(name, torch.float32)
                with cpu_kernels.enabled(False), torch.autocast("cpu", dtype=torch.bfloat16):
                    totals["autocast"] = bench_one(model, name, dtype, "autocast", flops, hw, args)
                del model
            done = {k: v for k, v in totals.items() if v is not None}
            every.update({f"{d} {k}": v for k, v in done.items()})
            _versus_fastest(f"{name} {d}: default", "default", done)
        # What a user gets: the dtype "auto" picks on this CPU (float32 where bf16 has no
        # instructions) with its default routes, against every row of this run.
        mine = f"{auto} default" if auto == "bfloat16" else "float32 torch"
        _versus_fastest(f"{name}: auto dtype here is {auto}; its default ({mine})", mine, every)


def _versus_fastest(label: str, mine: str, seconds: dict[str, float]) -> None:
    """Print how far row ``mine`` of ``seconds`` (row -> s) is from the fastest row of this run."""
    if mine not in seconds or len(seconds) < 2:
        return
    fastest = min(seconds, key=seconds.get)
    print(
        f"# {label} {seconds[mine]:.2f} s is {seconds[mine] / seconds[fastest]:.2f}x the fastest "
        f"({fastest}, {seconds[fastest]:.2f} s) of {', '.join(seconds)} in this run",
        flush=True,
    )


def bench_one(
    model: torch.nn.Module,
    name: str,
    dtype: torch.dtype,
    kernels: str,
    flops: tuple[int, int],
    hw: tuple[int, int],
    args: argparse.Namespace,
) -> float | None:
    """Time one model in one dtype and kernel set; print its backbone, head and total rows and
    return the median total in seconds (None where the kernel set cannot run here)."""
    if kernels == "own" and cpu_kernels.status() != "ready":
        print(f"# own bf16 kernels unavailable: {cpu_kernels.status()}")
        return None
    x_dtype = torch.float32 if kernels == "autocast" else dtype  # autocast casts at each op
    x = torch.randn(1, 3, *hw, generator=torch.Generator().manual_seed(0)).to(x_dtype)
    for _ in range(args.warmup):
        time_parts(model, x)
    peaks, times = [matmul_peak_gflops(dtype)], []
    for _ in range(args.runs):
        times.append(time_parts(model, x))
    peaks.append(matmul_peak_gflops(dtype))
    peak = statistics.mean(peaks)
    parts = {
        "backbone": (flops[0], statistics.median(t[0] for t in times)),
        "head": (flops[1], statistics.median(t[1] for t in times)),
        "total": (sum(flops), statistics.median(sum(t) for t in times)),
    }
    for part, (fl, sec) in parts.items():
        gflops = fl / sec / 1e9
        print(
            f"| {name} | {dtype_name(dtype)} | {kernels} | {part} | {fl / 1e12:.2f} | {sec:.1f} "
            f"| {gflops:.0f} | {peaks[0]:.0f}/{peaks[1]:.0f} | {gflops / peak:.2f} "
            f"| {peak / gflops:.2f} |",
            flush=True,
        )
    return parts["total"][1]


def bench_posture(args: argparse.Namespace) -> None:
    """Seconds per stage of a posture snapshot with Sapiens2 pose (random weights, auto dtype)."""
    from core.analysis import analyze_posture
    from core.backends.sapiens2 import Sapiens2Backend
    from core.imaging.decode import decode_image
    from core.imaging.overlay import draw_pose
    from core.sapiens2.predictor import PosePredictor

    dtype = pick_dtype("cpu", "auto")
    predictor = PosePredictor(load_model(f"pose-{args.size}", dtype), dtype=dtype)
    forward_flops = sum(count_flops(f"pose-{args.size}", (1024, 768)))
    for _ in range(args.warmup):  # first calls build oneDNN primitives for the batch-2 shapes
        warm = Sapiens2Backend(predictors={"pose": predictor}, flip_test=True)
        analyze_posture(decode_image(PHOTO), warm)
        warm.close()
    for flip in (True, False):
        predictor.flip_test = flip
        backend = Sapiens2Backend(predictors={"pose": predictor}, flip_test=flip)
        peak = matmul_peak_gflops(dtype)
        t0 = time.perf_counter()
        image = decode_image(PHOTO)
        t1 = time.perf_counter()
        boxes = backend.detect_people(image)
        t2 = time.perf_counter()
        result = analyze_posture(image, _Boxes(backend, boxes))
        t3 = time.perf_counter()
        draw_pose(image, result.pose)
        t4 = time.perf_counter()
        # The bound of its forwards: one per box, two with the flip test, at the measured peak.
        bound = forward_flops * max(1, len(boxes)) * (2 if flip else 1) / (peak * 1e9)
        print(
            f"posture snapshot {dtype_name(dtype)} flip_test={flip} ({image.shape[1]}x{image.shape[0]}, "
            f"{len(boxes)} box(es), detector {type(backend._detector).__name__}): total {t4 - t0:.1f} s = "
            f"decode {t1 - t0:.2f} + detect {t2 - t1:.2f} + pose and measures {t3 - t2:.1f} + overlay "
            f"{t4 - t3:.2f}; matmul peak just before {peak:.0f} GFLOP/s; bound of its forwards "
            f"{bound:.2f} s, so total = {(t4 - t0 - 1.0) / bound:.2f}x the bound + 1 s",
            flush=True,
        )
        backend.close()


class _Boxes(Backend):
    """The backend with its detections fixed, so detection is timed on its own."""

    capabilities = frozenset({Capability.POSE})

    def __init__(self, backend: Backend, boxes: list) -> None:
        self._backend, self._boxes = backend, boxes
        self.flip_test = backend.flip_test

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None) -> list:  # noqa: ANN001
        return self._backend.estimate_pose(image, self._boxes or None, flip_test=flip_test)

    def describe(self) -> dict:
        return self._backend.describe()

    def run_info(self, *, flip_test: bool | None = None) -> dict:
        return self._backend.run_info(flip_test=flip_test)


def _hwm_gib() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def peak_rss(args: argparse.Namespace) -> None:
    """In this (fresh) process: load the pose and seg models in the auto dtype, print peak RSS."""
    dtype = pick_dtype("cpu", "auto")
    before = _hwm_gib()
    models = [load_model(f"{t}-{args.size}", dtype) for t in ("pose", "seg")]
    n = sum(p.numel() for m in models for p in m.parameters())
    after = _hwm_gib()
    print(
        f"peak RSS with pose + seg {args.size} in {dtype_name(dtype)} ({n / 1e6:.0f} M parameters, "
        f"{n * models[0].backbone.ln1.weight.element_size() / 2**30:.2f} GiB of weights): "
        f"{after:.2f} GiB (process before loading: {before:.2f} GiB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["pose", "seg", "normal"])
    parser.add_argument("--size", default="0.4b")
    parser.add_argument("--hw", nargs=2, type=int, default=[1024, 768], metavar=("H", "W"))
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    parser.add_argument(
        "--slow-bf16",
        action="store_true",
        help="time bfloat16 even on a CPU without bf16 instructions (emulated: about an hour a forward)",
    )
    parser.add_argument(
        "--kernels",
        nargs="+",
        default=["default", "own", "torch", "autocast"],
        choices=["default", "own", "torch", "autocast"],
        help="bf16 only: time the chosen routes (default), core/sapiens2/cpu_kernels everywhere "
        "(own), PyTorch's ops only on bf16 weights (torch) and/or bf16 autocast over float32 "
        "weights (autocast)",
    )
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-posture", action="store_true", help="skip the snapshot and RSS parts")
    parser.add_argument("--rss-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_only:
        peak_rss(args)
        return 0

    print(
        f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )
    print(
        f"# cpu native bf16 flags: {cpu_has_fast_bf16()}; load average at start: {os.getloadavg()}"
    )
    if "default" in args.kernels and "bfloat16" in args.dtypes:
        for op, r in routes.routes().items():
            print(f"# default route {op}: {r.choice} ({r.reason})")
    if args.tasks:
        bench_forward(args, tuple(args.hw))
    if not args.no_posture:
        bench_posture(args)
        cmd = [sys.executable, __file__, "--rss-only", "--size", args.size]
        print(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip())
    print(f"# load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
