"""Sessions review on sessions saved straight into the store: table, trend, compare, exports, delete."""

from __future__ import annotations

import math

import pytest

from core.measure.summary import posture_rows
from core.store import Store
from tests.app.helpers import make_subject, open_page, problems, table_with, texts

LITE = {
    "backend": "lite",
    "model": "mediapipe-pose-full",
    "size": "",
    "device": "cpu",
    "dtype": "float32",
    "threshold": 0.5,
}


def _measures(knee: float) -> dict[str, float]:
    return {
        "left_knee_angle_deg": knee,
        "right_knee_angle_deg": math.nan,
        "trunk_lean_deg": 2.0,
        "neck_flexion_deg": 10.0,
    }


@pytest.fixture
def two_sessions() -> tuple[int, list[int]]:
    subject_id = make_subject()
    with Store() as store:
        ids = [
            store.save_session(
                subject_id,
                kind="posture",
                backend_info=LITE,
                source_hash=f"h{i}",
                measurements=posture_rows(_measures(knee)),
                notes=f"visit {i}",
            )
            for i, knee in enumerate((150.0, 170.0))
        ]
    return subject_id, ids


def test_table_trend_and_compare(two_sessions: tuple[int, list[int]]) -> None:
    _, (a, b) = two_sessions
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    listing = table_with(at, "kind")
    assert list(listing["session"]) == [a, b]
    # Angles with one decimal (core.measure.display); the unit is in the column title.
    assert list(listing["knee L (°)"]) == ["150.0", "170.0"]
    # Not visible reads "not measured", never 0 and never "None".
    assert list(listing["knee R (°)"]) == ["not measured", "not measured"]
    # Posture sessions: the gait columns are absent (no gait session here), not "not visible".
    assert "cadence (steps/min)" not in listing.columns
    assert len(at.get("vega_lite_chart")) >= 2  # trend and comparison
    diff = table_with(at, "difference")
    knee = diff[diff["measure"] == "Knee angle (left)"]
    assert knee["difference"].iloc[0] == "+20.0°"  # 170 - 150, signed, in the angle's format
    assert not diff["measure"].str.contains("_").any()  # words, never raw keys
    # The last session is open; its values and CSV buttons are shown.
    values = table_with(at, "measure")
    # In words, with the unit and one decimal for an angle (core.measure.display).
    assert values[values["measure"] == "Knee angle (left)"]["value"].iloc[0] == "170.0°"
    assert values[values["measure"] == "Knee angle (right)"]["value"].iloc[0] == "not measured"
    # Session long and wide, subject CSV, the PDF report and the HTML one.
    assert {d.key for d in at.download_button} == {
        "sessions_csv_long",
        "sessions_csv_wide",
        "sessions_csv_subject",
        "sessions_report_pdf",
        "sessions_report_pdf_session",
        "sessions_report",
    }


def test_open_another_session(two_sessions: tuple[int, list[int]]) -> None:
    _, (a, _) = two_sessions
    at = open_page("pages/sessions.py")
    at.selectbox(key="sessions_open").set_value(a).run()
    values = table_with(at, "measure")
    assert values[values["measure"] == "Knee angle (left)"]["value"].iloc[0] == "150.0°"


def test_delete_session_needs_confirmation(two_sessions: tuple[int, list[int]]) -> None:
    subject_id, (a, b) = two_sessions
    at = open_page("pages/sessions.py")
    assert at.button(key="sessions_delete").disabled
    at.checkbox(key="sessions_delete_confirm").check().run()
    at.button(key="sessions_delete").click().run()
    assert problems(at) == []
    assert [s.id for s in Store().list_sessions(subject_id)] == [a]


def test_delete_subject_needs_the_label_typed(two_sessions: tuple[int, list[int]]) -> None:
    subject_id, _ = two_sessions
    at = open_page("pages/sessions.py")
    at.text_input(key="sessions_delete_subject_confirm").input("P00").run()
    assert at.button(key="sessions_delete_subject").disabled
    at.text_input(key="sessions_delete_subject_confirm").input("P001").run()
    at.button(key="sessions_delete_subject").click().run()
    assert problems(at) == []
    store = Store()
    assert store.list_subjects() == [] and store.list_sessions() == []
    assert "No subject yet" in texts(at)


def test_no_sessions_says_so() -> None:
    make_subject()
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    assert "No saved sessions for P001" in texts(at)


def test_desk_work_periods_list_and_sum_per_day() -> None:
    from core.measure.desk_period import period_rows
    from tests.store.test_desk_session import period

    subject_id = make_subject()
    with Store() as store:
        for _ in range(2):
            store.save_session(
                subject_id, kind="desk", backend_info=LITE, source_hash="",
                measurements=period_rows(period()),
            )  # fmt: skip
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    assert list(table_with(at, "kind")["alerts"]) == ["1", "1"]  # counts: no decimals
    daily = table_with(at, "day")
    # Two periods with the neck outside neutral for 29 s each (tests/store/test_desk_session.py
    # checks the sum itself); minutes are shown with one decimal.
    assert daily["Neck above neutral (min)"].tolist() == [f"{2 * 29 / 60:.1f}"]
    assert daily["Alerts"].tolist() == ["2"]
    from core.app.dates import TimeStyle, time_label

    created = Store().list_sessions(subject_id)[0].created_utc
    day = time_label(created, TimeStyle(year=True)).rsplit(" ", 1)[0]  # "3 Dec 2026"
    assert daily["day"].tolist() == [day]  # both saved now (unless the test runs at midnight)


def test_a_single_session_says_there_is_nothing_to_compare_and_dates_its_one_tick() -> None:
    import json

    from core.app.dates import epoch_ms

    subject_id = make_subject()
    with Store() as store:
        only = store.save_session(
            subject_id, kind="posture", backend_info=LITE, source_hash="h",
            measurements=posture_rows(_measures(150.0)),
        )  # fmt: skip
        created = store.get_session(only).created_utc
    at = open_page("pages/sessions.py")
    assert problems(at) == []
    # No fallback to a session of another kind (there is none): the page says why.
    assert f"No other posture session to compare #{only} with" in texts(at)
    assert not [s for s in at.selectbox if s.key == "sessions_compare_a"]
    (trend,) = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    axis = trend["layer"][0]["encoding"]["x"]["axis"]  # the line; the points layer shares it
    assert axis["values"] == [epoch_ms(created)]  # one tick, at the session, in words
    assert axis["format"] == "%-d %b %H:%M"
