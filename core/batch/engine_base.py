"""The interface of a batch engine: somewhere jobs run, each on a worker holding a loaded backend.

The implementations (:mod:`core.batch.local`, :mod:`core.batch.ray_engine`) import this module,
and :func:`core.batch.engine.make_engine` imports them: the interface lives apart from the factory
so that no import goes round in a circle.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from core.batch.worker import Job, Outcome


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
