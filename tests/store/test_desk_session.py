"""A desk work period through the store: saved as kind "desk", read back unchanged, exported to CSV,
listed with its key numbers and summed per day for Sessions review."""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
import pandas as pd
import pytest

from core.app import history
from core.config import load_settings
from core.measure.desk_period import KIND, period_params, period_rows
from core.measure.desk_watch import WatchConfig, watch_stream
from core.store import Store
from core.store.backup import backup
from core.store.export import session_long_csv, session_wide_frame
from core.store.restore import restore
from tests.store.conftest import INFO

#: 1 frame/s for 60 s, neck strained (30°) on frames 10..39, everything else neutral. As derived in
#: tests/measure/test_desk_watch.py: smoothed strained (14, 43], alert at 35 s, recovered at 53 s.
NEUTRAL = np.array([5.0, 0.0, 0.0, 0.0, 80.0, 80.0])


def period():
    angles = np.tile(NEUTRAL, (60, 1))
    angles[10:40, 0] = 30.0
    config = WatchConfig(window_s=10.0, alert_after_s=20.0, interval_s=30.0)
    watch, _ = watch_stream(np.arange(60.0), angles, config)
    return watch


def save(store, subject_id):
    watch = period()
    params = period_params(
        watch, start_utc="2026-01-01T09:00:00+00:00", end_utc="2026-01-01T09:01:00+00:00"
    )
    sid = store.save_session(
        subject_id, kind=KIND, backend_info=INFO, source_hash="", measurements=period_rows(watch),
        params=params,
    )  # fmt: skip
    return sid, watch


def test_a_work_period_round_trips_and_exports(store):
    subject = store.create_subject("P1", consent=True)
    sid, watch = save(store, subject)
    session = store.get_session(sid)
    assert session.kind == "desk" and session.artifacts == {}
    assert session.params["window_s"] == 10.0 and session.params["start_utc"].startswith(
        "2026-01-01"
    )
    got = store.load_measurements(sid)
    want = period_rows(watch)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True)[list(want.columns)], want, check_dtype=False
    )
    long = pd.read_csv(io.StringIO(session_long_csv(sid, store=store)))
    assert set(long["kind"]) == {"desk"} and len(long) == len(want)
    alert = long[long["metric"] == "neck_alert"]
    assert alert[["time_s", "value", "unit"]].values.tolist() == [[35.0, 20.0, "s"]]
    # Wide: the whole-period row (no frame) first, then one row per interval (frames 0 and 1).
    wide = session_wide_frame(sid, store=store)
    assert wide["frame"].isna().tolist() == [True, False, False]
    assert wide["frame"].iloc[1:].tolist() == [0, 1]
    assert wide.loc[1, "neck_gt20_flexion_share_pct"] == pytest.approx(100 * 16 / 30)
    assert wide.loc[2, "neck_alert"] == 20.0 and wide.loc[0, "n_alerts"] == 1.0


def test_sessions_review_lists_and_sums_work_periods_per_day(store):
    subject = store.create_subject("P1", consent=True)
    save(store, subject)
    save(store, subject)
    sessions = store.list_sessions(subject)
    table = history.sessions_table(store, sessions)
    assert table["kind"].tolist() == ["desk", "desk"]
    assert table["alerts"].tolist() == [1.0, 1.0]
    # Neck smoothed strained (14, 43] = 29 s = 0.48 min, rounded to 2 places in the list.
    assert table["neck above neutral (min)"].tolist() == [0.48, 0.48]
    hist = history.history(store, sessions)
    daily = history.desk_daily(hist).set_index("measure")
    assert daily["day"].nunique() == 1  # both saved now, the same UTC day (unless run at midnight)
    assert daily.loc["neck_above_neutral_min", "value"] == pytest.approx(2 * 29 / 60)
    assert daily.loc["n_alerts", "value"] == 2.0
    assert math.isclose(daily.loc["duration_min", "value"], 2 * 59 / 60)
    assert daily.loc["upper_arm_above_neutral_min (left)", "value"] == 0.0


def test_a_work_period_survives_backup_and_restore(tmp_path):
    # No schema change for kind "desk" (kind is free text checked by validate_kind), so restore's
    # exact-schema check and per-row checks accept it; the rows come back unchanged.
    source = dataclasses.replace(load_settings(), data_dir=tmp_path / "source-data")
    with Store(source) as s:
        sid, watch = save(s, s.create_subject("P1", consent=True))
    archive = backup(tmp_path / "b.zip", settings=source)
    target = dataclasses.replace(load_settings(), data_dir=tmp_path / "target-data")
    assert restore(archive, settings=target)["sessions"] == 1
    with Store(target) as s:
        assert s.get_session(sid).kind == "desk"
        got = s.load_measurements(sid).reset_index(drop=True)
    want = period_rows(watch)
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_dtype=False)
