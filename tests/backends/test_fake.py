"""The fake backend: deterministic poses from given skeletons, honestly named."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.backends.base import Capability, PersonBox
from core.backends.fake import FakeBackend, standing_skeleton
from core.errors import InputError, UnsupportedCapability


def test_default_skeleton_fits_the_image():
    backend = FakeBackend()
    assert "test double" in backend.name
    (pose,) = backend.estimate_pose(np.zeros((200, 100, 3), np.uint8))
    # 80% of 200 px tall, top at (200 - 160) / 2 = 20: nose at y = 20 + 0.06 * 160 = 29.6, x = 50
    assert_allclose(pose.point("nose"), [50.0, 29.6])
    assert pose.has("neck") and pose.has("mid_hip")
    assert pose.point("left_shoulder")[1] < pose.point("left_hip")[1]


def test_people_are_sorted_largest_first_and_boxes_filter():
    small = standing_skeleton(100, 100, fill=0.2)
    big = {n: (x + 200, y) for n, (x, y) in standing_skeleton(100, 100, fill=0.9).items()}
    backend = FakeBackend([small, big])
    image = np.zeros((100, 400, 3), np.uint8)
    poses = backend.estimate_pose(image)
    assert poses[0].point("nose")[0] == pytest.approx(250.0)  # the big one, shifted by 200
    only_small = backend.estimate_pose(image, [PersonBox((0, 0, 100, 100))])
    assert len(only_small) == 1 and only_small[0].point("nose")[0] == pytest.approx(50.0)
    assert len(backend.detect_people(image)) == 2


def test_motion_drives_video_frames():
    def walk(t_ms):  # moves 1 px per ms to the right
        return [{n: (x + t_ms, y) for n, (x, y) in standing_skeleton(100, 100).items()}]

    backend = FakeBackend(motion=walk)
    image = np.zeros((100, 300, 3), np.uint8)
    a = backend.estimate_pose(image, timestamp_ms=0)[0].point("nose")
    b = backend.estimate_pose(image, timestamp_ms=40)[0].point("nose")
    assert_allclose(b - a, [40.0, 0.0])


def test_segment_and_capabilities():
    backend = FakeBackend()
    seg = backend.segment(np.zeros((100, 100), np.uint8))  # grayscale accepted
    assert seg.class_names == ("Background", "Person")
    assert seg.person_mask[50, 50]  # the trunk runs through the centre
    assert not seg.person_mask[0, 0]
    assert backend.supports(Capability.PERSON_MASK) and not backend.supports(Capability.NORMALS)
    with pytest.raises(UnsupportedCapability):
        backend.estimate_normals(np.zeros((4, 4, 3), np.uint8))


def test_bad_skeleton_names_raise():
    with pytest.raises(InputError, match="knee_cap"):
        FakeBackend([{"knee_cap": (1.0, 2.0)}])
