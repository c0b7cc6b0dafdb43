"""Honest test doubles: a fake backend and fake tracking/measurement/selection modules.

The real ``core.backends.selection``, ``core.backends.tracking`` and ``core.measure`` modules are
written in parallel; the CLI and analysis glue are tested against these fakes, installed with
``monkeypatch`` into ``sys.modules`` so every test gets them and nothing leaks.
"""

from __future__ import annotations

import math
import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.backends.base import Backend, Capability
from core.keypoints import CANONICAL_NAMES, INDEX, Pose

POSTURE_KEYS = (
    "left_knee_angle_deg", "right_knee_angle_deg", "left_hip_angle_deg", "right_hip_angle_deg",
    "left_elbow_angle_deg", "right_elbow_angle_deg", "neck_flexion_deg", "trunk_lean_deg",
    "shoulder_tilt_deg", "hip_tilt_deg",
)  # fmt: skip


def make_pose(x0: float, box_w: float = 100.0) -> Pose:
    """A pose whose left knee sits at (x0, 50); box (x0-50, 0, x0+50, 100)."""
    xy = np.zeros((len(CANONICAL_NAMES), 2))
    xy[:, 0] = x0
    xy[INDEX["left_knee"]] = (x0, 50.0)
    return Pose(
        xy,
        np.ones(len(CANONICAL_NAMES)),
        "fake",
        "fake-pose",
        0.5,
        (x0 - box_w / 2, 0, x0 + box_w / 2, 100),
    )


class FakeBackend(Backend):
    """A test double, not a model: a dark image holds nobody; otherwise two people, largest first."""

    name = "fake (test double)"
    model = "fake-pose"
    size = "none"
    capabilities = frozenset({Capability.POSE})

    def __init__(self) -> None:
        self.timestamps: list[int | None] = []

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None):
        self.timestamps.append(timestamp_ms)
        if float(image.mean()) < 10:
            return []
        return [make_pose(200.0, 120.0), make_pose(20.0, 40.0)]


def _select_person(poses, point=None):
    if not poses:
        return None
    if point is None:
        return poses[0]
    for p in poses:
        x1, y1, x2, y2 = p.box_xyxy
        if x1 <= point[0] <= x2 and y1 <= point[1] <= y2:
            return p
    return None


class _Tracker:
    def __init__(self):
        self.seen = []

    def update(self, poses):
        self.seen.append(poses[0] if poses else None)
        return self.seen[-1]

    def subject_poses(self):
        return list(self.seen)


def _posture_measures(pose, *, view="front"):
    # Hand-derivable: the left knee angle is the left knee's x pixel; neck flexion not visible.
    out = dict.fromkeys(POSTURE_KEYS, 10.0)
    out["left_knee_angle_deg"] = float(pose.point("left_knee")[0])
    out["trunk_lean_deg"] = -3.2
    out["neck_flexion_deg"] = math.nan
    return out


def _posture_rows(measures):
    return pd.DataFrame(
        [(None, None, k, "", v, "deg") for k, v in measures.items()],
        columns=["frame", "time_s", "metric", "side", "value", "unit"],
    )


@dataclass
class _GaitResult:
    n_frames: int
    duration_s: float

    def to_dict(self):
        # Fake rule: >= 10 frames gives two heel strikes 0.5 s apart; fewer gives nulls + a warning.
        if self.n_frames < 10:
            return {"n_steps": 0, "cadence_spm": math.nan, "step_time_left_s": None, "step_time_right_s": None,
                    "symmetry_index_step_time_pct": None, "walking_direction": None, "heel_strikes": [],
                    "warnings": ["too few steps for events"]}  # fmt: skip
        return {"n_steps": 2, "cadence_spm": 120.0, "step_time_left_s": 0.5, "step_time_right_s": 0.5,
                "symmetry_index_step_time_pct": 0.0, "walking_direction": "left_to_right",
                "heel_strikes": [{"time_s": 0.0, "side": "left"}, {"time_s": 0.5, "side": "right"}],
                "warnings": []}  # fmt: skip


def _analyze_gait(series, *, height_m=None, **_):
    return _GaitResult(
        len(series), float(series.time_s[-1] - series.time_s[0]) if len(series) else 0.0
    )


def _gait_rows(result):
    d = result.to_dict()
    return pd.DataFrame(
        [
            (None, None, "cadence_spm", "", d["cadence_spm"], "1/min"),
            (None, None, "n_steps", "", d["n_steps"], ""),
        ],
        columns=["frame", "time_s", "metric", "side", "value", "unit"],
    )


@dataclass
class _Rula:
    region: str
    angle_deg: float
    band: str
    score: int


def _rula_scores(measures, *, view="side"):
    # Fake rule: trunk lean magnitude above 2 degrees is "exceeded" (score 2).
    lean = abs(measures["trunk_lean_deg"])
    return [
        _Rula("trunk", lean, "0-20" if lean > 2 else "upright", 2 if lean > 2 else 1),
        _Rula("neck", 5.0, "0-10", 1),
    ]


def install(monkeypatch, backend: Backend | None = None) -> Backend:
    """Put the fakes in ``sys.modules`` for this test; returns the backend ``get_backend`` hands out."""
    backend = backend or FakeBackend()
    calls = []

    def get_backend(name="auto", *, size="0.4b", settings=None):
        calls.append((name, size))
        return backend

    modules = {
        "core.backends.selection": {"get_backend": get_backend, "calls": calls},
        "core.backends.tracking": {"select_person": _select_person, "PersonTracker": _Tracker},
        "core.measure": {},
        "core.measure.posture": {"posture_measures": _posture_measures},
        "core.measure.summary": {"posture_rows": _posture_rows, "gait_rows": _gait_rows},
        "core.measure.gait": {"analyze_gait": _analyze_gait},
        "core.measure.ergonomics": {"rula_scores": _rula_scores},
    }
    for name, attrs in modules.items():
        mod = types.ModuleType(name, "fake for tests")
        mod.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, mod)
    backend.calls = calls
    return backend
