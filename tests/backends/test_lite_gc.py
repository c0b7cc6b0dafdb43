"""A LiteBackend dropped without close() inside a reference cycle must not hang the collector.

MediaPipe 1.2's tasks close through a one-thread dispatcher; freed by the cyclic collector in the
same sweep as that dispatcher, a task's finaliser waited forever for a worker thread that was
already gone (a whole test run hung in ``gc.collect`` inside an AppTest script). The backend's
finaliser now holds its tasks and closes them first. The check runs in a child process with a
time limit, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import shared_path

SCRIPT = textwrap.dedent(
    """
    import gc, os, sys, threading
    import numpy as np
    from core.backends.lite import LiteBackend

    image = np.full((256, 256, 3), 128, np.uint8)
    for round_ in range(3):
        backend = LiteBackend()
        backend.cycle = backend  # only the cyclic collector frees it
        backend.estimate_pose(image)  # opens a MediaPipe task
        del backend
        done = threading.Event()
        threading.Thread(target=lambda: (gc.collect(), done.set()), daemon=True).start()
        if not done.wait(60):
            print("HUNG", round_, flush=True)
            os._exit(3)
    print("COLLECTED", flush=True)
    """
)


def test_a_dropped_backend_in_a_cycle_is_collected() -> None:
    env = {**os.environ, "SAPIENS_MEASURE_MODEL_DIR": str(shared_path("models"))}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert "COLLECTED" in done.stdout, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
