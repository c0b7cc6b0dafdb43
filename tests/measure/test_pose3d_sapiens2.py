"""The 3D path through the real Sapiens2 code: the pointmap post-processing on a rendered scene,
and the pose, seg and pointmap predictors on the golden tiny models feeding ``analyze_3d``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.keypoints import Pose
from core.measure.pose3d_measures import analyze_3d
from core.sapiens2 import preprocess as pre
from core.sapiens2.postprocess import metric_pointmap
from tests.measure.test_pose3d import ALWAYS, OPEN
from tests.scenes.render import Camera, render
from tests.scenes.skeleton import build_skeleton
from tests.scenes.truth import true_measures


def test_scene_through_the_pointmap_post_processing():
    """SPEC.md 5.4: the head outputs XYZ x scale (scale = 768 / fx at network resolution) in the
    letterboxed frame; ``metric_pointmap`` divides, crops the padding and resizes to the image."""
    cam = Camera(yaw_deg=20.0, pitch_deg=10.0, width=240, height=300)
    scene = render(build_skeleton(OPEN), cam)
    input_hw = (640, 480)  # a network size whose letterbox of 300 x 240 is 2x with padding
    _, (left, top, right, bottom) = pre.letterbox(
        np.zeros((300, 240, 3), np.uint8), input_hw=input_hw
    )
    assert (left, right) == (0, 0) and top + bottom == 40
    # The same camera at the network's 2x resolution (pixel centres: x2 = 2 x + 0.5).
    net_cam = dataclasses.replace(cam, width=480, height=600, focal_px=2 * cam.focal_px)
    net = render(build_skeleton(OPEN), net_cam)
    scale = 768.0 / net_cam.focal_px
    raw = np.zeros((3, *input_hw), np.float32)
    raw[:, top : top + 600, :] = np.moveaxis(net.xyz, -1, 0) * scale
    xyz = metric_pointmap(
        torch.from_numpy(raw),
        torch.tensor([[scale]]),
        padding_ltrb=(left, top, right, bottom),
        out_hw=(300, 240),
    ).numpy()
    # Bilinear 2x down without antialiasing averages two neighbouring rays: millimetres on a
    # surface, "flying" points only at silhouettes.
    assert np.median(np.abs(xyz - scene.xyz)) < 0.003
    _, _, got = analyze_3d(scene.xy, xyz, scene.class_map, stature_m=1.75)
    truth = true_measures(scene)
    for name in ALWAYS:
        # 1 degree as on the direct render; the resize moves surface points by ~1 mm.
        assert abs(got.values[name] - truth.values[name]) < 1.0, name


@pytest.fixture(scope="module")
def golden():
    from tests.sapiens2.golden import golden_arrays, golden_model

    return golden_arrays, golden_model


def test_golden_tiny_models_end_to_end(golden):
    """Plumbing only: the tiny random models' numbers mean nothing, but every output of the path
    is either a number or NaN with a reason, for every 3D measure."""
    from core.sapiens2.predictor import PointmapPredictor, PosePredictor, SegPredictor

    golden_arrays, golden_model = golden
    image = golden_arrays("pointmap_tiny_fullpath.npz")["image_rgb"]
    pose_result = PosePredictor(golden_model("pose")).predict(image)
    pose = Pose.from_sapiens2(
        pose_result.keypoints[0], pose_result.scores[0], model="tiny", threshold=0.0
    )
    class_map = SegPredictor(golden_model("seg")).predict(image).class_map
    xyz = PointmapPredictor(golden_model("pointmap")).predict(image).xyz
    assert xyz.shape == (*image.shape[:2], 3) and class_map.shape == image.shape[:2]
    points, floor, got = analyze_3d(pose.xy, xyz, class_map)
    assert points.xyz.shape == (len(pose.xy), 3)
    for i, p in enumerate(points.xyz):
        assert np.all(np.isfinite(p)) or points.reasons[i], i
    assert isinstance(floor, str) or np.isclose(np.linalg.norm(floor.normal), 1.0)
    assert set(ALWAYS) <= set(got.values)
    for name, value in got.values.items():
        assert np.isfinite(value) or name in got.reasons, name
