"""The local engine: a pool of processes on this machine, each loading its backend once.

Processes are spawned (not forked): MediaPipe and torch start threads, and forking a process that
has threads can deadlock. Workers ignore Ctrl-C so only the driver handles it and stops the pool.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from core.batch.engine_base import Engine, available_cores
from core.batch.worker import BackendSpec, Job, Outcome, Worker

#: A job in flight when a worker process dies is tried this many times in all: the crash may have
#: been caused by another file in the same pool, so one retry is fair; a file that kills a worker
#: twice is reported as failed.
MAX_ATTEMPTS = 2
CRASH_MESSAGE = (
    "the worker process died while this file was being analysed "
    "(out of memory, or a crash in a native library); rerun with --retry-failed to try again"
)

# Per-process state of a pool worker, set once by _init_worker (a process pool has no other place
# to keep a loaded model between tasks).
_WORKER: Worker | None = None
_LOAD_ERROR: BaseException | None = None


def _init_worker(spec: BackendSpec, threads: int, log_path: str | None) -> None:
    global _WORKER, _LOAD_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_path:
        # MediaPipe / LiteRT write their start-up chatter straight to fd 2, which would tear
        # through the driver's progress bar; keep it (and any native crash report) in a log file.
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    # N workers each using every core would oversubscribe the CPU; torch reads this at import.
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        _WORKER = Worker(spec)
    except Exception as exc:  # kept and raised by the first task, so the driver sees the message
        _LOAD_ERROR = exc
    else:
        atexit.register(_WORKER.backend.close)  # native tasks closed before the interpreter ends


def _worker() -> Worker:
    if _LOAD_ERROR is not None:
        raise _LOAD_ERROR
    if _WORKER is None:  # only if the initializer never ran, which the pool guarantees it does
        raise RuntimeError("batch worker used before it was initialised")
    return _WORKER


def _describe() -> dict:
    return _worker().describe()


def _process(job: Job) -> Outcome:
    return _worker().process(job)


class LocalEngine(Engine):
    """Process pool engine. ``workers`` defaults to the usable CPU cores, at most ``max_workers``;
    the workers' own output (native library logs) goes to ``log_path`` when given."""

    def __init__(
        self,
        spec: BackendSpec,
        *,
        workers: int | None = None,
        max_workers: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.spec = spec
        self.log_path = log_path
        self.workers = workers or min(available_cores(), max_workers or available_cores())
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            threads = max(1, available_cores() // self.workers)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.spec, threads, str(self.log_path) if self.log_path else None),
            )
        return self._pool

    def describe(self) -> dict:
        return self._get_pool().submit(_describe).result()

    def imap(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        source = iter(jobs)
        retry: list[Job] = []
        attempts: dict[int, int] = {}
        pending: dict[Future, Job] = {}
        # Two jobs per worker keep every process busy while the driver stores a result, without
        # reading the whole archive into the queue (Ctrl-C then has little to cancel).
        limit = 2 * self.workers

        def fill() -> None:
            while len(pending) < limit:
                job = retry.pop() if retry else next(source, None)
                if job is None:
                    return
                attempts[job.index] = attempts.get(job.index, 0) + 1
                pending[self._get_pool().submit(_process, job)] = job

        fill()
        broken = False
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = True
                    if attempts[job.index] >= MAX_ATTEMPTS:
                        yield Outcome(job.without_data(), error=CRASH_MESSAGE)
                    else:
                        retry.append(job)
            if broken and pending:
                continue  # the dead pool fails its other futures within moments; collect them first
            if broken:
                broken = False
                self._discard_pool()
                retry.sort(key=lambda j: -j.index)  # pop() from the end keeps the archive order
            fill()

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def close(self, *, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not cancel:
            pool.shutdown(wait=True)
            return
        # Ctrl-C: drop queued jobs and stop running ones now instead of waiting for a long video.
        # Nothing is lost: only complete results are stored, and by the driver.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
