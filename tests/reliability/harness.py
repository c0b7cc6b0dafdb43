"""What every reliability test shares: case counting, the "one clear error" rule, file-tree snapshots,
a socket-level network blocker, and the fuzz example count.

Counts go into :data:`TALLY` (suite -> outcome -> n); ``conftest.py`` prints them at the end of the
run and writes them as JSON when ``SAPIENS_MEASURE_RELIABILITY_REPORT`` names a file, which is how
the figures in ``docs/RELIABILITY.md`` are produced.
"""

from __future__ import annotations

import os
import socket
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import SapiensMeasureError

#: Hypothesis examples per fuzz test; raise it for a longer run (docs/RELIABILITY.md).
FUZZ_EXAMPLES = int(os.environ.get("SAPIENS_MEASURE_FUZZ_EXAMPLES", "25"))

#: suite -> outcome ("accepted", "refused: InputError", ...) -> number of cases.
TALLY: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
#: measured figures (throughput ...) that are reported, not asserted.
FIGURES: dict[str, Any] = {}


def count(suite: str, outcome: str) -> None:
    TALLY[suite][outcome] += 1


def one_clear_error(suite: str, fn: Callable[[], Any]) -> BaseException | None:
    """Run ``fn``; it may succeed or raise one ``SapiensMeasureError``, anything else fails the test.

    Returns the error (or None) and counts the case under ``suite``.
    """
    try:
        fn()
    except SapiensMeasureError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        count(suite, f"refused: {type(exc).__name__}")
        return exc
    except Exception as exc:  # noqa: BLE001 - the point is to catch every other type
        count(suite, f"CRASH: {type(exc).__name__}")
        pytest.fail(f"{suite}: {type(exc).__name__} instead of a SapiensMeasureError: {exc!r}")
    count(suite, "accepted")
    return None


def snapshot(root: Path, *, exclude: tuple[Path, ...] = ()) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of every file and folder under ``root``, minus ``exclude``."""
    root = Path(root)
    skip = [Path(p).resolve() for p in exclude]
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath).resolve()
        dirnames[:] = [d for d in dirnames if (here / d).resolve() not in skip]
        for name in [*dirnames, *filenames]:
            p = here / name
            try:
                st = p.lstat()
            except FileNotFoundError:
                continue
            out[str(p.relative_to(root.resolve()))] = (st.st_size, st.st_mtime_ns)
    return out


def changed(before: dict, after: dict) -> list[str]:
    """Paths added, removed or modified between two snapshots."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


class NetworkBlocked(OSError):
    """Raised by the blocker instead of opening a connection."""


class NetworkRecorder:
    """Replaces the socket-level entry points with ones that record the attempt and raise."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[tuple[str, Any]] = []
        for name in ("connect", "connect_ex", "sendto"):
            monkeypatch.setattr(socket.socket, name, self._blocker(name), raising=False)
        for name in ("getaddrinfo", "create_connection", "gethostbyname"):
            monkeypatch.setattr(socket, name, self._blocker(name))

    def _blocker(self, name: str) -> Callable[..., Any]:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            # The first argument of a socket method is the socket itself; keep only the address.
            where = args[1:] if name in ("connect", "connect_ex", "sendto") else args
            self.attempts.append((name, where))
            raise NetworkBlocked(f"network access blocked by the test: {name}{where}")

        return blocked


def live_formulas(csv_text: str) -> list[str]:
    """Cells of a CSV text that a spreadsheet would run as a formula (numbers such as -3.2 are fine)."""
    import csv
    import io

    from core.store.export import FORMULA_PREFIXES

    bad = []
    for row in csv.reader(io.StringIO(csv_text, newline="")):
        for cell in row:
            try:
                float(cell)
                continue
            except ValueError:
                pass
            if cell.startswith(FORMULA_PREFIXES):
                bad.append(cell)
    return bad
