"""``python -m core export SUBJECT --out DIR``: the subject's CSVs (see docs/EXPORT.md).

File names carry the subject (a filesystem-safe slug of the label and its id) and a date, so that
exports of several subjects share a folder: ``<slug>_s<id>_<today>_subject.csv`` and, per session,
``<slug>_s<id>_<session day>_session<session id>_long.csv`` / ``..._wide.csv``. An existing file is
never replaced without ``--force``; a subject without sessions is an error (exit status 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli._common import print_json
from core.errors import InputError
from core.store import Store, Subject
from core.store.export import session_long_csv, session_wide_csv, subject_csv
from core.store.outfiles import session_stem, subject_stem, write_files


def find_subject(store: Store, label: str) -> Subject:
    subject = store.find_subject(label)
    if subject is None:
        raise InputError(f"no subject labelled {label!r}; see `python -m core subject list`")
    return subject


def export_subject(store: Store, label: str, out: Path, *, force: bool = False) -> list[Path]:
    """Write the subject's CSV files into ``out`` (created if needed); returns their paths.

    Raises ``InputError`` for an unknown label, a subject with no saved sessions, or a file that
    already exists (unless ``force``; nothing is written then).
    """
    subject = find_subject(store, label)
    sessions = store.list_sessions(subject.id)
    if not sessions:
        raise InputError(
            f"subject {label!r} has no saved sessions: nothing to export (save a posture, gait "
            "or desk session first)"
        )
    texts = {out / f"{subject_stem(subject)}_subject.csv": subject_csv(subject.id, store=store)}
    for session in sessions:
        stem = session_stem(subject, session)
        texts[out / f"{stem}_long.csv"] = session_long_csv(session.id, store=store)
        texts[out / f"{stem}_wide.csv"] = session_wide_csv(session.id, store=store)
    data = {path: text.encode("utf-8") for path, text in texts.items()}
    return write_files(data, force=force, what="the CSV files")


def _run(args: argparse.Namespace) -> int:
    with Store() as store:
        paths = export_subject(store, args.subject, Path(args.out), force=args.force)
    if args.json:
        print_json({"files": [str(p) for p in paths]})
    else:
        for p in paths:
            print(p)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a subject's sessions as CSV files")
    p.add_argument("subject", help="subject label")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the CSV files")
    p.add_argument("--force", action="store_true", help="replace files that already exist")
    p.add_argument("--json", action="store_true", help="print the written files as JSON")
    p.set_defaults(func=_run)
