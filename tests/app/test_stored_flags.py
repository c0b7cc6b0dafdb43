"""A value stored as unreliable stays marked wherever a saved session is shown again: the
Sessions page's values, session list, comparison and trend, the HTML report, and the PDF report's
tables, warnings and trend charts (issue 15: never shown as a confident number)."""

from __future__ import annotations

import io
import math
import re

import pandas as pd
import pypdf
import pytest

from core.app import history, history_view
from core.app.report import build_report
from core.measure import confidence as conf
from core.measure.display import UNRELIABLE_NOTE, unreliable
from core.measure.summary import posture_rows
from core.reports.charts import trend_png
from core.reports.content import report_content, trend_frame
from core.reports.notice import UNRELIABLE_LEGEND
from core.reports.pdf import subject_pdf, values_rows
from core.store import Store
from core.store.companions3d import flagged_measures
from tests.app.helpers import make_subject, open_page, problems, table_with, texts
from tests.app.test_sessions import LITE
from tests.app.test_sessions_gait import _column

KNEE_POINTS = ("left_hip", "left_knee", "left_ankle")


def _snapshot(knee: float, *, knee_reliable: bool) -> pd.DataFrame:
    """A posture snapshot whose left knee angle is (or is not) stored as unreliable, its trunk
    lean as reliable; the right knee not measured."""
    measures = {
        "left_knee_angle_deg": knee,
        "right_knee_angle_deg": math.nan,
        "trunk_lean_deg": 2.0,
        "neck_flexion_deg": 10.0,
    }
    knee_conf = conf.MeasureConfidence(
        0.95 if knee_reliable else 0.6,
        knee_reliable,
        KNEE_POINTS,
        "" if knee_reliable else "low_score",
    )
    fine = conf.MeasureConfidence(0.97, True, ("left_shoulder", "left_hip"), "")
    confidence = conf.PostureConfidence(
        0.8,
        {
            "left_knee_angle_deg": knee_conf,
            "right_knee_angle_deg": conf.MeasureConfidence(math.nan, False, (), ""),
            "trunk_lean_deg": fine,
            "neck_flexion_deg": fine,
        },
        (),
    )
    return posture_rows(measures, confidence=confidence)


@pytest.fixture
def sessions() -> tuple[int, int, int]:
    """(subject, a session with a reliable left knee 150, a later one with it unreliable 170)."""
    subject_id = make_subject()
    with Store() as store:
        a, b = (
            store.save_session(
                subject_id,
                kind="posture",
                backend_info=LITE,
                source_hash=f"h{i}",
                measurements=_snapshot(knee, knee_reliable=i == 0),
            )  # fmt: skip
            for i, knee in enumerate((150.0, 170.0))
        )
    return subject_id, a, b


def test_the_stored_flags_come_back_with_the_measure_rows(sessions) -> None:
    _, a, b = sessions
    with Store() as store:
        rows = store.load_measurements(b, companions=True)
        measures = flagged_measures(rows)
        assert measures[["metric", "side", "value"]].equals(
            store.load_measurements(b)[["metric", "side", "value"]]
        )  # the measure rows, in order; no keypoint or score rows
    knee = (measures["metric"] == "knee_angle_deg") & (measures["side"] == "left")
    assert unreliable(measures).tolist() == knee.tolist()
    assert measures.loc[knee, "reason"].tolist() == ["low_score"]
    # Rows stored without flags (gait, older sessions) are never called unreliable.
    assert not unreliable(measures.drop(columns="reliable")).any()
    assert not unreliable(measures.assign(reliable=pd.NA)).any()


def test_the_sessions_page_marks_the_unreliable_value_everywhere(sessions) -> None:
    _, a, b = sessions
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    listing = table_with(at, "kind")
    assert list(listing["knee L (°)"]) == ["150.0", "170.0" + UNRELIABLE_NOTE]
    assert list(listing["trunk lean (°)"]) == ["2.0", "2.0"]  # reliable: no mark
    values = table_with(at, "measure")  # the open session: the last one, b
    shown = dict(zip(values["measure"], values["value"]))
    assert shown["Knee angle (left)"] == "170.0°" + UNRELIABLE_NOTE
    assert shown["Knee angle (right)"] == "not measured"  # no value: nothing to mark
    assert UNRELIABLE_NOTE not in shown["Trunk lean"]
    diff = table_with(at, "difference")
    knee = diff[diff["measure"] == "Knee angle (left)"].iloc[0]
    assert knee[_column(diff, a)] == "150.0°"
    assert knee[_column(diff, b)] == "170.0°" + UNRELIABLE_NOTE
    assert knee["difference"] == "+20.0°" + UNRELIABLE_NOTE  # one end is unreliable
    assert "A hollow ring is a value stored as unreliable" in texts(at)


def test_compare_and_trend_tables_carry_the_flags(sessions) -> None:
    subject_id, a, b = sessions
    with Store() as store:
        session_a, session_b = store.get_session(a), store.get_session(b)
        table = history.compare(store, session_a, session_b)
        hist = history.history(store, store.list_sessions(subject_id))
    knee = table[table["measure"] == "knee_angle_deg (left)"].iloc[0]
    assert (knee["unreliable_a"], knee["unreliable_b"]) == (False, True)
    shown = history_view.compare_table(table, "A", "B")
    row = shown[shown["measure"] == "Knee angle (left)"].iloc[0]
    assert row["A"] == "150.0°" and row["B"] == "170.0°" + UNRELIABLE_NOTE
    trend = history_view.trend_frame(hist, "knee_angle_deg")
    assert trend["reliability"].tolist() == ["reliable", "unreliable"]
    assert trend["value_text"].tolist() == ["150.0°", "170.0°" + UNRELIABLE_NOTE]


def test_the_html_report_marks_the_value_and_rings_its_point(sessions) -> None:
    subject_id, _, _ = sessions
    with Store() as store:
        listed = store.list_sessions(subject_id)
        listing = history_view.session_list(history.sessions_table(store, listed), listed)
        report = build_report("P001", listing, history.history(store, listed))
    assert "170.0 (unreliable)" in report and "150.0 (unreliable)" not in report
    assert report.count("<title>unreliable</title>") == 1  # one ring: the knee in session b
    assert UNRELIABLE_LEGEND.split(":")[0].replace('"', "&quot;") in report


def test_the_pdf_report_marks_the_value_and_says_why(sessions) -> None:
    subject_id, a, b = sessions
    with Store() as store:
        content = report_content(store, store.get_subject(subject_id))
        data = subject_pdf(store, store.get_subject(subject_id))
    first, second = content.sessions
    assert "Knee angle" in values_rows(second.values)[0][0]
    rows = {r[0]: r for r in values_rows(second.values)}
    assert (
        rows["Knee angle"][2] == "170.0°" + UNRELIABLE_NOTE
        and rows["Knee angle"][3] == "not measured"
    )
    assert {r[0]: r for r in values_rows(first.values)}["Knee angle"][2] == "150.0°"
    warning = [w for w in second.warnings if "stored as unreliable" in w]
    assert warning == [
        f"1 of 4 values stored as unreliable ({conf.REASONS['low_score']}): marked "
        '"(unreliable)", shown but not to be relied on'
    ]
    assert not [w for w in first.warnings if "unreliable" in w]
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    )
    assert "170.0° (unreliable)" in text and "150.0° (unreliable)" not in text
    # The trend chart draws the flagged point hollow: a different picture from the same values
    # with no flag stored.
    trend = trend_frame(content)
    flagged = trend_png(trend, "posture", "knee_angle_deg")
    plain = trend_png(trend.assign(reliable=True), "posture", "knee_angle_deg")
    assert flagged != plain
    assert trend_png(trend.assign(reliable=pd.NA), "posture", "knee_angle_deg") == plain
