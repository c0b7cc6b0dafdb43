"""UDP heatmap decoding with DARK refinement and the flip-test average (SPEC.md 5.1)."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from core.sapiens2.pose_decode import flip_average, heatmap_maximum, to_image_space, udp_decode
from tests.sapiens2.golden import golden_arrays


def test_synthetic_fixture_matches_official_decoder() -> None:
    d = golden_arrays("pose_decode_synthetic.npz")
    kp, scores = udp_decode(
        d["heatmaps"],
        input_size_wh=tuple(d["input_size_wh"]),
        blur_kernel_size=int(d["blur_kernel_size"]),
    )
    assert_allclose(kp, d["keypoints_input_space"], atol=1e-4, rtol=0)
    assert_allclose(scores, d["scores"], atol=0, rtol=0)
    assert_array_equal(
        kp[:4], d["keypoints_input_space"][:4]
    )  # all-negative channels -> fixed location


def test_nonpositive_maximum_gives_minus_one() -> None:
    hm = np.full((2, 5, 4), -1.0, np.float32)
    hm[1, 2, 3] = 0.5
    locs, vals = heatmap_maximum(hm)
    assert_array_equal(locs, [[-1, -1], [3, 2]])
    assert_allclose(vals, [-1.0, 0.5])


def test_symmetric_peak_refines_to_itself() -> None:
    # A Gaussian on the centre pixel (x=6, y=8) of a 13x17 heatmap stays symmetric after the
    # zero-padded blur, so the gradient is 0 there: no Newton shift.
    # Input 48x64: x_in = 6 / (13 - 1) * 48 = 24, y_in = 8 / (17 - 1) * 64 = 32.
    yy, xx = np.mgrid[0:17, 0:13]
    hm = np.exp(-((xx - 6) ** 2 + (yy - 8) ** 2) / (2 * 2.0**2)).astype(np.float32)[None]
    kp, scores = udp_decode(hm, input_size_wh=(48, 64))
    assert_allclose(kp[0], [24.0, 32.0], atol=1e-4)
    assert_allclose(scores, [1.0])


def test_flip_average_unmirrors_and_swaps_channels() -> None:
    # Two channels that are each other's mirror partner; the flipped prediction, un-mirrored and
    # swapped, must land on the plain one, so the average equals plain.
    rng = np.random.default_rng(0)
    plain = rng.normal(size=(1, 2, 3, 4)).astype(np.float32)
    flipped = plain[:, [1, 0], :, ::-1]
    assert_allclose(flip_average(plain, flipped, (1, 0)), plain)


def test_to_image_space() -> None:
    # k_img = k_in / input * s + c - s/2: input 48x64, box centre (100, 50), size (96, 128);
    # (24, 32) is the crop centre -> the box centre; (0, 0) -> the box corner (52, -14).
    kp = np.array([[[24.0, 32.0], [0.0, 0.0]]])
    out = to_image_space(
        kp, np.array([[100.0, 50.0]]), np.array([[96.0, 128.0]]), input_size_wh=(48, 64)
    )
    assert_allclose(out, [[[100.0, 50.0], [52.0, -14.0]]])
