"""``python -m core export SUBJECT --out DIR``: the subject's CSVs (see docs/EXPORT.md).

Writes ``subject.csv`` and, per session, ``session_<id>_long.csv`` and ``session_<id>_wide.csv``.
File names come from ids, never from the label.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli._common import print_json
from core.errors import InputError
from core.store import Store
from core.store.artifacts import write_file_atomic
from core.store.db import storage_error
from core.store.export import session_long_csv, session_wide_csv, subject_csv


def export_subject(store: Store, label: str, out: Path) -> list[Path]:
    """Write the subject's CSV files into ``out`` (created if needed); returns their paths."""
    subject = store.find_subject(label)
    if subject is None:
        raise InputError(f"no subject labelled {label!r}; see `python -m core subject list`")
    texts = {"subject.csv": subject_csv(subject.id, store=store)}
    for session in store.list_sessions(subject.id):
        texts[f"session_{session.id}_long.csv"] = session_long_csv(session.id, store=store)
        texts[f"session_{session.id}_wide.csv"] = session_wide_csv(session.id, store=store)
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_file_atomic(out / name, text.encode("utf-8"))
            written.append(out / name)
    except OSError as exc:
        raise storage_error(exc, f"write the CSV files into {out}") from exc
    return written


def _run(args: argparse.Namespace) -> int:
    with Store() as store:
        paths = export_subject(store, args.subject, Path(args.out))
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
    p.add_argument("--json", action="store_true", help="print the written files as JSON")
    p.set_defaults(func=_run)
