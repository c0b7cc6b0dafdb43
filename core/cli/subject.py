"""``python -m core subject add|list|consent|delete``: manage pseudonymous subjects before saving sessions."""

from __future__ import annotations

import argparse

from core.cli._common import print_json
from core.errors import InputError
from core.store import Store


def _find(store: Store, label: str):
    subject = store.find_subject(label)
    if subject is None:
        raise InputError(f"no subject labelled {label!r}; see `python -m core subject list`")
    return subject


def _run(args: argparse.Namespace) -> int:
    with Store() as store:
        if args.action == "add":
            subject_id = store.create_subject(
                args.label, height_m=args.height_m, birth_year=args.birth_year, consent=args.consent
            )
            print(
                f"subject {args.label!r} added (id {subject_id}, consent {'recorded' if args.consent else 'not recorded'})"
            )
        elif args.action == "list":
            subjects = store.list_subjects()
            if args.json:
                print_json({"subjects": [s.__dict__ for s in subjects]})
            for s in [] if args.json else subjects:
                print(
                    f"{s.id}\t{s.label}\tconsent={'yes ' + str(s.consent_date) if s.consent else 'no'}"
                )
        elif args.action == "consent":
            store.record_consent(_find(store, args.label).id, consent=not args.withdraw)
            print(f"consent {'withdrawn' if args.withdraw else 'recorded'} for {args.label!r}")
        elif args.action == "delete":
            if not args.yes:
                raise InputError(
                    "deleting a subject erases all their sessions; add --yes to confirm"
                )
            store.delete_subject(_find(store, args.label).id)
            print(f"subject {args.label!r} and all their sessions erased")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "subject", help="add, list, consent or delete subjects (pseudonymous labels)"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a subject")
    add.add_argument("label", help="pseudonym, e.g. P001 (no names)")
    add.add_argument(
        "--consent",
        action="store_true",
        help="the person has given consent (recorded with today's date)",
    )
    add.add_argument(
        "--height-m",
        type=float,
        default=None,
        help="body height in metres (gait lengths in metres)",
    )
    add.add_argument("--birth-year", type=int, default=None)
    lst = actions.add_parser("list", help="list subjects")
    lst.add_argument("--json", action="store_true")
    con = actions.add_parser("consent", help="record (or --withdraw) consent")
    con.add_argument("label")
    con.add_argument("--withdraw", action="store_true")
    dele = actions.add_parser("delete", help="erase a subject and every session of theirs")
    dele.add_argument("label")
    dele.add_argument("--yes", action="store_true", help="confirm the erasure")
    p.set_defaults(func=_run)
