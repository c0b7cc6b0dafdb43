"""The quality grade: each rule on its own with exact grades and reasons, and the grade's way into
the JSON, the store's rows and the CSV export."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from core.measure.gait import analyze_gait
from core.measure.gait_quality import TrackingStats, grade_session
from core.measure.summary import gait_rows, quality_from_rows
from core.store import Store
from core.store.export import session_long_csv, session_wide_csv
from tests.measure.synthetic import walking_series

#: A 300-frame walk with the subject in 280 frames and 10 valid strikes of 10 found: good.
FINE = dict(n_frames=300, n_frames_used=280, walk_ok=True, events_possible=True,
            n_valid_strikes=10, n_detected_strikes=10)  # fmt: skip


def _grade(tracking=None, **changes):
    q = grade_session(**{**FINE, **changes}, tracking=tracking)
    return q.grade, [code for code, _ in q.reasons]


@pytest.mark.parametrize(
    ("changes", "tracking", "grade", "codes"),
    [
        ({}, None, "good", []),
        ({}, TrackingStats(tracked_share=0.95, track_jumps=0), "good", []),
        ({}, TrackingStats(tracked_share=0.7), "limited", ["tracked_share_low"]),
        ({}, TrackingStats(tracked_share=0.4), "unusable", ["tracked_share_very_low"]),
        ({}, TrackingStats(track_jumps=2), "limited", ["track_jumps"]),
        ({"track_jumps_seen": 1}, None, "limited", ["track_jumps"]),
        # The tracker's count wins over the jumps seen in the signal.
        ({"track_jumps_seen": 1}, TrackingStats(track_jumps=0), "good", []),
        ({"n_frames_used": 140}, None, "limited", ["frames_used_low"]),  # 47 % < 50 %
        ({"n_frames_used": 150}, None, "good", []),  # exactly 50 %
        # 3 of 10 detected strikes dropped (30 % > 25 %); 2 of 10 (20 %) is fine.
        ({"n_valid_strikes": 7}, None, "limited", ["many_rejected"]),
        ({"n_valid_strikes": 8}, None, "good", []),
        ({"n_valid_strikes": 5, "n_detected_strikes": 5}, None, "limited", ["few_strikes"]),
        ({"n_valid_strikes": 3, "n_detected_strikes": 3}, None, "unusable", ["too_few_strikes"]),
        (
            {"walk_ok": False, "n_valid_strikes": 0, "n_detected_strikes": 0},
            None,
            "unusable",
            ["not_a_walk"],
        ),  # fmt: skip
        ({"events_possible": False}, None, "unusable", ["low_frame_rate"]),
        ({"n_frames_used": 0}, None, "unusable", ["no_person"]),
    ],
)
def test_each_rule(changes, tracking, grade, codes):
    assert _grade(tracking, **changes) == (grade, codes)


def test_rejected_share_limits_and_reasons_are_worst_first():
    # 8 of 12 kept: 4 / 12 = 33 % dropped; with a 40 % tracked share it is unusable, worst first.
    q = grade_session(**{**FINE, "n_valid_strikes": 8, "n_detected_strikes": 12},
                      tracking=TrackingStats(tracked_share=0.4))  # fmt: skip
    assert q.grade == "unusable"
    assert [c for c, _ in q.reasons] == ["tracked_share_very_low", "many_rejected"]
    assert q.reasons[1][1] == "4 of 12 detected heel strikes were implausible and dropped"
    assert q.reasons[0][1] == "only 40% of the visible walk was tracked"
    assert q.stats == {"frames_used_share": round(280 / 300, 4), "tracked_share": 0.4,
                       "track_jumps": 0, "valid_heel_strikes": 8, "rejected_heel_strikes": 4}  # fmt: skip


def test_tracking_stats_reach_the_result_and_its_warnings():
    res = analyze_gait(walking_series(), tracking=TrackingStats(tracked_share=0.7, track_jumps=1))
    assert res.quality.grade == "limited"
    assert [c for c, _ in res.quality.reasons] == ["tracked_share_low", "track_jumps"]
    # Neither is said by another warning, so one quality line says both.
    assert res.warnings == [
        "quality limited: only 70% of the visible walk was tracked; "
        "the track jumped 1 time(s) (another person?)"
    ]


def test_json_rows_store_and_csv_carry_the_grade():
    res = analyze_gait(walking_series(duration_s=1.5))  # 2 valid strikes: unusable
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["quality_grade"] == "unusable" and d["cadence_spm"] is None
    assert d["quality"]["reasons"][0]["code"] == "too_few_strikes"
    assert d["quality"]["tracked_share"] is None  # unknown, not a number
    assert set(d["rejected_events"]) == {"heel_strike", "toe_off"}
    rows = gait_rows(res)
    whole = rows[rows["frame"].isna()].set_index("metric")
    assert (
        whole.loc["quality_grade", "value"] == 0.0 and whole.loc["quality_grade", "unit"] == "grade"
    )
    assert whole.loc["quality_reason_too_few_strikes", "value"] == 1.0
    assert whole.loc["frames_used_share", "value"] == 1.0
    assert pd.isna(whole.loc["tracked_share", "value"])
    assert whole.loc["rejected_heel_strike_too_close", "value"] == 0.0
    assert quality_from_rows(rows) == ("unusable", ["fewer than 4 valid heel strikes"])

    with Store() as store:
        subject_id = store.create_subject("Q1", consent=True)
        sid = store.save_session(
            subject_id,
            kind="gait",
            backend_info={"backend": "synthetic", "model": "walking_series"},
            source_hash="synthetic-short-walk",
            measurements=rows,
        )
        stored = store.load_measurements(sid)
        assert quality_from_rows(stored) == ("unusable", ["fewer than 4 valid heel strikes"])
        long = pd.read_csv(io.StringIO(session_long_csv(sid, store=store)))
        wide = pd.read_csv(io.StringIO(session_wide_csv(sid, store=store)))
    grade = long[long["metric"] == "quality_grade"]
    assert grade["value"].tolist() == [0.0] and grade["unit"].tolist() == ["grade"]
    assert "quality_reason_too_few_strikes" in set(long["metric"])
    assert "quality_grade" in wide.columns


def test_a_good_walk_has_a_good_grade_and_no_reason_rows():
    rows = gait_rows(analyze_gait(walking_series()))
    assert quality_from_rows(rows) == ("good", [])
    assert not rows["metric"].str.startswith("quality_reason_").any()
