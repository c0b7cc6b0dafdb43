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
"""

from __future__ import annotations

import argparse
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


def decode_stage(video: Path) -> dict:
    from core.video import iter_frames

    with Clock() as c:
        n = sum(1 for _ in iter_frames(video))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "data" / "walking_side_view.mp4")
    parser.add_argument("--repeat", type=int, default=1, help="fastest of N runs per figure")
    parser.add_argument("--masks", action="store_true", help="also time pose with person masks")
    parser.add_argument("--before", type=Path, help="another checkout whose CLI to time too")
    args = parser.parse_args()
    os.environ.update(env_with_models())
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
