"""Batch throughput: posture photos per minute and seconds per walking video, local vs Ray engine.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/bench_batch.py \
        --photos 16 --videos 2 --workers 1 2 --engines local ray

Builds an archive in a temporary folder from ``../shared/data`` (every copy in its own subject
folder, so no file is a duplicate of another), runs ``core.batch.run.run_batch`` on a fresh data
folder per case, and prints a Markdown table. Times are wall-clock for the whole run, worker
start-up and model loading included, as a user sees them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.batch.run import BatchOptions, run_batch  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.store import Store  # noqa: E402

SHARED = Path(os.environ.get("SAPIENS_MEASURE_SHARED", ROOT.parent / "shared"))
PHOTOS = ("cameraman_standing.png", "astronaut_upper_body.png")


def build(root: Path, kind: str, n: int) -> Path:
    data = SHARED / "data"
    for i in range(n):
        folder = root / f"S{i:03d}"
        folder.mkdir(parents=True)
        if kind == "posture":
            shutil.copy(data / PHOTOS[i % len(PHOTOS)], folder / f"photo{i}.png")
        else:
            shutil.copy(data / "walking_side_view.mp4", folder / "walk.mp4")
    return root


def run_case(archive: Path, engine: str, workers: int, backend: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "SAPIENS_MEASURE_DATA_DIR": data}
        with Store(load_settings(env)) as store:
            options = BatchOptions(backend=backend, engine=engine, workers=workers,
                                   consent_confirmed=True, summary_path=Path(data) / "s.csv")  # fmt: skip
            start = time.perf_counter()
            report = run_batch(archive, options, store=store, show_progress=False)
            return time.perf_counter() - start, report.counts["processed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--videos", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", default=["local", "ray"])
    parser.add_argument("--backend", default="lite")
    args = parser.parse_args()
    print("| engine | workers | photos | photos/min | videos | s/video |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        photos = build(Path(tmp) / "photos", "posture", args.photos)
        videos = build(Path(tmp) / "videos", "gait", args.videos)
        for engine in args.engines:
            for workers in args.workers:
                t_p, n_p = run_case(photos, engine, workers, args.backend)
                t_v, n_v = (
                    run_case(videos, engine, workers, args.backend) if args.videos else (0, 0)
                )
                per_min = n_p / t_p * 60 if n_p else float("nan")
                per_video = t_v / n_v if n_v else float("nan")
                print(f"| {engine} | {workers} | {n_p} | {per_min:.1f} | {n_v} | {per_video:.1f} |",
                      flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
