"""Angle primitives against hand-derived values, plus range and continuity properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from core.errors import InputError
from core.measure.angles import (
    angle_from_vertical_deg,
    elevation_deg,
    joint_angle_deg,
    line_tilt_deg,
    signed_from_vertical_deg,
)

coord = st.floats(-1e4, 1e4, allow_nan=False)
point = st.tuples(coord, coord)


def test_joint_angle_known_values():
    # Rays from b=(0,0): to (1,0) and (0,1) are perpendicular -> 90; to (1,0) and (-1,0) are
    # opposite -> 180 (straight limb); to (1,0) and (1,1) differ by atan2(1,1) = 45.
    b = [0.0, 0.0]
    assert_allclose(joint_angle_deg([1, 0], b, [0, 1]), 90.0)
    assert_allclose(joint_angle_deg([1, 0], b, [-1, 0]), 180.0)
    assert_allclose(joint_angle_deg([1, 0], b, [1, 1]), 45.0)
    # Rays (3,4) and (4,3): cos = 24/25, angle = acos(0.96) = 16.2602 deg.
    assert_allclose(joint_angle_deg([3, 4], b, [4, 3]), math.degrees(math.acos(0.96)))


def test_joint_angle_vectorised_and_nan():
    a = np.array([[1.0, 0.0], [np.nan, 0.0], [1.0, 0.0]])
    b = np.zeros((3, 2))
    c = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 0.0]])  # last: c == b, zero-length ray
    out = joint_angle_deg(a, b, c)
    assert out.shape == (3,)
    assert_allclose(out[0], 90.0)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_line_tilt_sign_and_range():
    # Image y grows downward: left joint at y=90 is 10 px above the right one at y=100, 10 px
    # apart in x -> atan(10/10) = 45 deg, positive because the left joint is higher.
    assert_allclose(line_tilt_deg([0, 100], [10, 90]), 45.0)
    assert_allclose(line_tilt_deg([0, 100], [10, 110]), -45.0)
    # Subject turned away: left joint on the image's left; still +45 when it is higher.
    assert_allclose(line_tilt_deg([10, 100], [0, 90]), 45.0)
    # Vertical line: +90 whichever joint is on top; never -90.
    assert_allclose(line_tilt_deg([0, 0], [0, 10]), 90.0)
    assert_allclose(line_tilt_deg([0, 10], [0, 0]), 90.0)
    assert np.isnan(line_tilt_deg([1, 1], [1, 1]))


def test_vertical_angles():
    # Up is (0, -1) in image coordinates.
    assert_allclose(angle_from_vertical_deg([0, -5]), 0.0)
    assert_allclose(angle_from_vertical_deg([5, 0]), 90.0)
    assert_allclose(angle_from_vertical_deg([0, 5]), 180.0)
    assert_allclose(angle_from_vertical_deg([-1, -1]), 45.0)
    # Leaning to the camera's left (x < 0) is positive by default, and flips with positive_x=+1.
    assert_allclose(signed_from_vertical_deg([-1, -1]), 45.0)
    assert_allclose(signed_from_vertical_deg([1, -1]), -45.0)
    assert_allclose(signed_from_vertical_deg([1, -1], positive_x=1.0), 45.0)
    assert_allclose(signed_from_vertical_deg([0, 1]), 180.0)  # straight down: +180, not -180
    # Elevation toward +x: (1, -1) is 45 above the horizontal; straight up 90; behind 135.
    assert_allclose(elevation_deg([1, -1], forward_x=1), 45.0)
    assert_allclose(elevation_deg([0, -1], forward_x=1), 90.0)
    assert_allclose(elevation_deg([-1, -1], forward_x=1), 135.0)
    assert_allclose(elevation_deg([-1, -1], forward_x=-1), 45.0)


def test_bad_shape_raises_input_error():
    with pytest.raises(InputError, match="last axis of 2"):
        joint_angle_deg([1, 2, 3], [0, 0, 0], [1, 1, 1])


@settings(max_examples=200, deadline=None)
@given(point, point, point)
def test_joint_angle_in_range(a, b, c):
    v = float(joint_angle_deg(a, b, c))
    assert math.isnan(v) or 0.0 <= v <= 180.0


@settings(max_examples=200, deadline=None)
@given(point, point)
def test_tilt_in_half_open_range(r, left):
    v = float(line_tilt_deg(r, left))
    assert math.isnan(v) or -90.0 < v <= 90.0


@settings(max_examples=200, deadline=None)
@given(point, point, point, st.floats(-500, 500), st.floats(-500, 500), st.floats(0.1, 10))
def test_joint_angle_invariant_to_translation_and_scale(a, b, c, dx, dy, s):
    a, b, c = (np.array(p) for p in (a, b, c))
    if min(np.linalg.norm(a - b), np.linalg.norm(c - b)) < 1e-2:
        return  # too short to have a stable direction under float rounding
    shift = np.array([dx, dy])
    moved = joint_angle_deg(s * a + shift, s * b + shift, s * c + shift)
    assert_allclose(moved, joint_angle_deg(a, b, c), atol=1e-6)


def test_no_360_jump_over_a_continuous_rotation():
    # A trunk vector rotating from -170 to +170 deg through 0 in 0.5 deg steps: consecutive signed
    # angles differ by 0.5 deg exactly, never by ~360.
    theta = np.radians(np.arange(-170.0, 170.5, 0.5))
    v = np.stack([-np.sin(theta), -np.cos(theta)], axis=-1)  # angle theta toward the camera's left
    out = signed_from_vertical_deg(v)
    assert_allclose(out, np.degrees(theta), atol=1e-9)
    assert np.max(np.abs(np.diff(out))) < 0.51
    # A joint opening from 10 to 170 deg changes smoothly too.
    ang = np.radians(np.arange(10.0, 170.5, 0.5))
    c = np.stack([np.cos(ang), np.sin(ang)], axis=-1)
    j = joint_angle_deg([1.0, 0.0], [0.0, 0.0], c)
    assert np.max(np.abs(np.diff(j))) < 0.51
