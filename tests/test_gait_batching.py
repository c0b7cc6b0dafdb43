"""Frame batching for gait: ``PosePredictor.predict_many``, ``Sapiens2Backend.estimate_pose_frames``
and ``analyze_gait_video(batch=...)``.

The analysis tests run on fakes and small written videos; the model tests use the golden tiny pose
model of ../shared (skipped without it). In float32 a forward of several crops runs other matmul
kernels than single crops (heatmaps differ by ~3e-3, tests/sapiens2/test_bf16.py), so batched
results are compared with tolerances and ``max_batch=1`` exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from core import analysis
from core.analysis import analyze_gait_video
from core.backends.base import Backend, PersonBox
from core.backends.fake import FakeBackend
from core.errors import InputError
from core.keypoints import Pose
from tests.cli.scenes import write_video


class BatchedFake(FakeBackend):
    """``FakeBackend`` that also takes several frames at once, recording each call's arguments."""

    batches_frames = True

    def __init__(self, *, fail_on_call: int | None = None) -> None:
        super().__init__()
        self.groups: list[tuple[int, int]] = []
        self.fail_on_call = fail_on_call

    def estimate_pose_frames(self, images: list[np.ndarray], *, max_batch: int = 8) -> list:
        self.groups.append((len(images), max_batch))
        if len(self.groups) == self.fail_on_call:
            raise RuntimeError("model failed")
        return [self.estimate_pose(image) for image in images]


class FrameByFrame(Backend):
    """A lite-like backend that sees frames one by one (no ``batches_frames``): records the
    timestamps it is given and whether the frames came inside its video session."""

    def __init__(self) -> None:
        self.seen_ms: list[int | None] = []
        self.in_session = False
        self.sessions = 0
        self.outside_session = 0

    @contextlib.contextmanager
    def video_session(self) -> Iterator[FrameByFrame]:
        self.sessions += 1
        self.in_session = True
        try:
            yield self
        finally:
            self.in_session = False

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None) -> list[Pose]:
        self.seen_ms.append(timestamp_ms)
        self.outside_session += not self.in_session
        return FakeBackend().estimate_pose(image)

    def describe(self) -> dict[str, object]:
        return {"backend": "frame-by-frame"}


@pytest.fixture
def decoded(monkeypatch) -> dict[str, object]:
    """Counts the frames ``analyze_gait_video`` decodes (``indices``) and whether the source closed."""
    record: dict[str, object] = {"indices": [], "closed": False}
    real = analysis.iter_frames

    def counting(path, **kwargs):
        try:
            for frame in real(path, **kwargs):
                record["indices"].append(frame.index)
                yield frame
        finally:
            record["closed"] = True

    monkeypatch.setattr(analysis, "iter_frames", counting)
    return record


# -- analyze_gait_video(batch=...) on fakes -------------------------------------------------------
def test_batched_backend_gets_groups_in_order_and_the_last_partial_one(tmp_path, decoded):
    video = write_video(tmp_path / "w.avi", 12, fps=10.0, size=(64, 48))
    backend = BatchedFake()
    progress = []
    res = analyze_gait_video(
        video, backend, every=2, batch=4, progress=lambda d, t: progress.append((d, t))
    )
    # 12 frames, every 2nd -> 6 analysed: one group of 4, then the partial group of 2.
    assert backend.groups == [(4, 4), (2, 4)]
    assert res.n_frames == 6 and res.series.frame_index.tolist() == [0, 2, 4, 6, 8, 10]
    assert_allclose(res.series.time_s, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], atol=1e-6)
    assert progress == [(i, 6) for i in range(1, 7)]
    assert decoded["indices"] == [0, 2, 4, 6, 8, 10]  # each sampled frame decoded exactly once
    assert decoded["closed"]

    single = BatchedFake()
    ref = analyze_gait_video(video, single, every=2, batch=1)
    assert single.groups == [] and single.calls == 6  # batch=1: estimate_pose per frame, as before
    assert_array_equal(res.series.xy, ref.series.xy)
    assert_array_equal(res.series.time_s, ref.series.time_s)


def test_batch_larger_than_the_video_is_one_partial_group(tmp_path):
    backend = BatchedFake()
    res = analyze_gait_video(write_video(tmp_path / "w.avi", 5), backend, batch=16)
    assert backend.groups == [(5, 16)] and res.n_frames == 5


def test_failure_mid_video_closes_the_frames(tmp_path, decoded):
    backend = BatchedFake(fail_on_call=2)
    with pytest.raises(RuntimeError, match="model failed"):
        analyze_gait_video(write_video(tmp_path / "w.avi", 40), backend, batch=2)
    assert decoded["closed"]
    # Stopped early: the 4 frames used, at most 4 decoded ahead and one in hand, not all 40.
    assert len(decoded["indices"]) <= 9


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_bad_batch_values_are_input_errors(tmp_path, bad):
    with pytest.raises(InputError, match="frames per pose call must be a whole number >= 1"):
        analyze_gait_video(tmp_path / "missing.mp4", FakeBackend(), batch=bad)


def test_frame_by_frame_backend_ignores_batch(tmp_path, decoded):
    video = write_video(tmp_path / "w.avi", 12, fps=10.0)
    backend = FrameByFrame()
    progress = []
    res = analyze_gait_video(
        video, backend, every=2, batch=3, progress=lambda d, t: progress.append(d)
    )
    # Every frame on its own, with its timestamp, inside the one video session.
    assert backend.seen_ms == [0, 200, 400, 600, 800, 1000]
    assert backend.sessions == 1 and backend.outside_session == 0
    assert progress == [1, 2, 3, 4, 5, 6] and res.n_frames == 6
    assert decoded["indices"] == [0, 2, 4, 6, 8, 10]


# -- the golden tiny pose model -------------------------------------------------------------------
@pytest.fixture(scope="module")
def predictor():
    from core.sapiens2.predictor import PosePredictor
    from tests.sapiens2.golden import golden_model

    return PosePredictor(golden_model("pose"))


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    sizes = [(90, 70), (60, 80), (100, 50), (75, 75), (64, 48)]
    return [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in sizes]


def _forward_sizes(monkeypatch, predictor) -> list[int]:
    """Record how many crops each forward gets (``_heatmap_views``: what ``heatmaps`` and
    ``predict_many`` run)."""
    sizes: list[int] = []
    real = type(predictor)._heatmap_views

    def spy(batch, **kwargs):
        sizes.append(len(batch))
        return real(predictor, batch, **kwargs)

    monkeypatch.setattr(predictor, "_heatmap_views", spy)
    return sizes


def _assert_same(a, b) -> None:
    assert_array_equal(a.keypoints, b.keypoints)
    assert_array_equal(a.scores, b.scores)
    assert_array_equal(a.boxes_xyxy, b.boxes_xyxy)


@pytest.mark.shared
def test_predict_many_with_max_batch_1_is_predict_per_image(predictor, images):
    boxes = [None, np.array([[5, 5, 60, 55]]), None, np.zeros((0, 4)), np.array([[0, 0, 40, 60]])]
    many = predictor.predict_many(images, boxes, max_batch=1)
    assert len(many) == len(images)
    for image, b, got in zip(images, boxes, many):
        _assert_same(got, predictor.predict(image, b))
    assert many[3].keypoints.shape == (0, 308, 2) and many[3].scores.shape == (0, 308)
    assert many[0].keypoints.shape == (1, 308, 2)


@pytest.mark.shared
def test_predict_many_chunks_crops_across_images(predictor, images, monkeypatch):
    # 1 + 2 + 0 + 1 + 1 = 5 crops in image order, max_batch 2 -> forwards of 2, 2 and 1 crops.
    two = np.array([[0, 0, 30, 50], [10, 5, 55, 40]], np.float32)
    boxes = [None, two, np.zeros((0, 4)), None, None]
    sizes = _forward_sizes(monkeypatch, predictor)
    many = predictor.predict_many(images, boxes, max_batch=2)
    assert sizes == [2, 2, 1]
    assert [len(r.keypoints) for r in many] == [1, 2, 0, 1, 1]
    assert_array_equal(many[1].boxes_xyxy, two)
    monkeypatch.undo()
    for image, b, got in zip(images, boxes, many):
        want = predictor.predict(image, b)
        # Other matmul kernels per batch size: scores are heatmap maxima, equal to ~1e-3. The tiny
        # model's keypoints are ill-conditioned where a heatmap is flat (DARK refinement divides by
        # its curvature), so only the typical one is compared.
        assert_allclose(got.scores, want.scores, atol=1e-2, rtol=0)
        if len(want.keypoints):
            shift = np.linalg.norm(got.keypoints - want.keypoints, axis=-1)
            assert np.median(shift) < 0.5


@pytest.mark.shared
def test_predict_is_one_forward_per_image(predictor, images, monkeypatch):
    # As before batching: all of an image's crops in one forward, whatever their number.
    boxes = np.array([[0, 0, 30, 50]] * 10, np.float32)
    sizes = _forward_sizes(monkeypatch, predictor)
    result = predictor.predict(images[0], boxes)
    predictor.predict(images[1])
    empty = predictor.predict(images[2], np.zeros((0, 4)))
    assert sizes == [10, 1] and result.keypoints.shape == (10, 308, 2)
    assert empty.keypoints.shape == (0, 308, 2) and empty.boxes_xyxy.shape == (0, 4)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_batch": 0}, "max_batch"), ({"max_batch": 1.5}, "max_batch"), ({}, "2 images but 1")],
)
def test_predict_many_rejects_bad_arguments(predictor, images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        predictor.predict_many(images[:2], [None] * (2 if kwargs else 1), **kwargs)


class BoxDetector(Backend):
    """A detector double: per call, the next frame's boxes (smallest first, to check the order)."""

    name = "boxes"

    def __init__(self, per_frame: list[list[PersonBox]]) -> None:
        self.per_frame = list(per_frame)

    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        return list(self.per_frame.pop(0))


def _poses_equal(a: list[Pose], b: list[Pose]) -> None:
    assert [p.box_xyxy for p in a] == [p.box_xyxy for p in b]
    for p, q in zip(a, b):
        assert_array_equal(p.xy, q.xy)
        assert_array_equal(p.scores, q.scores)
        assert_array_equal(p.source_xy, q.source_xy)
        assert (p.backend, p.model, p.threshold) == (q.backend, q.model, q.threshold)


@pytest.mark.shared
def test_estimate_pose_frames_with_max_batch_1_is_estimate_pose(predictor, images, monkeypatch):
    from core.backends.sapiens2 import Sapiens2Backend

    # One box per frame (a gait video's subject), one frame with nobody detected (whole image).
    per_frame = [
        [PersonBox((5, 5, 60, 80), 0.9)],
        [],
        [PersonBox((0, 0, 45, 50), 0.8)],
        [PersonBox((10, 10, 70, 70), 0.7)],
        [PersonBox((2, 3, 40, 60), 0.6)],
    ]
    want = [
        Sapiens2Backend(
            predictors={"pose": predictor}, detector=BoxDetector([boxes])
        ).estimate_pose(image)
        for image, boxes in zip(images, per_frame)
    ]
    backend = Sapiens2Backend(predictors={"pose": predictor}, detector=BoxDetector(per_frame))
    sizes = _forward_sizes(monkeypatch, predictor)
    got = backend.estimate_pose_frames(images, max_batch=1)
    assert sizes == [1] * 5 and len(got) == 5
    for g, w in zip(got, want):
        _poses_equal(g, w)
    assert got[1][0].box_xyxy == (0.0, 0.0, 79.0, 59.0)  # nobody found: (0, 0, W - 1, H - 1)


@pytest.mark.shared
def test_estimate_pose_frames_orders_boxes_and_batches(predictor, images, monkeypatch):
    from core.backends.sapiens2 import Sapiens2Backend

    small, big = PersonBox((10, 10, 30, 40), 0.9), PersonBox((0, 0, 60, 80), 0.8)
    backend = Sapiens2Backend(
        predictors={"pose": predictor}, detector=BoxDetector([[small, big], [small]])
    )
    sizes = _forward_sizes(monkeypatch, predictor)
    got = backend.estimate_pose_frames(images[:2], max_batch=8)
    assert sizes == [3]  # both frames' three crops in one forward
    assert [[p.box_xyxy for p in poses] for poses in got] == [[big.xyxy, small.xyxy], [small.xyxy]]
    assert all(p.backend == "sapiens2" for poses in got for p in poses)


@pytest.mark.slow
@pytest.mark.shared
def test_gait_video_batched_matches_frame_by_frame(predictor, decoded, monkeypatch):
    from core.backends.sapiens2 import Sapiens2Backend
    from tests.conftest import shared_path

    video = shared_path("data", "walking_side_view.mp4")
    # detector=None and no seg model: one whole-frame box per frame, so one crop per frame.
    backend = Sapiens2Backend(predictors={"pose": predictor}, detector=None)
    ref = analyze_gait_video(video, backend, every=23)
    decoded["indices"].clear()

    groups: list[tuple[int, int]] = []
    returned: list[list[Pose]] = []
    real = backend.estimate_pose_frames

    def spy(images, *, max_batch=8):
        groups.append((len(images), max_batch))
        poses = real(images, max_batch=max_batch)
        returned.extend(poses)
        return poses

    monkeypatch.setattr(backend, "estimate_pose_frames", spy)
    progress = []
    res = analyze_gait_video(
        video, backend, every=23, batch=3, progress=lambda d, t: progress.append((d, t))
    )
    # 230 frames, every 23rd -> 10 analysed: groups of 3, 3, 3 and the last 1.
    assert groups == [(3, 3), (3, 3), (3, 3), (1, 3)]
    assert res.n_frames == ref.n_frames == 10
    assert (
        res.series.frame_index.tolist()
        == ref.series.frame_index.tolist()
        == list(range(0, 230, 23))
    )
    assert_array_equal(res.series.time_s, ref.series.time_s)
    assert progress == [(i, 10) for i in range(1, 11)]
    assert decoded["indices"] == list(range(0, 230, 23)) and decoded["closed"]
    # The series holds exactly the poses the batched calls returned, frame by frame.
    assert_array_equal(res.series.xy, np.stack([poses[0].xy for poses in returned]))
    # And they are the frame-by-frame ones up to the float32 batch noise (see the module docstring).
    both = np.isfinite(res.series.xy) & np.isfinite(ref.series.xy)
    assert both.mean() > 0.5
    assert np.median(np.abs(res.series.xy - ref.series.xy)[both]) < 0.5
