"""What one batch worker does: load a backend once, then analyse file after file.

The same :class:`Worker` runs inside a local pool process and inside a Ray actor, so both engines
produce the same numbers. A worker never touches the database: it returns an :class:`Outcome` and
the driver stores it, so two workers never write at once.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.config import Settings
from core.errors import CheckpointError, InputError, ModelNotAvailable, SapiensMeasureError
from core.imaging.decode import check_user_file


@dataclass(frozen=True)
class BackendSpec:
    """Which backend a worker loads: ``name`` as for ``get_backend`` ("auto", "lite", "sapiens2")."""

    name: str = "auto"
    size: str = "0.4b"
    settings: Settings | None = None

    def load(self) -> object:
        from core.backends.selection import get_backend

        return get_backend(self.name, size=self.size, settings=self.settings)


@dataclass(frozen=True)
class Job:
    """One file to analyse. ``path`` is read by the worker (same machine); ``data`` carries the bytes
    when the worker may be on another machine (Ray). ``options`` are the analysis keyword options."""

    index: int
    relpath: str
    kind: str  # "posture" or "gait"
    subject: str
    source_hash: str
    path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    options: tuple[tuple[str, object], ...] = ()

    def without_data(self) -> Job:
        return replace(self, data=None) if self.data is not None else self


@dataclass(frozen=True)
class Outcome:
    """A worker's answer for one job: the analysis result, or the error a user can read."""

    job: Job
    result: object | None = None  # PostureResult or GaitAnalysis
    error: str = ""
    artifacts: dict[str, bytes] = field(default_factory=dict, repr=False)  # e.g. overlay.png
    backend_info: dict = field(default_factory=dict)
    seconds: float = 0.0  # analysis time in the worker (benchmarks read it)
    fatal: bool = False  # the worker cannot analyse anything (model missing): stop the run

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.error


def error_text(exc: BaseException) -> str:
    """One line for the summary: the message of an expected error, type and message otherwise."""
    if isinstance(exc, SapiensMeasureError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


def _read(job: Job) -> bytes:
    from core.cli._common import read_input_file

    if job.data is not None:
        return job.data
    if job.path is None:
        raise InputError(f"{job.relpath}: the job carries neither a path nor the file's bytes")
    return read_input_file(job.path)


class Worker:
    """Holds one loaded backend and analyses jobs with it (posture photos and gait videos)."""

    def __init__(self, spec: BackendSpec, *, warm_up: bool = True) -> None:
        self.spec = spec
        self.backend = spec.load()
        if warm_up:
            self._warm_up()

    def _warm_up(self) -> None:
        # Backends load model files lazily on the first image. Doing it here makes a missing model
        # a start-up error the driver reports once (not a failure of every file), and keeps the
        # load and the first imports out of the per-file times.
        import numpy as np

        from core import analysis  # noqa: F401 (imported for its cost, see above)
        from core.cli import posture  # noqa: F401

        self.backend.estimate_pose(np.zeros((64, 64, 3), np.uint8))

    def describe(self) -> dict:
        """``Backend.describe()`` of the loaded backend (the driver's idempotence key uses it)."""
        return dict(self.backend.describe())

    def process(self, job: Job) -> Outcome:
        """Analyse one file. Never raises for a bad file: the error goes into the outcome."""
        start = time.perf_counter()
        try:
            result, artifacts = self._analyse(job)
        except Exception as exc:  # a bad file must never stop the run; the summary reports it
            return Outcome(
                job.without_data(),
                error=error_text(exc),
                seconds=time.perf_counter() - start,
                fatal=isinstance(exc, ModelNotAvailable | CheckpointError),
            )
        return Outcome(
            job.without_data(),
            result=result,
            artifacts=artifacts,
            backend_info=dict(getattr(result, "backend_info", None) or self.describe()),
            seconds=time.perf_counter() - start,
        )

    def _analyse(self, job: Job) -> tuple[object, dict[str, bytes]]:
        # The single-file commands' own steps (core.cli.posture / core.cli.gait), so a batch
        # session holds exactly what `python -m core posture IMG --save` would have stored.
        from core import analysis

        options = dict(job.options)
        if job.kind == "posture":
            from core.cli._common import decode_image_bytes
            from core.cli.posture import _overlay_png

            image = decode_image_bytes(_read(job), Path(job.relpath).name)
            result = analysis.analyze_posture(image, self.backend, **options)
            return result, _overlay_png(image, result.pose)
        if job.kind == "gait":
            if job.data is None and job.path is not None:
                # The CLI's clear error for a missing, unreadable or non-regular file, without
                # reading the whole video into memory (the decoder opens it itself).
                check_user_file(job.path, kind="video file")
                return analysis.analyze_gait_video(Path(job.path), self.backend, **options), {}
            return self._gait_from_bytes(job, options), {}
        raise InputError(f"{job.relpath}: unknown job kind {job.kind!r}")

    def _gait_from_bytes(self, job: Job, options: dict) -> object:
        from core import analysis

        # Video decoders need a file; a private temporary one, removed whatever happens.
        data = _read(job)
        if not data:
            raise InputError(f"{job.relpath} is empty")
        suffix = Path(job.relpath).suffix.lower()
        fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="sapiens-measure-batch-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return analysis.analyze_gait_video(Path(tmp), self.backend, **options)
        finally:
            Path(tmp).unlink(missing_ok=True)
