"""Lambertian relighting on a sphere with analytic normals, checked against the formula by hand."""

from __future__ import annotations

import numpy as np
import pytest

from core.backends.base import NormalMap
from core.errors import InputError
from core.imaging.relight import (
    CAMERA_FACING_Z,
    PRESETS,
    camera_facing_z,
    light_direction,
    relight,
    relight_preset,
)

SIZE, C, R = 41, 20, 15  # a sphere of radius 15 px centred at pixel (20, 20)


def _sphere(facing_z: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals of a sphere seen from the camera (x right, y down): n = (dx/R, dy/R, facing_z * sqrt(1 - ...))."""
    y, x = np.mgrid[:SIZE, :SIZE].astype(np.float64)
    dx, dy = (x - C) / R, (y - C) / R
    mask = dx**2 + dy**2 <= 1.0
    nz = facing_z * np.sqrt(np.clip(1.0 - dx**2 - dy**2, 0.0, None))
    normals = np.where(mask[..., None], np.stack([dx, dy, nz], axis=-1), np.nan)
    return normals, mask


def _image() -> np.ndarray:
    # 100 grey on the sphere; seeded noise on the background, which must come back bit-exact.
    img = np.random.default_rng(7).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    _, mask = _sphere()
    img[mask] = 100
    return img


def test_constant_is_opencv_frame():
    assert CAMERA_FACING_Z == -1.0


@pytest.mark.parametrize(
    ("az", "el", "expected"),
    [
        (0, 0, (0, 0, -1)),  # at the camera: toward the viewer, z negative
        (90, 0, (1, 0, 0)),  # from the image's right
        (-90, 0, (-1, 0, 0)),
        (0, 90, (0, -1, 0)),  # from above: y points down, so up is -y
        (180, 0, (0, 0, 1)),  # from behind the subject
    ],
)
def test_light_direction(az, el, expected):
    np.testing.assert_allclose(light_direction(az, el), expected, atol=1e-12)


def test_light_direction_is_unit_and_flippable():
    rng = np.random.default_rng(1)
    for az, el in rng.uniform(-180, 180, (5, 2)):
        l_neg, l_pos = light_direction(az, el), light_direction(az, el, facing_z=1.0)
        assert np.linalg.norm(l_neg) == pytest.approx(1.0)
        np.testing.assert_allclose(l_pos, l_neg * (1, 1, -1))


def test_sphere_values_follow_the_formula():
    normals, mask = _sphere()
    img = _image()
    # ambient 0.25: relit = 100 * (0.25 + 0.75 * max(0, n.l)).
    front = relight(img, normals, mask, azimuth_deg=0, elevation_deg=0, ambient=0.25)
    assert tuple(front[C, C]) == (100, 100, 100)  # n = (0,0,-1), l = (0,0,-1): n.l = 1
    # (x=29, y=20): n = (9/15, 0, -0.8); n.l = 0.8 -> 100 * (0.25 + 0.6) = 85. It is 7 px from
    # the edge, deeper than the feather (3 px), so the blend weight is 1.
    assert tuple(front[C, 29]) == (85, 85, 85)
    side = relight(img, normals, mask, azimuth_deg=90, elevation_deg=0, ambient=0.25)
    assert tuple(side[C, 29]) == (70, 70, 70)  # l = (1,0,0): n.l = 0.6 -> 100 * 0.7
    assert tuple(side[C, 11]) == (25, 25, 25)  # n.l = -0.6 -> clamped to 0 -> ambient only
    top = relight(img, normals, mask, azimuth_deg=0, elevation_deg=90, ambient=0.25)
    assert tuple(top[11, C]) == (70, 70, 70)  # n = (0, -0.6, -0.8), l = (0, -1, 0): n.l = 0.6
    assert tuple(top[29, C]) == (25, 25, 25)


def test_tint_multiplies_per_channel():
    normals, mask = _sphere()
    out = relight(_image(), normals, mask, azimuth_deg=0, elevation_deg=0, tint=(1.0, 0.5, 0.0))
    assert tuple(out[C, C]) == (100, 50, 0)  # shade 1 at the centre, times the tint


def test_outside_untouched_and_edge_feathered():
    normals, mask = _sphere()
    img = _image()
    out = relight(img, normals, mask, azimuth_deg=0, elevation_deg=0, feather_px=3)
    np.testing.assert_array_equal(out[~mask], img[~mask])  # no halo anywhere outside
    # Rim pixel (x=35, y=20): the next pixel out is background, so distance 1 and weight
    # 1 / (3 + 1) = 0.25. n = (1, 0, 0) gives n.l = 0 and relit 25; 100 + 0.25 * (25 - 100) = 81.25.
    assert tuple(out[C, 35]) == (81, 81, 81)
    hard = relight(img, normals, mask, azimuth_deg=0, elevation_deg=0, feather_px=0)
    assert tuple(hard[C, 35]) == (25, 25, 25)


def test_flipped_convention_gives_the_same_picture():
    normals, mask = _sphere(facing_z=1.0)
    assert camera_facing_z(normals, mask) == 1.0
    assert camera_facing_z(*_sphere()) == -1.0
    out = relight(_image(), normals, mask, azimuth_deg=30, elevation_deg=10, facing_z=1.0)
    ref = relight(_image(), *_sphere(), azimuth_deg=30, elevation_deg=10)
    np.testing.assert_array_equal(out, ref)


def test_normal_map_mask_and_presets_are_deterministic():
    normals, mask = _sphere()
    nm = NormalMap(normals.astype(np.float32), mask)
    for name in PRESETS:
        a = relight_preset(_image(), nm, preset=name)
        np.testing.assert_array_equal(a, relight_preset(_image(), nm, preset=name))
        np.testing.assert_array_equal(a[~mask], _image()[~mask])
    assert "canonical" in PRESETS
    # The rim preset lights from behind: the sphere's centre gets ambient only (0.35 * 100 = 35).
    assert tuple(relight_preset(_image(), nm, preset="top-left rim")[C, C]) == (35, 35, 35)


def test_bad_inputs():
    normals, mask = _sphere()
    img = _image()
    with pytest.raises(InputError, match="foreground mask"):
        relight(img, normals, azimuth_deg=0, elevation_deg=0)
    with pytest.raises(InputError, match="must match"):
        relight(img[:-1], normals, mask, azimuth_deg=0, elevation_deg=0)
    with pytest.raises(InputError, match="ambient"):
        relight(img, normals, mask, azimuth_deg=0, elevation_deg=0, ambient=1.5)
    with pytest.raises(InputError, match="tint"):
        relight(img, normals, mask, azimuth_deg=0, elevation_deg=0, tint=(1, -1, 1))
    with pytest.raises(InputError, match="unknown light preset"):
        relight_preset(img, normals, mask, preset="disco")
    with pytest.raises(InputError, match="empty"):
        camera_facing_z(normals, np.zeros_like(mask))


def test_auto_facing_reads_the_convention_from_the_map():
    # The same sphere written in both z conventions: with facing_z="auto" (the default) the light
    # "from the camera side" lights it identically, because the sign is read from the map itself.
    img = _image()
    n_minus, mask = _sphere(-1.0)
    n_plus, _ = _sphere(+1.0)
    a = relight(img, n_minus, mask, azimuth_deg=30, elevation_deg=20)
    b = relight(img, n_plus, mask, azimuth_deg=30, elevation_deg=20)
    assert np.array_equal(a, b)
    # ...whereas forcing the wrong convention lights the back of the sphere: the centre goes dark.
    wrong = relight(img, n_plus, mask, azimuth_deg=0, elevation_deg=0, facing_z=-1.0)
    right = relight(img, n_plus, mask, azimuth_deg=0, elevation_deg=0)
    c = tuple(s // 2 for s in mask.shape)
    assert wrong[c].sum() < right[c].sum()
