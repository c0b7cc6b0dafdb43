"""The typed session the app, the CLI and batch hand to the store (``core.store.drafts.save``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

SessionKind = Literal["posture", "gait"]

#: Measures every posture readout carries (null when not visible), whatever the measurement
#: module adds: the CLI's JSON and the batch summary's columns.
REQUIRED_MEASURES = (
    "left_knee_angle_deg", "right_knee_angle_deg", "left_hip_angle_deg", "right_hip_angle_deg",
    "left_elbow_angle_deg", "right_elbow_angle_deg", "neck_flexion_deg", "trunk_lean_deg",
    "shoulder_tilt_deg", "hip_tilt_deg",
)  # fmt: skip


@dataclass(frozen=True)
class SessionDraft:
    """One analysed photo or video, ready to be stored.

    kind: "posture" or "gait"; source_hash: hex SHA-256 of the source file's bytes; key: the
    parameters key (``core.sessions.key``); rows: the measurement rows (columns frame, time_s,
    metric, side, value, unit); backend_info: ``Backend.describe()`` of the model that ran;
    params: the options as stored with the session (``params_json``); artifacts: file name ->
    bytes (the posture overlay, the gait overlay video when the caller made one); warnings: what
    the readout says about the result; quality: the gait grade ("good", "limited", "unusable"),
    None for a posture photo.
    """

    kind: SessionKind
    source_hash: str
    key: str
    rows: pd.DataFrame = field(repr=False)
    backend_info: Mapping[str, object]
    params: Mapping[str, object]
    artifacts: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()
    quality: str | None = None


def with_rows(draft: SessionDraft, rows: pd.DataFrame | None, flag: str) -> SessionDraft:
    """``draft`` with more measurement rows appended (``rows``: the full set to store, e.g. the 2D
    rows plus the 3D ones), marked ``params[flag] = True`` and under its own key, so the same
    source saved without them is another session. None: ``draft`` unchanged."""
    from dataclasses import replace

    from core.hashing import sha256_hex

    if rows is None:
        return draft
    key = sha256_hex(f"{draft.key}+{flag}".encode())
    return replace(draft, rows=rows, params={**draft.params, flag: True}, key=key)
