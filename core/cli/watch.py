"""``python -m core watch SOURCE --every SECONDS``: the desk check in a loop, on a camera or a video.

Every SECONDS one frame is measured and scored in RULA bands; a line is printed for each body part
whose band is above the neutral one. Ctrl-C stops cleanly (camera released, exit status 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from core.cli._common import add_backend_options, fmt_value, load_backend
from core.errors import InputError, NoPersonFound

if TYPE_CHECKING:
    from core.measure.ergonomics import RulaItem


def _open(source: str):
    import cv2

    cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not cap.isOpened():
        kind = "camera" if source.isdigit() else "video file"
        raise InputError(f"cannot open {kind} {source!r}; check the index or path")
    return cap


def sample_frames(source: str, every_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """(time_s, RGB frame) every ``every_s`` seconds: video time for a file, wall time for a camera."""
    import cv2

    cap = _open(source)
    live = source.isdigit()
    try:
        next_t = 0.0
        start = time.monotonic()
        while True:
            ok, bgr = cap.read()
            if not ok:
                if live:
                    raise InputError(f"camera {source} stopped delivering frames")
                return
            # A camera is read continuously so the frame we measure is the newest, not a stale buffer.
            t = time.monotonic() - start if live else cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if t + 1e-6 >= next_t:
                next_t = t + every_s
                yield t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def describe_item(item: RulaItem) -> str:
    """One alert line's text, e.g. "upper_arm (left) 45.0 deg, band 20-45° (RULA score 2)"."""
    part = f"{item.part} ({item.side})" if item.side else item.part
    return f"{part} {fmt_value(item.angle_deg)} deg, band {item.band} (RULA score {item.score})"


def _run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every command's module is imported for `python -m core --help`.
    from core.analysis import analyze_posture
    from core.measure.ergonomics import LOOK, desk_check

    if not args.every > 0:
        raise InputError(f"--every must be a positive number of seconds (got {args.every})")
    backend = load_backend(args.backend, args.size)
    checks = alerts = 0
    try:
        for t, image in sample_frames(args.source, args.every):
            checks += 1
            try:
                result = analyze_posture(image, backend, view=args.view)
            except NoPersonFound:
                print(f"[{t:8.1f} s] no person in view", flush=True)
            else:
                check = desk_check(result.measures, view=args.view)
                # An alert is a part outside its best RULA band; parts not measured stay quiet.
                for item in (i for i in check.items if i.status == LOOK):
                    alerts += 1
                    print(f"[{t:8.1f} s] look at this: {describe_item(item)}", flush=True)
            if args.max_checks and checks >= args.max_checks:
                break
            if args.source.isdigit():
                time.sleep(min(args.every, 0.05))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    print(f"{checks} checks, {alerts} alerts", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("watch", help="desk check in a loop on a camera or video (RULA bands)")
    p.add_argument("source", help="camera index (0, 1, ...) or video file")
    p.add_argument(
        "--every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between checks (default 5)",
    )
    add_backend_options(p)
    p.add_argument(
        "--view",
        choices=("front", "left", "right", "side"),
        default="side",
        help="camera view (default side: the desk check reads neck and trunk best from the side)",
    )
    p.add_argument(
        "--max-checks", type=int, default=0, help="stop after N checks (default: run until Ctrl-C)"
    )
    p.set_defaults(func=_run)
