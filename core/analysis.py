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
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.backends.base import Backend, Detection
from core.config import Settings, load_settings
from core.errors import InputError, NoPersonFound
from core.keypoints import Pose, PoseSeries
from core.video import Frame, iter_frames, prefetch, probe_video

if TYPE_CHECKING:
    from core.measure.confidence import PostureConfidence


@dataclass(frozen=True)
class PostureResult:
    """pose: the measured person (left/right corrected when the view said so); measures: name ->
    value (NaN when not visible, degrees for ``*_deg``); backend_info: ``Backend.describe()``; rows:
    the measures as store rows; people: every person found (largest first, ``people[person_index]``
    is the person measured, as the backend gave it); found_by: how they were found
    (``core.backends.crops.FOUND_BY``); view: the view measured in; inferred_view: the picture's
    reading (None when it could not tell); warnings: who was measured, the view and the sides;
    confidence: each measure's score and reliable flag, and the keypoints
    (``core.measure.confidence.PostureConfidence``); rows include its companion rows."""

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
    n_frames: frames analysed (after ``every``)."""

    result: object
    series: PoseSeries
    backend_info: dict[str, object]
    rows: pd.DataFrame
    n_frames: int


def _check_image(image: np.ndarray) -> np.ndarray:
    if (
        not isinstance(image, np.ndarray)
        or image.ndim != 3
        or image.shape[2] != 3
        or image.size == 0
    ):
        shape = getattr(image, "shape", None)
        raise InputError(
            f"expected an RGB image (H, W, 3), got {type(image).__name__} of shape {shape}"
        )
    if image.dtype != np.uint8:
        raise InputError(f"expected an RGB uint8 image, got dtype {image.dtype}")
    return image


_LOCKS: weakref.WeakKeyDictionary[object, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def inference_lock(backend: object) -> Iterator[None]:
    """Hold ``backend``'s own lock: one model serves one image (or one whole video) at a time.

    Threads sharing a backend (several app sessions, a threaded batch) would otherwise run it
    concurrently: that oversubscribes the CPU threads the model already uses, races on its lazily
    created tasks and interleaves MediaPipe's per-video timestamps.
    """
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(backend, threading.RLock())
    with lock:
        yield


def analyze_posture(
    image: np.ndarray,
    backend: object,
    *,
    point: tuple[float, float] | None = None,
    view: str = "auto",
    settings: Settings | None = None,
) -> PostureResult:
    """Measure the largest person (or the one under ``point`` = (x, y) pixels) in an RGB uint8 image.

    view: one of ``core.measure.view.VIEW_CHOICES``; "auto" infers it from the keypoints, an
    explicit view that the picture contradicts gives a warning (``core.measure.sides``).
    ``settings`` (default :func:`core.config.load_settings`) gives the reliable score of the
    measures' confidence. Raises ``NoPersonFound`` when the backend finds nobody (or nobody at
    ``point``).
    """
    from core.backends.tracking import select_person
    from core.measure.confidence import posture_confidence
    from core.measure.posture import posture_measures
    from core.measure.sides import resolve_view
    from core.measure.summary import posture_rows
    from core.measure.view import VIEW_CHOICES

    if view not in VIEW_CHOICES:
        raise InputError(f"view must be one of {', '.join(VIEW_CHOICES)}; got {view!r}")
    image = _check_image(image)
    with inference_lock(backend):
        # A backend double that only has estimate_pose gets the plain one-pass detection.
        found = (
            backend.find_people(image)
            if isinstance(backend, Backend)
            else Detection(tuple(backend.estimate_pose(image)))
        )
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
    confidence = posture_confidence(choice.pose, view=choice.used, min_score=min_score)
    return PostureResult(
        choice.pose,
        measures,
        dict(backend.describe()),
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
        x1, y1, x2, y2 = found.poses[index].box  # type: ignore[misc]
        why = "the one nearest the given point" if point is not None else "the largest"
        out.append(
            f"{len(found.poses)} people found; measured person {index + 1} ({why}, box "
            f"{x1:.0f},{y1:.0f} to {x2:.0f},{y2:.0f} px); give a point (CLI: --point X,Y) to measure another"
        )
    return tuple(out)


def _frames_from(path: Path, every: int, fps: float | None) -> tuple[Iterator[Frame], int]:
    """The sampled frames of the video, decoded ahead on another thread, and how many there will be."""
    from core.config import load_settings

    info = probe_video(path, fps=fps)
    settings = load_settings()  # core.video reads no settings: the limits are passed in
    frames = iter_frames(
        path,
        every=every,
        fps=fps,
        limit_frames=settings.max_video_frames,
        limit_pixels=settings.max_image_pixels,
    )
    return prefetch(frames), math.ceil(info.n_frames / every)


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
    frames: Iterator[Frame], backend: object, batch: int
) -> Iterator[tuple[list[Frame], list[list[Pose]]]]:
    """(frames, their poses) in video order: groups of up to ``batch`` frames when the backend
    takes several at once (``estimate_pose_frames``), else single frames with their timestamps."""
    many = getattr(backend, "estimate_pose_frames", None) if batch > 1 else None
    group: list[Frame] = []
    for frame in frames:
        _check_image(frame.rgb)
        if many is None:
            timestamp_ms = int(round(frame.time_s * 1000))
            yield [frame], [backend.estimate_pose(frame.rgb, timestamp_ms=timestamp_ms)]
            continue
        group.append(frame)
        if len(group) == batch:
            yield group, many([f.rgb for f in group], max_batch=batch)
            group = []
    if group:  # the last, partial group
        yield group, many([f.rgb for f in group], max_batch=batch)


def analyze_gait_video(
    path: Path | str,
    backend: object,
    *,
    every: int = 1,
    progress: Callable[[int, int | None], None] | None = None,
    height_m: float | None = None,
    batch: int = 1,
    fps: float | None = None,
) -> GaitAnalysis:
    """Track one walking person through the video at ``path`` and compute gait parameters.

    every: analyse every N-th frame. progress(done, total) is called after each analysed frame
    (total None when unknown). batch: frames per pose call for a backend that takes several
    (``estimate_pose_frames``; Sapiens2 runs up to ``batch`` frames' crops in one forward); others,
    such as the lite backend's VIDEO mode, see the frames one by one whatever ``batch`` says.
    fps: the frame rate of a video whose header states none (such a video is refused without it).
    Raises ``InputError`` for an unreadable or empty video and ``NoPersonFound`` when no frame
    holds a person. Too few steps is not an error: the result then carries nulls and a warning
    (``core.measure.gait``).
    """
    from core.backends.tracking import PersonTracker

    if not isinstance(every, int) or every < 1:
        raise InputError(f"--every must be a whole number >= 1, got {every!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"--batch must be a whole number >= 1, got {batch!r}")
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(f"{path} does not exist or is empty")
    frames, total = _frames_from(path, every, fps)
    _import_in_background("core.measure.gait", "core.measure.summary")
    tracker = PersonTracker()
    times: list[float] = []
    indices: list[int] = []
    size = (0, 0)
    # A fresh video session per file: MediaPipe's VIDEO mode needs increasing timestamps.
    session = getattr(backend, "video_session", None)
    with (
        contextlib.closing(frames),  # stops the decode-ahead thread even when a frame fails
        inference_lock(backend),
        session() if session is not None else contextlib.nullcontext(),
    ):
        for group, found_per_frame in _poses_per_frame(frames, backend, batch):
            for frame, found in zip(group, found_per_frame, strict=True):
                size = (int(frame.rgb.shape[1]), int(frame.rgb.shape[0]))
                tracker.update(found)
                times.append(frame.time_s)
                indices.append(frame.index)
                if progress is not None:
                    progress(len(times), total)
    from core.measure.gait import analyze_gait
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
    result = analyze_gait(series, height_m=height_m)
    return GaitAnalysis(result, series, dict(backend.describe()), gait_rows(result), len(poses))
