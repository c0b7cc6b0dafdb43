"""Companion rows (scores, flags, keypoints): stored beside the measures, hidden from plain reads,
folded into the CSV's score / reliable columns and keypoint rows."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from core.keypoints import CANONICAL_NAMES, INDEX, Pose
from core.measure import confidence as conf
from core.measure.posture import posture_measures
from core.measure.summary import posture_rows
from core.store.companions import MIN_SCORE_ROW, fold
from core.store.export import LONG_COLUMNS, session_long_csv, session_wide_frame
from tests.store.conftest import INFO, rows

#: Three points of a left elbow at 90 deg: shoulder above the elbow, wrist to its right.
ELBOW = {
    "left_shoulder": (100.0, 100.0),
    "left_elbow": (100.0, 200.0),
    "left_wrist": (200.0, 200.0),
}


def _snapshot(wrist_score: float) -> pd.DataFrame:
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    scores = np.full(len(CANONICAL_NAMES), np.nan)
    for name, p in ELBOW.items():
        xy[INDEX[name]], scores[INDEX[name]] = p, 0.95
    scores[INDEX["left_wrist"]] = wrist_score
    pose = Pose.from_canonical(xy, scores, backend="lite", model="test", threshold=0.5)
    confidence = conf.posture_confidence(pose, view="front", min_score=0.8)
    return posture_rows(posture_measures(pose), confidence=confidence)


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def test_the_mark_the_store_filters_on_is_the_one_the_rows_use():
    # Store.load_measurements filters on a literal ':' in SQL (it does not import core.measure).
    assert conf.COMPANION_MARK == ":"
    assert all(
        conf.is_companion(m) for m in (conf.MIN_SCORE_METRIC, conf.keypoint_metric("nose", "x"))
    )
    assert not any(conf.is_companion(m) for m in ("knee_angle_deg", "cadence_spm", "n_steps"))


def test_plain_reads_see_the_measures_only(store):
    sid = store.create_subject("P1", consent=True)
    df = _snapshot(0.6)
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="a", measurements=df
    )
    plain = store.load_measurements(session_id)
    everything = store.load_measurements(session_id, companions=True)
    assert len(everything) == len(df)
    assert not plain["metric"].map(conf.is_companion).any()
    assert len(plain) == (~df["metric"].map(conf.is_companion)).sum()


def test_fold_puts_score_and_flag_beside_the_value():
    folded = fold(_snapshot(0.6))
    assert list(folded.columns) == [
        "frame",
        "time_s",
        "metric",
        "side",
        "value",
        "unit",
        "score",
        "reliable",
    ]
    assert not folded["metric"].str.contains(":").any()
    elbow = folded[(folded.metric == "elbow_angle_deg") & (folded.side == "left")].iloc[0]
    assert math.isclose(elbow.value, 90.0, abs_tol=1e-9)  # shoulder-elbow-wrist at a right angle
    assert (elbow.score, elbow.reliable) == (0.6, False)
    knee = folded[(folded.metric == "knee_angle_deg") & (folded.side == "left")].iloc[0]
    assert math.isnan(knee.value) and math.isnan(knee.score)
    assert knee.reliable is not pd.NA and not knee.reliable  # no value: never reliable
    wrist = folded[folded.metric.isin(["kp_left_wrist_x", "kp_left_wrist_y"])]
    assert wrist.value.tolist() == [200.0, 200.0] and (wrist.score == 0.6).all()
    assert not wrist.reliable.any()
    shoulder = folded[folded.metric == "kp_left_shoulder_x"].iloc[0]
    assert (shoulder.score, bool(shoulder.reliable)) == (0.95, True)
    assert folded[folded.metric == MIN_SCORE_ROW].value.tolist() == [0.8]


def test_a_session_without_companions_exports_empty_scores(store):
    # Gait sessions and posture sessions saved before the scores existed have no companion rows.
    sid = store.create_subject("P1", consent=True)
    df = rows(3, seed=2)
    session_id = store.save_session(
        sid, kind="gait", backend_info=INFO, source_hash="g", measurements=df
    )
    back = _read(session_long_csv(session_id, store=store))
    assert tuple(back.columns) == LONG_COLUMNS and len(back) == len(df)
    assert back["score"].isna().all() and back["reliable"].isna().all()
    wide = session_wide_frame(session_id, store=store)
    assert not any(c.endswith(("_score", "_reliable")) for c in wide.columns)


def test_long_csv_of_a_snapshot(store):
    sid = store.create_subject("P1", consent=True)
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="p", measurements=_snapshot(0.9)
    )
    back = _read(session_long_csv(session_id, store=store))
    elbow = back[(back.metric == "elbow_angle_deg") & (back.side == "left")].iloc[0]
    assert (elbow.score, elbow.reliable) == (0.9, True)  # read back as a boolean
    assert set(back.loc[back.metric.str.startswith("kp_"), "unit"]) == {"px"}
    n_points = len(conf.REPORTED_KEYPOINTS)
    assert back.metric.str.startswith("kp_").sum() == 2 * n_points  # x and y per point


def test_the_csv_says_why_a_posture_measure_is_unreliable(store):
    # The left elbow (no plane) with its wrist at 0.6: low_score. A shoulder line judged with the
    # trunk turned 45 deg from square-on: off_plane, whatever its points score.
    points = {**ELBOW, "right_shoulder": (40.0, 110.0)}
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    scores = np.full(len(CANONICAL_NAMES), np.nan)
    for name, p in points.items():
        xy[INDEX[name]], scores[INDEX[name]] = p, 0.95
    scores[INDEX["left_wrist"]] = 0.6
    pose = Pose.from_canonical(xy, scores, backend="lite", model="test", threshold=0.5)
    confidence = conf.posture_confidence(pose, view="front", min_score=0.8, body_turn_deg=45.0)
    df = posture_rows(posture_measures(pose), confidence=confidence)
    sid = store.create_subject("P1", consent=True)
    session_id = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="r", measurements=df
    )
    back = _read(session_long_csv(session_id, store=store))

    def row(metric: str, side: str) -> pd.Series:
        same_side = back.side == side if side else back.side.isna()  # an empty side reads as NaN
        return back[(back.metric == metric) & same_side].iloc[0]

    elbow, tilt = row("elbow_angle_deg", "left"), row("shoulder_tilt_deg", "")
    assert (elbow.reliable, elbow.reason) == (False, "low_score")
    assert (tilt.score, tilt.reliable, tilt.reason) == (0.95, False, "off_plane")
    assert pd.isna(row("knee_angle_deg", "left").reason)  # no value: no reason
