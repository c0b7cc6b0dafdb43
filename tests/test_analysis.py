"""The analysis glue with the real tracking, measures and video code, driven by ``FakeBackend``."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.analysis import analyze_gait_video, analyze_posture
from core.backends.fake import FakeBackend, standing_skeleton
from core.errors import InputError, NoPersonFound
from core.measure.confidence import REPORTED_KEYPOINTS, is_companion
from core.measure.posture import MEASURE_INFO
from core.measure.summary import split_side
from tests.cli.scenes import BIG, PHOTO_SIZE, SMALL, SMALL_POINT, write_video

PHOTO = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), 128, np.uint8)


def test_posture_measures_the_largest_person():
    res = analyze_posture(PHOTO, FakeBackend([SMALL, BIG]))
    # BIG's left knee: knee->hip (0,-100), knee->ankle (100,0) -> 90 deg (tests/cli/scenes.py).
    assert_allclose(res.measures["left_knee_angle_deg"], 90.0, atol=1e-6)
    assert res.pose.box == (100.0, 0.0, 500.0, 500.0)
    assert res.backend_info["backend"] == "fake (test double)"
    assert list(res.rows.columns) == ["frame", "time_s", "metric", "side", "value", "unit"]
    # One row per measure, then its companions: a score and a flag per measure, x, y and score per
    # reported keypoint, the reliable score used, and a reason per unreliable measure
    # (core.measure.confidence; BIG's trunk reads 41 deg from square-on: its frontal-plane
    # measures are off the plane, tests/app/test_posture_parts.py).
    companion = res.rows["metric"].map(is_companion)
    assert list(res.rows["metric"][~companion]) == [split_side(k)[0] for k in MEASURE_INFO]
    n_reasons = sum(bool(c.reason) for c in res.confidence.measures.values())
    assert n_reasons == 4  # shoulder and hip tilt, neck flexion, trunk lean
    assert companion.sum() == 2 * len(MEASURE_INFO) + 3 * len(REPORTED_KEYPOINTS) + 1 + n_reasons
    assert res.view == "front" and res.confidence.measures["left_knee_angle_deg"].reliable


@pytest.mark.parametrize(
    ("point", "knee_deg"),
    [
        (SMALL_POINT, 180.0),  # inside SMALL's box (676, 27, 724, 180): SMALL stands straight
        ((650.0, 100.0), 180.0),  # outside both: 26 px from SMALL's box, 150 px from BIG's
        ((560.0, 100.0), 90.0),  # outside both: 60 px from BIG's box (100, 0, 500, 500)
    ],
)
def test_posture_point_picks_the_nearest_person(point, knee_deg):
    res = analyze_posture(PHOTO, FakeBackend([BIG, SMALL]), point=point)
    assert_allclose(res.measures["left_knee_angle_deg"], knee_deg, atol=1e-6)


def test_posture_no_person_and_bad_image():
    nobody = FakeBackend([])
    with pytest.raises(NoPersonFound, match="no person found in the image;"):
        analyze_posture(PHOTO, nobody)
    with pytest.raises(NoPersonFound, match="at 100,50"):
        analyze_posture(PHOTO, nobody, point=(100, 50))
    with pytest.raises(InputError, match="RGB"):
        analyze_posture(np.zeros((10, 10), np.uint8), nobody)
    with pytest.raises(InputError, match="uint8"):
        analyze_posture(np.zeros((10, 10, 3), np.float32), nobody)
    with pytest.raises(InputError, match="view"):
        analyze_posture(PHOTO, nobody, view="top")


def test_gait_video_tracks_and_counts_frames(tmp_path):
    seen_ms = []

    def motion(timestamp_ms):
        seen_ms.append(timestamp_ms)
        return [standing_skeleton(64, 48)]

    progress = []
    res = analyze_gait_video(
        write_video(tmp_path / "w.avi", 12, fps=10.0, size=(64, 48)),
        FakeBackend(motion=motion),
        every=2,
        progress=lambda done, total: progress.append((done, total)),
    )
    # 12 frames, every 2nd -> 6 analysed frames; timestamps 0, 200, ... 1000 ms at 10 fps.
    assert res.n_frames == 6 and len(res.series) == 6 and res.series.n_frames_used == 6
    assert res.series.frame_index.tolist() == [0, 2, 4, 6, 8, 10]
    assert seen_ms == [0, 200, 400, 600, 800, 1000]
    assert progress == [(i, 6) for i in range(1, 7)]
    assert res.series.frame_size == (64, 48)
    # 5 analysed frames per second is too slow for events: series only, and a warning says why.
    out = res.result.to_dict()
    assert out["n_steps"] == 0 and out["cadence_spm"] is None
    assert any("5.0 fps, below 10" in w for w in out["warnings"])
    assert set(res.rows.metric) >= {"trunk_lean_deg", "cadence_spm", "n_steps"}
    # One person standing in every frame: tracked in all of them, chosen by frames (no walk).
    tracking = res.tracking
    assert (tracking["frames_with_person"], tracking["frames_tracked"]) == (6, 6)
    assert (tracking["tracked_share"], tracking["span_share"]) == (1.0, 1.0)
    assert (tracking["people"], tracking["rejoins"], tracking["identity_jumps"]) == (1, 0, 0)
    assert tracking["chosen_by"] == "frames" and res.cut_at_s is None


def test_gait_video_errors(tmp_path):
    nobody = FakeBackend([])
    with pytest.raises(NoPersonFound, match="5 analysed frames"):
        analyze_gait_video(write_video(tmp_path / "dark.avi", 5, value=0), nobody)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        analyze_gait_video(tmp_path / "empty.mp4", nobody)
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(InputError, match="junk.mp4"):
        analyze_gait_video(tmp_path / "junk.mp4", nobody)
    with pytest.raises(InputError, match="every"):
        analyze_gait_video(tmp_path / "junk.mp4", nobody, every=0)
