"""Restore as a transaction: the swap fails or is killed at every step and the old store is whole;
restore is refused while another process has the store open; a data folder named with ``?`` and
``#`` works; permissions and counts are those of a fresh store."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat

import pytest

from core.config import load_settings
from core.errors import InputError, StorageError
from core.store import Store
from core.store import swap as swap_mod
from core.store.backup import restore
from tests.processes import python_child
from tests.store.backups import fill, real_backup


def _state(settings=None):
    with Store(settings) as s:
        return [
            (x.uid, len(s.load_measurements(x.id)), s.load_artifact(x.id, "o.png"))
            for x in s.list_sessions()
        ]


def test_counts_come_from_the_restored_database_and_permissions_are_private(tmp_path):
    archive = real_backup(tmp_path)
    done = restore(archive)
    assert (done["subjects"], done["sessions"], done["artifacts"]) == (1, 2, 2)
    settings = load_settings()
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [settings.artifacts_dir, *settings.artifacts_dir.rglob("*")]}  # fmt: skip
    assert modes and all(m == (0o700 if p.is_dir() else 0o600) for p, m in modes.items()), modes
    assert stat.S_IMODE(settings.db_path.stat().st_mode) == 0o600
    assert len(_state()) == 2


@pytest.mark.parametrize("name", ["data?x=1", "data#frag", "da ta%3F?#"])
def test_data_folder_with_uri_characters_restores_and_leaves_no_stray_file(tmp_path, name):
    archive = real_backup(tmp_path)
    parent = tmp_path / "parent"
    parent.mkdir()
    settings = dataclasses.replace(load_settings(), data_dir=parent / name)
    fill(settings, label="OLD")
    restore(archive, settings=settings, force=True)
    assert [p.name for p in parent.iterdir()] == [name]  # nothing created beside the folder
    with Store(settings) as s:
        assert [x.label for x in s.list_subjects()] == ["SRC"]
    assert len(_state(settings)) == 2


# The swap's file moves, in order: 4 live pieces out (only those that exist), then 2 in.
@pytest.mark.parametrize("fail_at", range(1, 5))
@pytest.mark.parametrize("how", ["error", "kill"])
def test_swap_failing_or_killed_at_any_move_keeps_the_old_store(tmp_path, fail_at, how):
    # A private MonkeyPatch: undoing it must not undo the autouse fixture's data folder.
    monkeypatch = pytest.MonkeyPatch()
    archive = real_backup(tmp_path)
    fill(label="KEEP")
    before = _state()
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(swap_mod.os, "replace", replace)
    if how == "kill":
        # A kill leaves the staging folder as it was: no rollback runs until the store next opens.
        monkeypatch.setattr(swap_mod, "recover", lambda staging, data_dir: False)
        import core.store.restore as restore_mod

        monkeypatch.setattr(restore_mod, "recover", lambda staging, data_dir: False)
    with pytest.raises(StorageError, match="could not restore"):
        restore(archive, force=True)
    monkeypatch.undo()
    assert _state() == before  # for "kill": the store's open put the old store back
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["KEEP"]
    assert not list(load_settings().data_dir.glob(".restore-*"))


def test_new_store_failing_its_check_after_the_swap_puts_the_old_one_back(tmp_path, monkeypatch):
    archive = real_backup(tmp_path)
    fill(label="KEEP")
    before = _state()
    import core.store.restore as restore_mod

    def failing_check(db):
        sqlite3.connect(db).close()  # the live file was in place and opened
        raise InputError("backup refused: simulated failure of the live check")

    monkeypatch.setattr(restore_mod, "_check_live", failing_check)
    with pytest.raises(InputError, match="simulated"):
        restore(archive, force=True)
    assert _state() == before
    settings = load_settings()
    assert not any(settings.data_dir.glob("sessions.db-*"))


# Opens the store and saves one session per line read from stdin, printing how many it saved.
HOLDER = """
import sys
from core.store import Store
from tests.store.conftest import INFO, rows
store = Store()
sid = store.find_subject("KEEP").id
print("open", flush=True)
n = 0
for line in sys.stdin:
    store.save_session(sid, kind="gait", backend_info=INFO, source_hash=line, measurements=rows(1))
    n += 1
    print("saved", n, flush=True)
"""


def test_restore_is_refused_while_another_process_has_the_store_open(tmp_path):
    archive = real_backup(tmp_path)
    fill(label="KEEP")
    with python_child(HOLDER) as proc:
        assert proc.stdout.readline() == "open\n", proc.stderr.read()
        with pytest.raises(StorageError, match="another program has the store .* open"):
            restore(archive, force=True)
        for i in range(3):  # the other process keeps saving, into the same file
            proc.stdin.write(f"after {i}\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == f"saved {i + 1}\n"
        proc.stdin.close()
        proc.wait(timeout=30)
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["KEEP"]
        assert len(s.list_sessions()) == 2 + 3
    restore(archive, force=True)  # once it has closed the store, restore goes ahead
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["SRC"]


def test_a_store_in_this_process_also_blocks_restore(tmp_path):
    archive = real_backup(tmp_path)
    with Store(), pytest.raises(StorageError, match="another program"):
        restore(archive)
    restore(archive)


def test_staging_of_a_killed_unpack_is_swept_when_the_store_opens():
    data = load_settings().data_dir
    fill(label="KEEP")
    (data / ".restore-dead").mkdir()
    (data / ".restore-dead" / "sessions.db").write_bytes(b"half")
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["KEEP"]
    assert not (data / ".restore-dead").exists()


def test_a_restore_killed_after_its_swap_completed_keeps_the_new_store(tmp_path, monkeypatch):
    archive = real_backup(tmp_path)
    fill(label="KEEP")
    import core.store.restore as restore_mod

    # Killed between writing .swap-done and removing the staging folder (with the old store in it).
    monkeypatch.setattr(restore_mod, "recover", lambda staging, data_dir: False)
    restore(archive, force=True)
    (staging,) = load_settings().data_dir.glob(".restore-*")
    assert (staging / ".swap-done").exists() and (staging / "old" / "sessions.db").exists()
    with Store() as s:  # the open finds the swap completed: the new store stays, the old goes
        assert [x.label for x in s.list_subjects()] == ["SRC"]
    assert not staging.exists()
