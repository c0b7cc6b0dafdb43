"""Defence in depth: with a database edited by hand (whatever a restore let through), the store's own
code never reads, hands out, packs or deletes a path outside the data folder."""

from __future__ import annotations

import os
import sqlite3

import pytest

from core.config import load_settings
from core.errors import StorageError
from core.store import Store
from core.store.backup import backup
from core.store.export import session_long_csv
from tests.store.backups import fill


def _edit(sql: str, *args) -> None:
    conn = sqlite3.connect(load_settings().db_path, isolation_level=None)
    conn.execute(sql, args)
    conn.close()


@pytest.fixture
def outside(tmp_path):
    """A folder outside the data folder holding a secret file and a victim folder."""
    folder = tmp_path / "outside"
    (folder / "victim").mkdir(parents=True)
    (folder / "victim" / "keep.txt").write_text("must survive")
    (folder / "000.png").write_text("secret")
    return folder


def _relpath_cases(outside):
    data = load_settings().data_dir
    rel_up = os.path.relpath(outside / "000.png", data / "artifacts")
    return {"absolute": str(outside / "000.png"), "dot-dot": rel_up, "etc": "/etc/passwd"}


@pytest.mark.parametrize("case", ["absolute", "dot-dot", "etc"])
def test_hostile_relpath_is_never_read_nor_handed_out(outside, case, tmp_path):
    (sid, _, _), _ = fill()
    _edit("UPDATE artifacts SET relpath = ? WHERE session_id = ?", _relpath_cases(outside)[case], sid)  # fmt: skip
    with Store() as s:
        assert s.get_session(sid).artifacts == {}  # the page gets no path to show
        with pytest.raises(StorageError, match="refused to read the artifact path"):
            s.load_artifact(sid, "o.png")
        assert "o.png" not in session_long_csv(sid, store=s)  # export still works
    with pytest.raises(StorageError, match="refused to read"):
        backup(tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("link", ["folder", "file"])
def test_symlink_escapes_are_refused(outside, link, tmp_path):
    (sid, uid, _), _ = fill()
    folder = load_settings().artifacts_dir / uid
    with Store() as s:  # the links appear while the store is open (its open sweep removes them)
        if link == "folder":
            os.rename(folder, tmp_path / "moved")
            folder.symlink_to(outside, target_is_directory=True)
        else:
            (folder / "000.png").unlink()
            (folder / "000.png").symlink_to(outside / "000.png")
        assert s.get_session(sid).artifacts == {}
        with pytest.raises(StorageError, match="refused to read"):
            s.load_artifact(sid, "o.png")
        # backup's own open removes a linked folder (then the file is missing): nothing packed.
        with pytest.raises(StorageError, match="refused to read|missing from the data folder"):
            backup(tmp_path / "b.zip")
        assert not (tmp_path / "b.zip").exists()
        s.delete_session(sid)
    assert (outside / "000.png").read_text() == "secret"
    assert (outside / "victim" / "keep.txt").exists()
    assert not folder.is_symlink() or link == "file"  # the link itself is removed, not followed


def test_a_link_in_the_artifacts_folder_is_removed_on_open_without_following_it(outside):
    fill()
    link = load_settings().artifacts_dir / ("a" * 32)
    link.symlink_to(outside / "victim", target_is_directory=True)
    Store().close()
    assert not link.is_symlink() and (outside / "victim" / "keep.txt").exists()


def test_a_fifo_at_the_artifact_path_is_refused_without_hanging():
    (sid, uid, _), _ = fill()
    path = load_settings().artifacts_dir / uid / "000.png"
    path.unlink()
    os.mkfifo(path)
    with Store() as s, pytest.raises(StorageError, match="not a regular file"):
        s.load_artifact(sid, "o.png")


@pytest.mark.parametrize("uid", ["absolute", "dot-dot"])
@pytest.mark.parametrize("how", ["session", "subject"])
def test_hostile_uid_never_deletes_outside(outside, uid, how):
    (sid, _, _), _ = fill()
    data = load_settings().data_dir
    value = str(outside / "victim") if uid == "absolute" else os.path.relpath(outside / "victim", data / "artifacts")  # fmt: skip
    _edit("UPDATE sessions SET uid = ? WHERE id = ?", value, sid)
    with Store() as s:
        if how == "session":
            s.delete_session(sid)
        else:
            s.delete_subject(s.list_subjects()[0].id)
        assert sid not in [x.id for x in s.list_sessions()]
    assert (outside / "victim" / "keep.txt").read_text() == "must survive"


@pytest.mark.parametrize(
    "sql, match",
    [
        (
            "CREATE TRIGGER t AFTER INSERT ON sessions BEGIN DELETE FROM sessions; END",
            "trigger 't'",
        ),
        ("CREATE VIEW v AS SELECT 1", "view 'v'"),
        ("PRAGMA user_version = -1", "not a sapiens-measure store"),
        ("PRAGMA user_version = 1", "unexpected index"),
    ],
)
def test_a_live_database_edited_by_hand_is_refused_on_open(sql, match):
    fill()
    _edit(sql)
    with pytest.raises(StorageError, match=match):
        Store()


def test_a_foreign_database_is_refused_on_open_and_left_alone():
    path = load_settings().db_path
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="not a sapiens-measure store"):
        Store()
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
    conn.close()
