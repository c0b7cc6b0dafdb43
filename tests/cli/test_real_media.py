"""The CLI end to end on real media with the lite (MediaPipe) backend and the models in ../shared."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_posture_of_the_cameraman(cli):
    code, out, err = cli(
        "posture", shared_path("data", "cameraman_standing.png"), "--backend", "lite", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert (data["backend"], data["model"]) == ("lite", "pose_landmarker_full")
    m = {name: entry["value"] for name, entry in data["measures"].items()}
    # Both arms are bent at the camera (about 131 deg left, 71 deg right when written).
    assert (
        30.0 <= m["left_elbow_angle_deg"] <= 180.0 and 30.0 <= m["right_elbow_angle_deg"] <= 180.0
    )
    # The photo is cut at the thighs: no knees, so no knee angles rather than guessed ones.
    assert m["left_knee_angle_deg"] is None and m["right_knee_angle_deg"] is None
    # Every measured value carries the lowest visibility of its points and the flag that follows.
    cut = data["min_reliable_score"]
    points = {p["name"]: p for p in data["keypoints"]}
    for entry in data["measures"].values():
        if entry["value"] is not None:
            lowest = min(points[n]["score"] for n in entry["keypoints"])
            assert entry["score"] == lowest and entry["reliable"] == (lowest >= cut)


def test_gait_of_the_side_view_walk(cli):
    # Issue 5's real-video test. Measured with the lite backend when written: cadence 98.2
    # steps/min, 7 heel strikes alternating left/right from a left one at 2.62 s, walking
    # right_to_left, step times 0.595 s left / 0.627 s right.
    code, out, err = cli(
        "gait", shared_path("data", "walking_side_view.mp4"), "--backend", "lite", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "pose_landmarker_full"
    assert 85.0 <= data["cadence_spm"] <= 115.0  # an ordinary walking cadence
    assert data["n_steps"] == len(data["heel_strikes"]) >= 5
    sides = [e["side"] for e in data["heel_strikes"]]
    assert all(a != b for a, b in zip(sides, sides[1:])), sides
    assert data["walking_direction"] == "right_to_left"


def test_posture_of_a_black_image_is_no_person(cli, tmp_path):
    black = tmp_path / "black.png"
    cv2.imwrite(str(black), np.zeros((480, 640, 3), np.uint8))
    shared_path(
        "models", "pose_landmarker_full.task"
    )  # the model must run for this to mean anything
    code, out, err = cli("posture", black, "--backend", "lite", "--json")
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].startswith("error: no person found")
