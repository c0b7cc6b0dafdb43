"""Full pre + post paths against the official ones (golden *_fullpath.npz), through the predictors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from core.errors import InputError
from core.sapiens2 import preprocess as pre
from core.sapiens2.predictor import NormalPredictor, PointmapPredictor, PosePredictor, SegPredictor
from tests.sapiens2.golden import golden_arrays, golden_model


@pytest.fixture(scope="module")
def pose_path() -> dict[str, np.ndarray]:
    return golden_arrays("pose_tiny_fullpath.npz")


@pytest.fixture(scope="module")
def pose_predictor() -> PosePredictor:
    return PosePredictor(golden_model("pose"))


def test_pose_box_selection_and_center_scale(pose_path) -> None:
    boxes, _ = pre.select_boxes(pose_path["det_bboxes_xyxy"], pose_path["det_scores"])
    assert_array_equal(boxes, pose_path["bboxes_xyxy"])  # third box (score 0.2) dropped
    center, scale = pre.bbox_center_scale(boxes, input_hw=(64, 48))
    assert_allclose(center, pose_path["bbox_center"], atol=0)
    assert_allclose(scale, pose_path["bbox_scale"], atol=0)


def test_pose_crops_and_model_input(pose_path) -> None:
    center, scale = pose_path["bbox_center"], pose_path["bbox_scale"]
    crops = np.stack(
        [
            pre.crop_person(pose_path["image_rgb"], c, s, input_hw=(64, 48))
            for c, s in zip(center, scale)
        ]
    )
    # Official crops are BGR; OpenCV warps act per channel, so ours are the same pixels reversed.
    assert_array_equal(crops, pose_path["crops_bgr"][..., ::-1])
    assert_allclose(pre.normalize(crops).numpy(), pose_path["model_input"], atol=1e-6, rtol=0)


def test_pose_flip_test_heatmaps(pose_path, pose_predictor) -> None:
    x = torch.from_numpy(pose_path["model_input"])
    assert_allclose(
        pose_predictor.forward(x).numpy(), pose_path["heatmaps_plain"], atol=1e-2, rtol=0
    )
    assert_allclose(
        pose_predictor.forward(x.flip(-1)).numpy(),
        pose_path["heatmaps_flipped_input"],
        atol=1e-2,
        rtol=0,
    )
    assert_allclose(pose_predictor.heatmaps(x), pose_path["heatmaps_avg"], atol=1e-2, rtol=0)


def test_pose_keypoints_in_image_pixels(pose_path, pose_predictor) -> None:
    result = pose_predictor.predict(pose_path["image_rgb"], pose_path["bboxes_xyxy"])
    stable = pose_path["stable_mask"]
    # README tolerance on the well-conditioned keypoints: ~5e-2 image px; scores everywhere 1e-2.
    assert_allclose(result.keypoints[stable], pose_path["keypoints"][stable], atol=5e-2, rtol=0)
    assert_allclose(result.scores, pose_path["keypoint_scores"], atol=1e-2, rtol=0)
    assert (
        result.keypoints.shape == (2, 308, 2)
        and result.device == "cpu"
        and result.dtype == "float32"
    )


def test_pose_without_boxes_uses_whole_image(pose_predictor) -> None:
    image = np.zeros((80, 60, 3), np.uint8)
    result = pose_predictor.predict(image)
    assert_array_equal(result.boxes_xyxy, [[0, 0, 59, 79]])
    assert result.keypoints.shape == (1, 308, 2)


@pytest.mark.parametrize("prefix", ["small", "large"])
def test_seg_fullpath(prefix: str) -> None:
    d = golden_arrays("seg_tiny_fullpath.npz")
    image = d[f"{prefix}_image_rgb"]
    resized = pre.resize_stretch(image, input_hw=(64, 48))
    assert_array_equal(resized, d[f"{prefix}_resized_bgr"][..., ::-1])
    assert_allclose(pre.normalize(resized).numpy(), d[f"{prefix}_model_input"], atol=1e-6, rtol=0)
    result = SegPredictor(golden_model("seg")).predict(image)
    assert result.class_map.dtype == np.uint8 and result.class_map.shape == image.shape[:2]
    assert (result.class_map != d[f"{prefix}_class_map"]).sum() <= 3  # README: "a few" pixels


@pytest.mark.parametrize("prefix", ["square", "large"])
def test_normal_fullpath(prefix: str) -> None:
    d = golden_arrays("normal_tiny_fullpath.npz")
    image = d[f"{prefix}_image_rgb"]
    padded, padding = pre.letterbox(image, input_hw=(128, 96))
    assert_array_equal(padded, d[f"{prefix}_padded_bgr"][..., ::-1])
    assert padding == tuple(d[f"{prefix}_padding_ltrb"])
    result = NormalPredictor(golden_model("normal")).predict(image)
    assert_allclose(result.normals, d[f"{prefix}_normal_hwc"], atol=1e-4, rtol=0)


def test_pointmap_fullpath() -> None:
    d = golden_arrays("pointmap_tiny_fullpath.npz")
    padded, padding = pre.letterbox(d["image_rgb"], input_hw=(192, 144))
    assert_array_equal(padded, d["padded_bgr"][..., ::-1])
    assert padding == tuple(d["padding_ltrb"])
    result = PointmapPredictor(golden_model("pointmap")).predict(d["image_rgb"])
    assert_allclose(result.scale, d["raw_scale"][0, 0], atol=1e-4)
    assert_allclose(result.xyz, d["pointmap_metric_hwc"], atol=1e-3, rtol=0)
    assert_allclose(result.depth, d["depth"], atol=1e-3, rtol=0)


def test_bf16_dtype_is_recorded_and_close() -> None:
    d = golden_arrays("seg_tiny_fullpath.npz")
    result = SegPredictor(golden_model("seg"), dtype=torch.bfloat16).predict(d["large_image_rgb"])
    assert result.dtype == "bfloat16" and result.device == "cpu"
    # bf16 matmuls move logits a little; most pixels keep their class.
    assert (result.class_map == d["large_class_map"]).mean() > 0.8


def test_bad_image_rejected(pose_predictor) -> None:
    with pytest.raises(InputError, match="RGB uint8"):
        pose_predictor.predict(np.zeros((10, 10), np.float32))


def test_wrong_task_model_rejected() -> None:
    with pytest.raises(InputError, match="seg model cannot be used by PosePredictor"):
        PosePredictor(golden_model("seg"))


def test_load_predictor_resolves_builds_on_meta_and_records(tmp_path, monkeypatch) -> None:
    from core.config import load_settings
    from core.sapiens2.device import dtype_name, pick_dtype
    from core.sapiens2.predictor import load_predictor
    from tests.conftest import shared_path

    # The official layout <root>/<task>/sapiens2_<size>_<task>.safetensors, here a link to the golden file.
    target = tmp_path / "root" / "seg" / "sapiens2_tiny_seg.safetensors"
    target.parent.mkdir(parents=True)
    target.symlink_to(shared_path("sapiens2", "golden", "seg_tiny.safetensors"))
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = load_settings({"SAPIENS2_CHECKPOINT_ROOT": str(tmp_path / "root")})
    p = load_predictor("seg", "tiny", settings=settings, device="cpu")
    assert isinstance(p, SegPredictor)
    assert p.describe()["dtype"] == dtype_name(
        pick_dtype("cpu", "auto")
    )  # auto follows the CPU flags
    d = golden_arrays("seg_tiny_fullpath.npz")
    forced = load_predictor("seg", "tiny", settings=settings, device="cpu", dtype="float32")
    result = forced.predict(d["small_image_rgb"])
    assert result.dtype == "float32"
    assert (result.class_map != d["small_class_map"]).sum() <= 3
