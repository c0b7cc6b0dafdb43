"""Signed sagittal-plane angles of a side view: hip, shoulder and knee flexion, ankle dorsiflexion and
the forward trunk lean, for one pose or per frame of a ``PoseSeries``.

Every angle is measured in the direction the subject faces (``forward_x``: +1 facing the image's
right, -1 its left), so a subject facing left and one facing right in the same posture read the
same. Definitions and the conversion to Sports2D's conventions are in ``docs/MEASURES.md``.
"""

from __future__ import annotations

import numpy as np

from core.errors import InputError
from core.keypoints import INDEX, SIDES, PoseSeries
from core.measure.angles import MIN_LENGTH_PX, signed_from_vertical_deg

#: The keypoints each signed measure uses ("{side}" is left or right; "trunk" is the mid-hip to
#: mid-shoulder line, the visible hip and shoulder when one side is hidden).
SAGITTAL_POINTS: dict[str, tuple[str, ...]] = {
    "{side}_hip_signed_flexion_deg": ("trunk", "{side}_hip", "{side}_knee"),
    "{side}_shoulder_signed_flexion_deg": ("trunk", "{side}_shoulder", "{side}_elbow"),
    "{side}_knee_signed_flexion_deg": ("{side}_hip", "{side}_knee", "{side}_ankle"),
    "{side}_ankle_dorsiflexion_deg": (
        "{side}_knee",
        "{side}_ankle",
        "{side}_heel",
        "{side}_big_toe",
    ),
    "forward_trunk_lean_deg": ("trunk",),
}

#: One line per signed measure, for the tables (side view only; NaN in a front or back view).
SAGITTAL_DESCRIPTIONS: dict[str, str] = {
    "{side}_hip_signed_flexion_deg": "side view: {side} thigh (hip to knee) vs the trunk line, "
    "positive = flexion (knee ahead of the trunk), negative = extension",
    "{side}_shoulder_signed_flexion_deg": "side view: {side} upper arm (shoulder to elbow) vs the "
    "trunk line, positive = flexion (elbow forward), negative = extension",
    "{side}_knee_signed_flexion_deg": "side view: {side} shank vs the thigh's line, positive = "
    "flexion, negative = hyperextension, 0 = straight",
    "{side}_ankle_dorsiflexion_deg": "side view: {side} foot (heel to toe) vs the perpendicular to "
    "the shank (knee to ankle), positive = dorsiflexion, negative = plantarflexion, 0 = right angle",
    "forward_trunk_lean_deg": "side view: mid-hip to mid-shoulder vs the image vertical, positive "
    "= leaning toward the way the subject faces",
}


def _signed_deg(ref: np.ndarray, v: np.ndarray, forward_x: np.ndarray) -> np.ndarray:
    """(...) the angle from ``ref`` to ``v``, positive when ``v`` is turned from ``ref`` the way a
    downward vector turns toward the front (image y down), in (-180, 180]; NaN for missing input."""
    f = np.sign(np.asarray(forward_x, dtype=np.float64))
    # Mirror x so that the subject faces +x; then "toward the front from downward" is clockwise
    # on screen, which is a negative cross product in y-down image coordinates.
    rx, ry, vx, vy = f * ref[..., 0], ref[..., 1], f * v[..., 0], v[..., 1]
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(ry * vx - rx * vy, rx * vx + ry * vy))
    short = ~(np.hypot(rx, ry) > MIN_LENGTH_PX) | ~(np.hypot(vx, vy) > MIN_LENGTH_PX)
    out = np.where(out <= -180.0, 180.0, out)
    return np.where(short | (f == 0), np.nan, out)


def sagittal_arrays(
    xy: np.ndarray, *, forward_x: np.ndarray, shoulder: np.ndarray, hip: np.ndarray
) -> dict[str, np.ndarray]:
    """The signed side-view measures of a stack of poses.

    Parameters
    ----------
    xy : (..., K, 2) float, pixels in canonical order.
    forward_x : (...) float, +1 where the subject faces the image's right, -1 its left, NaN where
        unknown (every measure is then NaN).
    shoulder, hip : (..., 2) float, pixels: the trunk line's ends (mid-shoulder and mid-hip, or the
        visible joints in a side view).

    Returns
    -------
    dict: each key of :data:`SAGITTAL_POINTS` (with ``{side}`` filled in) -> (...) degrees.
    """
    xy = np.asarray(xy, dtype=np.float64)

    def pt(name: str) -> np.ndarray:
        return xy[..., INDEX[name], :]

    trunk_down = hip - shoulder
    out: dict[str, np.ndarray] = {}
    for side in SIDES:
        hip_s, knee, ankle = pt(f"{side}_hip"), pt(f"{side}_knee"), pt(f"{side}_ankle")
        out[f"{side}_hip_signed_flexion_deg"] = _signed_deg(trunk_down, knee - hip_s, forward_x)
        out[f"{side}_shoulder_signed_flexion_deg"] = _signed_deg(
            trunk_down, pt(f"{side}_elbow") - pt(f"{side}_shoulder"), forward_x
        )
        # The knee flexes backward: the shank turns from the thigh's line toward the back.
        knee_deg = -_signed_deg(knee - hip_s, ankle - knee, forward_x)
        out[f"{side}_knee_signed_flexion_deg"] = np.where(knee_deg <= -180.0, 180.0, knee_deg)
        # The neutral foot points forward at right angles to the shank: a quarter turn (+90) from
        # the shank's downward line toward the front; lifting the toes turns it further.
        dorsi = _signed_deg(ankle - knee, pt(f"{side}_big_toe") - pt(f"{side}_heel"), forward_x)
        out[f"{side}_ankle_dorsiflexion_deg"] = np.where(
            dorsi - 90.0 <= -180.0, dorsi + 270.0, dorsi - 90.0
        )
    out["forward_trunk_lean_deg"] = np.asarray(
        signed_from_vertical_deg(shoulder - hip, positive_x=np.nan_to_num(forward_x))
    )
    return out


def trunk_line(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 2) the trunk line's ends of a (..., K, 2) stack: mid-shoulder and mid-hip, or the
    shoulder and hip seen when the other side is missing (as in a side view); NaN where none is."""

    def first(names: tuple[str, ...]) -> np.ndarray:
        out = np.full(xy.shape[:-2] + (2,), np.nan)
        for name in reversed(names):
            p = xy[..., INDEX[name], :]
            out = np.where(np.all(np.isfinite(p), axis=-1, keepdims=True), p, out)
        return out

    return (
        first(("mid_shoulder", "left_shoulder", "right_shoulder")),
        first(("mid_hip", "left_hip", "right_hip")),
    )


def sagittal_series(series: PoseSeries, *, direction: int) -> dict[str, np.ndarray]:
    """Per-frame signed hip, knee and ankle angles (and trunk lean) of a side-view walk.

    Parameters
    ----------
    series : PoseSeries, (T, K, 2) pixels.
    direction : +1 walking toward the image's right, -1 toward its left (keyword-only); the
        subject faces the way they walk.

    Returns
    -------
    dict: ``{side}_hip_signed_flexion_deg``, ``{side}_knee_signed_flexion_deg``,
    ``{side}_ankle_dorsiflexion_deg`` per side and ``forward_trunk_lean_deg`` -> (T,) degrees, NaN
    in frames where a point is missing. Unfiltered; smooth them like the other gait series.
    """
    if direction not in (-1, 1):
        raise InputError(f"direction must be +1 or -1, got {direction!r}")
    xy = series.xy
    shoulder, hip = trunk_line(xy)
    fwd = np.full(len(series), float(direction))
    arrays = sagittal_arrays(xy, forward_x=fwd, shoulder=shoulder, hip=hip)
    keep = ("hip_signed_flexion", "knee_signed_flexion", "ankle_dorsiflexion", "forward_trunk")
    return {k: v for k, v in arrays.items() if any(s in k for s in keep)}
