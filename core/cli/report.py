"""``python -m core report SUBJECT --out FILE.pdf``: the subject's PDF report (docs/EXPORT.md).

``--out`` is a file, or a folder (one that exists, or written with a trailing "/"; the file is named
``<slug>_s<id>_<today>_report.pdf``). An existing file is never replaced without ``--force``; a
subject without sessions is an error (exit status 1).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from core.cli._common import print_json
from core.cli.export import find_subject
from core.errors import InputError
from core.store import Store
from core.store.outfiles import check_free, subject_stem, write_files


def _target(out: str, stem: str) -> Path:
    # A folder: one that exists, or a path written with a trailing separator (created).
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        return path / f"{stem}_report.pdf"
    if path.suffix.lower() != ".pdf":
        raise InputError(f"--out must be a .pdf file or a folder, got {out!r}")
    return path


def _run(args: argparse.Namespace) -> int:
    from core.reports.pdf import subject_pdf

    with Store() as store:
        subject = find_subject(store, args.subject)
        path = _target(str(args.out), subject_stem(subject))
        check_free([path], force=args.force)  # before the work of building it
        data = subject_pdf(store, subject, paper=args.paper, session_ids=args.session or None)
    write_files({path: data}, force=args.force, what="the report")
    if args.json:
        print_json({"file": str(path), "bytes": len(data)})
    else:
        print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from core.reports.pdf import PAPERS

    p = sub.add_parser("report", help="write a subject's PDF report (sessions, pictures, trends)")
    p.add_argument("subject", help="subject label")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF file, or a folder")
    p.add_argument("--paper", choices=PAPERS, default="a4", help="page size (default a4)")
    p.add_argument(
        "--session", type=int, action="append", metavar="ID",
        help="only this session (repeat for several); default: all the subject's sessions",
    )  # fmt: skip
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.add_argument("--json", action="store_true", help="print the written file as JSON")
    p.set_defaults(func=_run)
