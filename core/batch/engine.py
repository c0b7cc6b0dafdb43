"""The interface of a batch engine: somewhere jobs run, each on a worker holding a loaded backend.

Two implementations: :class:`core.batch.local.LocalEngine` (a process pool on this machine) and
:class:`core.batch.ray_engine.RayEngine` (Ray actors, local or on a cluster). The driver feeds jobs
as an iterator and stores outcomes as they come back; an engine never touches the database.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path

from core.batch.worker import BackendSpec, Job, Outcome
from core.errors import InputError

ENGINES = ("local", "ray")


def available_cores() -> int:
    """CPU cores this process may use (respects CPU affinity and container limits where visible)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


class Engine(ABC):
    """Runs :class:`Job` s on workers and yields their :class:`Outcome` s, in completion order."""

    #: how many workers run jobs at once (known after construction)
    workers: int = 1

    @abstractmethod
    def describe(self) -> dict:
        """The workers' ``Backend.describe()``; raises the worker's load error (e.g. ModelNotAvailable)."""

    @abstractmethod
    def imap(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        """Run ``jobs`` (consumed lazily, a few per worker in flight) and yield each outcome when done.

        A file that fails yields an outcome with ``error`` set; it never raises for a bad file.
        """

    @abstractmethod
    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers. ``cancel=True`` (Ctrl-C) drops queued jobs and stops running ones."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(cancel=exc_type is not None)


def make_engine(
    name: str,
    spec: BackendSpec,
    *,
    workers: int | None = None,
    max_workers: int | None = None,
    ray_address: str | None = None,
    num_gpus: float | None = None,
    log_path: Path | None = None,
) -> Engine:
    """Build the engine called ``name`` ("local" or "ray"); ``num_gpus`` and ``ray_address`` are Ray's.

    ``workers`` defaults to what the machine or cluster offers, capped at ``max_workers`` (the
    number of files: every worker loads a model, which costs seconds and memory). ``log_path``
    collects the local workers' native library output (Ray keeps its own worker logs).

    Raises ``InputError`` for an unknown name or a bad worker count, ``ModelNotAvailable``-style
    errors only later (workers load the backend when they start).
    """
    if name not in ENGINES:
        raise InputError(f"--engine {name!r}: choose one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if name == "local":
        if ray_address or num_gpus:
            raise InputError("--ray-address and --gpus-per-worker need --engine ray")
        from core.batch.local import LocalEngine

        return LocalEngine(spec, workers=workers, max_workers=max_workers, log_path=log_path)
    from core.batch.ray_engine import RayEngine

    return RayEngine(
        spec, workers=workers, max_workers=max_workers, address=ray_address, num_gpus=num_gpus
    )
