"""3D measures of a rendered scene through rows -> store -> CSV and back: values, sigma and the
reasons of NaN survive, plain reads stay what they were, the 2D rows keep their columns."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from core.analysis3d import analyze_posture_3d, with_3d_rows
from core.keypoints import Pose
from core.measure import confidence as conf
from core.measure.pose3d_rows import REASONS, is_3d_metric, reason_code, warning_code
from core.measure.posture import posture_measures
from core.measure.summary import posture_rows
from core.store.export import LONG_COLUMNS, session_long_csv, session_wide_frame
from tests.measure.test_pose3d import OPEN
from tests.scenes.fakes import ScenePointmap, SceneSeg
from tests.scenes.render import Camera, render
from tests.scenes.skeleton import build_skeleton
from tests.scenes.truth import true_measures
from tests.store.conftest import INFO


def _pose(scene) -> Pose:  # noqa: ANN001
    scores = np.where(np.all(np.isfinite(scene.xy), axis=1), 0.9, 0.0)
    return Pose.from_canonical(scene.xy, scores, backend="sapiens2", model="scene", threshold=0.3)


def _save(store, scene, stature_m: float | None) -> tuple[int, object, pd.DataFrame]:  # noqa: ANN001
    pose = _pose(scene)
    result = analyze_posture_3d(
        np.zeros((*scene.class_map.shape, 3), np.uint8),
        pose,
        (SceneSeg(scene), ScenePointmap(scene)),
        stature_m=stature_m,
    )
    confidence = conf.posture_confidence(pose, view="front", min_score=0.5)
    rows = with_3d_rows(posture_rows(posture_measures(pose), confidence=confidence), result)
    sid = store.create_subject("P1", consent=True, height_m=1.75)
    session = store.save_session(
        sid, kind="posture", backend_info=INFO, source_hash="s", measurements=rows
    )
    return session, result, rows


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def test_turned_scene_round_trip(store):
    # Camera 30 degrees round the subject: over the 20-degree warning, every leg and trunk angle
    # measurable (tests/measure/test_pose3d.py checks them within 1 degree of the truth).
    scene = render(build_skeleton(OPEN), Camera(yaw_deg=30.0, pitch_deg=10.0))
    session, result, _ = _save(store, scene, 1.75)
    back = _read(session_long_csv(session, store=store))
    assert tuple(back.columns) == LONG_COLUMNS
    assert not back["metric"].str.contains(":").any()  # companions folded into columns
    truth = true_measures(scene)
    for key in ("left_knee_angle_3d_deg", "right_hip_angle_3d_deg", "trunk_lean_3d_deg"):
        metric, side = key.replace("left_", "").replace("right_", ""), key.split("_")[0]
        side = side if side in ("left", "right") else ""
        row = back[(back.metric == metric) & (back.side.fillna("") == side)].iloc[0]
        # The CSV keeps full float precision: the stored value is the measured one.
        assert row.value == pytest.approx(result.measures.values[key], abs=1e-9)
        assert row.sigma == pytest.approx(result.measures.sigma_deg[key], abs=1e-9)
        assert row.unit == "deg" and pd.isna(row.reason)
        assert abs(row.value - truth.values[key]) < 1.0  # the 1-degree bound
    whole = back.set_index("metric")
    assert whole.loc["warning_3d_turned", "value"] == 1.0  # the turned-away warning is stored
    assert whole.loc["floor_plane_3d", "value"] == 1.0  # the scene has a floor
    assert (
        whole.loc["stature_3d_m", "value"] == 1.75 and whole.loc["stature_given_3d", "value"] == 1
    )
    # 2D rows are untouched: their score and flag, no sigma, no reason.
    knee_2d = back[(back.metric == "knee_angle_deg") & (back.side == "left")].iloc[0]
    assert knee_2d.score == 0.9 and bool(knee_2d.reliable)
    assert math.isnan(knee_2d.sigma) and pd.isna(knee_2d.reason)
    wide = session_wide_frame(session, store=store)
    assert wide.loc[0, "knee_angle_3d_deg_left"] == pytest.approx(
        result.measures.values["left_knee_angle_3d_deg"]
    )
    assert "knee_angle_3d_deg_left_sigma" in wide.columns
    assert "knee_angle_deg_left_sigma" not in wide.columns  # 2D: score columns only


def test_plain_reads_see_3d_values_but_no_sigma_rows(store):
    scene = render(build_skeleton(OPEN), Camera(yaw_deg=15.0, pitch_deg=10.0))
    session, result, rows = _save(store, scene, None)
    plain = store.load_measurements(session)
    assert not plain["metric"].str.contains(":").any()
    three_d = plain[plain["metric"].map(is_3d_metric)]
    # One plain row per 3D measure, plus floor, stature, stature-given (and no warning at 15 deg).
    assert len(three_d) == len(result.measures.values) + 3
    assert "warning_3d_turned" not in set(plain["metric"])
    stature = plain[plain.metric == "stature_given_3d"]["value"].iloc[0]
    assert stature == 0.0  # estimated from the picture, not entered


def test_side_view_nan_keeps_its_reason(store):
    # Exactly side-on (left side to the camera): the far (right) leg is behind the near one.
    scene = render(build_skeleton(OPEN), Camera(yaw_deg=90.0, pitch_deg=5.0))
    session, result, _ = _save(store, scene, 1.75)
    missing = {k: v for k, v in result.measures.values.items() if not math.isfinite(v)}
    assert missing, "a side view hides the far side"
    back = _read(session_long_csv(session, store=store))
    for key in missing:
        metric, side = key, ""
        for s in ("left", "right"):
            if key.startswith(s + "_"):
                metric, side = key.removeprefix(s + "_"), s
        row = back[(back.metric == metric) & (back.side.fillna("") == side)].iloc[0]
        assert math.isnan(row.value)
        assert row.reason == reason_code(result.measures.reasons[key]), key
        assert row.reason in (*REASONS, "other")


def test_codes_cover_every_reason_text_the_measures_give():
    # Reason starts written in core.measure.pose3d / pose3d_measures; a new wording that no code
    # matches would be stored as "other" and lose its meaning.
    for text in (
        "no 2D keypoint", "at the image edge (window leaves the image)", "outside the person's box",
        "too few body pixels near the keypoint", "occluded (no depth layer of this limb)",
        "only the edge of the window shows this joint (mostly hidden)",
        "left and right overlap under clothing and neither side is known to be nearer",
        "covered by its own limb (towards the wrist) pointing at the camera",
        "no floor plane to give the vertical (x)", "no hip or shoulder line", "a point is missing",
    ):  # fmt: skip
        assert reason_code(text) != "other", text
    assert warning_code("the subject is turned 30 degrees from a front or side view") == "turned"
    assert warning_code("the subject is turned 60 degrees: the far side's hip") == "far_side"
    assert warning_code("no floor plane: the vertical is the camera's own") == "camera_level"
