"""``python -m core batch INPUT_DIR``: analyse a folder of photos and walking videos, store every result.

Each file runs through the same steps as ``python -m core posture IMG --save`` or
``python -m core gait VIDEO --save``, on a local process pool or on Ray actors. A summary CSV
lists every file with its status; a rerun only does what is new (see docs/BATCH.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.batch.discover import KINDS
from core.batch.engine import ENGINES
from core.batch.subjects import SUBJECT_MODES
from core.cli._common import add_backend_options
from core.measure.view import DEFAULT_VIEW, VIEW_CHOICES

if TYPE_CHECKING:
    from core.batch.run import BatchReport

EPILOG = """\
consent: batch processing must not bypass consent. --consent-confirmed states that every person
in the archive has consented; subjects that do not exist yet are created with consent recorded
as given (today's date). Files of an existing subject without recorded consent are skipped.

examples:
  python -m core batch archive/ --consent-confirmed
  python -m core batch archive/ --subject-from csv --map MAP.csv --consent-confirmed
  python -m core batch archive/ --engine ray --ray-address ray://head:10001 --backend sapiens2 \\
      --consent-confirmed
"""


def _print_report(report: BatchReport) -> None:
    counts = report.counts
    parts = ", ".join(
        f"{counts.get(s, 0)} {s}" for s in ("processed", "unchanged", "failed", "skipped")
    )
    info = report.backend_info
    model = f" with {info.get('backend')} / {info.get('model')}" if info else ""
    print(f"{report.total} files{model}: {parts}")
    print(f"summary: {report.summary_path}")


def _run(args: argparse.Namespace) -> int:
    from core.batch.run import BatchOptions, run_batch

    options = BatchOptions(
        kind=args.kind,
        backend=args.backend,
        size=args.size,
        subject_from=args.subject_from,
        map_path=Path(args.map) if args.map else None,
        engine=args.engine,
        workers=args.workers,
        ray_address=args.ray_address,
        gpus_per_worker=args.gpus_per_worker,
        retry_failed=args.retry_failed,
        consent_confirmed=args.consent_confirmed,
        view=args.view,
        every=args.every,
        fps=args.fps,
        max_seconds=args.max_seconds,
        summary_path=Path(args.out) if args.out else None,
    )
    report = run_batch(Path(args.input_dir), options, show_progress=not args.quiet)
    _print_report(report)
    if report.interrupted:
        print(
            "interrupted: what finished is stored; run the same command again to continue",
            file=sys.stderr,
        )
        return 130
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="analyse a folder of photos and videos (local process pool or Ray cluster)",
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input_dir", metavar="INPUT_DIR", help="folder of photos and videos (recursive)")
    p.add_argument(
        "--kind",
        choices=KINDS,
        default="auto",
        help="posture (photos), gait (videos) or auto: by file extension (default auto)",
    )
    add_backend_options(p)
    p.add_argument(
        "--subject-from",
        choices=SUBJECT_MODES,
        default="folder",
        help="subject of a file: its first folder (P01/x.jpg), its file-name prefix before the "
        "first '_' (P01_x.jpg), or a CSV map given with --map (default folder)",
    )
    p.add_argument("--map", metavar="MAP.csv", help="CSV with the columns file,subject")
    p.add_argument(
        "--consent-confirmed",
        action="store_true",
        help="required: every person in the archive has consented; new subjects are created "
        "with consent recorded",
    )
    p.add_argument("--engine", choices=ENGINES, default="local", help="local process pool or ray")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="parallel workers, each loading the model once (default: CPU cores, or the "
        "Ray cluster's GPUs / CPUs)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="existing Ray cluster (ray://host:10001); default: start a local Ray instance",
    )
    p.add_argument(
        "--gpus-per-worker",
        type=float,
        metavar="G",
        help="GPUs per Ray actor, may be fractional (default: 1 when the cluster has GPUs "
        "and the backend is sapiens2 or auto, else 0)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="analyse again the files that failed in an earlier run",
    )
    p.add_argument(
        "--view",
        choices=VIEW_CHOICES,
        default=DEFAULT_VIEW,
        help="photo camera view (default auto: inferred from each photo's keypoints)",
    )
    p.add_argument(
        "--every", type=int, default=1, metavar="N", help="videos: analyse every N-th frame"
    )
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="videos: frame rate of the videos whose header states none (they are refused "
        "without it); videos that state one keep theirs",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        metavar="S",
        help="videos: analyse at most the first S seconds of each (default: the gait command's "
        "300; 0 = all); a cut is listed in that session's warnings",
    )
    p.add_argument(
        "--out",
        metavar="SUMMARY.csv",
        help="summary CSV of the run (default: batch_runs/summary-<time>.csv in the data folder)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
