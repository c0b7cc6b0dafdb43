"""``python -m core posture``: JSON contract, exit codes, one-line errors, saving."""

from __future__ import annotations

import json

import pytest

from core.store import Store
from tests.cli.conftest import run_json, write_image
from tests.cli.fakes import POSTURE_KEYS


def test_json_keys_and_values(cli, fake_backend, tmp_path):
    out = run_json(
        cli,
        "posture",
        write_image(tmp_path / "a.png"),
        "--json",
        "--backend",
        "lite",
        "--size",
        "1b",
    )
    assert {"backend", "model", "size", "dtype", "measures"} <= set(out)
    assert (out["backend"], out["model"], out["size"]) == (
        "fake (test double)",
        "fake-pose",
        "none",
    )
    assert set(POSTURE_KEYS) <= set(out["measures"])
    # Fake measures: left knee = largest person's knee x (200); neck NaN -> null; lean stays -3.2.
    assert out["measures"]["left_knee_angle_deg"] == 200.0
    assert out["measures"]["neck_flexion_deg"] is None and out["measures"]["trunk_lean_deg"] == -3.2
    assert fake_backend.calls == [("lite", "1b")]


def test_point_selects_another_person(cli, fake_backend, tmp_path):
    out = run_json(cli, "posture", write_image(tmp_path / "a.png"), "--json", "--point", "20,50")
    assert out["measures"]["left_knee_angle_deg"] == 20.0


def test_json_has_no_nan_literal(cli, fake_backend, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"), "--json")
    assert code == 0 and "NaN" not in out and json.loads(out)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (lambda p: p.write_bytes(b"this is text, not an image" * 4), "image"),
        (lambda p: write_image(p, value=0), "no person found"),
    ],
)
def test_bad_input_one_line_on_stderr_nothing_stored(cli, fake_backend, tmp_path, setup, message):
    with Store() as s:
        s.create_subject("P1", consent=True)
    path = tmp_path / "x.png"
    setup(path)
    code, out, err = cli("posture", path, "--json", "--save", "P1")
    assert code == 1 and out == ""
    assert (
        len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err.lower()
    )
    assert "Traceback" not in err
    with Store() as s:
        assert s.list_sessions() == []


def test_bad_point_is_a_clear_error(cli, fake_backend, tmp_path):
    code, _, err = cli("posture", write_image(tmp_path / "a.png"), "--point", "twenty")
    assert code == 1 and "--point must be X,Y" in err


def test_save_requires_existing_subject_with_consent(cli, fake_backend, tmp_path):
    img = write_image(tmp_path / "a.png")
    code, _, err = cli("posture", img, "--save", "NOBODY")
    assert code == 1 and "python -m core subject add NOBODY --consent" in err
    with Store() as s:
        s.create_subject("NOCONSENT")
    code, _, err = cli("posture", img, "--save", "NOCONSENT")
    assert code == 1 and "no consent recorded" in err
    assert fake_backend.calls == []  # refused before any analysis


def test_save_stores_session_with_rows_and_hash(cli, fake_backend, tmp_path):
    import hashlib

    with Store() as s:
        sid = s.create_subject("P1", consent=True)
    img = write_image(tmp_path / "a.png")
    out = run_json(cli, "posture", img, "--json", "--save", "P1", "--notes", "=x")
    with Store() as s:
        session = s.get_session(out["session_id"])
        assert (session.subject_id, session.kind, session.notes) == (sid, "posture", "=x")
        assert session.source_hash == hashlib.sha256(img.read_bytes()).hexdigest()
        rows = s.load_measurements(session.id)
        assert len(rows) == len(POSTURE_KEYS)
        assert rows.set_index("metric").loc["left_knee_angle_deg", "value"] == 200.0


def test_text_output(cli, fake_backend, tmp_path):
    code, out, _ = cli("posture", write_image(tmp_path / "a.png"))
    assert code == 0 and "left_knee_angle_deg" in out and "200.0" in out and "n/a" in out
