"""The analysis glue, against fake backend/measurement modules (tests/cli/fakes.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.analysis import analyze_gait_video, analyze_posture
from core.errors import InputError, NoPersonFound
from tests.cli import fakes


def _video(path, n, *, bright=True, fps=10.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for _ in range(n):
        w.write(np.full((48, 64, 3), 200 if bright else 0, np.uint8))
    w.release()
    return path


def test_posture_measures_largest_person(monkeypatch):
    backend = fakes.install(monkeypatch)
    res = analyze_posture(np.full((100, 300, 3), 128, np.uint8), backend)
    # The largest fake person has its left knee at x=200 -> fake left knee angle 200.
    assert res.measures["left_knee_angle_deg"] == 200.0
    assert res.backend_info["backend"] == "fake (test double)"
    assert list(res.rows.columns) == ["frame", "time_s", "metric", "side", "value", "unit"]
    assert len(res.rows) == len(fakes.POSTURE_KEYS)


def test_posture_point_picks_the_other_person(monkeypatch):
    backend = fakes.install(monkeypatch)
    # Person 2's box is (0, 0, 40, 100): point (20, 50) lies in it and its left knee x is 20.
    res = analyze_posture(np.full((100, 300, 3), 128, np.uint8), backend, point=(20, 50))
    assert res.measures["left_knee_angle_deg"] == 20.0
    with pytest.raises(NoPersonFound, match="at 100,50"):
        analyze_posture(np.full((100, 300, 3), 128, np.uint8), backend, point=(100, 50))


def test_posture_no_person_and_bad_image(monkeypatch):
    backend = fakes.install(monkeypatch)
    with pytest.raises(NoPersonFound):
        analyze_posture(np.zeros((10, 10, 3), np.uint8), backend)
    with pytest.raises(InputError, match="RGB"):
        analyze_posture(np.zeros((10, 10), np.uint8), backend)
    with pytest.raises(InputError, match="uint8"):
        analyze_posture(np.zeros((10, 10, 3), np.float32), backend)


def test_gait_video_tracks_and_counts_frames(monkeypatch, tmp_path):
    backend = fakes.install(monkeypatch)
    seen = []
    res = analyze_gait_video(
        _video(tmp_path / "w.avi", 12), backend, every=2, progress=lambda d, t: seen.append((d, t))
    )
    # 12 frames, every 2nd -> 6 analysed frames; timestamps 0, 200, ... 1000 ms at 10 fps.
    assert res.n_frames == 6 and len(res.series) == 6
    assert res.series.frame_index.tolist() == [0, 2, 4, 6, 8, 10]
    assert backend.timestamps == [0, 200, 400, 600, 800, 1000]
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert res.series.frame_size == (64, 48)
    assert res.result.to_dict()["warnings"] == ["too few steps for events"]


def test_gait_video_errors(monkeypatch, tmp_path):
    backend = fakes.install(monkeypatch)
    with pytest.raises(NoPersonFound, match="5 analysed frames"):
        analyze_gait_video(_video(tmp_path / "dark.avi", 5, bright=False), backend)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        analyze_gait_video(tmp_path / "empty.mp4", backend)
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(InputError):
        analyze_gait_video(tmp_path / "junk.mp4", backend)
    with pytest.raises(InputError, match="every"):
        analyze_gait_video(tmp_path / "junk.mp4", backend, every=0)
