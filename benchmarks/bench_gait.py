"""Gait video with the lite backend: wall time per stage, end to end, and the CLI, in one run.

    SAPIENS_MEASURE_MODEL_DIR=../shared/models .venv/bin/python benchmarks/bench_gait.py \
        [--video ../shared/data/walking_side_view.mp4] [--repeat 3] [--masks] [--before DIR]

Stages, each timed on its own (wall and CPU seconds of this process):
  start-up  ``python -c "import core.cli; core.cli.build_parser()"`` in a subprocess (what every
            CLI call pays before it reads an argument), and whether that imports torch;
  model     import MediaPipe and create the VIDEO-mode pose landmarker;
  decode    ``iter_frames`` over the whole video (VP9 decode + BGR->RGB), nothing else;
  pose      ``LiteBackend.estimate_pose`` per frame, frames decoded ahead (``prefetch``); the
            share spent inside MediaPipe's ``detect_for_video`` is reported separately;
  tracking  the recorded poses replayed through ``PersonTracker``;
  measures  ``analyze_gait`` + ``gait_rows`` on the tracked series (imports included);
then ``analyze_gait_video`` end to end in a fresh process state (new backend, so model creation is
included) and the CLI ``python -m core gait VIDEO --backend lite --json`` in a subprocess.
``--masks`` adds the pose stage with person masks on every frame (the pre-change behaviour);
``--before DIR`` also times the CLI of another checkout (e.g. ``git archive HEAD | tar -x -C DIR``).
With ``--repeat N`` each figure is the fastest of N runs (the machine is shared; the minimum is the
least disturbed). The load average is printed so that a noisy run can be recognised.

``--sapiens2`` times Sapiens2 pose instead (random weights, so no checkpoint is needed; the cost is
the same as real weights'): ``analyze_gait_video(video, backend, every=N, batch=B)`` end to end for
each ``--batches`` B, with the seconds per analysed frame and the split between pose calls (of which
person detection) and the rest (waiting for decode, tracking, measures), plus the sampled frames'
decode on its own. The load average and a bf16 matmul peak are printed just before each run::

    .venv/bin/python benchmarks/bench_gait.py --sapiens2 [--size 0.4b] [--dtype bfloat16] \
        [--every 10] [--batches 1 4] [--flip | --no-flip] [--detector auto|none] [--repeat 1]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("SAPIENS_MEASURE_SHARED", ROOT.parent / "shared"))


class Clock:
    """Wall and process-CPU seconds of a block: ``with Clock() as c: ...; c.wall, c.cpu``."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def fastest(repeat: int, run: Callable[[], dict]) -> dict:
    """The run with the smallest ``wall`` of ``repeat`` runs of ``run()``."""
    return min((run() for _ in range(repeat)), key=lambda r: r["wall"])


def env_with_models() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SAPIENS_MEASURE_MODEL_DIR", str(SHARED / "models"))
    return env


def startup(root: Path) -> dict:
    code = "import sys, core.cli as c; c.build_parser(); print('torch' in sys.modules)"
    with Clock() as c:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
        )
    return {"wall": c.wall, "torch": out.stdout.strip() == "True"}


def cli(root: Path, video: Path) -> dict:
    cmd = [sys.executable, "-m", "core", "gait", str(video), "--backend", "lite", "--json"]
    with Clock() as c:
        out = subprocess.run(
            cmd, cwd=root, env=env_with_models(), capture_output=True, text=True, check=True
        )
    payload = json.loads(out.stdout)
    return {"wall": c.wall, "n_frames_used": payload["n_frames_used"], "payload": payload}


def model_stage() -> dict:
    from core.backends.lite import LiteBackend

    with Clock() as c:
        backend = LiteBackend()
        backend._task("pose_video")  # import mediapipe, load the model, build the graph
    backend.close()
    return {"wall": c.wall, "cpu": c.cpu}


def decode_stage(video: Path, every: int = 1) -> dict:
    from core.video import iter_frames

    with Clock() as c:
        n = sum(1 for _ in iter_frames(video, every=every))
    return {"wall": c.wall, "cpu": c.cpu, "frames": n}


def pose_stage(video: Path, *, video_masks: bool) -> dict:
    """estimate_pose on every frame (decoded ahead); returns the poses for the later stages."""
    from core.backends.lite import LiteBackend
    from core.video import iter_frames, prefetch

    backend = LiteBackend(video_masks=video_masks)
    inside = [0.0]
    frames_poses, times, indices, size, calls = [], [], [], (0, 0), 0.0
    with backend.video_session():
        landmarker = backend._task("pose_video")  # created outside the clock: see model_stage
        detect = landmarker.detect_for_video

        def timed_detect(*args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return detect(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - t0

        landmarker.detect_for_video = timed_detect
        with Clock() as c:
            for frame in prefetch(iter_frames(video)):
                t0 = time.perf_counter()
                found = backend.estimate_pose(frame.rgb, timestamp_ms=round(frame.time_s * 1000))
                calls += time.perf_counter() - t0
                frames_poses.append(found)
                times.append(frame.time_s)
                indices.append(frame.index)
                size = (frame.rgb.shape[1], frame.rgb.shape[0])
    backend.close()
    return {
        "wall": c.wall,
        "cpu": c.cpu,
        "estimate_pose": calls,
        "mediapipe": inside[0],
        "poses": frames_poses,
        "times": times,
        "indices": indices,
        "size": size,
    }


def tracking_stage(pose_run: dict) -> dict:
    from core.backends.tracking import PersonTracker

    with Clock() as c:
        tracker = PersonTracker()
        for found in pose_run["poses"]:
            tracker.update(found)
        subject = tracker.subject_poses()
    return {"wall": c.wall, "cpu": c.cpu, "subject": subject}


def measures_stage(pose_run: dict, subject: list) -> dict:
    import numpy as np

    from core.keypoints import PoseSeries

    with Clock() as c:
        from core.measure.gait import analyze_gait
        from core.measure.summary import gait_rows

        series = PoseSeries.from_poses(
            subject,
            np.asarray(pose_run["times"]),
            np.asarray(pose_run["indices"]),
            pose_run["size"],
        )
        result = analyze_gait(series)
        gait_rows(result)
    return {"wall": c.wall, "cpu": c.cpu, "n_steps": result.to_dict()["n_steps"]}


def end_to_end(video: Path) -> dict:
    from core.analysis import analyze_gait_video
    from core.backends.lite import LiteBackend

    with Clock() as c:
        backend = LiteBackend()
        analysis = analyze_gait_video(video, backend)
        backend.close()
    return {"wall": c.wall, "cpu": c.cpu, "n_frames": analysis.n_frames}


def sapiens2_backend(size: str, dtype_name: str, *, flip: bool, detector: str) -> object:
    """A ``Sapiens2Backend`` over a random-weight pose model of ``size`` built straight in ``dtype``."""
    import torch

    from core.backends.sapiens2 import AUTO, Sapiens2Backend
    from core.sapiens2 import build_model
    from core.sapiens2.predictor import PosePredictor
    from core.sapiens2.runtime import materialize_random

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype_name]
    with torch.device("meta"):
        model = build_model(f"pose-{size}")
    predictor = PosePredictor(materialize_random(model, dtype=dtype), dtype=dtype, flip_test=flip)
    backend = Sapiens2Backend(
        predictors={"pose": predictor}, detector=AUTO if detector == "auto" else None
    )
    # Random weights give meaningless scores: keep every keypoint scored >= 0, so that tracking and
    # measures see a skeleton, as with a real model, instead of stopping at "no person found".
    backend.threshold = 0.0
    return backend


def timed_methods(backend: object, names: tuple[str, ...]) -> dict[str, float]:
    """Wrap the backend's methods ``names`` (on the instance) to add up their wall seconds; also
    counts the frames the pose methods get (``"frames"``)."""
    spent = dict.fromkeys((*names, "frames"), 0.0)
    for name in names:
        method = getattr(backend, name)

        def timed(*args: object, _method=method, _name=name, **kwargs: object) -> object:
            if _name.startswith("estimate_pose"):
                spent["frames"] += len(args[0]) if _name == "estimate_pose_frames" else 1
            t0 = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - t0

        setattr(backend, name, timed)
    return spent


def sapiens2_gait_run(video: Path, backend: object, *, every: int, batch: int) -> dict:
    from core.analysis import analyze_gait_video
    from core.errors import NoPersonFound

    names = ("estimate_pose", "estimate_pose_frames", "detect_people")
    spent = timed_methods(backend, names)
    tracked = True
    try:
        with Clock() as c:
            try:
                analyze_gait_video(video, backend, every=every, batch=batch)
            except NoPersonFound:  # random weights, few frames: the timing still holds
                tracked = False
    finally:
        for name in names:
            vars(backend).pop(name, None)  # back to the class's methods
    return {
        "wall": c.wall,
        "cpu": c.cpu,
        "n_frames": int(spent["frames"]),
        "pose": spent["estimate_pose"] + spent["estimate_pose_frames"],
        "detect": spent["detect_people"],
        "tracked": tracked,
    }


def sapiens2_main(args: argparse.Namespace) -> int:
    import numpy as np
    import torch
    from bench_sapiens2 import matmul_peak_gflops

    from core.video import probe_video

    video, every = args.video, args.every
    info = probe_video(video)
    print(
        f"video: {video.name} ({info.n_frames} frames, {info.width}x{info.height}); every {every}; "
        f"Sapiens2 pose-{args.size} {args.dtype}, flip test {'on' if args.flip else 'off'}, "
        f"detector {args.detector}; cpus: {os.cpu_count()}, torch threads: "
        f"{torch.get_num_threads()}"
    )
    with Clock() as c:
        backend = sapiens2_backend(args.size, args.dtype, flip=args.flip, detector=args.detector)
    print(f"model built (random weights) in {c.wall:.1f} s")
    decode = fastest(args.repeat, lambda: decode_stage(video, every))
    # A warm-up forward, and the measures imported (scipy: ~1 s, on a thread that would otherwise
    # compete with the first run only): first-call costs stay out of the figures.
    with Clock() as c:
        backend.estimate_pose(np.zeros((info.height, info.width, 3), np.uint8))
        for name in ("core.measure.gait", "core.measure.summary"):
            importlib.import_module(name)
    print(
        f"warm-up forward {c.wall:.1f} s; sampled frames' decode on its own {decode['wall']:.2f} s"
    )
    print(
        "| batch | frames | total s | s/frame | pose s | of which detect | rest s "
        "| load avg (1 min) | bf16 matmul GFLOP/s |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    untracked: list[int] = []
    for batch in args.batches:
        load = os.getloadavg()[0]
        peak = matmul_peak_gflops(torch.bfloat16)
        run = fastest(
            args.repeat, lambda b=batch: sapiens2_gait_run(video, backend, every=every, batch=b)
        )
        n = run["n_frames"]
        print(
            f"| {batch} | {n} | {run['wall']:.2f} | {run['wall'] / n:.3f} | {run['pose']:.2f} "
            f"| {run['detect']:.2f} | {run['wall'] - run['pose']:.2f} | {load:.2f} | {peak:.0f} |"
        )
        untracked += [] if run["tracked"] else [batch]
    if untracked:
        print(f"batch {untracked}: no subject tracked (random weights); measures not timed")
    backend.close()  # the lite detector it made, while MediaPipe can still shut down cleanly
    print(f"load average after: {os.getloadavg()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "data" / "walking_side_view.mp4")
    parser.add_argument("--repeat", type=int, default=1, help="fastest of N runs per figure")
    parser.add_argument("--masks", action="store_true", help="also time pose with person masks")
    parser.add_argument("--before", type=Path, help="another checkout whose CLI to time too")
    s2 = parser.add_argument_group("Sapiens2 (--sapiens2)")
    s2.add_argument("--sapiens2", action="store_true", help="time Sapiens2 pose, not the lite one")
    s2.add_argument("--size", default="0.4b", help="pose preset size: 0.4b ... or tiny")
    s2.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16")
    s2.add_argument("--every", type=int, default=10, help="analyse every N-th frame")
    s2.add_argument("--batches", type=int, nargs="+", default=[1, 4], help="frames per forward")
    s2.add_argument(
        "--flip",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="flip-test averaging (2x the cost; default off, the fast mode)",
    )
    s2.add_argument(
        "--detector",
        choices=("auto", "none"),
        default="auto",
        help="person boxes from the lite detector when available (auto), or the whole frame",
    )
    args = parser.parse_args()
    os.environ.update(env_with_models())
    if args.sapiens2:
        return sapiens2_main(args)
    video, n = args.video, args.repeat

    print(f"video: {video.name}; cpus: {os.cpu_count()}; load average: {os.getloadavg()}")
    start = fastest(n, lambda: startup(ROOT))
    model = model_stage()  # once: a second run would find MediaPipe imported already
    decode = fastest(n, lambda: decode_stage(video))
    frames = decode["frames"]
    pose = fastest(n, lambda: pose_stage(video, video_masks=False))
    track = fastest(n, lambda: tracking_stage(pose))
    measures = measures_stage(pose, track["subject"])  # once: the first call pays the imports
    e2e = fastest(n, lambda: end_to_end(video))
    run = fastest(n, lambda: cli(ROOT, video))
    rows = [
        ("CLI start-up (imports, parser)", start["wall"], None),
        ("model: MediaPipe import + pose landmarker", model["wall"], model["cpu"]),
        ("decode (iter_frames, RGB)", decode["wall"], decode["cpu"]),
        ("pose, no masks (estimate_pose, decode ahead)", pose["wall"], pose["cpu"]),
        ("  of which inside MediaPipe detect_for_video", pose["mediapipe"], None),
        ("  of which our per-frame code", pose["estimate_pose"] - pose["mediapipe"], None),
        ("tracking (PersonTracker)", track["wall"], track["cpu"]),
        ("measures + events (analyze_gait, gait_rows)", measures["wall"], measures["cpu"]),
    ]
    if args.masks:
        masked = fastest(n, lambda: pose_stage(video, video_masks=True))
        rows.append(("pose with person masks (video_masks=True)", masked["wall"], masked["cpu"]))
        rows.append(("  of which inside MediaPipe detect_for_video", masked["mediapipe"], None))
    rows += [
        ("END TO END in process (analyze_gait_video)", e2e["wall"], e2e["cpu"]),
        ("END TO END CLI (python -m core gait --json)", run["wall"], None),
    ]
    before = None
    if args.before:
        try:
            before = fastest(n, lambda: cli(args.before, video))
            rows.append((f"END TO END CLI of {args.before}", before["wall"], None))
        except subprocess.CalledProcessError as exc:
            print(f"the CLI of {args.before} failed:\n{exc.stderr[-2000:]}")
    print(f"{frames} frames; CLI start-up imports torch: {start['torch']}")
    print("| stage | wall s | CPU s | ms/frame |\n|---|---:|---:|---:|")
    for name, wall, cpu in rows:
        cpu_text = "" if cpu is None else f"{cpu:.2f}"
        print(f"| {name} | {wall:.2f} | {cpu_text} | {1000 * wall / frames:.1f} |")
    print(
        f"frames/s end to end: in process {frames / e2e['wall']:.1f}, CLI {frames / run['wall']:.1f}"
    )
    print(f"CLI: n_frames_used {run['n_frames_used']}, n_steps {run['payload']['n_steps']}")
    if before is not None:
        same = {k: v for k, v in before["payload"].items() if run["payload"].get(k) != v}
        print(f"keys whose value differs from --before: {sorted(same) or 'none'}")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
