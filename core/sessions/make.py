"""Bytes or a path, a backend and typed options in; a ``SessionDraft`` out: the one recipe by which
a photo or a video becomes a session, for the app, the CLI and batch alike.

``make_posture`` / ``make_gait`` read, decode and analyse; ``posture_draft`` / ``gait_draft`` turn
a result the caller already holds (the app caches its analyses) into the same draft.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import analysis as _analysis  # called through the module: tests patch its functions
from core.analysis import GaitAnalysis, PostureResult
from core.backends.base import Backend
from core.config import Settings, load_settings
from core.errors import InputError
from core.hashing import sha256_hex
from core.imaging.decode import check_user_file
from core.inputs import decode_image_bytes, file_sha256, read_input_file
from core.sessions.draft import SessionDraft
from core.sessions.key import gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions

#: The name an image given as bytes goes by in error messages (``core.imaging.decode``'s own).
UNNAMED_IMAGE = "the uploaded image"
Source = bytes | str | Path


@dataclass(frozen=True)
class PostureSession:
    """A posture draft with what the caller shows: the result and the decoded image (RGB uint8)."""

    draft: SessionDraft
    result: PostureResult
    image: np.ndarray


@dataclass(frozen=True)
class GaitSession:
    """A gait draft with the analysis the caller shows."""

    draft: SessionDraft
    analysis: GaitAnalysis


@dataclass(frozen=True)
class Photo:
    """A photo read and decoded: its encoded bytes (hashed for the session) and RGB uint8 pixels."""

    data: bytes = field(repr=False)
    image: np.ndarray = field(repr=False)


def read_photo(
    source: Source, *, settings: Settings | None = None, name: str | None = None
) -> Photo:
    """Read (a path) or take (bytes) a photo and decode it; ``InputError`` naming it when it cannot
    be used (``name``: how errors name it; default the file name, or "the uploaded image")."""
    settings = settings or load_settings()
    if isinstance(source, bytes):
        data, shown = source, name or UNNAMED_IMAGE
    else:
        data, shown = read_input_file(source), name or Path(source).name
    return Photo(data, decode_image_bytes(data, shown, max_pixels=settings.max_image_pixels))


def overlay_png(image: np.ndarray, result: PostureResult) -> bytes:
    """The measured skeleton on the photo, its points coloured by score against the reliable
    score, and numbered boxes when several people were found (the measured one marked)."""
    # Imported on use: the overlay module pulls in the skeleton tables and OpenCV drawing.
    from core.imaging.decode import encode_png
    from core.imaging.overlay import draw_people_boxes, draw_pose

    drawn = draw_pose(image, result.pose, min_score=result.confidence.min_score)
    if len(result.people) > 1:
        boxes = [p.box for p in result.people]
        drawn = draw_people_boxes(drawn, boxes, measured=result.person_index)
    return encode_png(drawn)


def posture_draft(
    result: PostureResult, image: np.ndarray, *, source_hash: str, options: PostureOptions
) -> SessionDraft:
    """The draft of an analysed photo (``image``: the decoded photo the result was measured on)."""
    point = None if options.point is None else [float(v) for v in options.point]
    return SessionDraft(
        kind="posture",
        source_hash=source_hash,
        key=posture_key(result.backend_info, options),
        rows=result.rows,
        backend_info=dict(result.backend_info),
        params={
            "view": options.view,
            "view_used": result.view,
            "point": point,
            "fast": bool(options.fast),
        },  # fmt: skip
        artifacts={"overlay.png": overlay_png(image, result)},
        warnings=tuple(result.warnings),
    )


def make_posture(
    source: Source | Photo,
    backend: Backend,
    options: PostureOptions | None = None,
    *,
    settings: Settings | None = None,
    name: str | None = None,
) -> PostureSession:
    """Measure a photo (a path, its bytes, or a :class:`Photo` already read) and draft its session.

    ``name``: see :func:`read_photo`. The flip test follows ``options.fast``, asked per call
    (``Backend.estimate_pose(flip_test=)``), so a backend shared between threads runs each photo
    as it was asked. Raises ``InputError`` for an unreadable photo, ``NoPersonFound`` when nobody
    is found.
    """
    settings = settings or load_settings()
    options = options or PostureOptions()
    photo = (
        source if isinstance(source, Photo) else read_photo(source, settings=settings, name=name)
    )
    # fast: one pose pass instead of the photo and its mirror (Sapiens2, and lite since lite_flip).
    result = _analysis.analyze_posture(
        photo.image,
        backend,
        point=options.point,
        view=options.view,
        settings=settings,
        flip_test=not options.fast,
    )
    draft = posture_draft(result, photo.image, source_hash=sha256_hex(photo.data), options=options)
    return PostureSession(draft, result, photo.image)


def gait_draft(
    analysis: GaitAnalysis,
    *,
    source_hash: str,
    options: GaitOptions,
    artifacts: dict[str, bytes] | None = None,
) -> SessionDraft:
    """The draft of an analysed video; ``artifacts``: the overlay video, when the caller made one."""
    params: dict[str, object] = {
        "every": options.every,
        "height_m": options.height_m,
        "max_seconds": options.budget_s(),
    }
    if options.fps is not None:
        params["fps"] = options.fps
    if analysis.cut_at_s is not None:
        params["cut_at_s"] = analysis.cut_at_s
    result = analysis.result
    quality = result.quality
    return SessionDraft(
        kind="gait",
        source_hash=source_hash,
        key=gait_key(analysis.backend_info, options),
        rows=analysis.rows,
        backend_info=dict(analysis.backend_info),
        params=params,
        artifacts=dict(artifacts or {}),
        warnings=tuple(str(w) for w in result.warnings),
        quality=None if quality is None else str(quality.grade),
    )


def make_gait(
    source: Source,
    backend: Backend,
    options: GaitOptions | None = None,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    name: str | None = None,
) -> GaitSession:
    """Analyse a walking video (a path, or its bytes: written to a private temporary file, removed
    whatever happens) and draft its session. ``name``: the file name of bytes (its suffix tells
    the decoder the container). Raises ``InputError`` for an unreadable video."""
    options = options or GaitOptions()

    def run(path: Path, source_hash: str) -> GaitSession:
        analysis = _analysis.analyze_gait_video(
            path,
            backend,
            every=options.every,
            progress=progress,
            height_m=options.height_m,
            batch=options.batch,
            fps=options.fps,
            max_seconds=options.max_seconds,
            fast=options.fast,
        )
        return GaitSession(gait_draft(analysis, source_hash=source_hash, options=options), analysis)

    if not isinstance(source, bytes):
        # A clear error for a missing, unreadable or non-regular file, without reading the whole
        # video into memory (the decoder opens it itself).
        check_user_file(source, kind="video file")
        return run(Path(source), file_sha256(source))
    if not source:
        raise InputError(f"{name or 'the uploaded video'} is empty")
    suffix = Path(name or "").suffix.lower()
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="sapiens-measure-video-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(source)
        return run(Path(tmp), sha256_hex(source))
    finally:
        Path(tmp).unlink(missing_ok=True)
