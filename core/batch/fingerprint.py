"""Content hashes of files and a fingerprint of the settings that produce a result.

A batch rerun skips a file when the store already holds a session with the same content hash made
with the same fingerprint: renaming or moving a file does not reprocess it, changing the model,
its size, dtype, score threshold or the analysis options does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from core import hashing
from core.errors import InputError

#: The backend description fields that change the numbers. The device is left out on purpose: the
#: same model on CPU and on a GPU gives the same measures to well under a degree, so moving a run to
#: a cluster must not reprocess the archive. dtype stays in: bfloat16 is a different computation.
FINGERPRINT_FIELDS = ("backend", "model", "size", "dtype", "threshold")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (the single-file CLI's hash, so both find the same sessions).

    Raises ``InputError`` when the file cannot be read.
    """
    try:
        return hashing.file_sha256(Path(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def settings_fingerprint(
    kind: str, backend_info: Mapping[str, object], options: Mapping[str, object] | None = None
) -> str:
    """A short stable id of "what produced this result": job kind, model and analysis options.

    Parameters
    ----------
    kind : ``"posture"`` or ``"gait"``.
    backend_info : ``Backend.describe()``; only :data:`FINGERPRINT_FIELDS` are used.
    options : analysis keyword options (``view``, ``every`` ...), JSON-serialisable.

    Examples
    --------
    >>> info = {"backend": "lite", "model": "full", "size": "", "dtype": "float32",
    ...         "threshold": 0.5, "device": "cpu"}
    >>> a = settings_fingerprint("posture", info, {"view": "front"})
    >>> a == settings_fingerprint("posture", {**info, "device": "cuda"}, {"view": "front"})
    True
    >>> a == settings_fingerprint("posture", {**info, "threshold": 0.3}, {"view": "front"})
    False
    """
    payload = {
        "kind": kind,
        "backend": {k: backend_info.get(k) for k in FINGERPRINT_FIELDS},
        "options": dict(sorted((options or {}).items())),
    }
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashing.sha256_hex(text.encode())[:16]
