"""What one batch worker does: load a backend once, then analyse file after file.

The same :class:`Worker` runs inside a local pool process and inside a Ray actor, so both engines
produce the same numbers. A worker never touches the database: it returns an :class:`Outcome` and
the driver stores it, so two workers never write at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Settings
from core.errors import CheckpointError, InputError, ModelNotAvailable, SapiensMeasureError
from core.sessions.draft import SessionDraft
from core.sessions.options import GaitOptions, PostureOptions

if TYPE_CHECKING:
    from core.analysis import GaitAnalysis, PostureResult
    from core.backends.base import Backend


@dataclass(frozen=True)
class BackendSpec:
    """Which backend a worker loads: ``name`` as for ``get_backend`` ("auto", "lite", "sapiens2")."""

    name: str = "auto"
    size: str = "0.4b"
    settings: Settings | None = None

    def load(self) -> Backend:
        from core.backends.selection import get_backend

        return get_backend(self.name, size=self.size, settings=self.settings)


@dataclass(frozen=True)
class Job:
    """One file to analyse. ``path`` is read by the worker (same machine); ``data`` carries the bytes
    when the worker may be on another machine (Ray). ``options``: the session's typed options."""

    index: int
    relpath: str
    kind: str  # "posture" or "gait"
    subject: str
    source_hash: str
    path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    options: PostureOptions | GaitOptions | None = None  # None: the kind's defaults

    def without_data(self) -> Job:
        return replace(self, data=None) if self.data is not None else self


@dataclass(frozen=True)
class Outcome:
    """A worker's answer for one job: the analysis result, or the error a user can read."""

    job: Job
    result: PostureResult | GaitAnalysis | None = None
    error: str = ""
    draft: SessionDraft | None = field(default=None, repr=False)  # what the driver stores
    seconds: float = 0.0  # analysis time in the worker (benchmarks read it)
    fatal: bool = False  # the worker cannot analyse anything (model missing): stop the run

    @property
    def ok(self) -> bool:
        return self.result is not None and self.draft is not None and not self.error

    @property
    def backend_info(self) -> dict[str, object]:
        """``Backend.describe()`` of the model that made the result ({} without one)."""
        return {} if self.draft is None else dict(self.draft.backend_info)


def error_text(exc: BaseException) -> str:
    """One line for the summary: the message of an expected error, type and message otherwise."""
    if isinstance(exc, SapiensMeasureError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")


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

        from core.sessions import make  # noqa: F401 (imported for its cost, see above)

        self.backend.estimate_pose(np.zeros((64, 64, 3), np.uint8))

    def describe(self) -> dict[str, object]:
        """``Backend.describe()`` of the loaded backend (the driver's idempotence key uses it)."""
        return dict(self.backend.describe())

    def process(self, job: Job) -> Outcome:
        """Analyse one file. Never raises for a bad file: the error goes into the outcome."""
        start = time.perf_counter()
        try:
            result, draft = self._analyse(job)
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
            draft=draft,
            seconds=time.perf_counter() - start,
        )

    def _analyse(self, job: Job) -> tuple[PostureResult | GaitAnalysis, SessionDraft]:
        # The one session recipe of core.sessions, so a batch session holds exactly what
        # `python -m core posture IMG --save` or the app would have stored.
        from core.sessions.make import make_gait, make_posture

        source: bytes | Path
        if job.data is not None:
            source = job.data
        elif job.path is not None:
            source = Path(job.path)
        else:
            raise InputError(f"{job.relpath}: the job carries neither a path nor the file's bytes")
        name = Path(job.relpath).name
        if job.kind == "posture":
            posture = job.options if isinstance(job.options, PostureOptions) else None
            made = make_posture(source, self.backend, posture, settings=self.spec.settings,
                                name=name)  # fmt: skip
            return made.result, made.draft
        if job.kind == "gait":
            walk = job.options if isinstance(job.options, GaitOptions) else None
            gait = make_gait(source, self.backend, walk, name=job.relpath)
            return gait.analysis, gait.draft
        raise InputError(f"{job.relpath}: unknown job kind {job.kind!r}")
