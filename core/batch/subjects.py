"""Which subject each file of an archive belongs to: by folder, by file-name prefix, or by a CSV map.

A file whose subject cannot be determined is skipped with the reason, never guessed: putting a
session under the wrong subject is worse than not processing it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from core.batch.discover import MediaFile, SkippedFile
from core.errors import InputError

SUBJECT_MODES = ("folder", "filename", "csv")
MAX_LABEL_CHARS = 64


def _clean_label(label: str) -> str:
    return label.strip()


def subject_from_folder(relpath: str) -> str | None:
    """The first folder below the archive root (``P01/2024/front.jpg`` -> ``P01``); None at the root."""
    parts = relpath.split("/")
    if len(parts) < 2:
        return None
    return _clean_label(parts[0]) or None


def subject_from_filename(relpath: str) -> str | None:
    """The file name's prefix before the first ``_`` (``P01_front.jpg`` -> ``P01``); None without one."""
    name = relpath.rsplit("/", 1)[-1]
    prefix, sep, _ = name.partition("_")
    if not sep:
        return None
    return _clean_label(prefix) or None


def read_subject_map(path: Path) -> dict[str, str]:
    """Read a CSV with the columns ``file`` and ``subject`` into {file: subject}.

    ``file`` is the path relative to the archive folder (``P01/front.jpg``) or a bare file name.

    Raises
    ------
    InputError : the file is missing or unreadable, lacks a column, or maps one file to two subjects.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = {f.strip().lower() for f in reader.fieldnames or ()}
            if not {"file", "subject"} <= fields:
                raise InputError(
                    f"{path}: the subject map needs the columns 'file' and 'subject' "
                    f"(found: {', '.join(sorted(fields)) or 'none'})"
                )
            mapping: dict[str, str] = {}
            for line, row in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
                file = row["file"].strip().replace("\\", "/").removeprefix("./")
                subject = _clean_label(row["subject"])
                if not file and not subject:
                    continue
                if not file or not subject:
                    raise InputError(
                        f"{path}, line {line}: both 'file' and 'subject' must be filled"
                    )
                if mapping.get(file, subject) != subject:
                    raise InputError(
                        f"{path}, line {line}: {file!r} is mapped to both "
                        f"{mapping[file]!r} and {subject!r}"
                    )
                mapping[file] = subject
    except OSError as exc:
        raise InputError(f"cannot read the subject map {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text CSV") from None
    return mapping


def _lookup(mapping: dict[str, str], relpath: str) -> str | None:
    if relpath in mapping:
        return mapping[relpath]
    # A bare file name in the map matches wherever the file sits in the archive.
    return mapping.get(relpath.rsplit("/", 1)[-1])


def assign_subjects(
    files: tuple[MediaFile, ...] | list[MediaFile],
    *,
    mode: str = "folder",
    subject_map: dict[str, str] | None = None,
) -> tuple[list[tuple[MediaFile, str]], list[SkippedFile]]:
    """Pair each file with its subject label.

    Returns ``(assigned, skipped)``: (file, label) pairs in input order, and the files whose subject
    could not be determined, with the reason.

    Raises
    ------
    InputError : unknown ``mode``, or ``mode="csv"`` without a ``subject_map``.
    """
    if mode not in SUBJECT_MODES:
        raise InputError(f"--subject-from {mode!r}: choose one of {', '.join(SUBJECT_MODES)}")
    if mode == "csv" and subject_map is None:
        raise InputError("--subject-from csv needs --map MAP.csv (columns: file, subject)")
    assigned: list[tuple[MediaFile, str]] = []
    skipped: list[SkippedFile] = []
    for media in files:
        if mode == "folder":
            label = subject_from_folder(media.relpath)
            why = "not inside a subject folder (--subject-from folder)"
        elif mode == "filename":
            label = subject_from_filename(media.relpath)
            why = "file name has no '<subject>_' prefix (--subject-from filename)"
        else:
            label = _lookup(subject_map or {}, media.relpath)
            why = "not listed in the subject map (--map)"
        if label is None:
            skipped.append(SkippedFile(media.relpath, why))
        elif len(label) > MAX_LABEL_CHARS:
            skipped.append(
                SkippedFile(
                    media.relpath, f"subject label longer than {MAX_LABEL_CHARS} characters"
                )
            )
        else:
            assigned.append((media, label))
    return assigned, skipped
