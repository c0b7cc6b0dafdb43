"""Backup and restore: round trip into another data folder; hostile archives refused."""

from __future__ import annotations

import dataclasses
import json
import zipfile

import pytest

from core.config import load_settings
from core.errors import InputError
from core.store import Store
from core.store.backup import FORMAT, backup, restore
from tests.store.conftest import INFO, rows


def _filled(settings=None):
    with Store(settings) as s:
        sid = s.create_subject("P1", height_m=1.8, consent=True)
        for i in range(2):
            s.save_session(
                sid,
                kind="gait",
                backend_info=INFO,
                source_hash=str(i),
                measurements=rows(3),
                artifacts={"o.png": bytes([i]) * 10},
            )


def test_round_trip_into_another_data_dir(tmp_path):
    _filled()
    out = backup(tmp_path / "b.zip")
    other = dataclasses.replace(load_settings(), data_dir=tmp_path / "elsewhere")
    manifest = restore(out, settings=other)
    assert (manifest["subjects"], manifest["sessions"]) == (1, 2)
    with Store(other) as s, Store() as orig:
        assert [x.label for x in s.list_subjects()] == ["P1"]
        for a, b in zip(orig.list_sessions(), s.list_sessions()):
            assert (a.id, a.uid, a.source_hash) == (b.id, b.uid, b.source_hash)
            assert s.load_measurements(b.id).equals(orig.load_measurements(a.id))
            assert s.load_artifact(b.id, "o.png") == orig.load_artifact(a.id, "o.png")


def test_restore_refuses_non_empty_store_unless_forced(tmp_path):
    _filled()
    out = backup(tmp_path / "b.zip")
    with pytest.raises(InputError, match="--force"):
        restore(out)
    with Store() as s:
        s.create_subject("EXTRA")
    restore(out, force=True)
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["P1"]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": FORMAT}))
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "artifacts/../../evil",
        "/etc/passwd",
        "artifacts/a/../../../x",
        "C:/x",
        "other/file",
    ],
)
def test_hostile_member_names_are_refused(tmp_path, name):
    bad = _zip(tmp_path / "bad.zip", {"sessions.db": b"", name: b"x"})
    with pytest.raises(InputError, match="refused"):
        restore(bad)
    assert not (tmp_path / "evil.txt").exists()
    assert Store().is_empty()


def test_zip_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": FORMAT}))
        zf.writestr("sessions.db", b"\0" * 50_000_000)  # 50 MB of zeros compress ~1000x
    with pytest.raises(InputError, match="zip bomb"):
        restore(bomb)


def test_not_a_zip_and_bad_database_are_refused(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        restore(tmp_path / "x.zip")
    bad = _zip(tmp_path / "bad.zip", {"sessions.db": b"garbage" * 100})
    with pytest.raises(InputError, match="database"):
        restore(bad)
    assert Store().is_empty()
