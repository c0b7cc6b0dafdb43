"""The result of a gait analysis (``core.measure.gait.analyze_gait``) and its plain-JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from core.measure.gait_angles import curve_summary
from core.measure.gait_events import GaitEvent
from core.measure.gait_quality import Quality
from core.measure.gait_walk import WalkCheck

DIRECTIONS = {1.0: "left_to_right", -1.0: "right_to_left"}


@dataclass
class GaitResult:
    """Everything :func:`analyze_gait` found. Times in seconds, NaN where not measured.

    ``series`` is a DataFrame with one row per analysed frame: ``frame``, ``time_s`` and each signal
    twice, ``<name>_raw`` (as detected, gaps and points outside the image NaN) and ``<name>`` (cleaned and low-pass filtered).
    The joint-angle curves (``gait_angles.curve_keys``) also have ``<name>_score`` (the lowest score
    of the points read) and ``<name>_reason`` ("" when reliable or empty, else a code of
    ``gait_angles.CURVE_REASONS``); ``reliable_score`` is the score a reliable sample needs.
    """

    backend: str
    model: str
    n_frames_used: int
    analysed_fps: float
    cutoff_hz: float | None
    walking_direction: str | None
    body_height_px: float
    height_m: float | None
    heel_strikes: list[GaitEvent]
    toe_offs: list[GaitEvent]
    params: dict[str, float]
    warnings: list[str]
    series: pd.DataFrame = field(repr=False)
    walk: WalkCheck | None = None
    rejected: dict[str, dict[str, int]] = field(default_factory=dict)
    quality: Quality | None = None
    reliable_score: float = math.nan

    @property
    def n_steps(self) -> int:
        """Foot contacts (heel strikes) detected."""
        return len(self.heel_strikes)

    @property
    def cadence_spm(self) -> float:
        return self.params.get("cadence_spm", math.nan)

    def to_dict(self) -> dict[str, object]:
        """The CLI's JSON: plain types, None instead of NaN."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 4)

        out: dict[str, object] = {
            "backend": self.backend,
            "model": self.model,
            "n_frames_used": int(self.n_frames_used),
            "n_steps": self.n_steps,
            "cadence_spm": num(self.cadence_spm),
            "step_time_left_s": num(self.params.get("step_time_left_s")),
            "step_time_right_s": num(self.params.get("step_time_right_s")),
            "symmetry_index_step_time_pct": num(self.params.get("symmetry_index_step_time_pct")),
            "walking_direction": self.walking_direction,
            "heel_strikes": [e.as_dict() for e in self.heel_strikes],
            "warnings": list(self.warnings),
            "quality_grade": self.quality.grade if self.quality else None,
            "quality": self.quality.as_dict() if self.quality else None,
            "walk_check": self.walk.verdict if self.walk else None,
            "rejected_events": {k: dict(v) for k, v in self.rejected.items()},
        }
        extra = (
            "stride_time_{}_s",
            "stance_share_{}_pct",
            "swing_share_{}_pct",
            "step_length_{}_bh",
            "step_length_{}_m",
        )
        for key in extra:
            for side in ("left", "right"):
                out[key.format(side)] = num(self.params.get(key.format(side)))
        out["symmetry_index_step_length_pct"] = num(
            self.params.get("symmetry_index_step_length_pct")
        )
        out["toe_offs"] = [e.as_dict() for e in self.toe_offs]
        out["analysed_fps"] = num(self.analysed_fps)
        out["cutoff_hz"] = num(self.cutoff_hz)
        out["body_height_px"] = num(self.body_height_px)
        # Added on purpose (issue 15): the joint-angle curves over the walk, each with its range
        # over the reliable samples and how many are not reliable, and why.
        out["joint_angles"] = {
            key: c.as_dict() for key, c in curve_summary(self.series, self.reliable_score).items()
        }
        out["reliable_score"] = num(self.reliable_score)
        return out
