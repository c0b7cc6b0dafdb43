"""Who has the store open: every ``Store`` holds a shared lock on ``<data>/store.lock`` while it is
open; ``restore`` takes it exclusively and without waiting, so it never replaces a database that the
app or a CLI command is using (their later saves would land in a deleted file).

The lock is ``flock`` on a file of its own, released by the kernel when the process ends, so a
killed process never leaves a stale lock. Where ``fcntl`` does not exist (Windows) there is no lock.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from core.errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no fcntl (Windows): the module stands for "no lock"

LOCK_NAME = "store.lock"


class StoreLock:
    """A held lock on a data folder; :meth:`release` (or process exit) lets it go."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, data_dir: Path, *, exclusive: bool) -> StoreLock:
        """Take the lock of ``data_dir`` (shared for a user of the store, exclusive for restore).

        Never waits: a conflict raises ``StorageError`` with what to do.
        """
        path = Path(data_dir) / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise StorageError(f"could not open the lock file {path}: {exc}") from exc
            # A read-only data folder: nothing can write to it, so there is nothing to guard;
            # an existing lock file can still be locked through a read-only descriptor.
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return cls(None)
        if fcntl is None:
            return cls(fd)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise StorageError(f"could not lock {path}: {exc}") from exc
            if exclusive:
                raise StorageError(
                    f"could not restore: another program has the store in {data_dir} open (the app "
                    "or a CLI command); close it and run restore again (nothing was changed)"
                ) from None
            raise StorageError(
                f"could not open the store in {data_dir}: a restore is replacing it right now; "
                "try again when it has finished"
            ) from None
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
