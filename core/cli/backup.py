"""``python -m core backup OUT.zip`` and ``python -m core restore IN.zip [--force]``."""

from __future__ import annotations

import argparse

from core.store.backup import backup, restore


def _backup(args: argparse.Namespace) -> int:
    path = backup(args.out)
    print(f"backup written to {path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    # Every figure comes from the restored database; the manifest's time only once re-formatted.
    done = restore(args.archive, force=args.force)
    made = f" from a backup made {done['created_utc']}" if done["created_utc"] else ""
    print(
        f"restored {done['subjects']} subjects and {done['sessions']} sessions "
        f"({done['artifacts']} artifact files){made}"
    )
    if done["left_out"]:
        print(f"left out {done['left_out']} files of the backup that no session lists")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="write the database and artifacts into one zip")
    b.add_argument("out", metavar="OUT.zip")
    b.set_defaults(func=_backup)
    r = sub.add_parser("restore", help="restore a backup zip into the data folder")
    r.add_argument("archive", metavar="IN.zip")
    r.add_argument(
        "--force", action="store_true", help="replace a data folder that already holds sessions"
    )
    r.set_defaults(func=_restore)
