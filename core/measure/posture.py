"""Posture measures of one pose: joint angles, flexion, neck, trunk lean, tilts, craniovertebral angle.

Definitions and signs are in ``docs/MEASURES.md``; all are 2D image-plane angles in degrees. A measure
whose points are missing is NaN; the others are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX, SIDES, Pose
from core.measure.angles import (
    angle_from_vertical_deg,
    elevation_deg,
    joint_angle_deg,
    line_tilt_deg,
    signed_from_vertical_deg,
)
from core.measure.sagittal import SAGITTAL_DESCRIPTIONS, sagittal_arrays
from core.measure.view import FRONTAL, MEASURE_VIEWS, feet_forward_x, trunk_length_px

#: The views a measurement accepts (``core.measure.view.MEASURE_VIEWS``; "auto" is resolved before).
VIEWS = MEASURE_VIEWS

#: Joint angle at the middle point of each triple, per side.
JOINTS: dict[str, tuple[str, str, str]] = {
    "knee": ("hip", "knee", "ankle"),
    "hip": ("shoulder", "hip", "knee"),
    "elbow": ("shoulder", "elbow", "wrist"),
    "shoulder": ("hip", "shoulder", "elbow"),
}
#: Joints whose flexion (180 - interior angle) clinicians expect.
FLEXION_JOINTS = ("knee", "hip", "elbow")

#: In a side view the subject faces this image x direction when the nose cannot tell: "left" means
#: the subject's left side is toward the camera, so they face the image's left (-x).
#: "side" names no side: the facing direction then comes from the nose alone (NaN without it).
_VIEW_FORWARD_X = {"left": -1.0, "right": 1.0, "side": np.nan}


@dataclass(frozen=True)
class MeasureInfo:
    """How to show one measure: its unit, its side ("left", "right" or "") and a one-line meaning."""

    unit: str
    side: str
    description: str


def _build_info() -> dict[str, MeasureInfo]:
    info: dict[str, MeasureInfo] = {}
    for side in SIDES:
        for joint, (a, b, c) in JOINTS.items():
            meaning = (
                "0 = arm along the trunk, 90 = at right angles, 180 = overhead"
                if joint == "shoulder"
                else "180 = straight"
            )
            info[f"{side}_{joint}_angle_deg"] = MeasureInfo(
                "deg", side, f"{side} {joint} interior angle {a}-{b}-{c}, 0-180, {meaning}"
            )
        for joint in FLEXION_JOINTS:
            info[f"{side}_{joint}_flexion_deg"] = MeasureInfo(
                "deg", side, f"{side} {joint} flexion = 180 - {joint} angle, 0 = straight"
            )
    info["neck_flexion_deg"] = MeasureInfo(
        "deg",
        "",
        "mid-shoulder to head (nose; ear in a side view) vs the image vertical; front view 0-180, "
        "side view signed, positive forward, negative = extension",
    )
    info["trunk_lean_deg"] = MeasureInfo(
        "deg",
        "",
        "mid-hip to mid-shoulder vs the image vertical, positive when the shoulders are to the camera's left",
    )
    info["shoulder_tilt_deg"] = MeasureInfo(
        "deg",
        "",
        "right-to-left shoulder line vs the image horizontal, positive when the left shoulder is higher",
    )
    info["hip_tilt_deg"] = MeasureInfo(
        "deg",
        "",
        "right-to-left hip line vs the image horizontal, positive when the left hip is higher",
    )
    info["craniovertebral_angle_deg"] = MeasureInfo(
        "deg",
        "",
        "side view: neck (C7) to ear vs the horizontal, toward the face; smaller = head more forward",
    )
    for pattern, description in SAGITTAL_DESCRIPTIONS.items():
        sides = SIDES if "{side}" in pattern else ("",)
        for side in sides:
            info[pattern.format(side=side)] = MeasureInfo(
                "deg", side, description.format(side=side)
            )
    return info


#: unit, side and description of every key :func:`posture_measures` returns, in its order.
MEASURE_INFO: dict[str, MeasureInfo] = _build_info()


def _pt(xy: np.ndarray, name: str) -> np.ndarray:
    return xy[..., INDEX[name], :]


def _first_visible(xy: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(..., 2) the first of ``names`` that is present, per pose; NaN when none is."""
    out = np.full(xy.shape[:-2] + (2,), np.nan)
    for name in reversed(names):  # earlier names overwrite later ones
        p = _pt(xy, name)
        ok = np.all(np.isfinite(p), axis=-1, keepdims=True)
        out = np.where(ok, p, out)
    return out


def _side_ear(xy: np.ndarray, view: str) -> np.ndarray:
    """(..., 2) the ear seen in a side view: the near one first, or the mean of the visible ones."""
    if view == "side":
        left, right = _pt(xy, "left_ear"), _pt(xy, "right_ear")
        both = (left + right) / 2
        return np.where(np.isfinite(both), both, _first_visible(xy, ("left_ear", "right_ear")))
    far = "right" if view == "left" else "left"
    return _first_visible(xy, (f"{view}_ear", f"{far}_ear"))


def forward_x(xy: np.ndarray, *, view: str) -> np.ndarray:
    """(...) +1 when a side-view subject faces the image's right, -1 for its left.

    The nose in front of the visible ear decides when both are present (it does not depend on how
    the user named the view); otherwise the feet do when they clearly point one way (heel to toe,
    as Sports2D decides); otherwise the view's convention does (``"left"``: left side toward the
    camera, facing the image's left).
    """
    if view not in _VIEW_FORWARD_X:
        raise InputError(f"view {view!r} has no facing direction; use 'left', 'right' or 'side'")
    ear = _side_ear(xy, view)
    dx = _pt(xy, "nose")[..., 0] - ear[..., 0]
    fallback = np.full(dx.shape, _VIEW_FORWARD_X[view])
    if xy.ndim == 2:  # one pose: the feet may tell where the nose cannot
        feet = feet_forward_x(xy, trunk_length_px(xy))
        fallback = np.where(np.isfinite(feet), feet, fallback)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(dx) & (dx != 0), np.sign(dx), fallback)


def posture_arrays(xy: np.ndarray, *, view: str = "front") -> dict[str, np.ndarray]:
    """Every posture measure for a stack of poses.

    Parameters
    ----------
    xy : (..., K, 2) float, pixels in canonical order (``core.keypoints.CANONICAL_NAMES``).
    view : "front", "back", "left", "right" or "side" (keyword-only)
        "front"/"back": measured alike (the tilts' signs do not depend on the facing; the left and
        right labels must already be the subject's own, see ``core.measure.sides``);
        "left"/"right": a side view with that side of the subject toward the camera (they face the
        image's left/right when the nose cannot tell); "side": a side view of either side, facing
        taken from the nose alone (side-view signed measures are NaN without a nose).

    Returns
    -------
    dict mapping each key of :data:`MEASURE_INFO` to a (...) float array, degrees, NaN where not
    visible.
    """
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim < 2 or xy.shape[-2:] != (len(CANONICAL_NAMES), 2):
        raise InputError(
            f"expected keypoints (..., {len(CANONICAL_NAMES)}, 2) in canonical order, got shape {xy.shape}"
        )
    out: dict[str, np.ndarray] = {}
    for side in SIDES:
        for joint, (a, b, c) in JOINTS.items():
            angle = joint_angle_deg(
                _pt(xy, f"{side}_{a}"), _pt(xy, f"{side}_{b}"), _pt(xy, f"{side}_{c}")
            )
            out[f"{side}_{joint}_angle_deg"] = np.asarray(angle)
        for joint in FLEXION_JOINTS:
            out[f"{side}_{joint}_flexion_deg"] = 180.0 - out[f"{side}_{joint}_angle_deg"]

    nan = np.full(xy.shape[:-2], np.nan)
    if view in FRONTAL:
        shoulder, hip = _pt(xy, "mid_shoulder"), _pt(xy, "mid_hip")
        out["neck_flexion_deg"] = np.asarray(angle_from_vertical_deg(_pt(xy, "nose") - shoulder))
        out["trunk_lean_deg"] = np.asarray(signed_from_vertical_deg(shoulder - hip))
        out["shoulder_tilt_deg"] = np.asarray(
            line_tilt_deg(_pt(xy, "right_shoulder"), _pt(xy, "left_shoulder"))
        )
        out["hip_tilt_deg"] = np.asarray(line_tilt_deg(_pt(xy, "right_hip"), _pt(xy, "left_hip")))
        out["craniovertebral_angle_deg"] = nan
        out.update({k: nan.copy() for k in MEASURE_INFO if k not in out})  # side-view measures
        return out

    # Side view: both shoulders (hips) project almost onto one point, so the midpoint is used when
    # both are seen and the near-side joint otherwise; the tilts are not measurable from the side.
    near, far = ("left", "right") if view in ("left", "side") else ("right", "left")
    shoulder = _first_visible(xy, ("mid_shoulder", f"{near}_shoulder", f"{far}_shoulder"))
    hip = _first_visible(xy, ("mid_hip", f"{near}_hip", f"{far}_hip"))
    ear = _side_ear(xy, view)
    fwd = forward_x(xy, view=view)
    out["neck_flexion_deg"] = np.asarray(signed_from_vertical_deg(ear - shoulder, positive_x=fwd))
    out["trunk_lean_deg"] = np.asarray(signed_from_vertical_deg(shoulder - hip))
    out["shoulder_tilt_deg"] = nan
    out["hip_tilt_deg"] = nan.copy()
    out["craniovertebral_angle_deg"] = np.asarray(
        elevation_deg(ear - _pt(xy, "neck"), forward_x=fwd)
    )
    out.update(sagittal_arrays(xy, forward_x=fwd, shoulder=shoulder, hip=hip))
    return out


def posture_measures(pose: Pose, *, view: str = "front") -> dict[str, float]:
    """Posture measures of one pose, degrees, NaN when not visible.

    Parameters
    ----------
    pose : core.keypoints.Pose
        Its ``xy`` (K, 2) pixels, already NaN below the backend's score threshold.
    view : "front", "back", "left", "right" or "side" (keyword-only; see :func:`posture_arrays`)
        The camera's view of the subject. In a side view the head point is the visible ear (the
        near one first), the shoulder and hip tilts are NaN, and neck flexion is signed (negative =
        extension); the craniovertebral angle needs a side view and a ``neck`` point; the signed
        sagittal measures (``core.measure.sagittal``) are side-view only.

    Returns
    -------
    dict[str, float] with the keys of :data:`MEASURE_INFO`, in that order.
    """
    if not isinstance(pose, Pose):
        raise InputError(f"posture_measures needs a core.keypoints.Pose, got {type(pose).__name__}")
    arrays = posture_arrays(pose.xy, view=view)
    return {key: float(arrays[key]) for key in MEASURE_INFO}
