"""Hostile subject labels and notes through the Store and the CLI: one clear error or a faithful,
harmless store; never a file outside the data folder, never a half-stored session, never a formula
in a CSV cell."""

from __future__ import annotations

import sqlite3
import unicodedata

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli import main
from core.config import load_settings
from core.store import Store
from core.store.export import subject_csv
from tests.reliability.harness import (
    FUZZ_EXAMPLES,
    changed,
    count,
    live_formulas,
    one_clear_error,
    snapshot,
)

HOSTILE = [
    "../../etc/passwd", "..", ".", "a/b", "a\\b", "C:\\x", "/abs", "~", "~/x", "P001/..",
    "nul\x00byte", "new\nline", "cr\rx", "tab\tx", "esc\x1b[31mred", "del\x7f", "bell\x07",
    "rtl\u202eexe.txt", "zero\u200bwidth", "line\u2028sep", "bom\ufeff",
    "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1", "\r=1",
    "'; DROP TABLE subjects; --", "\" OR 1=1 --", "%s%n%x", "{0}{1}", "$(rm -rf /)", "`id`",
    "x" * 64, "x" * 65, "y" * 10_000, " ", "", "   P002   ", "e\u0301", "\u00e9", "😀" * 10,
    "CON", "NUL", "aux.txt", "a:b", "*?<>|", "P003",
]  # fmt: skip


def _subject_count(store: Store) -> int:
    return len(store.list_subjects())


def _outside(tmp_path_factory, allowed):
    """Everything under pytest's temporary root except the folders a case may write to."""
    allowed = allowed if isinstance(allowed, tuple) else (allowed,)
    return snapshot(tmp_path_factory.getbasetemp(), exclude=allowed)


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_label_through_store(label, tmp_path_factory, scratch_cwd):
    data_dir = load_settings().data_dir
    with Store() as store:
        before = _outside(tmp_path_factory, data_dir)
        n = _subject_count(store)
        err = one_clear_error("labels via Store", lambda: store.create_subject(label, consent=True))
        if err is None:
            found = store.find_subject(label)
            assert found is not None and _subject_count(store) == n + 1
            # What is stored is what was given (trimmed, NFC), byte for byte, and it is usable.
            assert found.label == unicodedata.normalize("NFC", label.strip())
            store.save_session(
                found.id, kind="posture", backend_info={"backend": "t"}, source_hash="h",
                measurements=_rows(), notes=label, artifacts={found.label[:100] + ".png": b"x"},
            )  # fmt: skip
            assert store.list_sessions(found.id)[0].notes == label.replace("\x00", "")
        else:
            assert _subject_count(store) == n, "a refused label must store nothing"
        assert changed(before, _outside(tmp_path_factory, data_dir)) == []


def _rows():
    import pandas as pd

    return pd.DataFrame(
        [(None, None, "neck_flexion_deg", "", 12.5, "deg")],
        columns=["frame", "time_s", "metric", "side", "value", "unit"],
    )


@settings(
    max_examples=FUZZ_EXAMPLES * 2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    label=st.text(st.characters(codec="utf-8"), max_size=80)
    | st.sampled_from(HOSTILE).map(lambda s: s + "Z"),
    notes=st.text(st.characters(codec="utf-8"), max_size=300),
)
def test_generated_labels_and_notes_store_export_or_refuse(label, notes, tmp_path_factory):
    data_dir = load_settings().data_dir
    before = _outside(tmp_path_factory, data_dir)
    with Store() as store:
        n = _subject_count(store)
        err = one_clear_error("labels via Store (generated)", lambda: store.create_subject(label))
        if err is not None:
            assert _subject_count(store) == n
            return
        sid = store.find_subject(label).id
        sessions = len(store.list_sessions())
        err = one_clear_error(
            "notes via Store (generated)",
            lambda: store.save_session(
                sid,
                kind="posture",
                backend_info={},
                source_hash="h",
                measurements=_rows(),
                notes=notes,
            ),  # fmt: skip
        )
        if err is not None:
            assert len(store.list_sessions()) == sessions
            return
        assert live_formulas(subject_csv(sid, store=store)) == []
        store.delete_subject(sid)  # keep the per-test store small across examples
    assert changed(before, _outside(tmp_path_factory, data_dir)) == []


@pytest.fixture
def fake_lite(monkeypatch):
    """The CLI gets the honest test double instead of a model (the strings are the subject here)."""
    from core.backends import selection
    from core.backends.fake import FakeBackend

    monkeypatch.setattr(selection, "get_backend", lambda *a, **k: FakeBackend())


def _cli(capfd, *argv):
    code = main([str(a) for a in argv])
    out, err = capfd.readouterr()
    assert code in (0, 1), f"exit {code}: {err}"
    assert "Traceback" not in err
    if code == 1:
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("error: "), err
    return code, out, err


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_label_and_notes_through_cli(
    text, capfd, fake_lite, tmp_path, tmp_path_factory, scratch_cwd
):
    data_dir = load_settings().data_dir
    image = tmp_path / "person.png"
    cv2.imwrite(str(image), np.full((240, 160, 3), 120, np.uint8))
    export = tmp_path / "export"  # the one folder outside the data folder that may be written
    export.mkdir()
    before = _outside(tmp_path_factory, (data_dir, export))
    # "--" and "--opt=value": how a user passes text that starts with "-" to argparse.
    code, _, _ = _cli(capfd, "subject", "add", "--consent", "--", text)
    count("labels via CLI", "accepted" if code == 0 else "refused: error line")
    label = text if code == 0 else "SAFE"
    if code == 1:
        _cli(capfd, "subject", "add", "SAFE", "--consent")
    code, out, _ = _cli(capfd, "posture", image, f"--save={label}", f"--notes={text}", "--json")
    count("notes via CLI posture --save", "accepted" if code == 0 else "refused: error line")
    with Store() as store:
        sessions = store.list_sessions()
        if code == 0:
            assert len(sessions) == 1 and len(store.load_measurements(sessions[0].id)) > 0
        else:
            assert sessions == [], "a refused save must leave no session"
    code, _, err = _cli(capfd, "export", "--out", export, "--", label)
    # A subject without sessions (its save was refused) is an error, not a header-only CSV.
    assert code == (0 if sessions else 1), err
    # The label's slug makes plain file names: the subject CSV and the session's two, no folder.
    assert [p.is_file() for p in export.iterdir()] == [True] * (3 if sessions else 0)
    for path in export.iterdir():
        assert live_formulas(path.read_text(encoding="utf-8")) == [], path.name
    assert changed(before, _outside(tmp_path_factory, (data_dir, export))) == []


def test_sql_text_is_data_not_code():
    with Store() as store:
        store.create_subject("x'); DROP TABLE subjects; --")
        conn = sqlite3.connect(store.db_path)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        conn.close()
    assert {"subjects", "sessions", "measurements", "artifacts"} <= tables
