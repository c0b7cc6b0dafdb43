"""``subject``, ``export``, ``backup`` and ``restore`` commands, and ``python -m core --help``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pandas as pd
import pytest

from core.backends.fake import FakeBackend
from core.store import Store
from tests.cli.conftest import run_json
from tests.cli.scenes import BIG, write_image
from tests.conftest import ROOT


def test_subject_add_list_consent_delete(cli):
    assert cli("subject", "add", "P1")[0] == 0
    code, _, err = cli("subject", "add", "a/b")
    assert code == 1 and "'/'" in err
    assert run_json(cli, "subject", "list", "--json")["subjects"][0]["consent"] is False
    assert cli("subject", "consent", "P1")[0] == 0
    assert run_json(cli, "subject", "list", "--json")["subjects"][0]["consent"] is True
    code, _, err = cli("subject", "delete", "P1")
    assert code == 1 and "--yes" in err
    assert cli("subject", "delete", "P1", "--yes")[0] == 0
    assert run_json(cli, "subject", "list", "--json")["subjects"] == []


def test_export_writes_csvs(cli, install, tmp_path):
    install(FakeBackend([BIG]))
    cli("subject", "add", "=P1", "--consent")
    sid = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--save", "=P1")[
        "session_id"
    ]
    out = run_json(cli, "export", "=P1", "--out", tmp_path / "csv", "--json")
    names = sorted(os.path.basename(p) for p in out["files"])
    with Store() as store:
        subject = store.find_subject("=P1")
        day = store.get_session(sid).created_utc[:10]
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    # Slug "P1" ("=" is no letter), subject id, date (the session's; today's for the subject file).
    stem = f"P1_s{subject.id}"
    assert names == sorted(
        [f"{stem}_{day}_session{sid}_long.csv", f"{stem}_{day}_session{sid}_wide.csv",
         f"{stem}_{today}_subject.csv"]
    )  # fmt: skip
    long = pd.read_csv(tmp_path / "csv" / f"{stem}_{day}_session{sid}_long.csv")
    assert set(long["subject_label"]) == {"'=P1"}
    # BIG's shoulders: the left one 100 px higher over 100 px -> +45 deg (tests/cli/scenes.py).
    assert long.set_index("metric").loc["shoulder_tilt_deg", "value"] == pytest.approx(45.0)
    knee = long[(long.metric == "knee_angle_deg") & (long.side == "left")]
    assert knee.value.tolist() == pytest.approx([90.0])
    code, _, err = cli("export", "NOBODY", "--out", tmp_path / "csv")
    assert code == 1 and "no subject labelled 'NOBODY'" in err


def test_backup_and_restore_commands(cli, monkeypatch, tmp_path):
    cli("subject", "add", "P1")
    assert cli("backup", tmp_path / "b.zip")[0] == 0
    monkeypatch.setenv("SAPIENS_MEASURE_DATA_DIR", str(tmp_path / "other"))
    code, out, _ = cli("restore", tmp_path / "b.zip")
    assert code == 0 and "restored 1 subjects" in out
    with Store() as s:
        assert [x.label for x in s.list_subjects()] == ["P1"]
    code, _, err = cli("restore", tmp_path / "b.zip")
    assert code == 1 and "--force" in err
    code, _, err = cli("restore", tmp_path / "missing.zip")
    assert code == 1 and "does not exist" in err


def test_python_m_core_help_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "core", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    for command in ("posture", "gait", "export", "report", "watch", "backup", "restore", "subject"):
        assert command in proc.stdout
