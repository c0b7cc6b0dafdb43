"""Sapiens2Backend with the tiny golden models injected (no real weights needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from core.backends.base import Backend, Capability, PersonBox
from core.backends.sapiens2 import Sapiens2Backend
from core.config import load_settings
from core.errors import ModelNotAvailable
from core.sapiens2.classes import CLASS_NAMES
from core.sapiens2.keypoints308 import KEYPOINT_NAMES
from core.sapiens2.predictor import NormalPredictor, PosePredictor, SegPredictor
from tests.sapiens2.golden import golden_model


class BoxDetector(Backend):
    """A detector double returning fixed boxes (smallest first, to check the ordering)."""

    name = "boxes"

    def __init__(self, boxes: list[PersonBox]) -> None:
        self.boxes = boxes

    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        return list(self.boxes)


@pytest.fixture(scope="module")
def tiny() -> dict[str, object]:
    return {
        "pose": PosePredictor(golden_model("pose")),
        "seg": SegPredictor(golden_model("seg")),
        "normal": NormalPredictor(golden_model("normal")),
    }


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Empty checkpoint roots and HF cache: any real model lookup finds nothing.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    return load_settings(
        {
            "SAPIENS2_CHECKPOINT_ROOT": str(tmp_path / "ckpt"),
            "SAPIENS_CHECKPOINT_ROOT": str(tmp_path / "ckpt"),
        }
    )


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(90, 70, 3), dtype=np.uint8)


def test_pose_with_detector_boxes_largest_first(tiny, settings, image) -> None:
    small, big = PersonBox((10, 10, 30, 40), 0.9), PersonBox((0, 0, 60, 80), 0.8)
    backend = Sapiens2Backend(
        "0.4b", settings=settings, predictors=tiny, detector=BoxDetector([small, big])
    )
    poses = backend.estimate_pose(image)
    assert [p.box_xyxy for p in poses] == [big.xyxy, small.xyxy]
    direct = tiny["pose"].predict(image, np.array([big.xyxy, small.xyxy], np.float32))
    assert_allclose(poses[0].source_xy, direct.keypoints[0])
    # The canonical left wrist is Sapiens2 id 62 (SPEC 6), NaN when its score is under the threshold.
    k = KEYPOINT_NAMES.index("left_wrist")
    if direct.scores[0, k] >= settings.sapiens2_threshold:
        assert_allclose(poses[0].point("left_wrist"), direct.keypoints[0, k])
    else:
        assert np.isnan(poses[0].point("left_wrist")).all()
    assert poses[0].backend == "sapiens2" and poses[0].model == "sapiens2-0.4b"


def test_pose_given_boxes_skip_detector(tiny, settings, image) -> None:
    backend = Sapiens2Backend("0.4b", settings=settings, predictors=tiny, detector=BoxDetector([]))
    poses = backend.estimate_pose(image, [PersonBox((5, 5, 50, 70))])
    assert len(poses) == 1 and poses[0].box_xyxy == (5.0, 5.0, 50.0, 70.0)


def test_boxes_from_seg_foreground_without_detector(tiny, settings, image) -> None:
    backend = Sapiens2Backend("0.4b", settings=settings, predictors=tiny, detector=None)
    mask = tiny["seg"].predict(image).class_map > 0
    ys, xs = np.nonzero(mask)
    boxes = backend.detect_people(image)
    assert boxes == [
        PersonBox((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), 1.0)
    ]
    assert backend.estimate_pose(image)[0].box_xyxy == boxes[0].xyxy


def test_full_image_when_no_detector_and_no_seg(tiny, settings, image) -> None:
    backend = Sapiens2Backend(
        "0.4b", settings=settings, predictors={"pose": tiny["pose"]}, detector=None
    )
    poses = backend.estimate_pose(image)
    assert poses[0].box_xyxy == (0.0, 0.0, 69.0, 89.0)  # (0, 0, W - 1, H - 1)


def test_segment_and_normals_with_mask(tiny, settings, image) -> None:
    backend = Sapiens2Backend("0.4b", settings=settings, predictors=tiny, detector=None)
    seg = backend.segment(image)
    assert seg.class_names == CLASS_NAMES and seg.class_map.shape == (90, 70)
    normals = backend.estimate_normals(image)
    assert normals.normals.shape == (90, 70, 3)
    assert_array_equal(normals.mask, seg.class_map > 0)
    # Unit length at network resolution; bilinear resizing only shortens vectors.
    assert np.linalg.norm(normals.normals, axis=-1).max() <= 1 + 1e-5


def test_normals_without_seg_have_no_mask(tiny, settings, image) -> None:
    backend = Sapiens2Backend(
        "0.4b", settings=settings, predictors={"normal": tiny["normal"]}, detector=None
    )
    assert backend.estimate_normals(image).mask is None


def test_missing_weights_raise_model_not_available(settings, image) -> None:
    backend = Sapiens2Backend(
        "0.4b", settings=settings, device="cpu", dtype="float32", detector=None
    )
    with pytest.raises(ModelNotAvailable, match="fetch sapiens2 --task seg --size 0.4b"):
        backend.segment(image)


def test_describe_records_size_device_dtype(tiny, settings) -> None:
    bf16 = {"seg": SegPredictor(golden_model("seg"), dtype=torch.bfloat16)}
    info = Sapiens2Backend("1b", settings=settings, predictors=bf16, detector=None).describe()
    assert (info["backend"], info["size"], info["device"], info["dtype"]) == (
        "sapiens2",
        "1b",
        "cpu",
        "bfloat16",
    )
    plain = Sapiens2Backend("0.4b", settings=settings, device="cpu", dtype="float32", detector=None)
    assert plain.describe()["dtype"] == "float32" and plain.supports(Capability.NORMALS)


@pytest.mark.slow
def test_auto_detector_uses_lite_backend_boxes(tiny, settings) -> None:
    # With the MediaPipe models of ../shared/models, the default detector is the lite backend:
    # Sapiens2 pose boxes are exactly its person boxes.
    import dataclasses

    import cv2

    from core.backends.lite import LiteBackend
    from tests.conftest import shared_path

    settings = dataclasses.replace(settings, model_dir=shared_path("models"))
    rgb = cv2.cvtColor(
        cv2.imread(str(shared_path("data", "cameraman_standing.png"))), cv2.COLOR_BGR2RGB
    )
    lite = LiteBackend(settings)
    lite_boxes = lite.detect_people(rgb)
    lite.close()
    assert lite_boxes, "the lite detector should find the standing person"
    backend = Sapiens2Backend("0.4b", settings=settings, predictors=dict(tiny))
    poses = backend.estimate_pose(rgb)
    backend.close()
    assert [p.box_xyxy for p in poses] == [
        b.xyxy for b in sorted(lite_boxes, key=lambda b: b.area, reverse=True)
    ]


def test_flip_test_can_be_switched_off_after_loading() -> None:
    # The CLI's --fast: a loaded pose predictor follows the backend's setting.
    from core.backends.sapiens2 import Sapiens2Backend
    from core.sapiens2.predictor import PosePredictor
    from tests.sapiens2.golden import golden_model

    predictor = PosePredictor(golden_model("pose"))
    backend = Sapiens2Backend(predictors={"pose": predictor}, detector=None)
    backend.flip_test = False
    assert predictor.flip_test is False and backend.describe()["flip_test"] is False


# -- the flip test's two views (the measures' "views disagree" check, core.measure.confidence) ----
def test_a_photo_keeps_the_flip_tests_two_views(tiny, settings) -> None:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, size=(90, 71, 3), dtype=np.uint8)
    pose = tiny["pose"]
    both = pose.predict(image, flip_test=True, views=True)
    assert both.views is not None and both.views.shape == (1, 2, 308, 2)
    # The photo's own view is what the photo gives without the flip test (the same forward).
    alone = pose.predict(image, flip_test=False)
    assert_allclose(both.views[0, 0], alone.keypoints[0], atol=0)
    # The mirror's view is decoded from the mirror image's heatmaps mapped back (flip_back), and
    # placed in the image like the keypoints. (Not compared with the mirrored photo's own
    # keypoints: its crop is warped again, and this random model's flat heatmaps move argmaxes.)
    from core.sapiens2 import preprocess as pre
    from core.sapiens2.pose_decode import to_image_space, udp_decode

    boxes, centers, scales, crops = pose._crops(image, None)
    _, own, back = pose._heatmap_views(pre.normalize(np.stack(crops)), flip_test=True)
    in_wh = (pose.input_hw[1], pose.input_hw[0])
    for j, heatmaps in ((0, own), (1, back)):
        expected = to_image_space(
            udp_decode(heatmaps[0], input_size_wh=in_wh)[0][None],
            centers,
            scales,
            input_size_wh=in_wh,
        )
        assert_allclose(both.views[0, j], expected[0], atol=1e-4)
    assert not np.allclose(both.views[0, 0], both.views[0, 1])  # two views, not one twice
    # Asked for nothing, or without the flip test, there are no views; the keypoints are the same.
    plain = pose.predict(image, flip_test=True)
    assert plain.views is None and pose.predict(image, flip_test=False, views=True).views is None
    assert_array_equal(plain.keypoints, both.keypoints)
    # The backend keeps them on a photo's poses (canonical order), not on video frames'.
    backend = Sapiens2Backend("0.4b", settings=settings, predictors=tiny, detector=None)
    (photo,) = backend.estimate_pose(image)
    assert photo.flip_views is not None
    k = KEYPOINT_NAMES.index("left_wrist")
    from core.keypoints import INDEX

    if np.isfinite(photo.xy[INDEX["left_wrist"]]).all():
        assert_allclose(photo.flip_views[0][INDEX["left_wrist"]], both.views[0, 0, k])
    (frame,) = backend.estimate_pose_frames([image])[0]
    assert frame.flip_views is None
    (unflipped,) = backend.estimate_pose(image, flip_test=False)
    assert unflipped.flip_views is None


def test_a_sapiens2_measure_its_two_views_disagree_on_is_flagged() -> None:
    from core.keypoints import Pose
    from core.measure.confidence import VIEWS_DISAGREE, posture_confidence
    from core.sapiens2.keypoints308 import KEYPOINT_NAMES as NAMES

    kp, sc = np.zeros((308, 2), np.float32), np.full(308, 0.9, np.float32)
    for name, xy in {
        "left_shoulder": (100, 100),
        "left_elbow": (100, 200),
        "left_wrist": (200, 200),
    }.items():
        kp[NAMES.index(name)] = xy
    moved = kp.copy()
    moved[NAMES.index("left_wrist")] = (200, 160)  # 22 degrees off in the other view
    agree = Pose.from_sapiens2(kp, sc, model="t", views=(kp, kp))
    apart = Pose.from_sapiens2(kp, sc, model="t", views=(kp, moved))
    for pose, reason in ((agree, ""), (apart, VIEWS_DISAGREE)):
        c = posture_confidence(pose, view="front", min_score=0.5).measures["left_elbow_angle_deg"]
        assert c.reason == reason and c.reliable == (reason == "")
