"""Per-exercise targets with a tolerance, e.g. "squat knee flexion 90 ± 10°": within, above or below."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import InputError

WITHIN = "within"
ABOVE = "above"
BELOW = "below"
NOT_MEASURED = "not measured"


def check_target(value: float, target: float, tolerance: float) -> str:
    """Compare a measured value with ``target ± tolerance`` (bounds inclusive).

    Parameters
    ----------
    value : float, the measurement (e.g. degrees); NaN gives "not measured".
    target, tolerance : float, same unit; ``tolerance`` >= 0.

    Returns
    -------
    "within", "above", "below" or "not measured".

    Examples
    --------
    >>> check_target(97.0, 90.0, 10.0)
    'within'
    """
    if not (math.isfinite(target) and math.isfinite(tolerance)) or tolerance < 0:
        raise InputError(
            f"target {target} ± {tolerance}: both must be finite and the tolerance >= 0"
        )
    if value is None or not math.isfinite(value):
        return NOT_MEASURED
    if value > target + tolerance:
        return ABOVE
    if value < target - tolerance:
        return BELOW
    return WITHIN


@dataclass(frozen=True)
class Target:
    """A goal for one posture measure (a key of ``posture_measures``), in its unit."""

    label: str
    metric: str
    target: float
    tolerance: float
    unit: str = "deg"

    def check(self, measures: dict[str, float]) -> str:
        """ "within" / "above" / "below" / "not measured" for this target's metric in ``measures``."""
        return check_target(float(measures.get(self.metric, math.nan)), self.target, self.tolerance)


def _both(label: str, metric: str, target: float, tolerance: float) -> dict[str, Target]:
    return {
        f"{label} ({side})": Target(f"{label} ({side})", f"{side}_{metric}", target, tolerance)
        for side in ("left", "right")
    }


#: A few common exercise goals; pages offer these and a custom target. Values are typical coaching
#: cues, not clinical norms: the therapist adjusts them.
PRESETS: dict[str, Target] = {
    **_both("squat knee flexion", "knee_flexion_deg", 90.0, 10.0),
    **_both("lunge front knee flexion", "knee_flexion_deg", 90.0, 10.0),
    **_both("full elbow extension", "elbow_flexion_deg", 0.0, 10.0),
    **_both("shoulder flexion overhead", "shoulder_angle_deg", 170.0, 10.0),
    "upright standing trunk": Target("upright standing trunk", "trunk_lean_deg", 0.0, 5.0),
    "level shoulders": Target("level shoulders", "shoulder_tilt_deg", 0.0, 3.0),
    "level hips": Target("level hips", "hip_tilt_deg", 0.0, 3.0),
}


def check_preset(measures: dict[str, float], name: str) -> str:
    """Check one of :data:`PRESETS` by name against ``measures``."""
    if name not in PRESETS:
        raise InputError(f"unknown target {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name].check(measures)
