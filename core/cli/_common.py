"""Helpers the CLI commands share: loading a backend and an image, JSON without NaN, the subject check.

Not a command itself (the leading underscore keeps ``core.cli`` from registering it).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np

from core.backends.names import BACKEND_NAMES
from core.errors import InputError, ModelNotAvailable
from core.hashing import file_sha256, sha256_hex  # noqa: F401 (re-exported for the commands)
from core.inputs import decode_image_bytes, read_input_file  # noqa: F401 (tests import them here)
from core.store import Store, Subject

BACKENDS = BACKEND_NAMES  # the --backend choices


def add_backend_options(parser: Any) -> None:
    parser.add_argument(
        "--backend", choices=BACKENDS, default="auto", help="vision backend (default: auto)"
    )
    parser.add_argument(
        "--size", default="0.4b", help="Sapiens2 size: 0.4b, 0.8b, 1b or 5b (default 0.4b)"
    )


#: Backends opened by the running command; ``core.cli.main`` closes them when it returns.
_OPEN_BACKENDS: list[Any] = []


def load_backend(name: str, size: str) -> Any:
    """The backend the user asked for, via ``core.backends.selection.get_backend``."""
    try:
        from core.backends.selection import get_backend
    except ImportError as exc:
        raise ModelNotAvailable(f"no backends are installed in this build ({exc})") from None
    backend = get_backend(name, size=size)
    _OPEN_BACKENDS.append(backend)
    return backend


def close_backends() -> None:
    """Close what ``load_backend`` opened. Done when the command ends, not at exit: by then
    MediaPipe's worker threads are gone and closing its tasks fails noisily."""
    while _OPEN_BACKENDS:
        _OPEN_BACKENDS.pop().close()


def parse_point(text: str | None) -> tuple[float, float] | None:
    """``"X,Y"`` in pixels -> (x, y)."""
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--point must be X,Y in pixels, e.g. 320,240 (got {text!r})") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InputError(f"--point must be finite numbers (got {text!r})")
    return x, y


def json_safe(value: Any) -> Any:
    """Plain JSON types, with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):
        return json_safe(value.item())
    return str(value)


def print_json(obj: dict) -> None:
    print(json.dumps(json_safe(obj), allow_nan=False, ensure_ascii=False))


def consented_subject(store: Store, label: str) -> Subject:
    """The subject to save into: it must exist and have consent recorded."""
    subject = store.find_subject(label)
    if subject is None:
        raise InputError(
            f"no subject labelled {label!r}; create it first with "
            f"`python -m core subject add {label} --consent` (after the person has consented)"
        )
    if not subject.consent:
        raise InputError(
            f"subject {label!r} has no consent recorded; record it with `python -m core subject consent {label}`"
        )
    return subject


def fmt_value(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1f}"


def warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)
