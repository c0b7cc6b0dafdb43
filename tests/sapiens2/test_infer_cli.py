"""``python -m core infer`` end to end with the tiny golden checkpoints (``--size tiny --checkpoint``)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.cli import main
from tests.conftest import shared_path
from tests.sapiens2.golden import golden_arrays
from tests.sapiens2.test_predictor import (
    assert_keypoints,
    assert_seg_class_map,
    pose_keypoint_tolerances,
)
from tests.sapiens2.tolerance import bf16_flip_tolerance


def _png(tmp_path: Path, rgb: np.ndarray, name: str = "img.png") -> Path:
    path = tmp_path / name
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))  # PNG: lossless round trip
    return path


def _ckpt(task: str) -> str:
    return str(shared_path("sapiens2", "golden", f"{task}_tiny.safetensors"))


def test_pose_json_matches_golden_keypoints(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    d = golden_arrays("pose_tiny_fullpath.npz")
    img = _png(tmp_path, d["image_rgb"])
    argv = [
        "infer",
        str(img),
        "--task",
        "pose",
        "--size",
        "tiny",
        "--checkpoint",
        _ckpt("pose"),
        "--device",
        "cpu",
        "--dtype",
        "float32",
    ]
    # Both boxes in one batch, as the official run (batch size changes the fp32 rounding).
    for box in d["bboxes_xyxy"]:
        argv += ["--bbox", *map(str, box)]
    assert main(argv) == 0
    doc = json.loads(capfd.readouterr().out)
    assert (doc["task"], doc["device"], doc["dtype"]) == ("pose", "cpu", "float32")
    assert len(doc["instances"]) == 2
    # keypoints are rounded to 1e-3 px in the JSON (far below 5e-2); tolerances as test_predictor.py
    compared, score_tol = pose_keypoint_tolerances(d)
    keypoints = np.array([inst["keypoints"] for inst in doc["instances"]])
    assert_keypoints(keypoints, d, compared)
    scores = [inst["keypoint_scores"] for inst in doc["instances"]]
    assert_allclose(scores, d["keypoint_scores"], atol=score_tol + 5e-6)  # scores: 5 decimals


def test_seg_npy(tmp_path: Path) -> None:
    d = golden_arrays("seg_tiny_fullpath.npz")
    img = _png(tmp_path, d["large_image_rgb"], "person.png")
    out = tmp_path / "out"
    argv = [
        "infer",
        str(img),
        "--task",
        "seg",
        "--size",
        "tiny",
        "--checkpoint",
        _ckpt("seg"),
        "--out",
        str(out),
        "--dtype",
        "float32",
    ]
    assert main(argv) == 0
    assert_seg_class_map(np.load(out / "person_seg.npy"), d, "large")  # tie-aware


def test_pointmap_npy(tmp_path: Path) -> None:
    d = golden_arrays("pointmap_tiny_fullpath.npz")
    img = _png(tmp_path, d["image_rgb"])
    argv = [
        "infer",
        str(img),
        "--task",
        "pointmap",
        "--size",
        "tiny",
        "--checkpoint",
        _ckpt("pointmap"),
        "--out",
        str(tmp_path),
        "--dtype",
        "float32",
    ]
    assert main(argv) == 0
    tol = 2 * bf16_flip_tolerance(d["pointmap_metric_hwc"])  # as test_predictor.py
    assert_allclose(np.load(tmp_path / "img_depth.npy"), d["depth"], atol=tol)


def test_errors_are_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    assert main(["infer", str(bad), "--size", "tiny", "--checkpoint", _ckpt("pose")]) == 1
    assert "not an image" in capfd.readouterr().err
    img = _png(tmp_path, np.zeros((20, 20, 3), np.uint8))
    assert (
        main(["infer", str(img), "--task", "seg", "--size", "tiny", "--checkpoint", _ckpt("pose")])
        == 1
    )
    assert "this is a pose checkpoint, but a seg model was asked for" in capfd.readouterr().err
