"""Gait events (Zeni et al. 2008) and the spatio-temporal parameters built on them.

Heel strike is a maximum of the heel's position relative to the pelvis along the walking direction
(the foot furthest ahead); toe-off is a minimum of the toe's relative position (furthest behind).
Zeni, Richards & Higginson (2008), Gait & Posture 27(4):710-714.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from core.measure.filtering import finite_runs

#: Same-foot events closer than this are one event (a stride is > 0.6 s even at a run's cadence).
MIN_EVENT_INTERVAL_S = 0.4


#: Heel and toe maxima are flat; a parabola over ±0.1 s averages out the jitter of single frames.
PEAK_FIT_HALF_WINDOW_S = 0.1


def _vertex_time(t: np.ndarray, y: np.ndarray, p: int, half_window_s: float) -> float:
    """Time of the vertex of a parabola fitted around sample ``p`` of a NaN-free stretch."""
    half = max(1, int(np.sum(np.abs(t - t[p]) <= half_window_s) // 2))
    lo, hi = max(0, p - half), min(len(t), p + half + 1)
    if hi - lo < 3:
        return float(t[p])
    tc = t[lo:hi] - t[p]  # centred for a well-conditioned fit
    c2, c1, _ = np.polyfit(tc, y[lo:hi], 2)
    if c2 >= 0:  # not a maximum shape: keep the sample
        return float(t[p])
    # Keep the vertex inside the fitted span, where the parabola means something.
    return float(t[p] + np.clip(-c1 / (2 * c2), tc[0], tc[-1]))


@dataclass(frozen=True)
class GaitEvent:
    """A heel strike or toe-off: time (s, sub-frame), ``side`` "left"/"right", nearest analysed frame."""

    time_s: float
    side: str
    frame: int
    kind: str = "heel_strike"

    def as_dict(self) -> dict[str, float | str]:
        return {"time_s": round(float(self.time_s), 4), "side": self.side}


def find_extrema(
    rel: np.ndarray,
    time_s: np.ndarray,
    *,
    prominence: float,
    min_interval_s: float = MIN_EVENT_INTERVAL_S,
    half_window_s: float = PEAK_FIT_HALF_WINDOW_S,
) -> list[tuple[float, int]]:
    """Maxima of a (T,) signal, per NaN-free stretch, with a parabolic sub-frame time.

    Parameters
    ----------
    rel : (T,) float, e.g. heel minus pelvis along the walking direction (pixels).
    time_s : (T,) float, increasing.
    prominence : float, minimum peak prominence (same unit as ``rel``).
    min_interval_s : float, minimum time between two maxima.
    half_window_s : float, the peak time is the vertex of a least-squares parabola through the
        samples within this many seconds of the highest one (at least its two neighbours).

    Returns
    -------
    list of (time_s, frame position in the arrays), in time order. Maxima at a stretch's ends are not
    events: the true maximum may lie in the gap.
    """
    out: list[tuple[float, int]] = []
    dt = float(np.median(np.diff(time_s))) if len(time_s) > 1 else math.inf
    distance = max(1, int(round(min_interval_s / dt)))
    for a, b in finite_runs(np.isfinite(rel)):
        if b - a < 3:
            continue
        seg = rel[a:b]
        peaks, _ = signal.find_peaks(seg, prominence=prominence, distance=distance)
        for p in peaks:
            out.append((_vertex_time(time_s[a:b], seg, int(p), half_window_s), a + int(p)))
    return out


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan


def step_times(heel_strikes: list[GaitEvent], run_of: dict[int, int]) -> dict[str, list[float]]:
    """Step times per side: from a heel strike to the next one of the other foot, seconds.

    The right step time is left heel strike → right heel strike. Two consecutive strikes of the same
    foot (a missed event) or across an unanalysed gap (``run_of``: video frame -> id of the
    NaN-free stretch it belongs to) make no step.
    """
    out: dict[str, list[float]] = {"left": [], "right": []}
    for a, b in zip(heel_strikes, heel_strikes[1:]):
        if a.side != b.side and run_of[a.frame] == run_of[b.frame]:
            out[b.side].append(b.time_s - a.time_s)
    return out


def strides(
    heel_strikes: list[GaitEvent], run_of: dict[int, int]
) -> dict[str, list[tuple[GaitEvent, GaitEvent]]]:
    """Strides per side: consecutive strikes of one foot with exactly one of the other foot between."""
    out: dict[str, list[tuple[GaitEvent, GaitEvent]]] = {"left": [], "right": []}
    for side in out:
        idx = [i for i, e in enumerate(heel_strikes) if e.side == side]
        for i, j in zip(idx, idx[1:]):
            a, b = heel_strikes[i], heel_strikes[j]
            if j - i == 2 and run_of[a.frame] == run_of[b.frame]:
                out[side].append((a, b))
    return out


def stance_shares(
    stride_list: dict[str, list[tuple[GaitEvent, GaitEvent]]], toe_offs: list[GaitEvent]
) -> dict[str, list[float]]:
    """Stance share per stride (% of the stride from heel strike to that foot's toe-off)."""
    out: dict[str, list[float]] = {"left": [], "right": []}
    for side, pairs in stride_list.items():
        offs = [e.time_s for e in toe_offs if e.side == side]
        for a, b in pairs:
            inside = [t for t in offs if a.time_s < t < b.time_s]
            if len(inside) == 1:
                out[side].append(100.0 * (inside[0] - a.time_s) / (b.time_s - a.time_s))
    return out


def symmetry_index(right: float, left: float) -> float:
    """SI = (R - L) / (0.5 (R + L)) · 100, percent; positive when the right value is larger."""
    mean = 0.5 * (right + left)
    if not (math.isfinite(mean) and mean != 0):
        return math.nan
    return 100.0 * (right - left) / mean


def summarize_steps(
    heel_strikes: list[GaitEvent], toe_offs: list[GaitEvent], run_of: dict[int, int]
) -> dict[str, float]:
    """Medians per side of step time, stride time and stance/swing share, cadence and SI.

    Cadence is 120 / (median left + median right step time) steps/min, so an odd number of steps
    of an asymmetric walk does not bias it toward one side; with one side only, 60 / its median.
    """
    st = step_times(heel_strikes, run_of)
    sd = strides(heel_strikes, run_of)
    stance = stance_shares(sd, toe_offs)
    res: dict[str, float] = {}
    for side in ("left", "right"):
        res[f"step_time_{side}_s"] = _median(st[side])
        res[f"stride_time_{side}_s"] = _median([b.time_s - a.time_s for a, b in sd[side]])
        res[f"stance_share_{side}_pct"] = _median(stance[side])
        res[f"swing_share_{side}_pct"] = 100.0 - res[f"stance_share_{side}_pct"]
    left, right = res["step_time_left_s"], res["step_time_right_s"]
    if math.isfinite(left) and math.isfinite(right):
        res["cadence_spm"] = 120.0 / (left + right)
    else:
        res["cadence_spm"] = (
            60.0 / _median(st["left"] + st["right"]) if st["left"] + st["right"] else math.nan
        )
    res["symmetry_index_step_time_pct"] = symmetry_index(right, left)
    res["n_step_intervals"] = float(len(st["left"]) + len(st["right"]))
    return res
