"""Child Python processes that the crash tests start and kill with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from tests.conftest import ROOT


@contextlib.contextmanager
def python_child(script: str, *args: str) -> Iterator[subprocess.Popen]:
    """``python -c script args`` run from the checkout with text pipes (stdin too); on leaving,
    killed if it still runs (a failed assertion must not leave it behind) and its pipes closed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if not pipe.closed:
                pipe.close()


def sigkill_after(proc: subprocess.Popen, delay_s: float) -> None:
    """Sleep ``delay_s``, send SIGKILL and wait until the process is gone."""
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


#: Points inside ``Store.save_session``'s write transaction where a child stops to be killed, in the
#: order a save reaches them. SQL points are seen through SQLite's trace callback (called as each
#: statement starts); "artifact file written" is the rename of the first artifact's temporary file.
SAVE_POINTS = (
    "INSERT INTO sessions",
    "INSERT INTO measurements",
    "artifact file written",
    "INSERT INTO artifacts",
    "COMMIT",
)
#: From these points on, the killed save has written artifact files that no committed row owns.
FILES_WRITTEN_AT = SAVE_POINTS[2:]


def stop_inside_next_save(store, point: str) -> None:  # noqa: ANN001 - a Store, in the child
    """Child side: the next save of ``store`` stops at ``point``, prints ``inside <point>`` and sleeps
    until it is killed, so the parent's SIGKILL provably lands inside the transaction."""
    from pathlib import Path

    from core.store.artifacts import TMP_PREFIX

    def stop() -> None:
        print("inside", point, flush=True)
        time.sleep(3600)

    if point == "artifact file written":
        real = os.replace

        def replace(src, dst):  # noqa: ANN001, ANN202
            if Path(src).name.startswith(TMP_PREFIX):
                stop()
            return real(src, dst)

        os.replace = replace  # the child only: it is killed inside this call
    else:
        store._conn().set_trace_callback(
            lambda sql: stop() if sql.lstrip().startswith(point) else None
        )


def kill_inside_save(proc: subprocess.Popen, point: str, delay_s: float = 0.0) -> None:
    """Parent side: wait for the child's ``inside <point>`` line, then SIGKILL it (after ``delay_s``).

    Raises AssertionError when the child ends or prints something else first: the kill would not
    have landed inside a save.
    """
    while line := proc.stdout.readline():
        if line.startswith("inside"):
            assert line.split(None, 1)[1].strip() == point, line
            sigkill_after(proc, delay_s)
            return
    raise AssertionError(f"the child never stopped inside a save: {proc.stderr.read()[-2000:]}")


def uncommitted_folders() -> set[str]:
    """Artifact folders that no committed session owns, read without opening a Store (opening one
    sweeps them); also checks the database's integrity."""
    import sqlite3

    from core.config import load_settings

    settings = load_settings()
    conn = sqlite3.connect(settings.db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        known = {r[0] for r in conn.execute("SELECT uid FROM sessions")}
    finally:
        conn.close()
    arts = settings.artifacts_dir
    return ({p.name for p in arts.iterdir()} if arts.is_dir() else set()) - known
