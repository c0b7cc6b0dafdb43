"""3D posture from the Sapiens2 seg and pointmap heads: the glue that the posture page and
``python -m core posture --3d`` share (the measures are ``core.measure.pose3d_measures``).

A result's ``rows`` (``core.measure.pose3d_rows``) go into the same posture session as the 2D rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import ModelNotAvailable
from core.keypoints import Pose
from core.measure.floor import CAMERA_UP, Floor
from core.measure.pose3d import Points3D
from core.measure.pose3d_measures import Measures3D, analyze_3d
from core.measure.pose3d_rows import pose3d_rows, step3d_rows
from core.measure.step3d import Step3D, StrikePoints, step_lengths_3d

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis

#: The Sapiens2 tasks the 3D measures need besides pose.
TASKS_3D = ("seg", "pointmap")

#: TFLOP of one seg plus one pointmap forward at 1024x768 per size, counted with
#: ``torch.utils.flop_counter.FlopCounterMode`` on ``meta`` (``benchmarks/bench_sapiens2.py``'s
#: ``count_flops``; 0.4b: seg 3.37 backbone + 0.22 head, pointmap 3.37 + 4.97 head).
FLOPS_3D_TFLOP = {"0.4b": 11.92, "0.8b": 18.46, "1b": 28.06, "5b": 87.23}
#: Sustained TFLOP/s of a Sapiens2 forward on 2 cores, per CPU kind, as measured
#: (docs/PERFORMANCE.md; ``benchmarks/bench_pose3d.py`` times the two forwards on this CPU):
#: an AMX Xeon (bf16: 11.92 TFLOP in 12.5 s, 0.95), the EPYC with AVX512-BF16 and no AMX (bf16
#: 0.37, float32 0.155) and the EPYC with AVX2 only (float32: pose-0.4b's 3.86 TFLOP in 41.8 s,
#: 0.092; bf16 is emulated there, 1.2 GFLOP/s in a matmul). float32 was not timed on the AMX Xeon;
#: the AMX tiles do not run float32, so the AVX512 EPYC's figure stands in.
CPU_TFLOPS = {
    "amx": {"bfloat16": 0.95, "float32": 0.155},
    "avx512_bf16": {"bfloat16": 0.37, "float32": 0.155},
    "avx2": {"bfloat16": 0.0012, "float32": 0.092},
}
#: Where the estimate comes from, for the page to say.
ESTIMATE_SOURCE = (
    "FLOPs of the seg and pointmap forwards over the speed measured on a 2-core CPU of this "
    "kind (docs/PERFORMANCE.md); more cores take less"
)


def cpu_kind(flags: frozenset[str] | None = None) -> str:
    """ "amx" on a CPU with AMX tiles, "avx512_bf16" on one with AVX512-BF16, else "avx2": the
    slowest kind measured stands in for every CPU without bf16 instructions (flags unknown
    included), so the estimate there errs long rather than short. ``flags``: default this CPU's."""
    if flags is None:
        from core.sapiens2.routes import cpu_info  # imported on use: it loads torch

        flags = cpu_info()[1]
    if {"amx_bf16", "amx_tile"} & flags:
        return "amx"
    return "avx512_bf16" if "avx512_bf16" in flags else "avx2"


def duration_words(seconds: float) -> str:
    """An estimate in the unit a reader takes in at once: ``"40 s"``, ``"2 min"``, ``"2.8 h"``.

    >>> duration_words(40.2), duration_words(129.6), duration_words(9933.0)
    ('40 s', '2 min', '2.8 h')
    """
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 100 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def extra_seconds_3d(
    size: str, device: str, dtype: str, *, flags: frozenset[str] | None = None
) -> float | None:
    """Estimated seconds the seg and pointmap forwards add to a posture photo, or None where no
    speed was measured (GPU, MPS, an unknown size or dtype)."""
    speeds = CPU_TFLOPS[cpu_kind(flags)] if device == "cpu" else {}
    if size not in FLOPS_3D_TFLOP or dtype not in speeds:
        return None
    return FLOPS_3D_TFLOP[size] / speeds[dtype]


class SegLike(Protocol):
    name: str

    def predict(self, image: np.ndarray) -> Any: ...  # ``.class_map`` (H, W) int


class PointmapLike(Protocol):
    name: str

    def predict(self, image: np.ndarray) -> Any: ...  # ``.xyz`` (H, W, 3) float metres


@dataclass(frozen=True)
class Posture3D:
    """One photo's 3D result: the person's 3D points, the floor (or why none), the measures, the
    rows to store, and the seg and pointmap models that produced it."""

    points: Points3D
    floor: Floor | str
    measures: Measures3D
    rows: pd.DataFrame
    models: tuple[str, str]


def loaded_tasks(backend_info: Mapping[str, object]) -> tuple[str, ...]:
    """The Sapiens2 task models a backend holds loaded (``describe()``'s ``loaded_tasks``;
    none for a backend that does not say)."""
    tasks = backend_info.get("loaded_tasks", ())
    return tuple(str(t) for t in tasks) if isinstance(tasks, list | tuple) else ()


def missing_3d_weights(
    size: str, settings: Settings | None = None, *, loaded: tuple[str, ...] | list[str] = ()
) -> list[str]:
    """The Sapiens2 tasks of :data:`TASKS_3D` whose ``size`` weights are not found (never
    downloads); tasks in ``loaded`` (a backend's ``loaded_tasks``) already have a model."""
    from core.sapiens2.checkpoints import find_checkpoint

    return [t for t in TASKS_3D if t not in loaded and find_checkpoint(t, size, settings) is None]


def load_3d_predictors(
    size: str, *, settings: Settings | None = None
) -> tuple[SegLike, PointmapLike]:
    """The seg and pointmap predictors of ``size``; ``ModelNotAvailable`` naming every missing file
    (both checked before either is loaded, so a missing one fails before minutes of loading)."""
    from core.sapiens2.checkpoints import resolve_checkpoint
    from core.sapiens2.predictor import load_predictor

    missing = []
    for task in TASKS_3D:
        try:
            resolve_checkpoint(task, size, settings)
        except ModelNotAvailable as exc:
            missing.append(str(exc))
    if missing:
        raise ModelNotAvailable(
            f"the 3D measures need the Sapiens2 seg and pointmap weights ({size}): "
            + " ".join(missing)
        )
    return (
        load_predictor("seg", size, settings=settings),
        load_predictor("pointmap", size, settings=settings),
    )


def analyze_posture_3d(
    image: np.ndarray,
    pose: Pose,
    predictors: tuple[SegLike, PointmapLike],
    *,
    stature_m: float | None = None,
) -> Posture3D:
    """3D measures of the measured person ``pose`` (its 2D keypoints and box) in ``image``.

    ``stature_m``: the subject's entered height (the surface-to-centre offset; estimated from the
    picture when None).
    """
    seg, pointmap = predictors
    class_map = seg.predict(image).class_map
    xyz = pointmap.predict(image).xyz
    points, floor, measures = analyze_3d(
        pose.xy, xyz, class_map, stature_m=stature_m, box_xyxy=pose.box
    )
    rows = pose3d_rows(
        measures, stature_m=points.stature_m, stature_given=points.stature_source == "given"
    )
    return Posture3D(points, floor, measures, rows, (seg.name, pointmap.name))


def with_3d_rows(rows_2d: pd.DataFrame, result: Posture3D | pd.DataFrame | None) -> pd.DataFrame:
    """The 2D rows of a result followed by the 3D rows (a ``Posture3D``'s, or rows such as
    ``gait_steps_3d`` gives); unchanged without them."""
    if result is None:
        return rows_2d
    extra = result.rows if isinstance(result, Posture3D) else result
    return pd.concat([rows_2d, extra], ignore_index=True)


def strike_points(
    image: np.ndarray,
    xy: np.ndarray,
    predictors: tuple[SegLike, PointmapLike],
    *,
    side: str,
    frame: int,
    stature_m: float | None = None,
) -> StrikePoints:
    """The 3D points of one heel-strike frame (canonical keypoints ``xy``, (K, 2) pixels) and its
    vertical (the floor's normal, else the camera's up)."""
    seg, pointmap = predictors
    points, floor, _ = analyze_3d(
        xy, pointmap.predict(image).xyz, seg.predict(image).class_map, stature_m=stature_m
    )
    up = floor.normal if isinstance(floor, Floor) else CAMERA_UP
    return StrikePoints(side, frame, points, up)


def gait_steps_3d(
    path: str | Path,
    gait: GaitAnalysis,
    predictors: tuple[SegLike, PointmapLike],
    *,
    height_m: float | None = None,
    settings: Settings | None = None,
    fps: float | None = None,
) -> tuple[Step3D, pd.DataFrame]:
    """Step length in metres for a Sapiens2 gait analysis of ``path``: the seg and pointmap heads
    run on the heel-strike frames only (``gait.result.heel_strikes``), with the subject's tracked
    keypoints of those frames; returns the steps and their store rows (``step3d_rows``). ``fps``:
    the rate given for a video that states none, as for the analysis."""
    from core.config import load_settings
    from core.video import iter_frames

    settings = settings or load_settings()
    strikes = {e.frame: e.side for e in gait.result.heel_strikes}
    where = {int(f): i for i, f in enumerate(gait.series.frame_index)}
    found: list[StrikePoints] = []
    frames = iter_frames(
        path,
        limit_frames=settings.max_video_frames,
        limit_pixels=settings.max_image_pixels,
        fps=fps,
    )
    for frame in frames:
        if frame.index in strikes and frame.index in where:
            xy = gait.series.xy[where[frame.index]]
            found.append(
                strike_points(
                    frame.rgb,
                    xy,
                    predictors,
                    side=strikes[frame.index],
                    frame=frame.index,
                    stature_m=height_m,
                )
            )
        if len(found) == len(strikes):
            break
    steps = step_lengths_3d(found, height_m=height_m)
    return steps, step3d_rows(steps)
