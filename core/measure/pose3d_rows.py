"""The 3D measures of one photo as tidy rows (``frame, time_s, metric, side, value, unit``), for the
store and the CSV export; docs/EXPORT.md ("3D measures") lists them.

Measure rows: ``knee_angle_3d_deg`` (side ``left``), ``trunk_lean_3d_deg``, ... in degrees, NaN kept.
Whole-photo rows: ``floor_plane_3d`` (1 when the vertical is a fitted floor plane, 0 when the
camera was assumed level), ``stature_3d_m`` (the stature the surface-to-centre offset used) and
``stature_given_3d`` (1 when it was the subject's entered height), one ``warning_3d_<code>`` row of
value 1 per warning. Companion rows (their metric holds ``:``, so plain reads leave them out, as for
the scores): ``<metric>:sigma`` (deg, one sigma) beside every measure and ``<metric>:reason:<code>``
(value 1) beside each NaN measure; the store's value is a number, so reasons are codes
(:data:`REASONS`), the words are in the code table.
"""

from __future__ import annotations

import math

import pandas as pd

from core.measure.confidence import REASON_MARK
from core.measure.pose3d_measures import Measures3D
from core.measure.step3d import Step3D
from core.measure.summary import COLUMNS, split_side

SIGMA_SUFFIX = ":sigma"

#: Reason code -> the start of the text ``core.measure.pose3d`` / ``pose3d_measures`` give. Matched
#: in order; a text none starts with is ``other`` (its words are in the JSON, not in the store).
REASONS: dict[str, str] = {
    "no_keypoint": "no 2D keypoint",
    "image_edge": "at the image edge",
    "outside_box": "outside the person's box",
    "too_few_pixels": "too few body pixels",
    "occluded": "occluded",
    "window_edge": "only the edge of the window",
    "sides_overlap": "left and right overlap",
    "covered": "covered by its own limb",
    "no_floor": "no floor plane",
    "no_trunk_line": "no hip or shoulder line",
    "point_missing": "a point is missing",
}
#: Warning code -> the start of the warning's text.
WARNINGS: dict[str, str] = {
    "turned": "the subject is turned",  # both turn warnings start so: told apart below
    "camera_level": "no floor plane",
}
FAR_SIDE_MARK = "far side"


def reason_code(text: str) -> str:
    """The code of a NaN's reason: ``"occluded (behind ...)"`` -> ``"occluded"``; else ``"other"``."""
    return next((code for code, start in REASONS.items() if text.startswith(start)), "other")


def warning_code(text: str) -> str:
    """``turned`` (2D angles unreliable), ``far_side`` (far hip/shoulder read on the trunk),
    ``camera_level`` (no floor: the camera assumed level), else ``other``."""
    if text.startswith(WARNINGS["turned"]):
        return "far_side" if FAR_SIDE_MARK in text else "turned"
    return "camera_level" if text.startswith(WARNINGS["camera_level"]) else "other"


def pose3d_rows(
    measures: Measures3D,
    *,
    stature_m: float,
    stature_given: bool,
    frame: int | None = None,
    time_s: float = math.nan,
) -> pd.DataFrame:
    """Rows of one photo's 3D measures, their sigma and reasons (module docstring).

    Parameters
    ----------
    measures : from ``measures_3d`` / ``analyze_3d``.
    stature_m, stature_given : ``Points3D.stature_m`` and whether its source was the entered height.
    frame, time_s : as for ``posture_rows`` (an empty frame and NaN for a photo, so the 3D rows
        share the 2D rows' line of the wide CSV).
    """

    def row(metric: str, side: str, value: float, unit: str) -> dict[str, object]:
        return dict(zip(COLUMNS, (frame, time_s, metric, side, float(value), unit), strict=True))

    plain, companions = [], []
    for key, value in measures.values.items():
        metric, side = split_side(key)
        plain.append(row(metric, side, value, "deg"))
        companions.append(
            row(metric + SIGMA_SUFFIX, side, measures.sigma_deg.get(key, math.nan), "deg")
        )
        if not math.isfinite(value):
            code = reason_code(measures.reasons.get(key, ""))
            companions.append(row(f"{metric}{REASON_MARK}{code}", side, 1.0, "flag"))
    from_floor = measures.vertical.startswith("floor plane")
    plain.append(row("floor_plane_3d", "", float(from_floor), "flag"))
    plain.append(row("stature_3d_m", "", stature_m, "m"))
    plain.append(row("stature_given_3d", "", float(stature_given), "flag"))
    for code in dict.fromkeys(warning_code(w) for w in measures.warnings):
        plain.append(row(f"warning_3d_{code}", "", 1.0, "flag"))
    df = pd.DataFrame(plain + companions, columns=list(COLUMNS))
    df["frame"] = df["frame"].astype("Int64")
    return df.astype({"time_s": float, "value": float})


def is_3d_metric(metric: str) -> bool:
    """True for a plain row :func:`pose3d_rows` writes (``*_3d_deg`` and the whole-photo rows)."""
    return "_3d_" in metric or metric.endswith("_3d") or metric.startswith("warning_3d_")


def twin_2d(name: str) -> str | None:
    """The 2D measure a 3D one is compared with (same definition, image plane), or None.

    ``left_knee_angle_3d_deg`` -> ``left_knee_angle_deg``; the frontal 3D lean -> the 2D trunk lean
    (same sign for a subject facing the camera), the sagittal one -> the side view's forward lean;
    the unsigned 3D lean and the yaws have no 2D twin.
    """
    special = {
        "trunk_lean_frontal_3d_deg": "trunk_lean_deg",
        "trunk_lean_sagittal_3d_deg": "forward_trunk_lean_deg",
        "trunk_lean_3d_deg": None,
    }
    if name in special:
        return special[name]
    if "yaw" in name or "turn" in name:
        return None
    return name.replace("_3d_deg", "_deg")


def step3d_rows(steps: Step3D) -> pd.DataFrame:
    """A gait session's 3D step rows: ``step_length_3d_m`` per side (whole walk, median), one
    ``step_3d_m`` row per heel strike (its frame, the striking side), ``pointmap_scale_3d`` (the
    one factor applied to the pointmap's metres), ``stature_pointmap_3d_m`` (the video's stature
    in the pointmap, before scaling) and a ``warning_3d_<code>`` row per warning (``no_height``,
    ``scale_unchecked``, ``scale_off``, ``no_line``)."""
    rows: list[tuple[object, ...]] = []
    for key, value in steps.lengths_m.items():
        metric, side = split_side(key)
        rows.append((None, math.nan, metric, side, value, "m"))
    for frame, side, value, _ in steps.per_strike:
        rows.append((frame, math.nan, "step_3d_m", side, value, "m"))
    rows.append((None, math.nan, "pointmap_scale_3d", "", steps.scale, "ratio"))
    rows.append((None, math.nan, "stature_pointmap_3d_m", "", steps.stature_m, "m"))
    for text in steps.warnings:
        rows.append((None, math.nan, f"warning_3d_{step_warning_code(text)}", "", 1.0, "flag"))
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["frame"] = df["frame"].astype("Int64")
    return df.astype({"time_s": float, "value": float})


def step_warning_code(text: str) -> str:
    """The code of a ``step_lengths_3d`` warning (``step3d_rows``)."""
    for code, start in (("no_height", "no height"), ("scale_unchecked", "the stature could not"),
                        ("scale_off", "the pointmap's stature"), ("no_line", "the strikes do not")):  # fmt: skip
        if text.startswith(start):
            return code
    return "other"
