"""One batch run: discover an archive, map files to subjects, analyse on an engine, store, summarise.

The driver (this module) alone writes the database, one transaction per file as results come
back, so a crash or a killed worker loses nothing already stored and a rerun continues where the
last one stopped: files already stored with the same content hash, subject and settings are
reported ``unchanged``; files that failed before are skipped unless ``retry_failed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from core.batch.discover import discover
from core.batch.engine import Engine, make_engine
from core.batch.ledger import FailureLedger
from core.batch.progress import Progress
from core.batch.subjects import assign_subjects, read_subject_map
from core.batch.summary import SummaryWriter, key_measures
from core.batch.worker import BackendSpec, Job, Outcome
from core.errors import InputError, ModelNotAvailable
from core.inputs import file_sha256
from core.limits import DEFAULT_MAX_SECONDS
from core.measure.view import DEFAULT_VIEW, VIEW_CHOICES
from core.sessions.key import gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions
from core.store import Store, drafts
from core.store.reports import REPORTS_DIRNAME

CONSENT_REQUIRED = (
    "batch processing stores sessions for every subject in the archive: confirm that each of them "
    "has consented with --consent-confirmed (new subjects are created with consent recorded)"
)


@dataclass(frozen=True)
class BatchOptions:
    """Everything a run is asked to do (the ``python -m core batch`` options)."""

    kind: str = "auto"
    backend: str = "auto"
    size: str = "0.4b"
    subject_from: str = "folder"
    map_path: Path | None = None
    engine: str = "local"
    workers: int | None = None
    ray_address: str | None = None
    gpus_per_worker: float | None = None
    retry_failed: bool = False
    consent_confirmed: bool = False
    view: str = DEFAULT_VIEW
    every: int = 1
    fps: float | None = None  # the frame rate of the videos whose header states none
    max_seconds: float | None = None  # time budget per video; None: the analysis default
    summary_path: Path | None = None


@dataclass
class BatchReport:
    """What a run did: counts per status, the summary's path, and whether Ctrl-C stopped it."""

    total: int
    summary_path: Path
    counts: Counter = field(default_factory=Counter)
    backend_info: dict = field(default_factory=dict)
    interrupted: bool = False


@dataclass(frozen=True)
class _Planned:
    subject: str
    subject_id: int
    key: str  # the parameters key (core.sessions.key), also the failure ledger's fingerprint


def _states_no_frame_rate(path: Path) -> bool:
    """True when the video's header states no frame rate (``--fps`` then applies to it). Any other
    problem with the file is left for the worker, which reports it as that file's failure."""
    from core.video import NoFrameRate, probe_video

    try:
        probe_video(path)
    except NoFrameRate:
        return True
    except InputError:
        return False
    return False


def default_summary_path(data_dir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(data_dir) / REPORTS_DIRNAME / f"summary-{stamp}.csv"


def _resolve_subjects(store: Store, labels: set[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Subject ids by label (new ones created with consent), and why the others cannot be used."""
    ids: dict[str, int] = {}
    refused: dict[str, str] = {}
    for label in sorted(labels):
        try:
            subject = store.find_subject(label)
            if subject is None:
                ids[label] = store.create_subject(label, consent=True)
            elif not subject.consent:
                # --consent-confirmed covers new subjects; a subject whose consent was withdrawn
                # (or never recorded) in the app must not be processed behind its back.
                refused[label] = (
                    f"subject {label!r} exists without consent recorded; record it with "
                    f"`python -m core subject consent {label}` first"
                )
            else:
                ids[label] = subject.id
        except InputError as exc:  # an unusable label, e.g. with a '/' from a CSV map
            refused[label] = str(exc)
    return ids, refused


class _Run:
    """State of one run; :meth:`jobs` feeds the engine, :meth:`record` stores what comes back."""

    def __init__(self, options: BatchOptions, store: Store, summary: SummaryWriter,
                 ledger: FailureLedger, progress: Progress) -> None:  # fmt: skip
        self.options = options
        self.store = store
        self.summary = summary
        self.ledger = ledger
        self.progress = progress
        self.planned: dict[int, _Planned] = {}

    def note(self, status: str, *, file: str, analysed: bool = False, **row: Any) -> None:
        """A summary row (``row``: ``SummaryWriter.write``'s other columns) and the progress."""
        self.summary.write(file=file, status=status, **row)
        self.progress.advance(status, analysed=analysed)

    def _options(
        self, kind: str, height_m: float | None, path: Path
    ) -> PostureOptions | GaitOptions:
        """The session options of one file, as the single-file commands have them."""
        o = self.options
        if kind == "posture":
            return PostureOptions(view=o.view)
        # The frame rate only where it is needed: a stated rate is never overridden.
        fps = o.fps if o.fps is not None and _states_no_frame_rate(path) else None
        budget = DEFAULT_MAX_SECONDS if o.max_seconds is None else o.max_seconds
        return GaitOptions(every=o.every, fps=fps, max_seconds=budget, height_m=height_m)

    def jobs(self, assigned: list, ids: dict[str, int], backend_info: dict) -> Iterator[Job]:
        """The files that need analysing; the others get their summary row here, on the way."""
        seen: dict[tuple, str] = {}
        heights = {label: self.store.get_subject(sid).height_m for label, sid in ids.items()}
        for index, (media, label) in enumerate(assigned):
            row = {"file": media.relpath, "subject": label, "kind": media.kind}
            sid = ids[label]
            try:
                source_hash = file_sha256(media.path)
            except InputError as exc:
                self.note("failed", error=str(exc), **row)
                continue
            options = self._options(media.kind, heights[label], media.path)
            # The key holds the resolved model (the workers' describe()): "auto" may mean lite
            # today and Sapiens2 tomorrow, and that must reprocess the archive.
            key = (
                posture_key(backend_info, options)
                if isinstance(options, PostureOptions)
                else gait_key(backend_info, options)
            )
            if (source_hash, sid, key) in seen:
                first = seen[(source_hash, sid, key)]
                self.note("skipped", error=f"same content as {first} (already in this run)", **row)
                continue
            seen[(source_hash, sid, key)] = media.relpath
            existing = drafts.find_session(
                self.store, subject_id=sid, kind=media.kind, source_hash=source_hash, key=key
            )
            if existing is not None:
                self.note("unchanged", session_id=existing, **row)
                continue
            failed_at = self.ledger.failed_at(source_hash, key)
            if failed_at and not self.options.retry_failed:
                self.note(
                    "skipped",
                    error=f"failed in an earlier run ({failed_at}); add --retry-failed to try again",
                    **row,
                )
                continue
            self.planned[index] = _Planned(label, sid, key)
            yield Job(index=index, relpath=media.relpath, kind=media.kind, subject=label,
                      source_hash=source_hash, path=str(media.path), options=options)  # fmt: skip

    def record(self, outcome: Outcome) -> None:
        """Store one outcome (one transaction) and write its summary row."""
        job = outcome.job
        plan = self.planned.pop(job.index)
        row: dict[str, Any] = {"file": job.relpath, "subject": plan.subject, "kind": job.kind,
               "seconds": outcome.seconds}  # fmt: skip
        error = outcome.error
        if outcome.fatal:
            # Not this file's fault: every other file would fail the same way. Stop, record nothing.
            raise ModelNotAvailable(error)
        if outcome.ok and outcome.draft is not None:
            try:
                session_id = drafts.save(
                    self.store, plan.subject_id, outcome.draft, notes=f"batch: {job.relpath}"
                )
            except InputError as exc:  # a result the store refuses is this file's failure only
                error = str(exc)
            else:
                self.ledger.clear(job.source_hash, plan.key)
                measures = key_measures(outcome.result)
                self.note(
                    "processed", analysed=True, session_id=session_id, measures=measures, **row
                )
                return
        self.ledger.record_failure(job.source_hash, plan.key)
        self.note("failed", analysed=True, error=error or "analysis failed", **row)


def run_batch(
    input_dir: Path,
    options: BatchOptions,
    *,
    store: Store | None = None,
    engine: Engine | None = None,
    progress_stream: TextIO | None = None,
    show_progress: bool = True,
) -> BatchReport:
    """Process every photo and video under ``input_dir`` and return what happened.

    Raises ``InputError`` for unusable options (no consent confirmation, bad folder or map),
    ``ModelNotAvailable`` when the workers cannot load the backend, ``StorageError`` when the
    store cannot be written. A bad file never raises: it is a ``failed`` row of the summary.
    A ``KeyboardInterrupt`` stops the run cleanly: the report says ``interrupted``.
    """
    if not options.consent_confirmed:
        raise InputError(CONSENT_REQUIRED)
    if options.every < 1:
        raise InputError(f"--every must be >= 1 (got {options.every})")
    if options.fps is not None:
        from core.video.probe import check_given_fps

        check_given_fps(options.fps)
    if options.max_seconds is not None:
        from core.video import check_max_seconds

        check_max_seconds(options.max_seconds)
    if options.view not in VIEW_CHOICES:
        raise InputError(f"--view must be one of {', '.join(VIEW_CHOICES)}, got {options.view!r}")
    subject_map = read_subject_map(options.map_path) if options.map_path else None
    if store is not None:
        return _execute(
            Path(input_dir), options, store, subject_map, engine, progress_stream, show_progress
        )
    with Store() as own:
        return _execute(
            Path(input_dir), options, own, subject_map, engine, progress_stream, show_progress
        )


def _execute(
    input_dir: Path,
    options: BatchOptions,
    store: Store,
    subject_map: dict[str, str] | None,
    engine: Engine | None,
    progress_stream: TextIO | None,
    show_progress: bool,
) -> BatchReport:
    summary_path = Path(options.summary_path or default_summary_path(store.data_dir))
    log_path = summary_path.with_suffix(".workers.log")
    try:
        summary_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {summary_path.parent}: {exc.strerror or exc}") from None
    exclude = tuple(p for p in (summary_path, log_path, options.map_path) if p)
    found = discover(input_dir, kind=options.kind, exclude=exclude)
    assigned, unassigned = assign_subjects(
        found.files, mode=options.subject_from, subject_map=subject_map
    )
    if engine is None:
        engine = make_engine(options.engine, BackendSpec(options.backend, options.size),
                             workers=options.workers, max_workers=max(1, len(assigned)),
                             ray_address=options.ray_address,
                             num_gpus=options.gpus_per_worker,
                             log_path=log_path)  # fmt: skip
    total = len(found.files) + len(found.skipped)
    report = BatchReport(total=total, summary_path=summary_path)
    progress = Progress(total, stream=progress_stream, enabled=show_progress)
    report.counts = progress.counts
    ledger = FailureLedger(store.data_dir)
    try:
        with SummaryWriter(summary_path) as summary:
            run = _Run(options, store, summary, ledger, progress)
            for skipped in (*found.skipped, *unassigned):
                run.note("skipped", file=skipped.relpath, error=skipped.reason)
            try:
                if assigned:
                    report.backend_info = engine.describe()
                ids, refused = _resolve_subjects(store, {label for _, label in assigned})
                for media, label in assigned:
                    if label in refused:
                        run.note("skipped", file=media.relpath, subject=label, kind=media.kind,
                                 error=refused[label])  # fmt: skip
                usable = [(m, label) for m, label in assigned if label in ids]
                for outcome in engine.imap(run.jobs(usable, ids, report.backend_info)):
                    run.record(outcome)
            except KeyboardInterrupt:
                report.interrupted = True
                engine.close(cancel=True)
            except BaseException:
                engine.close(cancel=True)
                raise
            else:
                engine.close()
    finally:
        progress.close()
        ledger.close()
    return report
