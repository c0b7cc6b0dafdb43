"""The Start page in plain words: which backend will actually run and why, status cells that
wrap (st.table, not a canvas), and the subject this browser chose last chosen again."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.store import Store
from tests.app.helpers import HOME, TIMEOUT_S, make_subject, open_page, problems


def _backend_sentence(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if " will run" in m.value]
    return line


def test_auto_says_lite_runs_and_why() -> None:
    # No Sapiens2 weights in the test's data folders: auto resolves to lite, as get_backend does.
    at = open_page("pages/start.py")
    assert problems(at) == []
    line = _backend_sentence(at)
    assert line.startswith("**Lite (MediaPipe)** will run")
    assert "**auto**" in line and "no Sapiens2 0.4b pose weights are on this computer" in line
    assert "would run" not in line and "bfloat16" not in line  # no Sapiens2 device talk for lite
    # Status cells are in st.table (HTML, wraps), not a canvas that cuts them off.
    status = [t.value for t in at.table if "status" in t.value.columns]
    assert len(status) == 1 and {"lite", "sapiens2"} <= set(status[0]["backend"])
    assert not [d for d in at.dataframe if "status" in d.value.columns]


def test_explicit_sapiens2_without_weights_says_what_is_missing() -> None:
    at = open_page("pages/start.py")
    at.selectbox(key="backend_name").set_value("sapiens2").run()
    assert problems(at) == []
    line = _backend_sentence(at)
    assert line.startswith("**Sapiens2 0.4b** will run on **")
    assert "**sapiens2**" in line and "pose weights are not on this computer" in line


def _pose_weights(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file where the lookup finds it is enough to choose; nothing is loaded on the Start page."""
    (folder / "pose").mkdir()
    (folder / "pose" / "sapiens2_0.4b_pose.safetensors").write_bytes(b"")
    monkeypatch.setenv("SAPIENS2_CHECKPOINT_ROOT", str(folder))


@pytest.mark.parametrize("backend", ["auto", "sapiens2"])
def test_sapiens2_with_weights(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pose_weights(tmp_path, monkeypatch)
    at = open_page("pages/start.py")
    if backend != "auto":
        at.selectbox(key="backend_name").set_value(backend).run()
    assert problems(at) == []
    line = _backend_sentence(at)
    assert line.startswith("**Sapiens2 0.4b** will run on **")
    assert f"**{backend}**" in line and "not on this computer" not in line
    if backend == "auto":
        assert "its 0.4b pose weights are on this computer" in line


@pytest.mark.parametrize("fast_bf16", [True, False])
def test_an_explicit_bf16_on_a_cpu_without_it_is_called_slow(
    fast_bf16: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.sapiens2 import device

    _pose_weights(tmp_path, monkeypatch)
    monkeypatch.setenv("SAPIENS_MEASURE_DTYPE", "bfloat16")
    monkeypatch.setenv("SAPIENS_MEASURE_DEVICE", "cpu")
    monkeypatch.setattr(device, "cpu_has_fast_bf16", lambda *a, **k: fast_bf16)
    at = open_page("pages/start.py")
    assert problems(at) == []
    line = _backend_sentence(at)
    assert "in **bfloat16**" in line
    assert ("**Slow:**" in line) is not fast_bf16


def _fresh(query: dict[str, str] | None = None) -> AppTest:
    """A new browser session (as after a restart of the app), opening the Start page."""
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT_S)
    at.query_params = dict(query or {})
    at.run()
    return at


def test_the_subject_chosen_last_in_this_browser_is_chosen_again() -> None:
    first = make_subject("P001")
    second = make_subject("P002")
    at = _fresh()
    assert at.selectbox(key="subject_id").value == first  # nothing remembered yet: the first
    at.selectbox(key="subject_id").set_value(second).run()
    # Remembered in the page address (and a cookie script for new tabs), not in the store.
    assert at.query_params.get("subject") == str(second)
    assert any(f"sapiens_measure_subject={second}" in h.proto.body for h in at.get("html"))
    # A new session with that address, as a reloaded tab after a restart: P002 again.
    again = _fresh(at.query_params)
    assert problems(again) == []
    assert again.selectbox(key="subject_id").value == second
    assert "Current subject: **P002**" in [m.value for m in again.markdown]
    # Another browser (no address parameter, no cookie) starts at the first subject.
    assert _fresh().selectbox(key="subject_id").value == first


def test_a_remembered_subject_that_no_longer_exists_is_not_used() -> None:
    first = make_subject("P001")
    gone = make_subject("P002")
    with Store() as store:
        store.delete_subject(gone)
    at = _fresh({"subject": str(gone)})
    assert problems(at) == []
    assert at.selectbox(key="subject_id").value == first
    assert at.query_params.get("subject") == str(first)
    assert _fresh({"subject": "not-a-number"}).selectbox(key="subject_id").value == first


def test_the_sidebar_says_what_auto_runs() -> None:
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    captions = [c.value for c in at.sidebar.caption]
    assert (
        "auto runs lite (MediaPipe) here: no Sapiens2 0.4b pose weights are on this computer."
        in captions
    )
    # An explicit choice needs no explanation.
    at.selectbox(key="backend_name").set_value("lite").run()
    assert not [c for c in at.sidebar.caption if c.value.startswith("auto runs")]


def test_a_new_tab_takes_the_subject_from_this_browsers_cookie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # AppTest cannot send cookies (st.context.cookies comes from the browser's request), so the
    # cookie's reading is replaced; the page address, when present, wins over the cookie.
    from core.app import subjects

    first = make_subject("P001")
    second = make_subject("P002")
    monkeypatch.setattr(subjects, "_cookie", lambda: str(second))
    at = _fresh()
    assert at.selectbox(key="subject_id").value == second
    assert at.query_params.get("subject") == str(second)
    assert _fresh({"subject": str(first)}).selectbox(key="subject_id").value == first
