"""The PDF report: it opens, has a page per session, the subject, the values with units, the
notice, the pictures (overlays, the gait frame at a heel strike, trend charts), A4 or Letter."""

from __future__ import annotations

import io
import re

import numpy as np
import pypdf
import pytest

from core.errors import InputError
from core.reports.content import heel_strike_time
from core.reports.notice import DISCLAIMER
from core.reports.pdf import subject_pdf, values_rows
from core.store import Store
from tests.reports.conftest import FPS, GREY_STEP, LABEL

#: PDF points per inch; A4 is 210 x 297 mm, Letter 8.5 x 11 in.
A4_PT = (210 / 25.4 * 72, 297 / 25.4 * 72)
LETTER_PT = (8.5 * 72, 11 * 72)


def _pdf(scene, **kw) -> pypdf.PdfReader:
    with Store() as store:
        data = subject_pdf(store, store.get_subject(scene.subject_id), **kw)
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _images(page: pypdf.PageObject) -> list[object]:
    xobjects = page["/Resources"].get("/XObject") or {}
    return [x for x in (o.get_object() for o in xobjects.values()) if x["/Subtype"] == "/Image"]


def test_report_pages_text_and_pictures(scene) -> None:
    reader = _pdf(scene)
    texts = [p.extract_text() for p in reader.pages]
    whole = _flat(" ".join(texts))
    # The front page: the label exactly as typed (markup and all), height, year of birth, notice.
    assert f"Sapiens Measure report: {LABEL}" in _flat(texts[0])
    assert "1.70 m" in texts[0] and "1985" in texts[0]
    assert DISCLAIMER in _flat(texts[0])
    # One page (at least) per session, in order, each opening with its heading.
    sessions = [*scene.posture, scene.gait]
    first = [next(i for i, t in enumerate(texts) if f"Session #{s}:" in t) for s in sessions]
    assert first == sorted(first) and len(set(first)) == 3 and first[0] >= 1
    # Names in words and values with their units, never a raw key or "None".
    for shown in ("Knee angle", "150.0°", "170.0°", "not measured", "Cadence", "steps/min",
                  "Step time", "Quality flags", "Quality grade"):  # fmt: skip
        assert shown in whole, shown
    assert "cadence_spm" not in whole and "None" not in whole
    assert "Measurements, not diagnoses." in texts[-1]  # the footer of every page
    # Pictures: each session page holds its one picture; the front page holds the three posture
    # trend charts (knee, trunk, neck: the measures both posture sessions have).
    assert [len(_images(reader.pages[i])) for i in first] == [1, 1, 1]
    assert sum(len(_images(p)) for p in reader.pages[: first[0]]) == 3
    assert "Trends" in texts[0]


def test_overlays_are_each_sessions_own(scene) -> None:
    reader = _pdf(scene)
    texts = [p.extract_text() for p in reader.pages]
    colours = []
    for sid in scene.posture:
        page = reader.pages[next(i for i, t in enumerate(texts) if f"Session #{sid}:" in t)]
        (image,) = page.images
        colours.append(tuple(np.asarray(image.image.convert("RGB"))[10, 10]))
    assert colours == [(200, 0, 0), (0, 200, 0)]  # tests/reports/conftest.py: red, then green


def test_gait_picture_is_the_overlay_frame_at_a_heel_strike(scene) -> None:
    t = heel_strike_time(scene.gait_rows)
    assert t is not None
    reader = _pdf(scene)
    texts = [p.extract_text() for p in reader.pages]
    i = next(i for i, t in enumerate(texts) if f"Session #{scene.gait}:" in t)
    assert f"heel strike ({t:.2f} s)" in texts[i]
    (image,) = reader.pages[i].images
    grey = float(np.asarray(image.image.convert("L")).mean())
    # The frame at or just after t; H.264 at CRF 18 moves a flat grey by a level or two, well
    # below the 1 level per frame x several frames that a wrong frame would be off by.
    expected = np.ceil((t - 1e-3) * FPS) * GREY_STEP  # the first frame from t - 1 ms on
    assert grey == pytest.approx(expected, abs=2.5)


@pytest.mark.parametrize(("paper", "size"), [("a4", A4_PT), ("letter", LETTER_PT)])
def test_paper_sizes(scene, paper, size) -> None:
    reader = _pdf(scene, paper=paper)
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            size,
            abs=0.5,  # reportlab rounds the mm sizes to 1e-4 pt
        )


def test_one_session_report_and_bad_requests(scene) -> None:
    reader = _pdf(scene, session_ids=[scene.gait])
    whole = " ".join(p.extract_text() for p in reader.pages)
    assert f"Session #{scene.gait}:" in whole and f"Session #{scene.posture[0]}:" not in whole
    with Store() as store:
        subject = store.get_subject(scene.subject_id)
        with pytest.raises(InputError, match="paper must be one of a4, letter"):
            subject_pdf(store, subject, paper="a5")
        with pytest.raises(InputError, match="is not a session of subject"):
            subject_pdf(store, subject, session_ids=[999])
        empty = store.get_subject(store.create_subject("EMPTY"))
        with pytest.raises(InputError, match="has no saved sessions"):
            subject_pdf(store, empty)


def test_values_rows_put_left_and_right_side_by_side() -> None:
    import pandas as pd

    values = pd.DataFrame(
        {"metric": ["step_time_s", "step_time_s", "cadence_spm"], "side": ["left", "right", ""],
         "value": [0.5449, float("nan"), 110.04], "unit": ["s", "s", "steps/min"]}
    )  # fmt: skip
    assert values_rows(values) == [
        ["Step time", "", "0.54 s", "not measured"],
        ["Cadence", "110.0 steps/min", "", ""],
    ]


def test_a_large_overlay_is_embedded_downsized() -> None:
    from core.measure.summary import posture_rows
    from core.reports.pdf import MAX_IMAGE_PX
    from tests.reports.conftest import INFO, png

    with Store() as store:
        sid = store.create_subject("BIG")
        store.save_session(
            sid, kind="posture", backend_info=INFO, source_hash="big",
            measurements=posture_rows({"trunk_lean_deg": 1.0}),
            artifacts={"overlay.png": png((10, 20, 30), size=(3000, 2000))},
        )  # fmt: skip
        reader = pypdf.PdfReader(io.BytesIO(subject_pdf(store, store.get_subject(sid))))
    (image,) = [im for p in reader.pages for im in p.images]
    assert image.image.size == (MAX_IMAGE_PX, round(MAX_IMAGE_PX * 2000 / 3000))  # aspect kept


def test_an_unreadable_overlay_is_a_warning_not_a_failure(scene) -> None:
    with Store() as store:
        path = store.get_session(scene.posture[0]).artifacts["overlay.png"]
        path.write_bytes(b"not a png")
        reader = pypdf.PdfReader(
            io.BytesIO(subject_pdf(store, store.get_subject(scene.subject_id)))
        )
    texts = [p.extract_text() for p in reader.pages]
    page = next(i for i, t in enumerate(texts) if f"Session #{scene.posture[0]}:" in t)
    assert "the overlay picture could not be read" in _flat(texts[page])
    assert _images(reader.pages[page]) == []
