"""``python -m core fetch lite|sapiens2``: the explicit, user-started model downloads (progress on stderr)."""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import ModelNotAvailable
from core.sapiens2.presets import SIZES, TASKS  # torch-free: defined once there


class _Progress:
    """Prints "name: 12.3 / 45.6 MB (27%)" on one stderr line per file, at most every 1% or MB."""

    def __init__(self) -> None:
        self._last: tuple[str, int] | None = None

    def __call__(self, name: str, done: int, total: int | None) -> None:
        mark = int(100 * done / total) if total else done >> 20
        if self._last == (name, mark):
            return
        if self._last and self._last[0] != name:
            print(file=sys.stderr)
        self._last = (name, mark)
        text = (
            f"{name}: {done / 1e6:.1f} / {total / 1e6:.1f} MB ({mark}%)"
            if total
            else f"{name}: {done / 1e6:.1f} MB"
        )
        print(f"\r{text}", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self._last:
            print(file=sys.stderr)
        self._last = None


def _fetch(args: argparse.Namespace) -> int:
    progress = _Progress()
    if args.what == "lite":
        from core.backends.models import fetch_lite_models

        def notice(text: str) -> None:
            progress.finish()
            print(f"note: {text}", file=sys.stderr)

        try:
            paths = fetch_lite_models(progress, force=args.force, notice=notice)
        finally:
            progress.finish()  # so that an error line starts on a line of its own
        for key, path in paths.items():
            print(f"{key}: {path}")
        return 0
    try:
        hub = importlib.import_module("core.sapiens2.hub")
    except ModuleNotFoundError as exc:
        raise ModelNotAvailable(
            "Sapiens2 downloads are not part of this build (core.sapiens2.hub is missing)"
        ) from exc
    name = f"sapiens2_{args.size}_{args.task}"
    path = hub.download_checkpoint(
        args.task, args.size, progress=lambda done, total: progress(name, done, total)
    )
    progress.finish()
    print(path)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fetch`` command."""
    parser = subparsers.add_parser(
        "fetch",
        help="download model files (the only command that goes online)",
        description="Download model files. lite: MediaPipe's published pose, segmenter, face and hand models "
        "(when MediaPipe's model storage cannot be reached, the same files are built from the "
        "mediapipe 0.10.21 wheel fetched with pip, so a pip mirror is enough); "
        "sapiens2: one official Sapiens2 checkpoint (Sapiens2 License).",
    )
    parser.add_argument("what", choices=("lite", "sapiens2"))
    parser.add_argument(
        "--task", choices=TASKS, default="pose", help="sapiens2 task (default: pose)"
    )
    parser.add_argument(
        "--size", choices=SIZES, default="0.4b", help="sapiens2 size (default: 0.4b)"
    )
    parser.add_argument(
        "--force", action="store_true", help="lite: download even files found locally"
    )
    parser.set_defaults(func=_fetch)
