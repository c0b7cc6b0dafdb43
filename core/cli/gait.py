"""``python -m core gait VIDEO``: cadence, step times, symmetry and heel strikes from a walking video.

``--json`` prints one object whose keys are a fixed contract (see ``REQUIRED_KEYS``); values that
cannot be computed are null and ``warnings`` says why. Too few steps is a warning, not an error;
``quality_grade`` (good / limited / unusable) and ``quality`` (its reasons and figures) grade the walk.
``--3d`` (Sapiens2) adds ``steps_3d``: step length in metres from the pointmap of the heel-strike
frames (docs/MEASURES.md section 9, "Step length in metres"); a saved session stores it too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.analysis3d import gait_steps_3d, load_3d_predictors, with_3d_rows
from core.batch.progress import Progress
from core.cli._common import (
    add_backend_options,
    consented_subject,
    fmt_value,
    load_backend,
    print_json,
)
from core.errors import InputError
from core.sessions.draft import with_rows
from core.store import Store
from core.video.budget import DEFAULT_MAX_SECONDS

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis

REQUIRED_KEYS = (
    "backend", "model", "n_frames_used", "n_steps", "cadence_spm", "step_time_left_s",
    "step_time_right_s", "symmetry_index_step_time_pct", "walking_direction", "heel_strikes",
    "warnings", "quality_grade", "quality",
)  # fmt: skip


def gait_payload(analysis: GaitAnalysis) -> dict[str, Any]:
    """The CLI's JSON object from a ``GaitAnalysis``: every required key present."""
    payload: dict[str, Any] = dict.fromkeys(REQUIRED_KEYS)
    payload.update(analysis.result.to_dict())
    info = analysis.backend_info
    payload["backend"] = info.get("backend")
    payload["model"] = info.get("model")
    payload["size"] = info.get("size")
    payload["dtype"] = info.get("dtype")
    if payload["n_frames_used"] is None:
        payload["n_frames_used"] = analysis.series.n_frames_used
    payload["n_frames_analysed"] = analysis.n_frames
    payload["heel_strikes"] = list(payload["heel_strikes"] or [])
    payload["warnings"] = [str(w) for w in payload["warnings"] or []]
    return payload


class _FrameProgress:
    """``progress(done, total)`` for analyze_gait_video, drawn as the batch runs' bar (rate, time left).

    The bar's clock starts here, before the first frame, so the first rate shown is a real one.
    """

    def __init__(self) -> None:
        self.bar = Progress(0, unit="frames", per_second=True, show_counts=False)

    def __call__(self, done: int, total: int | None) -> None:
        self.bar.total = max(total or 0, done)
        self.bar.advance("analysed")

    def close(self) -> None:
        self.bar.close()


def _run(args: argparse.Namespace) -> int:
    from core.sessions.make import make_gait
    from core.sessions.options import GaitOptions
    from core.store import drafts
    from core.video import check_max_seconds, cut_at_s, cut_message, probe_video

    if args.every < 1:
        raise InputError(f"--every must be >= 1 (got {args.every})")
    if args.batch < 1:
        raise InputError(f"--batch must be >= 1 (got {args.batch})")
    store = Store() if args.save else None
    try:
        subject = consented_subject(store, args.save) if store else None
        path = Path(args.video)
        # One clear error for a missing, empty or non-video file, before the model loads.
        info = probe_video(path, fps=args.fps)
        max_seconds = check_max_seconds(args.max_seconds)
        cut = cut_at_s(info, max_seconds)
        if cut is not None:  # said now, before minutes of work, and again in the warnings
            print(f"note: {cut_message(info, cut, path.name)}", file=sys.stderr)
        height = (
            args.height_m if args.height_m is not None else (subject.height_m if subject else None)
        )
        predictors_3d = _predictors_3d(args)  # missing weights fail before minutes of work
        backend = load_backend(args.backend, args.size)
        progress = _FrameProgress() if args.progress else None
        options = GaitOptions(every=args.every, fps=args.fps, max_seconds=max_seconds,
                              height_m=height, batch=args.batch, fast=args.fast)  # fmt: skip
        made = make_gait(path, backend, options, progress=progress)
        if progress is not None:
            progress.close()
        analysis = made.analysis
        payload, rows_3d = gait_payload(analysis), None
        if predictors_3d is not None:
            payload["steps_3d"], rows_3d = _steps_3d(
                path, analysis, predictors_3d, height, args.fps
            )
        if store and subject:
            rows = None if rows_3d is None else with_3d_rows(analysis.rows, rows_3d)
            draft = with_rows(made.draft, rows, "3d")
            payload["session_id"] = drafts.save(store, subject.id, draft, notes=args.notes)
    finally:
        if store:
            store.close()
    if args.json:
        print_json(payload)
    else:
        print(
            f"{payload['backend']} / {payload['model']}: {payload['n_frames_used']} frames with the subject"
        )
        for key in (
            "n_steps",
            "cadence_spm",
            "step_time_left_s",
            "step_time_right_s",
            "symmetry_index_step_time_pct",
        ):
            value = payload[key]
            print(f"  {key:32s} {value if isinstance(value, int) else fmt_value(value)}")
        print(f"  {'walking_direction':32s} {payload['walking_direction'] or 'n/a'}")
        print(f"  {'quality_grade':32s} {payload['quality_grade'] or 'n/a'}")
        for reason in (payload["quality"] or {}).get("reasons", []):
            print(f"    - {reason['text']}")
        for key, c in payload["joint_angles"].items():
            share = c["reliable_share"]
            span = (f"{fmt_value(c['min_deg'])} to {fmt_value(c['max_deg'])} deg"
                    if c["min_deg"] is not None else "no reliable sample")  # fmt: skip
            judged = (
                f", {share:.0%} of {c['samples']} samples reliable" if share is not None else ""
            )
            print(f"  {key:32s} {span}{judged}")
        for key, value in (payload.get("steps_3d") or {}).get("step_length_m", {}).items():
            print(f"  {key:32s} {fmt_value(value)}  (3D, pointmap of the heel strikes)")
        for w in payload["warnings"] + (payload.get("steps_3d") or {}).get("warnings", []):
            print(f"warning: {w}", file=sys.stderr)
        if "session_id" in payload:
            print(f"saved as session {payload['session_id']} of {args.save!r}")
    return 0


def _predictors_3d(args: argparse.Namespace):  # noqa: ANN202 (Sapiens2 seg and pointmap)
    if not args.three_d:
        return None
    if args.backend != "sapiens2":
        raise InputError("--3d needs --backend sapiens2: the steps come from its pointmap and seg")
    return load_3d_predictors(args.size)


def _steps_3d(path: Path, analysis, predictors, height_m, fps):  # noqa: ANN001, ANN202
    """The ``steps_3d`` part of the JSON and the rows a saved session stores."""
    steps, rows = gait_steps_3d(path, analysis, predictors, height_m=height_m, fps=fps)

    def num(v: float) -> float | None:
        return None if v != v else float(v)  # NaN -> null

    return {
        "step_length_m": {k: num(v) for k, v in steps.lengths_m.items()},
        "per_strike": [
            {"frame": f, "side": side, "step_m": num(v), "reason": why}
            for f, side, v, why in steps.per_strike
        ],
        "scale": steps.scale,
        "stature_pointmap_m": num(steps.stature_m),
        "warnings": list(steps.warnings),
    }, rows


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gait", help="gait events and parameters from a walking video (side view)")
    p.add_argument("video", help="video file (MP4, MOV, WebM, AVI)")
    add_backend_options(p)
    p.add_argument(
        "--every", type=int, default=1, metavar="N", help="analyse every N-th frame (default 1)"
    )
    p.add_argument(
        "--batch",
        type=int,
        default=1,
        metavar="N",
        help="Sapiens2: frames per forward (the lite backend ignores it)",
    )
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate of a video whose header states none (such a video is refused without it)",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=DEFAULT_MAX_SECONDS,
        metavar="S",
        help=f"analyse at most the first S seconds of the video (default {DEFAULT_MAX_SECONDS:g}; "
        "0 = all); a cut is announced and listed in the warnings",
    )
    p.add_argument(
        "--height-m", type=float, default=None, help="body height in metres (else the subject's)"
    )
    p.add_argument(
        "--3d",
        dest="three_d",
        action="store_true",
        help="Sapiens2: also step length in metres from the pointmap of the heel-strike frames "
        "(needs the seg and pointmap weights)",
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="lite: skip the flip test on the frames (half the time; joint-angle curves less steady)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--save", metavar="SUBJECT", help="save a session for this subject label (needs consent)"
    )
    p.add_argument("--notes", default="", help="notes stored with the saved session")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
    p.set_defaults(func=_run)
