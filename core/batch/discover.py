"""Find the photos and videos of an archive folder and decide which job each one is.

The kind comes from the file extension: a photo is a posture job, a video a gait job. Anything else
is reported as skipped, never silently dropped, so the summary accounts for every file in the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".webm", ".avi", ".mkv"})
KINDS = ("auto", "posture", "gait")


@dataclass(frozen=True)
class MediaFile:
    """One file of the archive: its path, its path relative to the archive root, and its job kind."""

    path: Path
    relpath: str  # POSIX-style, relative to the root: the key used in MAP.csv and the summary
    kind: str  # "posture" or "gait"


@dataclass(frozen=True)
class SkippedFile:
    """A file that will not be analysed, and why (shown in the summary's error column)."""

    relpath: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found: the files to analyse (sorted) and the ones left out."""

    files: tuple[MediaFile, ...]
    skipped: tuple[SkippedFile, ...]


def kind_of(path: Path) -> str | None:
    """``"posture"`` for a photo, ``"gait"`` for a video, ``None`` for anything else (by extension)."""
    ext = path.suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return "posture"
    if ext in VIDEO_EXTENSIONS:
        return "gait"
    return None


def _is_hidden(rel: Path) -> bool:
    # Dot files and folders (.DS_Store, .git, editor swap files) are housekeeping, not data.
    return any(part.startswith(".") for part in rel.parts)


def discover(root: Path, *, kind: str = "auto", exclude: tuple[Path, ...] = ()) -> Discovery:
    """Walk ``root`` recursively and sort its files into jobs and skipped files.

    Parameters
    ----------
    root : folder of the archive.
    kind : ``"auto"`` (photos -> posture, videos -> gait), ``"posture"`` (photos only; videos are
        skipped) or ``"gait"`` (videos only; photos are skipped).
    exclude : files never to list (the run's own summary CSV or subject map, when inside ``root``).

    Raises
    ------
    InputError : ``root`` is not a folder, or ``kind`` is not one of :data:`KINDS`.
    """
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    root = Path(root)
    if not root.is_dir():
        raise InputError(
            f"{root} is not a folder; give the folder that holds the photos and videos"
        )
    excluded = {p.resolve() for p in exclude}
    files: list[MediaFile] = []
    skipped: list[SkippedFile] = []
    # sorted() makes the order (and so the summary and the progress) the same on every run.
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or _is_hidden(rel) or path.resolve() in excluded:
            continue
        relpath = rel.as_posix()
        found = kind_of(path)
        if found is None:
            skipped.append(SkippedFile(relpath, "not a photo or video (unknown file extension)"))
        elif kind != "auto" and found != kind:
            what = "a video" if found == "gait" else "a photo"
            skipped.append(SkippedFile(relpath, f"{what}, but --kind {kind} was asked"))
        else:
            files.append(MediaFile(path=path, relpath=relpath, kind=found))
    return Discovery(files=tuple(files), skipped=tuple(skipped))
