"""Deleting a subject also removes its rows from batch run reports in the data folder."""

from __future__ import annotations

from core.store import Store
from core.store.reports import REPORTS_DIRNAME


def test_delete_subject_scrubs_batch_reports():
    with Store() as store:
        keep = store.create_subject("P001", consent=True)
        gone = store.create_subject(
            "=P002", consent=True
        )  # formula-like: stored as "'=P002" in CSVs
        folder = store.data_dir / REPORTS_DIRNAME
        folder.mkdir()
        summary = folder / "summary-1.csv"
        summary.write_text(
            'file,subject,status\nP001/a.png,P001,ok\nx/b.png,\'=P002,ok\n"c,d.png",P001,failed\n',
            encoding="utf-8",
        )
        log = folder / "summary-1.workers.log"
        log.write_text("worker 1 started\nfailed on =P002/b.png\nworker 1 done\n", encoding="utf-8")
        store.delete_subject(gone)
        # The other subject's rows (one with a quoted cell) are kept exactly; the deleted one's gone.
        assert summary.read_text(encoding="utf-8") == (
            'file,subject,status\nP001/a.png,P001,ok\n"c,d.png",P001,failed\n'
        )
        assert log.read_text(encoding="utf-8") == "worker 1 started\nworker 1 done\n"
        assert [s.id for s in store.list_subjects()] == [keep]


def test_sweep_scratch_removes_only_stale_working_copies():
    import os
    import time

    with Store() as store:
        store.scratch_dir.mkdir(parents=True)
        old, new = store.scratch_dir / "old.mp4", store.scratch_dir / "new.png"
        old.write_bytes(b"x")
        new.write_bytes(b"y")
        seven_hours_ago = time.time() - 7 * 3600  # older than the 6 h limit
        os.utime(old, (seven_hours_ago, seven_hours_ago))
        assert store.sweep_scratch() == 1
        assert not old.exists() and new.exists()
