"""A writer killed with SIGKILL in the middle of saving leaves an intact database and no partial session."""

from __future__ import annotations

import signal
import sqlite3

import pytest

from core.store import Store
from tests.processes import python_child, sigkill_after

# Saves gait-sized sessions (300 frames x 3 metrics = 900 rows + one artifact) forever.
WRITER = """
import sys
from core.store import Store
from tests.store.conftest import INFO, rows
store = Store()
sid = (store.find_subject("CRASH") or store.get_subject(store.create_subject("CRASH", consent=True))).id
df = rows(300)
i = 0
while True:
    store.save_session(sid, kind="gait", backend_info=INFO, source_hash=str(i), measurements=df,
                       artifacts={"overlay.webm": b"v" * 200_000})
    i += 1
    print(i, flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
@pytest.mark.parametrize("delay_s", [0.0, 0.013, 0.037])
def test_sigkill_mid_save_leaves_integrity_and_whole_sessions(delay_s):
    with python_child(WRITER) as proc:
        # Wait for a few completed saves, so the kill lands while the next one is in flight.
        for _ in range(3):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
        sigkill_after(proc, delay_s)
    assert proc.returncode == -signal.SIGKILL
    with Store() as store:
        conn = sqlite3.connect(store.db_path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        sessions = store.list_sessions()
        assert len(sessions) >= 3
        for s in sessions:
            # Every committed session is whole: all 900 rows and its artifact file.
            assert len(store.load_measurements(s.id)) == 900
            assert store.load_artifact(s.id, "overlay.webm") == b"v" * 200_000
        # A folder written before the kill but never committed is an orphan; the sweep removes it.
        store.sweep_orphans(min_age_s=0)
        owned = {s.uid for s in sessions}
        assert {p.name for p in store.artifacts_dir.iterdir()} == owned
