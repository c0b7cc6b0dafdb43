"""The Ray engine: actors that each hold a loaded backend, on this machine or on a cluster.

Ray is an optional extra (``pip install -e .[ray]``) and is imported only when this engine starts.
The driver reads each file and sends its bytes, so worker nodes need no shared file system; results
come back to the driver, which alone writes the database. GPU actors are used when the cluster has
GPUs and the backend can use them (Sapiens2); ``num_gpus`` per actor may be fractional to pack
several actors on one GPU.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from types import ModuleType
from typing import Any

from core.batch.engine_base import Engine
from core.batch.worker import BackendSpec, Job, Outcome, Worker
from core.errors import InputError, SapiensMeasureError

#: Ray restarts an actor whose process died (out of memory, native crash) up to this many times;
#: the file it was working on is reported as failed, the others carry on.
MAX_RESTARTS = 3
ACTOR_DIED = (
    "the Ray worker died while this file was being analysed (out of memory, node lost, or a "
    "crash in a native library); rerun with --retry-failed to try again"
)


def import_ray() -> ModuleType:
    """The ``ray`` module, or ``InputError`` saying how to install the optional extra."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--engine ray needs Ray: install the extra with `pip install -e .[ray]` "
            "(or `pip install 'ray>=2.30'`), or use --engine local"
        ) from None
    return ray


class BatchActor:
    """Body of one Ray actor: a :class:`Worker`, or the error that stopped it from loading."""

    def __init__(self, spec: BackendSpec) -> None:
        self.error: BaseException | None = None
        self.worker: Worker | None = None
        try:
            self.worker = Worker(spec)
        except Exception as exc:  # raised again by describe(), so the driver shows the message
            self.error = exc

    def _ready(self) -> Worker:
        if self.worker is None:
            raise self.error or RuntimeError("batch actor has no worker")
        return self.worker

    def describe(self) -> dict:
        return self._ready().describe()

    def process(self, job: Job) -> Outcome:
        return self._ready().process(job)


def _wants_gpu(spec: BackendSpec) -> bool:
    # MediaPipe (lite) runs on the CPU here; only Sapiens2 gains from a GPU.
    return spec.name in ("auto", "sapiens2")


class RayEngine(Engine):
    """Ray actor engine.

    Parameters
    ----------
    spec : the backend every actor loads.
    workers : number of actors; default: GPUs / ``num_gpus`` on a GPU cluster, else its CPUs,
        at most ``max_workers``.
    address : an existing cluster (``ray://host:10001`` or ``host:6379``); default: use the Ray
        instance already initialised in this process, else start a local one (stopped at close).
    num_gpus : GPUs per actor; default 1 when the cluster has GPUs and the backend can use them.
    """

    def __init__(
        self,
        spec: BackendSpec,
        *,
        workers: int | None = None,
        max_workers: int | None = None,
        address: str | None = None,
        num_gpus: float | None = None,
    ) -> None:
        if num_gpus is not None and num_gpus < 0:
            raise InputError(f"--gpus-per-worker must be >= 0, got {num_gpus}")
        self.spec = spec
        self.address = address
        self.num_gpus = num_gpus
        self.workers = workers or 1
        self._requested_workers = workers
        self._max_workers = max_workers
        self._ray: ModuleType | None = None
        self._owns_ray = False
        self._actors: list = []
        self._in_flight: dict = {}

    def _start(self) -> list:
        if self._actors:
            return self._actors
        ray = import_ray()
        if not ray.is_initialized():
            # A Ray instance this command starts for itself listens on loopback only: nothing
            # of it is reachable from other machines.
            local = {} if self.address else {"_node_ip_address": "127.0.0.1"}
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=False,  # actor logs would tear through the progress bar
                    logging_level="ERROR",
                    **local,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local Ray instance"
                raise InputError(f"cannot start or reach {where}: {exc}") from None
            self._owns_ray = True
        self._ray = ray
        resources = ray.cluster_resources()
        gpus = self.num_gpus
        if gpus is None:
            gpus = 1.0 if resources.get("GPU", 0) >= 1 and _wants_gpu(self.spec) else 0.0
        if gpus > resources.get("GPU", 0):
            # Ray would wait forever for a GPU that no node has; say so instead.
            self.close()
            raise InputError(
                f"--gpus-per-worker {gpus:g}: the Ray cluster has {resources.get('GPU', 0):g} GPU(s); "
                "use --gpus-per-worker 0 or a cluster with GPUs"
            )
        if self._requested_workers is None:
            pool = resources.get("GPU", 0) / gpus if gpus else resources.get("CPU", 1)
            self.workers = max(1, min(int(pool), self._max_workers or int(pool)))
        actor_cls = ray.remote(BatchActor).options(
            num_cpus=1, num_gpus=gpus, max_restarts=MAX_RESTARTS
        )
        self._actors = [actor_cls.remote(self.spec) for _ in range(self.workers)]
        return self._actors

    def _module(self) -> ModuleType:
        """The ``ray`` module of a started engine (``_start`` sets it)."""
        if self._ray is None:
            raise InputError("the Ray engine is not started")
        return self._ray

    def _get(self, ref: object) -> Any:  # what the actor's method returned
        ray = self._module()
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            # An error raised by our own code in the actor: give the user its message, not Ray's.
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SapiensMeasureError):
                raise cause from None
            raise

    def describe(self) -> dict:
        actors = self._start()
        return self._get(actors[0].describe.remote())

    def imap(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        actors = self._start()
        ray = self._module()
        source = iter(jobs)
        # Two jobs per actor: one running, one already shipped, so no actor waits for the driver.
        free = deque(actors * 2)
        in_flight = self._in_flight

        def fill() -> None:
            while free:
                job = next(source, None)
                if job is None:
                    return
                actor = free.popleft()
                try:
                    shipped = job if job.data is not None else _with_bytes(job)
                except InputError as exc:
                    free.appendleft(actor)
                    failed.append(Outcome(job.without_data(), error=str(exc)))
                    continue
                in_flight[actor.process.remote(shipped)] = (actor, job.without_data())

        failed: list[Outcome] = []
        fill()
        while in_flight or failed:
            while failed:
                yield failed.pop(0)
            if not in_flight:
                fill()
                continue
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                actor, job = in_flight.pop(ref)
                free.append(actor)
                try:
                    outcome = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                    outcome = Outcome(job, error=ACTOR_DIED)
                yield outcome
            fill()

    def close(self, *, cancel: bool = False) -> None:
        ray = self._ray
        if ray is None:
            return
        if cancel:
            for ref in list(self._in_flight):
                ray.cancel(ref, force=True)
        self._in_flight.clear()
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False
        self._ray = None


#: Largest video sent to a Ray worker, bytes (images have the decoder's own cap).
_MAX_VIDEO_BYTES = 4 * 2**30


def _with_bytes(job: Job) -> Job:
    from core.imaging.decode import MAX_IMAGE_FILE_BYTES, read_user_file

    # Regular files only (a FIFO would hang the driver, /dev/zero never ends), with a size cap.
    cap = MAX_IMAGE_FILE_BYTES if job.kind == "posture" else _MAX_VIDEO_BYTES
    return replace(job, data=read_user_file(job.path or "", max_bytes=cap))
