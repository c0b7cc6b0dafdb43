"""Sessions review's PDF report button: it is there, names the file after the subject, and the
PDF it builds when pressed is the subject's report on the chosen paper."""

from __future__ import annotations

import io
import math

import pypdf
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core.measure.summary import posture_rows
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems

LITE = {"backend": "lite", "model": "mediapipe-pose-full", "size": "", "device": "cpu",
        "dtype": "float32", "threshold": 0.5}  # fmt: skip


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[object, str]]:
    """(callable, file name) behind each deferred download button, by file id (Streamlit runs
    the callable when its button is pressed; AppTest has no browser to press it)."""
    seen: dict[str, tuple[object, str]] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        file_id = original(self, data_callable, *args, **kwargs)
        seen[file_id] = (data_callable, kwargs.get("file_name") or "")
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


@pytest.fixture
def file_names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The file name of each ready-made download, by file id."""
    seen: dict[str, str] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        seen[file_id] = filename or ""
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def test_pdf_report_button(deferred, file_names) -> None:
    subject_id = make_subject("P:1 <Zoë>")
    with Store() as store:
        session = store.save_session(
            subject_id, kind="posture", backend_info=LITE, source_hash="h",
            measurements=posture_rows({"left_knee_angle_deg": 150.0, "trunk_lean_deg": math.nan}),
        )  # fmt: skip
        other = store.save_session(
            subject_id, kind="posture", backend_info=LITE, source_hash="h2",
            measurements=posture_rows({"left_knee_angle_deg": 160.0}),
        )  # fmt: skip
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    button = at.download_button(key="sessions_report_pdf")
    assert "PDF" in button.label
    for paper, width_pt in (("a4", 595.3), ("letter", 612.0)):  # A4 210 mm, Letter 8.5 in
        at.radio(key="sessions_report_paper").set_value(paper).run()
        assert problems(at) == []
        file_id = at.download_button(key="sessions_report_pdf").proto.deferred_file_id
        build, file_name = deferred[file_id]
        # The file name carries the label's slug and the subject id.
        assert file_name.startswith(f"P-1-Zoë_s{subject_id}_") and file_name.endswith(".pdf")
        reader = pypdf.PdfReader(io.BytesIO(build()))
        first = reader.pages[0]
        assert float(first.mediabox.width) == pytest.approx(width_pt, abs=0.1)
        assert "Sapiens Measure report: P:1 <Zoë>" in first.extract_text()
        assert any(f"Session #{session}:" in p.extract_text() for p in reader.pages)
    # The CSV downloads are named as `python -m core export` names them.
    names = {
        key: file_names[at.download_button(key=key).proto.url.rsplit("/", 1)[-1].split(".")[0]]
        for key in ("sessions_csv_long", "sessions_csv_wide", "sessions_csv_subject")
    }
    prefix = f"P-1-Zoë_s{subject_id}_"
    assert names["sessions_csv_long"].startswith(prefix)
    assert names["sessions_csv_long"].endswith(f"_session{other}_long.csv")
    assert names["sessions_csv_wide"].endswith(f"_session{other}_wide.csv")
    assert names["sessions_csv_subject"].startswith(prefix)
    assert names["sessions_csv_subject"].endswith("_subject.csv")
    # The opened session (the newest, ``other``) alone: its report has only its page.
    file_id = at.download_button(key="sessions_report_pdf_session").proto.deferred_file_id
    build, file_name = deferred[file_id]
    assert file_name.endswith(f"_session{other}_report.pdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(build())).pages)
    assert f"Session #{other}:" in text and f"Session #{session}:" not in text
