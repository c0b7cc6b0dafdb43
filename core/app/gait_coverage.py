"""Where in the clip the gait signals are, and why not elsewhere: the walker was not tracked (not in
view, hidden behind something) or was tracked without the points the signals need.

The chart spans the whole clip and greys the stretches without the walker; the note under it says
when the signals start and end, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis

#: A stretch inside the walk without the walker shorter than this is not named in the note (a
#: missed detection or two); the chart greys it all the same.
MIN_GAP_S = 0.3


@dataclass(frozen=True)
class Coverage:
    """start_s, end_s: the first and last analysed time with a signal (None when none); clip_s:
    the clip's length; analysed_s: the time up to which it was analysed (the time budget's cut, or
    ``clip_s``); untracked: (start_s, end_s) stretches of analysed frames without the walker;
    reason_before, reason_after: why the signals start late and end early ("" when they do not)."""

    start_s: float | None
    end_s: float | None
    clip_s: float
    analysed_s: float
    untracked: tuple[tuple[float, float], ...]
    reason_before: str = ""
    reason_after: str = ""


NOT_TRACKED = "the walker was not tracked (not in view or hidden)"
NO_POINTS = (
    "the walker was only partly in view (the hips, shoulders, nose or ankles the signals need "
    "were outside the frame or hidden)"
)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[a, b) index runs where ``mask`` is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _why(tracked: np.ndarray) -> str:
    """Why the frames ``tracked`` describes have no signal."""
    return NO_POINTS if tracked.all() else NOT_TRACKED


def coverage(
    analysis: GaitAnalysis, signals: tuple[str, ...], clip_s: float, fps: float
) -> Coverage:
    """The coverage of ``signals`` (columns of ``analysis.result.series``) over a clip of
    ``clip_s`` seconds at ``fps`` frames a second (one frame lasts 1 / fps)."""
    t = np.asarray(analysis.series.time_s, dtype=float)
    tracked = np.isfinite(np.asarray(analysis.series.xy)).any(axis=(1, 2))
    table = analysis.result.series
    cols = [c for c in signals if c in table.columns]
    shown = (
        np.isfinite(table[cols].to_numpy(dtype=float)).any(axis=1)
        if cols
        else np.zeros(len(t), bool)
    )
    analysed_s = clip_s if analysis.cut_at_s is None else min(clip_s, analysis.cut_at_s)
    step = 1.0 / fps if fps > 0 else 0.0
    # A stretch runs from its first frame to the frame after its last one (or the clip's end).
    untracked = tuple(
        (float(t[a]), float(t[b]) if b < len(t) else analysed_s) for a, b in _runs(~tracked)
    )
    if not shown.any():
        return Coverage(None, None, clip_s, analysed_s, untracked)
    first, last = int(np.argmax(shown)), int(len(shown) - 1 - np.argmax(shown[::-1]))
    before = _why(tracked[:first]) if first > 0 else ""
    after = _why(tracked[last + 1 :]) if last < len(t) - 1 else ""
    end = min(analysed_s, float(t[last]) + step)
    return Coverage(float(t[first]), end, clip_s, analysed_s, untracked, before, after)


def gaps_inside(cov: Coverage) -> list[tuple[float, float]]:
    """Untracked stretches between the signals' start and end, at least ``MIN_GAP_S`` long."""
    if cov.start_s is None or cov.end_s is None:
        return []
    return [
        (a, b) for a, b in cov.untracked if a > cov.start_s and b < cov.end_s and b - a >= MIN_GAP_S
    ]


def coverage_note(cov: Coverage) -> str:
    """The note under the chart: where the signals are and why not elsewhere ("" when they cover
    the whole analysed clip without a long gap)."""
    if cov.start_s is None or cov.end_s is None:
        return f"No per-frame signal in the {cov.clip_s:.1f} s clip: {NOT_TRACKED}."
    parts = []
    late, early = bool(cov.reason_before), bool(cov.reason_after)
    if late or early:
        head = f"Signals cover {cov.start_s:.1f}–{cov.end_s:.1f} s of the {cov.clip_s:.1f} s clip"
        if late and early and cov.reason_before == cov.reason_after:
            parts.append(
                f"{head}: before {cov.start_s:.1f} s and after {cov.end_s:.1f} s "
                f"{cov.reason_before}."
            )
        else:
            why = []
            if late:
                why.append(f"before {cov.start_s:.1f} s {cov.reason_before}")
            if early:
                why.append(f"after {cov.end_s:.1f} s {cov.reason_after}")
            parts.append(f"{head}: {'; '.join(why)}.")
    gaps = gaps_inside(cov)
    if gaps:
        spans = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in gaps)
        parts.append(f"The walker was not tracked at {spans} (hidden or out of view): the lines break there.")  # fmt: skip
    if cov.analysed_s < cov.clip_s - 1e-6:
        parts.append(f"After {cov.analysed_s:.1f} s the clip was not analysed (the time budget).")
    return " ".join(parts)


def untracked_frame(cov: Coverage) -> pd.DataFrame:
    """The untracked stretches as ``start_s, end_s`` rows (the chart's grey bands)."""
    return pd.DataFrame(list(cov.untracked), columns=["start_s", "end_s"])
