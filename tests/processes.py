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
