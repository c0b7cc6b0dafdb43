"""The glue between backends, measurements and results, shared by the CLI, the pages and batch runs.

``analyze_posture`` measures one person in one image; ``analyze_gait_video`` tracks one person
through a video and computes gait parameters. Both return the rows the store saves and the
``backend_info`` that produced them. The measurement, tracking and video modules are imported inside
the functions so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.backends.base import Backend, Detection, inference_lock
from core.config import Settings, load_settings
from core.errors import InputError, NoPersonFound
from core.keypoints import Pose, PoseSeries
from core.types import check_rgb
from core.video import (
    DEFAULT_MAX_SECONDS,
    Frame,
    check_max_seconds,
    cut_at_s,
    cut_message,
    iter_frames,
    prefetch,
    probe_video,
)

#: The longest gap (occlusion by a tree, a passer-by, missed detections) across which two fragments
#: of the walker are re-joined: 1.5 s is about three steps, beyond which position and velocity no
#: longer tell one person from another.
REJOIN_GAP_S = 1.5

if TYPE_CHECKING:
    from core.measure.confidence import PostureConfidence
    from core.measure.gait_result import GaitResult
    from core.tracking.walker import TrackStats

__all__ = [
    "GaitAnalysis",
    "PostureResult",
    "analyze_gait_video",
    "analyze_posture",
    "detection_warnings",
    "inference_lock",  # core.backends.base's, the one lock (imported from here too)
]


@dataclass(frozen=True)
class PostureResult:
    """pose: the measured person (left/right corrected when the view said so); measures: name ->
    value (NaN when not visible, degrees for ``*_deg``); backend_info: ``Backend.run_info()``
    (``describe()`` with the flip test that ran); rows: the measures as store rows; people: every
    person found (largest first, ``people[person_index]`` is the person measured, as the backend
    gave it); found_by: how they were found (``core.backends.crops.FOUND_BY``); view: the view
    measured in; inferred_view: the picture's reading (None when it could not tell); warnings:
    who was measured, the view and the sides; confidence: each measure's score and reliable flag,
    and the keypoints (``core.measure.confidence.PostureConfidence``); rows include its companion
    rows."""

    pose: Pose
    measures: dict[str, float]
    backend_info: dict[str, object]
    rows: pd.DataFrame
    confidence: PostureConfidence
    people: tuple[Pose, ...] = ()
    person_index: int = 0
    found_by: str = "full_image"
    view: str = "front"
    inferred_view: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class GaitAnalysis:
    """result: ``core.measure.gait.GaitResult``; series: the tracked ``PoseSeries``; rows: store rows;
    n_frames: frames analysed (after ``every``); tracking: how the subject was chosen and followed
    (``core.tracking.walker.choose_subject``: ``tracked_share``, ``span_share``, ``rejoins``,
    ``identity_jumps``, ``duplicates_merged`` ...); cut_at_s: where the time budget stopped the
    analysis (seconds), None when the whole video was analysed."""

    result: GaitResult
    series: PoseSeries
    backend_info: dict[str, object]
    rows: pd.DataFrame
    n_frames: int
    tracking: TrackStats = field(default_factory=dict)
    cut_at_s: float | None = None


def gait_flip_test(backend: Backend, *, fast: bool) -> bool | None:
    """The flip test for a walk's frames: off for the lite backend when ``fast`` (one landmarker
    pass a frame instead of the frame and its mirror); otherwise the backend's own default."""
    return False if fast and backend.name == "lite" else None


def live_flip_test(backend: Backend) -> bool | None:
    """The flip test for live frames (the desk watch): off for the lite backend, whose photo
    default (on) would double each frame's cost; Sapiens2 keeps its own default, as before."""
    return False if backend.name == "lite" else None


def analyze_posture(
    image: np.ndarray,
    backend: Backend,
    *,
    point: tuple[float, float] | None = None,
    view: str = "auto",
    settings: Settings | None = None,
    flip_test: bool | None = None,
) -> PostureResult:
    """Measure the largest person (or the one under ``point`` = (x, y) pixels) in an RGB uint8 image.

    view: one of ``core.measure.view.VIEW_CHOICES``; "auto" infers it from the keypoints, an
    explicit view that the picture contradicts gives a warning (``core.measure.sides``).
    ``settings`` (default :func:`core.config.load_settings`) gives the reliable score of the
    measures' confidence. ``flip_test``: the backend's flip test for this photo (None: the
    backend's; ``backend_info`` records the one that ran). Raises ``NoPersonFound`` when the
    backend finds nobody (or nobody at ``point``).
    """
    from core.measure.confidence import posture_confidence
    from core.measure.posture import posture_measures
    from core.measure.sides import resolve_view
    from core.measure.summary import posture_rows
    from core.measure.view import VIEW_CHOICES
    from core.tracking import select_person

    if view not in VIEW_CHOICES:
        raise InputError(f"view must be one of {', '.join(VIEW_CHOICES)}; got {view!r}")
    image = check_rgb(image)
    with inference_lock(backend):
        found = backend.find_people(image, flip_test=flip_test)
    pose = select_person(found.poses, point) if found.poses else None
    if pose is None:
        where = f" at {point[0]:g},{point[1]:g}" if point is not None else ""
        raise NoPersonFound(
            f"no person found in the image{where}; use a photo with the whole body visible"
        )
    index = next(i for i, p in enumerate(found.poses) if p is pose)
    choice = resolve_view(pose, view)
    measures = {k: float(v) for k, v in posture_measures(choice.pose, view=choice.used).items()}
    min_score = (settings or load_settings()).reliable_score(pose.backend)
    confidence = posture_confidence(
        choice.pose,
        view=choice.used,
        min_score=min_score,
        body_turn_deg=choice.inferred.body_turn_deg,
    )
    return PostureResult(
        choice.pose,
        measures,
        backend.run_info(flip_test=flip_test),
        posture_rows(measures, confidence=confidence),
        confidence,
        people=found.poses,
        person_index=index,
        found_by=found.found_by,
        view=choice.used,
        inferred_view=choice.inferred.view,
        warnings=detection_warnings(found, index, point) + tuple(choice.warnings),
    )


def detection_warnings(
    found: Detection, index: int, point: tuple[float, float] | None = None
) -> tuple[str, ...]:
    """What a posture readout says about who was measured: a person found only on a second look,
    and which of several people was measured (numbered from 1, largest first, as the overlay)."""
    out = []
    if found.found_by != "full_image":
        where = "a crop around the person mask" if found.found_by == "mask_crop" else "image tiles"
        out.append(
            f"nobody was found on the whole image; the person was found on {where}: "
            "check the overlay that the skeleton lies on the person"
        )
    if len(found.poses) > 1:
        x1, y1, x2, y2 = found.poses[index].require_box()
        why = "the one nearest the given point" if point is not None else "the largest"
        out.append(
            f"{len(found.poses)} people found; measured person {index + 1} ({why}, box "
            f"{x1:.0f},{y1:.0f} to {x2:.0f},{y2:.0f} px); give a point (CLI: --point X,Y) to measure another"
        )
    return tuple(out)


@dataclass(frozen=True)
class _Plan:
    frames: Generator[Frame, None, None]  # the sampled frames, decoded ahead on another thread
    total: int  # how many there will be
    fps: float  # the video's frame rate
    cut_at_s: float | None  # where the time budget stops reading
    cut_note: str  # what the cut leaves out, for the warnings


def _plan(path: Path, every: int, fps: float | None, max_seconds: float | None) -> _Plan:
    from core.config import load_settings

    info = probe_video(path, fps=fps)
    settings = load_settings()  # core.video reads no settings: the limits are passed in
    cut = cut_at_s(info, max_seconds)
    # Frames at times 0 .. cut, both ends included (iter_frames' end_s).
    n = info.n_frames if cut is None else min(info.n_frames, math.floor(cut * info.fps + 1e-6) + 1)
    frames = iter_frames(
        path,
        every=every,
        fps=fps,
        end_s=cut,
        limit_frames=settings.max_video_frames,
        limit_pixels=settings.max_image_pixels,
    )
    frames = prefetch(frames)
    note = "" if cut is None else cut_message(info, cut, path.name)
    return _Plan(frames, math.ceil(n / every), info.fps, cut, note)


def _import_in_background(*modules: str) -> None:
    """Start importing ``modules`` on another thread so the import (scipy.signal alone takes about
    a second) overlaps the frame loop; the real import later finds them loaded or waits for them,
    and raises any import error itself."""

    def load() -> None:
        with contextlib.suppress(Exception):
            for name in modules:
                importlib.import_module(name)

    threading.Thread(target=load, name="import-measures", daemon=True).start()


def _poses_per_frame(
    frames: Iterator[Frame], backend: Backend, batch: int, flip_test: bool | None = None
) -> Iterator[tuple[list[Frame], list[list[Pose]]]]:
    """(frames, their poses) in video order: groups of up to ``batch`` frames when the backend
    runs several at once (``batches_frames``), else single frames with their timestamps (and
    ``flip_test``, :func:`gait_flip_test`)."""
    grouped = batch > 1 and backend.batches_frames
    many = backend.estimate_pose_frames
    group: list[Frame] = []
    for frame in frames:
        check_rgb(frame.rgb)
        if not grouped:
            timestamp_ms = int(round(frame.time_s * 1000))
            poses = backend.estimate_pose(frame.rgb, timestamp_ms=timestamp_ms, flip_test=flip_test)
            yield [frame], [poses]
            continue
        group.append(frame)
        if len(group) == batch:
            yield group, many([f.rgb for f in group], max_batch=batch)
            group = []
    if group:  # the last, partial group
        yield group, many([f.rgb for f in group], max_batch=batch)


def analyze_gait_video(
    path: Path | str,
    backend: Backend,
    *,
    every: int = 1,
    progress: Callable[[int, int | None], None] | None = None,
    height_m: float | None = None,
    batch: int = 1,
    fps: float | None = None,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    fast: bool = False,
) -> GaitAnalysis:
    """Track one walking person through the video at ``path`` and compute gait parameters.

    every: analyse every N-th frame. progress(done, total) is called after each analysed frame
    (total None when unknown). batch: frames per pose call for a backend that takes several
    (``batches_frames``: Sapiens2 runs up to ``batch`` frames' crops in one forward); others,
    such as the lite backend's VIDEO mode, see the frames one by one whatever ``batch`` says.
    fps: the frame rate of a video whose header states none (such a video is refused without it).
    max_seconds: analyse at most the first this many seconds of video (None or 0: all of it); a
    cut adds a warning to the result and sets ``cut_at_s``. The subject is chosen over all the
    frames analysed (``core.tracking``), so a long clip keeps its walk. fast: no lite flip test
    on the frames (:func:`gait_flip_test`).
    Raises ``InputError`` for an unreadable or empty video and ``NoPersonFound`` when no frame
    holds a person. Too few steps is not an error: the result then carries nulls and a warning
    (``core.measure.gait``).
    """
    from core.tracking import PersonTracker

    if not isinstance(every, int) or every < 1:
        raise InputError(
            f"the frame step (every N-th frame) must be a whole number >= 1, got {every!r}"
        )
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"frames per pose call must be a whole number >= 1, got {batch!r}")
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(f"{path} does not exist or is empty")
    max_seconds = check_max_seconds(max_seconds)
    plan = _plan(path, every, fps, max_seconds)
    frames, total = plan.frames, plan.total
    _import_in_background("core.measure.gait", "core.measure.summary")
    # Fragments of the walker are re-joined across gaps of up to REJOIN_GAP_S of video.
    tracker = PersonTracker(max_gap=max(1, round(REJOIN_GAP_S * plan.fps / every)))
    times: list[float] = []
    indices: list[int] = []
    size = (0, 0)
    # A fresh video session per file: MediaPipe's VIDEO mode needs increasing timestamps.
    with (
        contextlib.closing(frames),  # stops the decode-ahead thread even when a frame fails
        inference_lock(backend),
        backend.video_session(),
    ):
        flip = gait_flip_test(backend, fast=fast)
        for group, found_per_frame in _poses_per_frame(frames, backend, batch, flip):
            for frame, found in zip(group, found_per_frame, strict=True):
                size = (int(frame.rgb.shape[1]), int(frame.rgb.shape[0]))
                tracker.update(found, frame_width=size[0])
                times.append(frame.time_s)
                indices.append(frame.index)
                if progress is not None:
                    progress(len(times), total)
    from core.measure.gait import analyze_gait
    from core.measure.gait_quality import TrackingStats
    from core.measure.summary import gait_rows

    # The whole-video choice of subject: early frames may hold only a bystander (see tracking).
    poses: list[Pose | None] = tracker.subject_poses()
    if not poses:
        raise InputError(f"{path} holds no video frames")
    if all(p is None for p in poses):
        raise NoPersonFound(
            f"no person found in any of the {len(poses)} analysed frames of {path.name}"
        )
    series = PoseSeries.from_poses(poses, np.asarray(times), np.asarray(indices), size)
    # The grade's "share tracked" is the span share: frames held over the frames between the
    # walker's first and last detection. tracked_share (over frames with anyone in view) is low
    # whenever a bystander stays in view longer than the walk, which says nothing about the walk.
    stats = tracker.stats
    span, jumps = stats.get("span_share"), stats.get("identity_jumps")
    tracking = TrackingStats(
        tracked_share=float(span) if isinstance(span, int | float) else None,
        track_jumps=int(jumps) if isinstance(jumps, int | float) else None,
    )
    result = analyze_gait(series, height_m=height_m, tracking=tracking,
                          reliable_score=load_settings().reliable_score(series.backend))  # fmt: skip
    if plan.cut_note:
        result.warnings.append(plan.cut_note)
    return GaitAnalysis(
        result,
        series,
        backend.run_info(flip_test=flip),  # the flip test the frames ran
        gait_rows(result),
        len(poses),
        tracking=stats,
        cut_at_s=plan.cut_at_s,
    )
