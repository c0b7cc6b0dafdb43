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
from core.measure.summary import gait_rows, posture_rows
from core.measure.targets import PRESETS, Target, check_preset, check_target

__all__ = [
    "MEASURE_INFO",
    "PRESETS",
    "DeskCheck",
    "GaitEvent",
    "GaitResult",
    "MeasureInfo",
    "RulaItem",
    "Target",
    "analyze_gait",
    "angle_from_vertical_deg",
    "check_preset",
    "check_target",
    "desk_check",
    "gait_rows",
    "interpolate_gaps",
    "joint_angle_deg",
    "line_tilt_deg",
    "lowpass",
    "posture_arrays",
    "posture_measures",
    "posture_rows",
    "reject_outliers",
    "rula_band",
    "rula_scores",
    "signed_from_vertical_deg",
    "symmetry_index",
]
