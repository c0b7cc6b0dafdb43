"""Step length in metres from 3D heel points at heel strikes (the Sapiens2 pointmap of those frames
only), with one scale for the whole video checked against the subject's entered height. Pure numpy;
definitions in docs/MEASURES.md section 9 ("Step length in metres").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.measure.pose3d import Points3D

#: Stature from the leg's segment lengths, which the walking pose does not change (a leg split
#: shortens the hip-to-ankle height by ~6% at 20 degrees of hip flexion, not the path along the
#: limb): thigh 0.245 + shank 0.246 of stature (Winter's table, whose proportions the 2D body
#: height uses too). Legs only: in a side view the far hip and shoulder, and with them the
#: trunk's midpoints, are hidden.
LEG_FRACTION = 0.245 + 0.246
#: The pointmap's stature may differ from the entered height by this share before a warning (a
#: real person's proportions differ from the table's by a few percent).
SCALE_TOLERANCE = 0.10
#: Fewest metres the strikes' mid-heel points must spread for their line to give the direction.
MIN_PATH_M = 0.3


@dataclass(frozen=True)
class StrikePoints:
    """One heel strike's 3D points: the striking foot ``side``, the video ``frame``, the person's
    ``points`` and ``up`` (the floor normal, or the camera's up when no floor was found)."""

    side: str
    frame: int
    points: Points3D
    up: np.ndarray


@dataclass(frozen=True)
class Step3D:
    """lengths_m: ``step_length_{left,right}_3d_m`` medians (NaN without a step); per_strike: one
    (frame, side, metres or NaN, reason) per strike; scale: the one factor applied to the pointmap's
    metres; stature_m: the video's stature from the pointmap (before scaling, NaN if unmeasurable);
    warnings."""

    lengths_m: dict[str, float]
    per_strike: tuple[tuple[int, str, float, str], ...]
    scale: float
    stature_m: float
    warnings: tuple[str, ...]


def _horizontal(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    return v - (v @ up) * up


def segment_stature_m(points: Points3D) -> float:
    """Mean over the sides with hip, knee and ankle of (hip -> knee + knee -> ankle), / 0.491;
    NaN when neither leg is complete."""
    legs = [
        np.linalg.norm(points.point(f"{s}_hip") - points.point(f"{s}_knee"))
        + np.linalg.norm(points.point(f"{s}_knee") - points.point(f"{s}_ankle"))
        for s in ("left", "right")
    ]
    legs = [v for v in legs if np.isfinite(v)]
    return float(np.mean(legs) / LEG_FRACTION) if legs else math.nan


def _direction(mids: list[np.ndarray], up: np.ndarray) -> np.ndarray | None:
    """Unit walking direction: the main axis of the strikes' horizontal mid-heel points, pointing
    from the first to the last; None when they spread less than ``MIN_PATH_M``."""
    if len(mids) < 2:
        return None
    pts = np.array([_horizontal(m, up) for m in mids])
    centred = pts - pts.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    if np.ptp(centred @ axis) < MIN_PATH_M:
        return None
    return axis if (pts[-1] - pts[0]) @ axis >= 0 else -axis


def step_lengths_3d(strikes: Sequence[StrikePoints], *, height_m: float | None = None) -> Step3D:
    """Step length per side from the heel points at each heel strike.

    A step at a strike of foot s is (heel_s - heel_other) along the walking direction, in the
    floor plane; the direction is the line of the strikes' mid-heel points (one walk, one
    straight line). One scale for the video: the entered height over the median segment stature
    of the strike frames (warned when they differ by over ``SCALE_TOLERANCE``); without a height,
    the pointmap's own metres (scale 1, unchecked).
    """
    if height_m is not None and not (math.isfinite(height_m) and 0.5 <= height_m <= 2.6):
        raise InputError(f"height must be between 0.5 and 2.6 metres, got {height_m}")
    warnings: list[str] = []
    statures = [segment_stature_m(s.points) for s in strikes]
    finite = [v for v in statures if math.isfinite(v)]
    stature = float(np.median(finite)) if finite else math.nan
    scale = 1.0
    if height_m is None:
        warnings.append("no height entered: step lengths use the pointmap's own metres, unchecked")
    elif not math.isfinite(stature):
        warnings.append("the stature could not be measured in 3D: the pointmap scale is unchecked")
    else:
        scale = height_m / stature
        if abs(stature / height_m - 1.0) > SCALE_TOLERANCE:
            warnings.append(
                f"the pointmap's stature ({stature:.2f} m) differs from the entered height "
                f"({height_m:.2f} m) by {abs(stature / height_m - 1) * 100:.0f}%: step lengths are "
                "rescaled to the height; check the height and the pointmap"
            )
    heels = []
    for s in strikes:
        other = "right" if s.side == "left" else "left"
        heels.append((s.points.point(f"{s.side}_heel"), s.points.point(f"{other}_heel")))
    ups = np.array([s.up for s in strikes]) if strikes else np.zeros((0, 3))
    up = ups.mean(axis=0) / np.linalg.norm(ups.mean(axis=0)) if len(ups) else np.zeros(3)
    mids = [(a + b) / 2 for a, b in heels if np.all(np.isfinite(a)) and np.all(np.isfinite(b))]
    direction = _direction(mids, up)
    if direction is None and strikes:
        warnings.append(
            "the strikes do not spread along a line: step length is the heels' horizontal "
            "distance (includes the step width)"
        )
    per: list[tuple[int, str, float, str]] = []
    lengths: dict[str, list[float]] = {"left": [], "right": []}
    for s, (lead, trail) in zip(strikes, heels, strict=True):
        if not (np.all(np.isfinite(lead)) and np.all(np.isfinite(trail))):
            gone = lead if not np.all(np.isfinite(lead)) else trail
            name = f"{s.side}_heel" if gone is lead else "the other heel"
            why = s.points.reason(f"{s.side}_heel") if gone is lead else "other heel missing"
            per.append((s.frame, s.side, math.nan, f"{name}: {why or 'missing'}"))
            continue
        v = _horizontal(lead - trail, s.up)
        d = float(v @ direction) if direction is not None else float(np.linalg.norm(v))
        per.append((s.frame, s.side, d * scale, ""))
        lengths[s.side].append(d * scale)
    out = {
        f"step_length_{side}_3d_m": float(np.median(v)) if v else math.nan
        for side, v in lengths.items()
    }
    return Step3D(out, tuple(per), scale, stature, tuple(warnings))
