"""Measurements from canonical keypoints: pure numpy functions, no I/O.

All angles are 2D image-plane angles in degrees; definitions and signs are in docs/MEASURES.md.
"""

from core.measure.angles import (
    angle_from_vertical_deg,
    joint_angle_deg,
    line_tilt_deg,
    signed_from_vertical_deg,
)
from core.measure.ergonomics import DeskCheck, RulaItem, desk_check, rula_band, rula_scores
from core.measure.filtering import interpolate_gaps, lowpass, reject_outliers
from core.measure.gait import GaitResult, analyze_gait
from core.measure.gait_events import GaitEvent, symmetry_index
from core.measure.posture import MEASURE_INFO, MeasureInfo, posture_arrays, posture_measures
from core.measure.sagittal import sagittal_arrays, sagittal_series
from core.measure.sides import ViewChoice, resolve_view
from core.measure.summary import gait_rows, posture_rows
from core.measure.targets import PRESETS, Target, check_preset, check_target
from core.measure.view import VIEW_CHOICES, ViewInference, infer_view

__all__ = [
    "MEASURE_INFO",
    "PRESETS",
    "VIEW_CHOICES",
    "DeskCheck",
    "GaitEvent",
    "GaitResult",
    "MeasureInfo",
    "RulaItem",
    "Target",
    "ViewChoice",
    "ViewInference",
    "analyze_gait",
    "angle_from_vertical_deg",
    "check_preset",
    "check_target",
    "desk_check",
    "gait_rows",
    "infer_view",
    "interpolate_gaps",
    "joint_angle_deg",
    "line_tilt_deg",
    "lowpass",
    "posture_arrays",
    "posture_measures",
    "posture_rows",
    "reject_outliers",
    "resolve_view",
    "rula_band",
    "rula_scores",
    "sagittal_arrays",
    "sagittal_series",
    "signed_from_vertical_deg",
    "symmetry_index",
]
