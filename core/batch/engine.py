"""Choosing a batch engine by name: somewhere jobs run, each on a worker holding a loaded backend.

Two implementations: :class:`core.batch.local.LocalEngine` (a process pool on this machine) and
:class:`core.batch.ray_engine.RayEngine` (Ray actors, local or on a cluster), both of the
interface :class:`core.batch.engine_base.Engine` (re-exported here). The driver feeds jobs
as an iterator and stores outcomes as they come back; an engine never touches the database.
"""

from __future__ import annotations

from pathlib import Path

from core.batch.engine_base import Engine, available_cores
from core.batch.worker import BackendSpec
from core.errors import InputError

__all__ = ["ENGINES", "Engine", "available_cores", "make_engine"]

ENGINES = ("local", "ray")


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
