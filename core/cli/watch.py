"""``python -m core watch SOURCE``: the desk watch on a camera or a video (docs/MEASURES.md "Desk watch").

Every ``--every`` seconds one frame is measured and scored in RULA bands; a line is printed for each
body part whose band is above the neutral one (not with ``--alerts-only``). The angles are smoothed
over ``--window`` seconds and an ALERT line is printed when a part has stayed outside its neutral
band for ``--alert-after`` seconds; a "recovered" line when it is back. Ctrl-C or the end of the
video ends the work period cleanly (camera released, exit status 0); ``--save SUBJECT`` then stores
it as one session of kind "desk" (band shares per interval, alerts, totals; never a video frame).
A camera that stops delivering frames mid-period also ends and saves it, then exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.cli._common import (
    add_backend_options,
    consented_subject,
    file_sha256,
    fmt_value,
    load_backend,
)
from core.errors import InputError, NoPersonFound
from core.measure.desk_period import KIND, period_params, period_rows
from core.measure.desk_watch import TRACKS, DeskWatch, Event, WatchConfig, frame_angles
from core.measure.view import VIEW_CHOICES
from core.store import Store

if TYPE_CHECKING:
    from core.measure.ergonomics import RulaItem


def _open(source: str):
    import cv2

    cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not cap.isOpened():
        kind = "camera" if source.isdigit() else "video file"
        raise InputError(f"cannot open {kind} {source!r}; check the index or path")
    return cap


def sample_frames(source: str, every_s: float) -> Generator[tuple[float, np.ndarray], None, None]:
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


def describe_event(event: Event) -> str:
    """An alert or recovery line's text (without the time)."""
    if event.kind == "alert":
        return (
            f"ALERT: {event.name} outside its neutral band for {event.held_s:.0f} s "
            f"(smoothed {fmt_value(event.angle_deg)} deg, band {event.band})"
        )
    return f"recovered: {event.name} back after {event.held_s:.0f} s outside its neutral band"


def _config(args: argparse.Namespace) -> WatchConfig:
    if not args.every > 0:
        raise InputError(f"--every must be a positive number of seconds (got {args.every})")
    try:
        return WatchConfig(
            window_s=args.window,
            alert_after_s=args.alert_after,
            recover_s=args.recover,
            interval_s=args.interval,
            max_gap_s=max(2.0, 2.0 * args.every),  # a frame stands for up to two check periods
        )
    except InputError as exc:
        # WatchConfig names its fields; the user typed options.
        msg = str(exc)
        for field, opt in (("alert_after_s", "--alert-after"), ("window_s", "--window"),
                           ("recover_s", "--recover"), ("interval_s", "--interval")):  # fmt: skip
            msg = msg.replace(field, opt)
        raise InputError(msg) from None


def _run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every command's module is imported for `python -m core --help`.
    from core.analysis import analyze_posture, live_flip_test
    from core.measure.ergonomics import LOOK, desk_check

    config = _config(args)
    store = Store() if args.save else None
    try:
        # The subject is checked before the camera opens, so a typo fails fast and nothing is lost.
        subject = consented_subject(store, args.save) if store else None
        backend = load_backend(args.backend, args.size)
        watch = DeskWatch(config)
        start_utc = _utc_now()
        lost_source: InputError | None = None
        checks = looks = 0
        try:
            for t, image in sample_frames(args.source, args.every):
                checks += 1
                angles = np.full(len(TRACKS), np.nan)
                try:
                    result = analyze_posture(
                        image, backend, view=args.view, flip_test=live_flip_test(backend)
                    )
                except NoPersonFound:
                    if not args.alerts_only:
                        print(f"[{t:8.1f} s] no person in view", flush=True)
                else:
                    angles = frame_angles(result.measures)
                    check = desk_check(result.measures, view=result.view)
                    # A look line is a part outside its best RULA band; parts not measured stay quiet.
                    for item in (i for i in check.items if i.status == LOOK):
                        looks += 1
                        if not args.alerts_only:
                            print(f"[{t:8.1f} s] look at this: {describe_item(item)}", flush=True)
                for event in watch.update(t, angles):
                    print(f"[{event.time_s:8.1f} s] {describe_event(event)}", flush=True)
                if args.max_checks and checks >= args.max_checks:
                    break
                if args.source.isdigit():
                    time.sleep(min(args.every, 0.05))
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        except InputError as exc:
            if watch.start_s is None:
                raise
            # A camera that stops mid-period: the period so far is still ended and saved, then the
            # error is reported (exit status 1).
            lost_source = exc
        for event in watch.finish():
            print(
                f"[{event.time_s:8.1f} s] {describe_event(event)} (end of the period)", flush=True
            )
        n_alerts = sum(e.kind == "alert" for e in watch.events)
        print(
            f"{checks} checks, {looks} parts outside their best band, "
            f"{n_alerts} sustained-strain alerts",
            file=sys.stderr,
        )
        if store and subject:
            session_id = _save(store, subject.id, watch, backend, args, start_utc)
            print(f"saved the work period as session {session_id} of {args.save!r}")
        if lost_source is not None:
            raise lost_source
    finally:
        if store:
            store.close()
    return 0


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _save(store: Store, subject_id: int, watch: DeskWatch, backend, args, start_utc: str) -> int:
    if watch.start_s is None:
        raise InputError("nothing to save: no frame was read from the source")
    source_is_file = not args.source.isdigit()
    return store.save_session(
        subject_id,
        kind=KIND,
        backend_info=dict(backend.describe()),
        source_hash=file_sha256(Path(args.source)) if source_is_file else "",
        measurements=period_rows(watch),
        notes=args.notes,
        params=period_params(
            watch,
            start_utc=start_utc,
            end_utc=_utc_now(),
            source="video file" if source_is_file else "camera",
            every_s=args.every,
            view=args.view,
            backend=args.backend,
            size=args.size,
        ),
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch", help="desk watch on a camera or video: RULA bands, alerts on sustained strain"
    )
    p.add_argument("source", help="camera index (0, 1, ...) or video file")
    p.add_argument(
        "--every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between checks (default 1)",
    )
    add_backend_options(p)
    p.add_argument(
        "--view",
        choices=VIEW_CHOICES,
        default="side",
        help="camera view (default side: the desk check reads neck and trunk best from the side; "
        "auto infers it from each frame)",
    )
    p.add_argument(
        "--max-checks", type=int, default=0, help="stop after N checks (default: run until Ctrl-C)"
    )
    seconds = (  # (flag, default, help): the smoothing and alert timings, all in seconds
        ("--window", 10.0, "smoothing window: a change shorter than half of it is ignored (default 10)"),
        ("--alert-after", 300.0, "alert when a part stays outside its neutral band this long (default 300; >= --window)"),
        ("--recover", None, "time back in the neutral band that ends a strain (default: --window)"),
        ("--interval", 60.0, "length of the stored per-interval band shares (default 60)"),
    )  # fmt: skip
    for flag, default, text in seconds:
        p.add_argument(flag, type=float, default=default, metavar="SECONDS", help=text)
    p.add_argument(
        "--alerts-only", action="store_true", help="print only alerts, not every check's bands"
    )
    p.add_argument(
        "--save", metavar="SUBJECT", help="store the work period for this subject (needs consent)"
    )
    p.add_argument("--notes", default="", help="notes stored with the saved work period")
    p.set_defaults(func=_run)
