"""The view and the signed angles on the real photos of ../shared/data and their horizontal mirrors,
through the lite (MediaPipe) backend: a mirrored picture must read as the mirrored view, with the
same signed angles and the left and right measures exchanged."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from core.analysis import analyze_posture
from core.errors import NoPersonFound
from core.imaging.decode import decode_image
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]

#: The issue's consistency criterion: a mirror check holds within 6 degrees.
MIRROR_TOL_DEG = 6.0
MIRRORED_VIEW = {"left": "right", "right": "left", "front": "front", "back": "back"}


@pytest.fixture(scope="module")
def lite():
    from core.backends.lite import LiteBackend
    from core.config import load_settings

    backend = LiteBackend(replace(load_settings(), model_dir=shared_path("models")))
    yield backend
    backend.close()


def _photo(name: str) -> np.ndarray:
    return decode_image(shared_path("data", name).read_bytes())


def _mirror(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def _exchanged(key: str) -> str:
    if key.startswith("left_"):
        return "right_" + key[5:]
    return "left_" + key[6:] if key.startswith("right_") else key


def _assert_mirror_consistent(a, m, keys):
    for key in keys:
        got, want = m.measures[_exchanged(key)], a.measures[key]
        assert np.isfinite(got) and np.isfinite(want), key
        assert abs(got - want) <= MIRROR_TOL_DEG, (key, want, got)


def test_cameraman_is_a_right_side_view_and_his_mirror_a_left_one(lite):
    image = _photo("cameraman_standing.png")
    a, m = analyze_posture(image, lite), analyze_posture(_mirror(image), lite)
    # He faces the image's right (SOURCES.md: a side view); his trunk is turned about 38 deg
    # toward the camera, so the reading is a best guess and says so.
    assert (a.inferred_view, a.view, m.view) == ("right", "right", "left")
    assert any("best guess" in w for w in a.warnings)
    # Leaning forward at the tripod: a forward lean (lite when written: 27.6 and 29.5 deg) and a
    # flexed near hip (43.9 / 42.1 deg), the same in the mirror with the sides exchanged. His
    # arms reach toward the camera, foreshortened: the model puts them 8-30 deg apart between
    # the two pictures, beyond the criterion, so they are not compared here.
    assert 15.0 < a.measures["forward_trunk_lean_deg"] < 45.0
    assert 20.0 < a.measures["right_hip_signed_flexion_deg"] < 70.0
    _assert_mirror_consistent(a, m, ["forward_trunk_lean_deg", "right_hip_signed_flexion_deg"])
    # The image-signed lean flips with the mirror; the forward lean does not.
    assert np.sign(a.measures["trunk_lean_deg"]) == -np.sign(m.measures["trunk_lean_deg"])


@pytest.mark.parametrize("name", ["astronaut_upper_body.png", "portrait_face_neck.jpg"])
def test_frontal_photos_stay_front_and_keep_their_labels(lite, name):
    image = _photo(name)
    for result in (analyze_posture(image, lite), analyze_posture(_mirror(image), lite)):
        assert result.view == "front"
        # Face seen and the left shoulder on the image's right: already the subject's own sides.
        assert not any("swapped" in w or "uncertain" in w for w in result.warnings)
        assert result.pose.point("left_shoulder")[0] > result.pose.point("right_shoulder")[0]


def _walk_frame(index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(shared_path("data", "walking_side_view.mp4")))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok, index
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def test_walker_frames_read_left_and_their_mirrors_right(lite):
    # She walks right to left (SOURCES.md), so she faces the image's left in every frame.
    found = 0
    for index in range(60, 200, 10):
        frame = _walk_frame(index)
        try:
            a, m = analyze_posture(frame, lite), analyze_posture(_mirror(frame), lite)
        except NoPersonFound:  # the lite detector misses her in a few frames (issue 15, item 3)
            continue
        if any(r.found_by != "full_image" or len(r.people) > 1 for r in (a, m)):
            # A second look (core/backends/crops.py) can find the man standing on the box as well
            # and measure him, the larger box (frame 70); the result's warnings say so. This test
            # is about the walker's view, so it keeps the frames where only she was found.
            continue
        found += 1
        assert (a.view, m.view) == ("left", "right"), index
    assert found >= 8  # 11 of 14 frames when written (before the second looks existed)


@pytest.mark.parametrize("index", [100, 110])
def test_walker_signed_angles_mirror(lite, index):
    # Two mid-walk frames where the model labels her legs alike in both pictures. In others it
    # swaps the legs' labels between the picture and its mirror (a side-view failure of the
    # model, measured when written: hip/knee within 6 deg in 6 of 11 frames), which this layer
    # does not correct yet. Here a sign error would show as twice the angle (lite when written,
    # frame 100: hips -29.0 / +18.6, knees 17.7 / 19.2, forward lean -8.7 deg).
    frame = _walk_frame(index)
    a, m = analyze_posture(frame, lite), analyze_posture(_mirror(frame), lite)
    keys = [f"{s}_{j}_signed_flexion_deg" for s in ("left", "right") for j in ("hip", "knee")]
    _assert_mirror_consistent(a, m, ["forward_trunk_lean_deg", *keys])
