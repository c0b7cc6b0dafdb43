"""What the 3D option adds to a posture photo: the Sapiens2 seg and pointmap forwards (not a test).

Each predictor is built with random weights on ``meta`` and allocated straight in the run dtype on
the CPU (as ``bench_sapiens2.py`` does), then ``predict`` (letterbox, forward, post-processing) is
timed on one photo, followed by the 3D measures on their outputs (a standing skeleton's keypoints:
the random models' numbers mean nothing, only their cost). The total is printed beside the
estimate the posture page shows (``core.analysis3d.extra_seconds_3d``) and their ratio; a ratio far
from 1 on the machines users run means the table there needs this machine's figures.

Run: ``python benchmarks/bench_pose3d.py [--size 0.4b] [--dtype auto|float32|bfloat16] [--runs 1]
[--warmup 0]``. One forward of pointmap-0.4b is ~8.3 TFLOP: tens of seconds on two cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.analysis3d import FLOPS_3D_TFLOP, extra_seconds_3d  # noqa: E402
from core.backends.fake import standing_skeleton  # noqa: E402
from core.keypoints import CANONICAL_NAMES  # noqa: E402
from core.measure.pose3d_measures import analyze_3d  # noqa: E402
from core.sapiens2 import build_model  # noqa: E402
from core.sapiens2.device import dtype_name, pick_dtype  # noqa: E402
from core.sapiens2.predictor import PointmapPredictor, SegPredictor  # noqa: E402
from core.sapiens2.runtime import materialize_random  # noqa: E402

PHOTO = ROOT.parent / "shared" / "data" / "cameraman_standing.png"


def _photo() -> np.ndarray:
    """The shared sample photo when present, else a mid-grey 768 x 1024 one (same cost)."""
    if PHOTO.is_file():
        from core.imaging.decode import decode_image

        return decode_image(PHOTO)
    return np.full((1024, 768, 3), 128, np.uint8)


def _predictor(cls: type, task: str, size: str, dtype: torch.dtype):  # noqa: ANN205
    with torch.device("meta"):
        model = build_model(f"{task}-{size}")
    return cls(materialize_random(model, dtype=dtype), dtype=dtype)


def _time(fn, runs: int, warmup: int) -> tuple[float, object]:  # noqa: ANN001
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="0.4b", choices=list(FLOPS_3D_TFLOP))
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args(argv)
    dtype = pick_dtype("cpu", args.dtype)
    print(
        f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}, {dtype_name(dtype)}, "
        f"load average at start: {os.getloadavg()}"
    )
    image = _photo()
    seconds = {}
    t0 = time.perf_counter()
    seg = _predictor(SegPredictor, "seg", args.size, dtype)
    point = _predictor(PointmapPredictor, "pointmap", args.size, dtype)
    print(f"built both models with random weights in {time.perf_counter() - t0:.1f} s")
    seconds["seg"], seg_out = _time(lambda: seg.predict(image), args.runs, args.warmup)
    seconds["pointmap"], pm_out = _time(lambda: point.predict(image), args.runs, args.warmup)
    h, w = image.shape[:2]
    skeleton = standing_skeleton(w, h)
    xy = np.array([skeleton.get(n, (np.nan, np.nan)) for n in CANONICAL_NAMES], np.float64)
    seconds["3D measures"], _ = _time(
        lambda: analyze_3d(xy, pm_out.xyz, seg_out.class_map), args.runs, 0
    )
    for part, sec in seconds.items():
        print(f"| {args.size} | {dtype_name(dtype)} | {part} | {sec:.2f} s |")
    total = sum(seconds.values())
    estimate = extra_seconds_3d(args.size, "cpu", dtype_name(dtype))
    ratio = f"{total / estimate:.2f}" if estimate else "n/a"
    print(
        f"3D option adds {total:.1f} s on this machine ({image.shape[1]}x{image.shape[0]} photo); "
        f"the page's estimate: {estimate and round(estimate, 1)} s; measured / estimate = {ratio}"
    )
    print(f"# load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
