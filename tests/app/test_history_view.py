"""The Sessions review's tables in words (core.app.history_view, core.app.history): names from
core.measure.display, its decimals, "not measured", blanks for another kind's columns, and
compare partners of the same kind only."""

from __future__ import annotations

import math

import pandas as pd

from core.app import history, history_view
from core.store.records import Session


def _session(sid: int, kind: str, created: str) -> Session:
    return Session(sid, f"u{sid}", 1, kind, created, "lite", "m", "", "cpu", "float32", 0.5, "", "")


SESSIONS = [
    _session(1, "gait", "2026-12-01T10:00:00"),
    _session(2, "posture", "2026-12-02T10:00:00"),
    _session(3, "gait", "2026-12-03T14:05:00"),
    _session(4, "posture", "2026-12-03T14:06:00"),
]


def test_compare_partners_are_of_the_same_kind_only() -> None:
    gait_b = SESSIONS[2]
    assert [s.id for s in history.same_kind(SESSIONS, gait_b)] == [1]
    assert history.compare_default(SESSIONS, gait_b).id == 1  # the latest walk before it
    # The first walk: no earlier one, so the later walk (never the photo in between).
    assert history.compare_default(SESSIONS, SESSIONS[0]).id == 3
    lone = [*SESSIONS, _session(5, "desk", "2026-12-04T08:00:00")]
    assert history.same_kind(lone, lone[-1]) == []
    assert history.compare_default(lone, lone[-1]) is None


def test_session_label_reads_as_a_date() -> None:
    assert history.session_label(SESSIONS[2]) == "#3 · 3 Dec 2026 14:05 · gait (lite)"


def test_session_list_blanks_other_kinds_and_says_not_measured() -> None:
    table = pd.DataFrame(
        {
            "session": [1, 2],
            "kind": ["gait", "posture"],
            "cadence (steps/min)": [101.26, None],
            "knee L (°)": [None, 150.04],
            "knee R (°)": [None, math.nan],
            "notes": ["walk", None],
        }
    )
    shown = history_view.session_list(table, SESSIONS[:2])
    assert list(shown["cadence (steps/min)"]) == ["101.3", ""]  # 1 decimal; none for a photo
    assert list(shown["knee L (°)"]) == ["", "150.0"]
    assert list(shown["knee R (°)"]) == ["", "not measured"]  # posture without the right knee
    assert list(shown["notes"]) == ["walk", ""]
    assert list(shown.columns)[-1] == "notes"


def test_compare_table_in_words_signed_and_without_empty_rows() -> None:
    raw = pd.DataFrame(
        {
            "measure": ["knee_angle_deg (left)", "cadence_spm", "step_time_s (right)"],
            "unit": ["deg", "steps/min", "s"],
            "#1": [150.0, 100.04, math.nan],
            "#2": [148.46, 120.0, math.nan],
        }
    )
    raw["difference"] = raw["#2"] - raw["#1"]
    shown = history_view.compare_table(raw, "A", "B")
    assert list(shown["measure"]) == ["Knee angle (left)", "Cadence"]  # no row of two NaNs
    assert list(shown["A"]) == ["150.0°", "100.0 steps/min"]
    assert list(shown["difference"]) == ["-1.5°", "+20.0 steps/min"]
    groups = dict(history_view.compare_groups(raw, "A", "B"))
    assert set(groups) == {"deg", "steps/min"}  # one chart per unit
    assert set(groups["deg"]) == {"left"}  # the left knee alone: no right-side chart
    assert list(groups["steps/min"][""]["session"]) == ["A", "B"]
    assert list(groups["deg"]["left"]["value_text"]) == ["150.0°", "148.5°"]


def test_split_key_inverts_measure_name() -> None:
    for metric, side in (("knee_angle_deg", "left"), ("cadence_spm", "")):
        assert history_view.split_key(history.measure_name(metric, side)) == (metric, side)


def test_trend_frame_and_axis_title_in_words() -> None:
    hist = pd.DataFrame(
        {
            "session": [1, 1, 3],
            "created": pd.to_datetime(["2026-12-01T10:00:00Z"] * 2 + ["2026-12-03T14:05:00Z"]),
            "kind": ["gait"] * 3,
            "metric": ["step_time_s"] * 3,
            "side": ["left", "right", "left"],
            "value": [0.6, 0.61, 0.5],
            "unit": ["s"] * 3,
        }
    )
    frame = history_view.trend_frame(hist, "step_time_s")
    assert set(frame["measure"]) == {"Step time (left)", "Step time (right)"}
    assert list(frame["value_text"]) == ["0.60 s", "0.61 s", "0.50 s"]
    assert history_view.axis_title("step_time_s", "s") == "Step time (s)"
    assert history_view.unit_heading("deg") == "Angles (°)"
