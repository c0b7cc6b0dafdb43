"""The gait page's frame inspector: one analysed frame with the tracked skeleton, whether the walker
was tracked there, that frame's per-frame signals (names, units and decimals from
``core.measure.display``) and the gait events at that frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from core.app.errors import attempt
from core.app.gait_run import limits, pose_at
from core.measure.display import display_info, format_number
from core.measure.summary import GAIT_SERIES_UNITS

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis


def tracked_at(analysis: GaitAnalysis, t: int) -> int:
    """How many of the walker's keypoints analysed frame ``t`` holds (0: not tracked there)."""
    return int(np.isfinite(np.asarray(analysis.series.xy[t])).all(axis=1).sum())


def frame_values(analysis: GaitAnalysis, t: int) -> pd.DataFrame:
    """The per-frame signals of analysed frame ``t``: ``signal`` (words), ``filtered`` and ``raw``
    (formatted with the unit; "not measured" where the frame has none)."""
    table = analysis.result.series
    rows = []
    for col, unit in GAIT_SERIES_UNITS.items():
        if col not in table.columns:
            continue
        raw = table[f"{col}_raw"].iloc[t] if f"{col}_raw" in table.columns else np.nan
        rows.append(
            {
                "signal": display_info(col, "", unit).name,
                "filtered": format_number(table[col].iloc[t], unit),
                "raw": format_number(raw, unit),
            }
        )
    return pd.DataFrame(rows, columns=["signal", "filtered", "raw"])


def events_at(analysis: GaitAnalysis, t: int) -> list[str]:
    """The heel strikes and toe-offs whose nearest analysed frame is ``t`` ("heel strike (left)")."""
    frame = int(analysis.series.frame_index[t])
    result = analysis.result
    events = [*result.heel_strikes, *result.toe_offs]
    return [
        f"{display_info(e.kind).name.lower()} ({e.side}) at {e.time_s:.2f} s"
        for e in sorted(events, key=lambda e: e.time_s)
        if int(e.frame) == frame
    ]


def tracking_text(analysis: GaitAnalysis, t: int) -> str:
    """One line: tracked there (with how many points), or not."""
    n, k = tracked_at(analysis, t), int(np.asarray(analysis.series.xy).shape[1])
    if n == 0:
        return "The walker was not tracked in this frame (not in view, hidden, or not found): no skeleton and no values."  # fmt: skip
    return f"The walker was tracked in this frame ({n} of {k} keypoints)."


def render_frame_inspector(path: Path, analysis: GaitAnalysis, fps: float | None = None) -> None:
    """A slider over the analysed frames; the chosen frame with the tracked skeleton, whether the
    walker was tracked there, and that frame's values."""
    from core.imaging.overlay import draw_pose
    from core.video import frame_at

    n = len(analysis.series)
    t = st.slider("Analysed frame", 0, max(0, n - 1), 0, key="gait_frame")
    time_s = float(analysis.series.time_s[t])
    index = int(analysis.series.frame_index[t])
    # A checked seek: not every frame before it decoded again (core/video/seek.py).
    frame = attempt(frame_at, path, index, time_s, fps=fps, **limits())
    picture, values = st.columns([3, 2])
    if frame is not None:
        picture.image(
            draw_pose(frame.rgb, pose_at(analysis, t)),
            caption=f"frame {index} at {time_s:.2f} s",
        )
    tracked = tracked_at(analysis, t) > 0
    (values.info if tracked else values.warning)(tracking_text(analysis, t))
    values.table(frame_values(analysis, t), hide_index=True)
    for event in events_at(analysis, t):
        values.caption(f"This frame: {event}.")
