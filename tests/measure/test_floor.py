"""RANSAC floor plane on rendered scenes: exact tilt, walls refused, calibrated tilt error."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.keypoints import INDEX
from core.measure.floor import fit_floor
from tests.measure.test_pose3d import OPEN
from tests.scenes.render import Camera, render
from tests.scenes.skeleton import build_skeleton


def _feet_row(scene) -> float:
    return float(np.nanmin(scene.xy[[INDEX["left_ankle"], INDEX["right_ankle"]], 1]))


def _tilt_error_deg(floor, scene) -> float:
    return float(np.degrees(np.arccos(np.clip(floor.normal @ scene.up_cam, -1.0, 1.0))))


@pytest.mark.parametrize("pitch", [-5.0, 10.0, 25.0])
def test_floor_normal_is_the_true_vertical(pitch):
    scene = render(build_skeleton(OPEN), Camera(yaw_deg=10.0, pitch_deg=pitch))
    floor = fit_floor(scene.xyz, scene.class_map, below_row=_feet_row(scene))
    assert not isinstance(floor, str), floor
    # A noise-free plane: only float rounding separates the fit from it.
    assert _tilt_error_deg(floor, scene) < 1e-3
    assert floor.tilt_deg == pytest.approx(abs(pitch), abs=1e-3)  # the camera's pitch, recovered


def test_noisy_floor_tilt_within_its_sigma():
    scene = render(build_skeleton(OPEN), Camera(pitch_deg=10.0))
    rng = np.random.default_rng(3)
    ratios = []
    for _ in range(20):
        xyz = scene.xyz + rng.normal(0.0, 0.03, scene.xyz.shape)
        floor = fit_floor(xyz, scene.class_map, below_row=_feet_row(scene))
        ratios.append(_tilt_error_deg(floor, scene) / np.degrees(floor.normal_sigma_rad))
    # The tilt error has two components, each ~N(0, sigma): its size is Rayleigh distributed, below
    # 2.45 sigma in 95% of fits; the median ratio near 1.18.
    assert np.mean(np.array(ratios) < 2.45) >= 0.85, ratios
    assert 0.6 < np.median(ratios) < 1.8


def test_wall_only_background_is_no_floor():
    scene = render(build_skeleton(OPEN), Camera(pitch_deg=10.0), floor=False)
    floor = fit_floor(scene.xyz, scene.class_map, below_row=_feet_row(scene) - 30)
    assert isinstance(floor, str) and "no floor" in floor


def test_bad_inputs():
    scene = render(build_skeleton(OPEN), Camera())
    assert "no foot keypoint" in fit_floor(scene.xyz, scene.class_map, below_row=float("nan"))
    with pytest.raises(InputError):
        fit_floor(scene.xyz[:10], scene.class_map, below_row=0.0)
