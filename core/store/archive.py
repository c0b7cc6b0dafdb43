"""The backup archive's layout and the checks a zip passes before anything of it is unpacked.

A backup is a zip of ``manifest.json``, ``sessions.db`` and ``artifacts/<uid>/<file>``. Restore treats
it as hostile: member names are checked (no absolute paths, no ``..``, no links, no duplicates, only
the store's own layout), sizes and compression ratios are limited, and the manifest is small JSON
whose text is never shown without :func:`printable`.
"""

from __future__ import annotations

import json
import stat
import unicodedata
import zipfile
from datetime import datetime
from pathlib import PurePosixPath

from core.errors import InputError

DB_MEMBER = "sessions.db"
MANIFEST_MEMBER = "manifest.json"
ARTIFACTS_PREFIX = "artifacts/"
FORMAT = "sapiens-measure-backup/1"
#: Refuse archives that would unpack to more than this, or members that expand suspiciously.
MAX_TOTAL_BYTES = 20 * 1024**3
MAX_MEMBERS = 100_000
MAX_RATIO = 200
MAX_MANIFEST_BYTES = 64 * 1024


def printable(text: object, limit: int = 80) -> str:
    """``text`` without control, formatting or line-separator characters (no ANSI escape reaches a
    terminal), at most ``limit`` characters."""
    clean = "".join(
        c for c in str(text) if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")
    )
    return clean[:limit]


def _check_member(info: zipfile.ZipInfo) -> str:
    name = info.filename
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name
        or ".." in path.parts
    ):
        raise InputError(
            f"backup refused: member {printable(name)!r} has an absolute or escaping path"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InputError(f"backup refused: member {printable(name)!r} is a symbolic link")
    if name in (DB_MEMBER, MANIFEST_MEMBER) or name.endswith("/"):
        return name
    if not name.startswith(ARTIFACTS_PREFIX) or len(path.parts) != 3:
        raise InputError(
            f"backup refused: unexpected member {printable(name)!r} (not part of a sapiens-measure backup)"
        )
    return name


def read_manifest(zf: zipfile.ZipFile) -> dict:
    """The manifest as a dict; ``InputError`` for one too large, not JSON, too deep or of another format."""
    info = zf.getinfo(MANIFEST_MEMBER)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise InputError(
            f"backup refused: its manifest.json is {info.file_size} bytes, more than {MAX_MANIFEST_BYTES}"
        )
    try:
        manifest = json.loads(zf.read(MANIFEST_MEMBER)[:MAX_MANIFEST_BYTES] or b"{}")
    except RecursionError:
        raise InputError("backup refused: its manifest.json is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"backup refused: its manifest.json is not JSON ({printable(exc)})"
        ) from None
    if not isinstance(manifest, dict):
        raise InputError("backup refused: its manifest.json is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise InputError(f"backup refused: its manifest.json does not name the format {FORMAT!r}")
    return manifest


def backup_time(manifest: dict) -> str | None:
    """When the backup was made (ISO 8601, UTC) as the manifest says, or None when it says nothing
    that parses as a time: the manifest is not trusted, only a re-formatted time is shown."""
    try:
        return datetime.fromisoformat(str(manifest.get("created_utc"))[:40]).isoformat(
            timespec="seconds"
        )
    except ValueError:
        return None


def validate_archive(
    zf: zipfile.ZipFile, *, max_total_bytes: int = MAX_TOTAL_BYTES
) -> tuple[dict, dict[str, zipfile.ZipInfo]]:
    """The manifest and the members by name, after checking names, count, total size and ratios."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"backup refused: {len(infos)} members is more than {MAX_MEMBERS}")
    names = [_check_member(i) for i in infos]
    if len(set(names)) != len(names):
        raise InputError("backup refused: a member name appears twice")
    if DB_MEMBER not in names or MANIFEST_MEMBER not in names:
        raise InputError(
            "backup refused: it lacks sessions.db or manifest.json (not a sapiens-measure backup)"
        )
    total = sum(i.file_size for i in infos)
    if total > max_total_bytes:
        raise InputError(
            f"backup refused: it would unpack to {total} bytes, more than {max_total_bytes}"
        )
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise InputError(
                f"backup refused: member {printable(i.filename)!r} expands "
                f"{i.file_size // max(i.compress_size, 1)}x (zip bomb?)"
            )
    manifest = read_manifest(zf)
    return manifest, {i.filename: i for i in infos if not i.filename.endswith("/")}
