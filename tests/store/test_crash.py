"""A writer killed with SIGKILL inside a save leaves an intact database and no partial session.

The child stops at a named point inside ``save_session``'s transaction (``tests.processes``) and
says so before it is killed, so every kill provably lands inside a save, at each point in turn.
"""

from __future__ import annotations

import signal

import pytest

from core.store import Store
from tests.processes import (
    FILES_WRITTEN_AT,
    SAVE_POINTS,
    kill_inside_save,
    python_child,
    uncommitted_folders,
)

# Saves gait-sized sessions (300 frames x 3 metrics = 900 rows + one artifact); the fourth stops
# inside its transaction at the point given as argv[1].
WRITER = """
import sys
from core.store import Store
from tests.processes import stop_inside_next_save
from tests.store.conftest import INFO, rows
store = Store()
sid = (store.find_subject("CRASH") or store.get_subject(store.create_subject("CRASH", consent=True))).id
df = rows(300)
for i in range(4):
    if i == 3:
        stop_inside_next_save(store, sys.argv[1])
    store.save_session(sid, kind="gait", backend_info=INFO, source_hash=str(i), measurements=df,
                       artifacts={"overlay.webm": b"v" * 200_000})
    print("saved", i, flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
@pytest.mark.parametrize("point", SAVE_POINTS)
def test_sigkill_inside_a_save_leaves_integrity_and_whole_sessions(point):
    with python_child(WRITER, point) as proc:
        kill_inside_save(proc, point)
    assert proc.returncode == -signal.SIGKILL
    # The kill was inside the fourth save: its files (once written) are on disk, its rows are not.
    orphans = uncommitted_folders()
    assert len(orphans) == (1 if point in FILES_WRITTEN_AT else 0)
    with Store() as store:  # opening sweeps the killed save's folder
        sessions = store.list_sessions()
        assert [s.source_hash for s in sessions] == ["0", "1", "2"]
        for s in sessions:
            # Every committed session is whole: all 900 rows and its artifact file.
            assert len(store.load_measurements(s.id)) == 900
            assert store.load_artifact(s.id, "overlay.webm") == b"v" * 200_000
        assert {p.name for p in store.artifacts_dir.iterdir()} == {s.uid for s in sessions}
