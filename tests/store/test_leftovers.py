"""Leftovers of killed processes: swept by the store itself when it opens (so by the CLI as by the
app), removed with a deleted subject, never packed into a backup."""

from __future__ import annotations

import dataclasses
import os
import time
import zipfile

import pytest

from core.cli import main
from core.config import load_settings
from core.store import Store, sweep
from core.store import backup as backup_mod
from core.store.backup import backup
from tests.store.backups import fill

ORPHAN = "0" * 32  # a uid no session has: a killed save's folder


def _orphan() -> None:
    folder = load_settings().artifacts_dir / ORPHAN
    folder.mkdir(parents=True)
    (folder / "000.png").write_bytes(b"photo of a killed save")
    (folder / ".tmp-123").write_bytes(b"half")


def test_the_cli_sweeps_a_killed_saves_folder_when_it_opens_the_store(capfd):
    fill()
    _orphan()
    assert main(["subject", "list"]) == 0
    capfd.readouterr()
    assert not (load_settings().artifacts_dir / ORPHAN).exists()
    with Store() as s:
        assert len(s.list_sessions()) == 2 and all(s.load_artifact(x.id, "o.png") for x in s.list_sessions())  # fmt: skip


def test_deleting_a_subject_removes_leftovers_too():
    fill()
    with Store() as s:
        _orphan()  # appears while the store is open (after its open sweep)
        s.delete_subject(s.list_subjects()[0].id)
    assert list(load_settings().artifacts_dir.iterdir()) == []


def test_a_backup_packs_only_the_files_sessions_list(tmp_path, monkeypatch):
    fill()
    monkeypatch.setattr(sweep, "remove_orphans", lambda *a, **k: 0)  # keep the leftover on disk
    _orphan()
    out = backup(tmp_path / "b.zip")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert len([n for n in names if n.startswith("artifacts/")]) == 2
    assert not any(ORPHAN in n for n in names)


def test_a_session_deleted_while_the_backup_runs_is_left_out_whole(tmp_path, monkeypatch):
    made = fill()
    real = backup_mod.read_artifact
    deleted = []

    def read_after_a_delete(root, relpath):
        if not deleted:  # another process deletes the first session after the copy was taken
            with Store() as other:
                other.delete_session(made[0][0])
            deleted.append(made[0][0])
        return real(root, relpath)

    monkeypatch.setattr(backup_mod, "read_artifact", read_after_a_delete)
    out = backup(tmp_path / "b.zip")
    assert deleted
    restored = tmp_path / "restored"
    settings = dataclasses.replace(load_settings(), data_dir=restored)
    done = backup_mod.restore(out, settings=settings)
    assert (done["sessions"], done["artifacts"]) == (1, 1)
    with Store(settings) as s:
        assert [x.uid for x in s.list_sessions()] == [made[1][1]]


@pytest.mark.parametrize("age_h, kept", [(2, False), (0, True)])
def test_temporary_files_in_the_reports_folder_are_swept_after_an_hour(age_h, kept):
    folder = load_settings().data_dir / "batch_runs"
    folder.mkdir(parents=True)
    tmp = folder / ".tmp-abc"
    tmp.write_bytes(b"half a summary")
    then = time.time() - age_h * 3600
    os.utime(tmp, (then, then))
    Store().close()
    assert tmp.exists() == kept
