"""The 3D rows (docs/EXPORT.md, "3D measures") read as their 2D twins' words plus "(3D)"."""

from __future__ import annotations

import pytest

from core.measure.display import display_info, metric_words


@pytest.mark.parametrize(
    ("metric", "words"),
    [
        ("knee_angle_3d_deg", "Knee angle (3D)"),
        ("trunk_lean_sagittal_3d_deg", "Trunk lean sagittal (3D)"),
        ("floor_plane_3d", "Floor plane (3D)"),
        ("stature_3d_m", "Stature (3D)"),
        ("warning_3d_turned", "Warning turned (3D)"),
        ("step_length_3d_m", "Step length (3D)"),
        ("knee_angle_deg", "Knee angle"),  # 2D names unchanged
    ],
)
def test_3d_words(metric: str, words: str) -> None:
    assert metric_words(metric) == words


def test_side_follows_the_3d_mark() -> None:
    assert display_info("knee_angle_3d_deg", "left", "deg").name == "Knee angle (3D) (left)"
