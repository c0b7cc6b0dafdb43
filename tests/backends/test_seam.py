"""The backend seam (core.backends.base.Backend): every operation the callers use is declared,
a backend without one says so with ``UnsupportedCapability``, ``capabilities`` matches what a
backend overrides, and the flip test is asked per call, not switched on a shared backend."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.analysis import analyze_posture
from core.backends.base import Backend, Capability, inference_lock
from core.backends.fake import FakeBackend
from core.errors import UnsupportedCapability
from core.keypoints import Pose
from core.sapiens2.results import PoseResult
from tests.cli.scenes import SMALL

IMAGE = np.zeros((64, 48, 3), np.uint8)

#: The operation of each capability: what a caller runs when ``supports(cap)`` holds.
OPERATIONS = {
    Capability.PEOPLE: lambda b: b.detect_people(IMAGE),
    Capability.POSE: lambda b: b.estimate_pose(IMAGE),
    Capability.PERSON_MASK: lambda b: b.segment(IMAGE),
    Capability.NORMALS: lambda b: b.estimate_normals(IMAGE),
    Capability.FACES: lambda b: b.detect_faces(IMAGE),
    Capability.HANDS: lambda b: b.detect_hands(IMAGE),
    Capability.POINTMAP: lambda b: b.task_predictor("pointmap"),
}


class Bare(Backend):
    """A backend that overrides nothing."""

    name = "bare"


def test_every_capability_has_an_operation() -> None:
    # BODY_PARTS is segment() again (Sapiens2's 29 classes instead of the person mask).
    assert set(OPERATIONS) | {Capability.BODY_PARTS} == set(Capability)


@pytest.mark.parametrize("cap", list(OPERATIONS), ids=lambda c: c.value)
def test_a_backend_lacking_an_operation_says_so_and_names_one_that_has_it(cap: Capability) -> None:
    with pytest.raises(UnsupportedCapability, match=r"the bare backend cannot provide .*; use "):
        OPERATIONS[cap](Bare())


@pytest.mark.parametrize("cap", list(OPERATIONS), ids=lambda c: c.value)
def test_the_fake_backend_does_what_it_declares_and_refuses_the_rest(cap: Capability) -> None:
    backend = FakeBackend([SMALL])
    if backend.supports(cap):
        OPERATIONS[cap](backend)  # no error: it implements what it declares
    else:
        with pytest.raises(UnsupportedCapability, match=f"cannot provide {cap.value}"):
            OPERATIONS[cap](backend)


def test_the_natural_fallbacks_of_the_base_class() -> None:
    backend = FakeBackend([SMALL])
    frames = [IMAGE, IMAGE, IMAGE]
    # estimate_pose_frames: one estimate_pose per frame, in order; not a batching backend.
    assert not backend.batches_frames
    per_frame = backend.estimate_pose_frames(frames, max_batch=2)
    assert len(per_frame) == 3 and backend.calls == 3
    assert all(np.array_equal(p[0].xy, per_frame[0][0].xy) for p in per_frame)
    # find_people: the one-pass detection; video_session: the backend itself, nothing to reset.
    found = backend.find_people(IMAGE)
    assert found.found_by == "full_image" and len(found.poses) == 1
    with backend.video_session() as session:
        assert session is backend
    # No flip test: run_info is describe(), whatever a call asked for.
    assert backend.flip_test is None and backend.run_info(flip_test=False) == backend.describe()


def test_the_one_inference_lock_is_core_s_and_the_app_s() -> None:
    from core import analysis
    from core.app import resources

    assert analysis.inference_lock is inference_lock and resources.inference_lock is inference_lock
    backend = FakeBackend()
    with inference_lock(backend), inference_lock(backend):  # reentrant: analysis takes it again
        analyze_posture(np.zeros((120, 80, 3), np.uint8), backend)


# -- per-call flip test on one shared Sapiens2 backend --------------------------------------------
class _FlipPose:
    """A Sapiens2 pose head double: answers with one person whose keypoint scores are 0.9 when
    asked for the flip test and 0.6 without. The first call of each of two threads waits inside
    for the other's, so the two threads are in the model at the same time at least once."""

    name = "flip-pose"
    task = "pose"
    flip_test = True
    device, dtype = "cpu", "float32"

    def __init__(self, threads: int = 1) -> None:
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()
        self._meet = threading.Barrier(threads)
        self._met: set[int] = set()

    def predict(self, image, boxes_xyxy=None, *, flip_test=None, views=False) -> PoseResult:  # noqa: ANN001
        flip = self.flip_test if flip_test is None else flip_test
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            if threading.get_ident() not in self._met:
                self._met.add(threading.get_ident())
                self._meet.wait(timeout=30)
            h, w = image.shape[:2]
            kp = np.tile(np.array([[w / 2, h / 2]], np.float32), (1, 308, 1))
            scores = np.full((1, 308), 0.9 if flip else 0.6, np.float32)
            box = np.array([[0.0, 0.0, w - 1.0, h - 1.0]], np.float32)
            return PoseResult(kp, scores, box, self.name, "cpu", "float32")
        finally:
            with self._count:
                self.inside -= 1


def test_two_threads_get_the_flip_test_they_asked_for_on_one_shared_backend() -> None:
    from core.backends.sapiens2 import Sapiens2Backend

    head = _FlipPose(threads=2)
    backend = Sapiens2Backend("0.4b", predictors={"pose": head}, detector=None)
    wrong: list[tuple[bool, float]] = []

    def ask(flip: bool, n: int = 40) -> None:
        want = 0.9 if flip else 0.6
        for _ in range(n):  # no lock: the per-call option alone must keep the two apart
            (pose,) = backend.estimate_pose(IMAGE, flip_test=flip)
            got = float(np.nanmax(pose.source_scores))
            if not np.isclose(got, want):
                wrong.append((flip, got))

    threads = [threading.Thread(target=ask, args=(flip,)) for flip in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert wrong == [] and head.most_inside == 2  # the calls did overlap, and none was mixed up
    assert backend.flip_test is True  # the shared backend's own setting was never switched
    # The result records the flip test that ran, for the session key (core.sessions.key).
    assert backend.run_info(flip_test=False)["flip_test"] is False
    assert backend.run_info()["flip_test"] is True


def test_analyze_posture_records_the_flip_test_it_asked_for() -> None:
    from core.backends.sapiens2 import Sapiens2Backend

    backend = Sapiens2Backend("0.4b", predictors={"pose": _FlipPose()}, detector=None)
    image = np.zeros((120, 80, 3), np.uint8)
    fast = analyze_posture(image, backend, view="front", flip_test=False)
    full = analyze_posture(image, backend, view="front")
    assert fast.backend_info["flip_test"] is False and full.backend_info["flip_test"] is True
    assert isinstance(fast.pose, Pose) and float(
        np.nanmax(fast.pose.source_scores)
    ) == pytest.approx(0.6)
