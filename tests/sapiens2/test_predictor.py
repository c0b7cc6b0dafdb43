"""Full pre + post paths against the official ones (golden *_fullpath.npz), through the predictors.

Float tolerances come from tests/sapiens2/tolerance.py (model outputs behind the bf16 RoPE: one bf16
rounding of their range); labels and keypoint argmaxes are compared tie-aware; uint8 images exactly
where OpenCV computes them in fixed point (warpAffine, INTER_LINEAR / INTER_CUBIC resize), within
one level where it weights in float (INTER_AREA at a non-integer scale).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose, assert_array_equal

from core.errors import InputError
from core.sapiens2 import preprocess as pre
from core.sapiens2.predictor import NormalPredictor, PointmapPredictor, PosePredictor, SegPredictor
from tests.sapiens2.golden import golden_arrays, golden_model
from tests.sapiens2.tolerance import (
    assert_labels_tie_aware,
    assert_within,
    bf16_flip_tolerance,
    top2_gap,
)


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


def assert_pose_heatmaps(predictor: PosePredictor, path: dict[str, np.ndarray]) -> None:
    """Plain, mirrored-input and flip-averaged heatmaps within one bf16 rounding of their range,
    and each channel's peak where the official one is, unless its runner-up is within the tolerance."""
    x = torch.from_numpy(path["model_input"])
    for got, key in (
        (predictor.forward(x).numpy(), "heatmaps_plain"),
        (predictor.forward(x.flip(-1)).numpy(), "heatmaps_flipped_input"),
        (predictor.heatmaps(x), "heatmaps_avg"),
    ):
        assert_within(got, path[key], max_tol=bf16_flip_tolerance(path[key]), err_msg=key)
    ref = path["heatmaps_avg"].reshape(2, 308, -1)
    got_peak = got.reshape(2, 308, -1).argmax(-1)
    assert_labels_tie_aware(got_peak, ref.argmax(-1), ref, axis=-1, tol=bf16_flip_tolerance(ref))


def test_pose_flip_test_heatmaps(pose_path, pose_predictor) -> None:
    assert_pose_heatmaps(pose_predictor, pose_path)


def pose_keypoint_tolerances(path: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """(keypoints to compare, score tolerance). A score is the max of its heatmap, so it moves by at
    most the heatmap tolerance; keypoints compare where the golden refinement is well conditioned
    (stable_mask) and the peak cannot change place (top-2 gap above twice the tolerance)."""
    tol = bf16_flip_tolerance(path["heatmaps_avg"])
    gap = top2_gap(path["heatmaps_avg"].reshape(2, 308, -1), axis=-1)
    return path["stable_mask"] & (gap > 2 * tol), tol


def assert_keypoints(keypoints: np.ndarray, path: dict[str, np.ndarray], mask: np.ndarray) -> None:
    """98% of the compared keypoints within the README's 5e-2 image px; all within 0.05 heatmap
    px (a twentieth of the Newton step that stable_mask allows): the DARK refinement divides a
    heatmap error by the local curvature, which is small on a few of these random heatmaps (the
    forced-AVX2 path moves one by 0.009 heatmap px, 0.13 image px)."""
    shift = np.abs(keypoints - path["keypoints"]).max(-1)  # (boxes, 308) image px
    heatmap_px = path["bbox_scale"][:, :1] / 12  # image px per heatmap px (12 heatmap columns)
    assert np.percentile(shift[mask], 98) <= 5e-2, np.sort(shift[mask])[-5:]
    worst = (shift / heatmap_px)[mask].max()
    assert worst <= 0.05, f"a keypoint moved {worst:.3g} heatmap px"


def test_pose_keypoints_in_image_pixels(pose_path, pose_predictor) -> None:
    result = pose_predictor.predict(pose_path["image_rgb"], pose_path["bboxes_xyxy"])
    stable, score_tol = pose_keypoint_tolerances(pose_path)
    assert stable.sum() >= 250  # of the 285 stable ones: the comparison still covers most
    assert_keypoints(result.keypoints, pose_path, stable)
    assert_allclose(result.scores, pose_path["keypoint_scores"], atol=score_tol, rtol=0)
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


def assert_seg_class_map(class_map: np.ndarray, d: dict[str, np.ndarray], prefix: str) -> None:
    """Tie-aware: a pixel may change class only where the golden logits, resized as the official
    post-processing does, have their two best within the logits' tolerance; elsewhere exact."""
    logits = d[f"{prefix}_logits"]
    up = F.interpolate(
        torch.from_numpy(logits), size=class_map.shape, mode="bilinear", align_corners=False
    )[0].numpy()
    assert_array_equal(up.argmax(0), d[f"{prefix}_class_map"])  # the fixture's own post-processing
    assert_labels_tie_aware(
        class_map, d[f"{prefix}_class_map"], up, axis=0, tol=bf16_flip_tolerance(logits)
    )


@pytest.mark.parametrize("prefix", ["small", "large"])
def test_seg_fullpath(prefix: str) -> None:
    d = golden_arrays("seg_tiny_fullpath.npz")
    image = d[f"{prefix}_image_rgb"]
    resized = pre.resize_stretch(image, input_hw=(64, 48))
    # small: INTER_CUBIC upscale (fixed point, exact); large: INTER_AREA (float weights, +-1 level)
    levels = np.abs(resized.astype(int) - d[f"{prefix}_resized_bgr"][..., ::-1])
    assert levels.max() <= (0 if prefix == "small" else 1)
    ref_input = d[f"{prefix}_model_input"]
    assert_allclose(pre.normalize(resized).numpy(), ref_input, atol=1e-6 + levels.max() / 57.1)
    predictor = SegPredictor(golden_model("seg"))
    logits = predictor.forward(torch.from_numpy(ref_input)).numpy()
    ref = d[f"{prefix}_logits"]
    assert_within(logits, ref, max_tol=bf16_flip_tolerance(ref), err_msg="logits")
    result = predictor.predict(image)
    assert result.class_map.dtype == np.uint8 and result.class_map.shape == image.shape[:2]
    assert_seg_class_map(result.class_map, d, prefix)


def assert_normals(predictor: NormalPredictor, d: dict[str, np.ndarray], prefix: str) -> None:
    """Raw head output within one bf16 rounding of its range; unit normals with the error weighted
    by the raw vector's length (normalising a short vector magnifies its error by 1/|v|)."""
    image = d[f"{prefix}_image_rgb"]
    raw_ref = d[f"{prefix}_raw_output"]
    raw = predictor.forward(torch.from_numpy(d[f"{prefix}_model_input"])).numpy()
    tol = bf16_flip_tolerance(raw_ref)
    assert_within(raw, raw_ref, max_tol=tol, err_msg="raw normals")
    normals = predictor.predict(image).normals
    left, top, right, bottom = (int(v) for v in d[f"{prefix}_padding_ltrb"])
    length = np.linalg.norm(raw_ref[0], axis=0)[top : 128 - bottom, left : 96 - right]
    length = cv2.resize(length, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    # |a/|a| - b/|b|| <= 2 |a - b| / |b|; the bilinear resize mixes neighbours: a factor 2 more.
    weighted = np.linalg.norm(normals - d[f"{prefix}_normal_hwc"], axis=-1) * length
    assert_within(weighted, np.zeros_like(weighted), max_tol=4 * tol, err_msg="weighted normals")


@pytest.mark.parametrize("prefix", ["square", "large"])
def test_normal_fullpath(prefix: str) -> None:
    d = golden_arrays("normal_tiny_fullpath.npz")
    image = d[f"{prefix}_image_rgb"]
    padded, padding = pre.letterbox(image, input_hw=(128, 96))
    assert_array_equal(padded, d[f"{prefix}_padded_bgr"][..., ::-1])  # INTER_LINEAR: fixed point
    assert padding == tuple(d[f"{prefix}_padding_ltrb"])
    assert_normals(NormalPredictor(golden_model("normal")), d, prefix)


def test_pointmap_fullpath() -> None:
    d = golden_arrays("pointmap_tiny_fullpath.npz")
    padded, padding = pre.letterbox(d["image_rgb"], input_hw=(192, 144))
    assert_array_equal(padded, d["padded_bgr"][..., ::-1])
    assert padding == tuple(d["padding_ltrb"])
    result = PointmapPredictor(golden_model("pointmap")).predict(d["image_rgb"])
    # pointmap and scale each within one bf16 rounding of their range: their ratio within two.
    scale_tol = bf16_flip_tolerance(d["raw_scale"])
    assert_allclose(result.scale, d["raw_scale"][0, 0], atol=scale_tol)
    xyz_tol = 2 * bf16_flip_tolerance(d["pointmap_metric_hwc"])
    assert_within(result.xyz, d["pointmap_metric_hwc"], max_tol=xyz_tol, err_msg="xyz")
    assert_within(result.depth, d["depth"], max_tol=xyz_tol, err_msg="depth")


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
    assert_seg_class_map(result.class_map, d, "small")
