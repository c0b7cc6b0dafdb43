"""The one parameters key of a session: what, besides the source file, changes its numbers.

Two sessions of the same subject, kind and source file with the same key hold the same numbers, so
the app, the CLI and batch find each other's sessions instead of analysing again. The key is built
from the model that actually ran (``Backend.describe()``: "auto" resolved to lite or sapiens2),
its size, dtype and score threshold, the flip test (Sapiens2's; the lite backend's runs on photos
only, so lite posture keys name it since it came and lite gait keys do not), and the options: the
view and person for a posture photo, the sampling (every, fps, time budget) and the height for a gait video. The
device is left out on purpose: the same model on CPU and on a GPU gives the same measures to well
under a degree, so moving a run to a GPU must not analyse everything again. A session whose key
could not be known (saved before a part of it was recorded) has :data:`UNKNOWN_KEY`, which no
draft ever has, so it is never matched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from core.hashing import sha256_hex
from core.sessions.options import GaitOptions, PostureOptions

#: The key of a stored session that lacks a part of the key: matches nothing.
UNKNOWN_KEY = "unknown"
#: The ``Backend.describe()`` fields that are part of the key (device is not, see above).
MODEL_FIELDS = ("backend", "model", "size", "dtype")


def model_fields(backend_info: Mapping[str, object]) -> dict[str, object]:
    """The key's model part, normalised as the store keeps it (text fields, threshold a float)."""
    out: dict[str, object] = {k: str(backend_info.get(k) or "") for k in MODEL_FIELDS}
    threshold = backend_info.get("threshold")
    out["threshold"] = None if threshold is None else float(threshold)  # type: ignore[arg-type]  # describe() gives a number or None
    flip = backend_info.get("flip_test")
    out["flip_test"] = None if flip is None else bool(flip)  # None: the backend has no flip test
    return out


def key_of(fields: Mapping[str, object]) -> str:
    """SHA-256 of the canonical JSON of ``fields`` (sorted keys, no spaces)."""
    text = json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return sha256_hex(text.encode())


def posture_fields(
    backend_info: Mapping[str, object], options: PostureOptions
) -> dict[str, object]:
    model = model_fields(backend_info)
    if model["flip_test"] is not None:
        model["flip_test"] = not options.fast  # the maker sets the flip test from the options
    point = None if options.point is None else [float(v) for v in options.point]
    return {"kind": "posture", **model, "view": options.view, "point": point}


def gait_fields(backend_info: Mapping[str, object], options: GaitOptions) -> dict[str, object]:
    model = model_fields(backend_info)
    if model["backend"] == "lite":  # its frames flip since 2026-12-07, unless fast
        model["flip_test"] = not options.fast
    fps = None if options.fps is None else float(options.fps)
    height = None if options.height_m is None else float(options.height_m)
    return {
        "kind": "gait",
        **model,
        "every": int(options.every),
        "fps": fps,
        "max_seconds": options.budget_s(),
        "height_m": height,
    }


def posture_key(backend_info: Mapping[str, object], options: PostureOptions) -> str:
    """The key of a posture session made by the backend ``backend_info`` describes.

    Examples
    --------
    >>> info = {"backend": "lite", "model": "full", "size": "", "dtype": "float32",
    ...         "threshold": 0.5, "device": "cpu"}
    >>> a = posture_key(info, PostureOptions(view="front"))
    >>> a == posture_key({**info, "device": "cuda"}, PostureOptions(view="front"))
    True
    >>> a == posture_key(info, PostureOptions(view="side"))
    False
    """
    return key_of(posture_fields(backend_info, options))


def gait_key(backend_info: Mapping[str, object], options: GaitOptions) -> str:
    """The key of a gait session made by the backend ``backend_info`` describes (its flip test
    as it ran: the gait path never switches it)."""
    return key_of(gait_fields(backend_info, options))
