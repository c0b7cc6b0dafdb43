"""``python -m core COMMAND``: the headless twin of the pages.

Each module in this package that defines ``register(subparsers)`` is one command; ``register`` adds
its parser and sets ``func(args) -> int``. Errors the user can act on (``SapiensMeasureError``) are
printed as one line on stderr with exit status 1; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except SapiensMeasureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
