"""``python -m core COMMAND``: the headless twin of the pages.

Each module in this package that defines ``register(subparsers)`` is one command; ``register`` adds
its parser and sets ``func(args) -> int``. Errors the user can act on (``SapiensMeasureError``) are
printed as one line on stderr with exit status 1; no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pkgutil
import sys
from collections.abc import Iterator

from core import __version__
from core.errors import SapiensMeasureError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Sapiens Measure: body measurements from photos and videos, computed locally. "
        "Measurements, not diagnoses.",
    )
    parser.add_argument("--version", action="version", version=f"sapiens-measure {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _writes_to_fd2(stream: object) -> bool:
    try:
        return stream.fileno() == 2  # type: ignore[attr-defined]  # any stream: no fileno is the except below
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return False


@contextlib.contextmanager
def _native_logs_silenced() -> Iterator[None]:
    """Send what native libraries (MediaPipe's LiteRT, OpenCV, FFmpeg) write to file descriptor 2 to
    /dev/null, while Python's ``sys.stderr`` (errors, progress) still reaches the real stderr.

    Their INFO/WARNING chatter would otherwise bury the one error line the CLI promises.
    ``SAPIENS_MEASURE_NATIVE_LOGS=1`` keeps them. When ``sys.stderr`` does not write to fd 2 (a test
    runner's capture, an embedding host) it is left as it is.
    """
    if os.environ.get("SAPIENS_MEASURE_NATIVE_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no fd 2 at all: nothing to silence
        yield
        return
    old_stderr = sys.stderr
    if _writes_to_fd2(old_stderr):
        sys.stderr = io.TextIOWrapper(
            os.fdopen(os.dup(saved), "wb", buffering=0), write_through=True
        )
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if sys.stderr is not old_stderr:
            sys.stderr.close()
            sys.stderr = old_stderr


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    with _native_logs_silenced():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from core.cli._common import close_backends

    try:
        return int(args.func(args) or 0)
    except SapiensMeasureError as exc:
        from core.imaging.decode import one_line  # a message from a decoder can hold newlines

        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stops the flush at exit failing again
        return 0
    finally:
        close_backends()
