"""Files written for a person to keep (CSV exports, PDF reports): names that say whose they are and
never collide, and writes that never replace an existing file unless asked.

A subject label is typed by a person and may hold any Unicode and ``:*?"<>|``; it becomes a
filesystem-safe slug, and the subject's id keeps two labels with the same slug apart.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from core.errors import InputError
from core.store.artifacts import write_file_atomic
from core.store.db import storage_error
from core.store.records import Session, Subject

#: Longest slug kept from a label (characters; a name stays far below the 255-byte limit).
MAX_SLUG_CHARS = 40
#: Names Windows refuses as a file's stem whatever the extension.
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)]
)


def slugify(label: str) -> str:
    """A label as a file-name part: letters and digits (any script) kept, every run of anything
    else (space, punctuation, ``:*?"<>|/\\``, symbols) one ``-``; "subject" when nothing is left.

    >>> slugify('P:0*0?1 "<x>|'), slugify("Zoë Ångström"), slugify("***")
    ('P-0-0-1-x', 'Zoë-Ångström', 'subject')
    """
    text = unicodedata.normalize("NFKC", str(label))
    text = "".join(c if c.isalnum() else "-" for c in text)
    text = re.sub(r"-+", "-", text).strip("-")[:MAX_SLUG_CHARS].strip("-")
    text = unicodedata.normalize("NFC", text)
    if not text:
        return "subject"
    return f"{text}-" if text.upper() in _WINDOWS_RESERVED else text


def subject_stem(subject: Subject, day: dt.date | None = None) -> str:
    """``<slug>_s<id>_<YYYY-MM-DD>``: whose file it is, which subject id, and the day it was made
    (UTC today by default)."""
    day = day or dt.datetime.now(dt.timezone.utc).date()
    return f"{slugify(subject.label)}_s{subject.id}_{day.isoformat()}"


def session_stem(subject: Subject, session: Session) -> str:
    """``<slug>_s<id>_<session day>_session<session id>``: a session's files (UTC day it was saved)."""
    return f"{slugify(subject.label)}_s{subject.id}_{session.created_utc[:10]}_session{session.id}"


def check_free(paths: list[Path], *, force: bool) -> None:
    """Raise ``InputError`` naming the first path that exists (unless ``force``), before anything
    is written: a refused export leaves the folder as it was."""
    if force:
        return
    taken = [p for p in paths if os.path.lexists(p)]
    if taken:
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        raise InputError(f"{taken[0]} already exists{more}; pass --force to replace it")


def write_files(files: dict[Path, bytes], *, force: bool, what: str) -> list[Path]:
    """Write every file (each atomically, owner-only); refuse all of them if one exists and not
    ``force``. Folders are created. ``what`` names the files in an error ("the CSV files")."""
    paths = list(files)
    check_free(paths, force=force)
    written = []
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not force and os.path.lexists(path):  # appeared since the check: still not ours
                raise InputError(f"{path} already exists; pass --force to replace it")
            write_file_atomic(path, files[path])
            written.append(path)
    except OSError as exc:
        raise storage_error(exc, f"write {what} into {paths[0].parent}") from exc
    return written
