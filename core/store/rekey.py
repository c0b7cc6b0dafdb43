"""Schema version 3's data step: the parameters key (``core.sessions.key``) of sessions saved
before the key existed, recomputed from what each session recorded; never guessed.

Before version 3 each surface kept its own options: the app ``{"kind", "view" | "every",
"height_m", "backend": "<backend=...|device=...>", "fast"}``, the CLI ``{"view", "view_used",
"point", "backend": "auto" ...}`` or ``{"every", "height_m", "cut_at_s" ...}``, batch the CLI's plus
``settings_fingerprint``. The model part of the key comes from the session's own columns (the model
that ran). A session that lacks a part of the key gets :data:`UNKNOWN_KEY` and is never matched:
a Sapiens2 photo from the CLI or batch (``--fast`` left no trace), any Sapiens2 video (the app's
shared backend could have been left without its flip test), a video whose time budget was not
recorded (the app's and most CLI ones; sessions older than the budget read whole videos), and
anything whose options do not read as one of the shapes above.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from core.sessions.key import UNKNOWN_KEY, gait_fields, key_of, posture_fields
from core.sessions.options import GaitOptions, PostureOptions


class _Unknown(Exception):
    """A part of the key that the session did not record."""


def _surface(params: Mapping[str, object]) -> str:
    """ "app", "batch" or "cli": which code saved a session, from the shape of its options."""
    if "settings_fingerprint" in params:
        return "batch"
    if params.get("kind") in ("posture", "gait") and "backend=" in str(params.get("backend")):
        return "app"
    return "cli"


def _number(value: object, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    return _required(value)


def _required(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unknown
    return float(value)


def _posture(info: dict, params: Mapping[str, object], surface: str) -> dict[str, object]:
    view = params.get("view")
    if not isinstance(view, str):
        raise _Unknown
    fast = False
    if info["backend"] == "sapiens2":
        if surface != "app":  # the CLI's --fast was not recorded; batch never said either
            raise _Unknown
        fast = params.get("fast", False) is True  # the app set the flip test to "not fast"
        info = {**info, "flip_test": True}  # posture_fields reads the flip test from the options
    point = params.get("point")
    if point is not None:
        if not isinstance(point, list) or len(point) != 2:
            raise _Unknown
        point = (_required(point[0]), _required(point[1]))
    return posture_fields(info, PostureOptions(view=view, fast=fast, point=point))


def _gait(info: dict, params: Mapping[str, object], surface: str) -> dict[str, object]:
    if info["backend"] == "sapiens2":
        raise _Unknown  # no session recorded the flip test its video ran with
    every = params.get("every")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise _Unknown
    if surface == "batch" and "max_seconds" in params:
        budget = _number(params["max_seconds"], optional=False)
    elif surface == "cli" and "cut_at_s" in params:
        budget = _number(params["cut_at_s"], optional=False)  # a cut happens at the budget
    else:
        raise _Unknown
    # Lite video frames first flipped on 2026-12-07, long after schema version 3: every lite gait
    # session this step rekeys ran without it, which is what fast says (gait_fields reads the lite
    # flip test from the options, so a flip_test in ``info`` would be overwritten).
    options = GaitOptions(every=every, fps=_number(params.get("fps")), max_seconds=budget,
                          height_m=_number(params.get("height_m")), fast=True)  # fmt: skip
    return gait_fields(info, options)


def legacy_key(kind: str, columns: Mapping[str, object], params_json: str) -> str:
    """The parameters key of a session saved before schema version 3, or :data:`UNKNOWN_KEY`.

    ``columns``: the session's backend, model, size, dtype and threshold; ``params_json``: its
    stored options. Kinds other than posture and gait have no key ('').
    """
    if kind not in ("posture", "gait"):
        return ""
    try:
        params = json.loads(params_json or "{}")
    except (ValueError, RecursionError):
        return UNKNOWN_KEY
    if not isinstance(params, dict) or not params:
        return UNKNOWN_KEY
    info = {k: columns.get(k) for k in ("backend", "model", "size", "dtype", "threshold")}
    build = _posture if kind == "posture" else _gait
    try:
        return key_of(build(info, params, _surface(params)))
    except (_Unknown, ValueError, TypeError):
        return UNKNOWN_KEY


def rekey_sessions(conn: sqlite3.Connection) -> int:
    """Set ``params_key`` of every session from its recorded options; returns how many are known."""
    rows = conn.execute(
        "SELECT id, kind, backend, model, size, dtype, threshold, params_json FROM sessions"
    ).fetchall()
    known = 0
    for sid, kind, backend, model, size, dtype, threshold, p_json in rows:
        columns = {"backend": backend, "model": model, "size": size, "dtype": dtype,
                   "threshold": threshold}  # fmt: skip
        key = legacy_key(kind, columns, p_json)
        known += key not in ("", UNKNOWN_KEY)
        conn.execute("UPDATE sessions SET params_key = ? WHERE id = ?", (key, sid))
    return known
