"""Issue 15 on the shared walking video with the lite backend: the plausibility rules and the grade
keep the real walk's cadence and grade it good; its mirrored copy never gives a wrong number silently.
"""

from __future__ import annotations

import math

import cv2
import pytest

from core.analysis import analyze_gait_video
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def lite_backend():
    from dataclasses import replace

    from core.backends.lite import LiteBackend
    from core.config import load_settings

    backend = LiteBackend(replace(load_settings(), model_dir=shared_path("models")))
    yield backend
    backend.close()  # MediaPipe's native threads must stop before the interpreter does


@pytest.fixture(scope="module")
def original(lite_backend):
    return analyze_gait_video(shared_path("data", "walking_side_view.mp4"), lite_backend).result


def _rewrite(out, flip: bool):
    """The shared walk re-encoded as MJPG AVI (every OpenCV build reads it), flipped if asked."""
    cap = cv2.VideoCapture(str(shared_path("data", "walking_side_view.mp4")))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if writer is None:
            size = (frame.shape[1], frame.shape[0])
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
        writer.write(cv2.flip(frame, 1) if flip else frame)
    cap.release()
    writer.release()
    return out


@pytest.fixture(scope="module")
def mirrored(lite_backend, tmp_path_factory):
    out = _rewrite(tmp_path_factory.mktemp("mirror") / "mirrored.avi", flip=True)
    return analyze_gait_video(out, lite_backend).result


def test_a_re_encoded_copy_gives_the_same_readout(lite_backend, original, tmp_path):
    res = analyze_gait_video(_rewrite(tmp_path / "copy.avi", flip=False), lite_backend).result
    # Issue 15's target for re-encodings: within 3 steps/min, the same direction, graded alike.
    assert abs(res.cadence_spm - original.cadence_spm) <= 3.0
    assert res.walking_direction == "right_to_left" and res.quality.grade == "good"


def test_the_side_view_walk_keeps_its_cadence_and_grades_good(original):
    # Measured with the lite backend before the plausibility rules: 98.2 steps/min from 7 strikes
    # alternating L/R from 2.62 s; SOURCES.md sees ankle crossings about every 0.6 s (~100/min).
    # 97-99.5: the by-eye annotation of issue 15 (~97) and that measurement, with the 1-frame
    # (1/30 s) jitter of one of the ~0.6 s steps on each side.
    assert 97.0 <= original.cadence_spm <= 99.5
    assert original.walking_direction == "right_to_left" and original.walk.verdict == "walk"
    assert original.quality.grade == "good" and original.quality.reasons == ()
    assert sum(original.rejected["heel_strike"].values()) == 0 and original.n_steps >= 6
    assert original.warnings == []


def test_the_mirrored_walk_is_right_or_flagged(original, mirrored):
    # Whatever the tracker does with the mirrored copy, the measurement layer never reports a
    # wrong cadence silently: either it is within 3 steps/min (the target) with the opposite
    # direction, or there is no cadence and the grade says unusable.
    if math.isfinite(mirrored.cadence_spm):
        assert abs(mirrored.cadence_spm - original.cadence_spm) <= 3.0
        assert mirrored.walking_direction == "left_to_right"
    else:
        assert mirrored.quality.grade == "unusable" and mirrored.warnings


def test_the_mirrored_walk_gives_the_same_cadence_and_the_opposite_direction(original, mirrored):
    # Issue 15's target: within 3 steps/min of the original, in the opposite direction, graded good.
    assert abs(mirrored.cadence_spm - original.cadence_spm) <= 3.0
    assert mirrored.walking_direction == "left_to_right"
    assert mirrored.quality.grade == "good"
