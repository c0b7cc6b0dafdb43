"""Issue 15 on media the gait code was not built on, with the lite backend: copies of the shared
walk that broke it before (a re-cut start, a mirrored 0.75x rescale, a halved frame rate) keep the
cadence of the by-eye heel-strike annotation (benchmarks/annotations.py) within 3 steps/min and the
right direction; the pose2sim clips, where nobody walks, give no cadence and no direction.
The full table is ``benchmarks/validate_gait.py`` (docs/VALIDATION.md, section 5)."""

from __future__ import annotations

import math

import pytest

from benchmarks.annotations import WALK_DIRECTION, annotated_cadence
from benchmarks.validate_gait import OTHER_WAY, TOLERANCE_SPM, Copy, write_copy
from core.analysis import analyze_gait_video
from tests.conftest import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.mark.parametrize(
    "copy",
    [
        # lost half its strikes to a one-frame wrong skeleton that split the walk in three
        Copy("cut 2.2 s to the end", start_s=2.2),
        # lost the walker's second half: a half-seen first detection broke the re-join
        Copy("scale 0.75x, mirror", scale=0.75, mirror=True),
        Copy("15 fps, mirror, mp4v", step=2, mirror=True, codec="mp4v"),
    ],
    ids=lambda c: c.name,
)
def test_a_copy_of_the_walk_keeps_the_annotated_cadence(lite_backend, tmp_path, copy):
    path = write_copy(shared_path("data", "walking_side_view.mp4"), copy, tmp_path)
    res = analyze_gait_video(path, lite_backend).result
    expected, _, n = annotated_cadence(copy.start_s, copy.end_s)
    assert n >= 5
    assert math.isfinite(res.cadence_spm), res.warnings
    assert abs(res.cadence_spm - expected) <= TOLERANCE_SPM
    assert res.walking_direction == (OTHER_WAY[WALK_DIRECTION] if copy.mirror else WALK_DIRECTION)


@pytest.fixture(scope="module")
def pose2sim_clips(tmp_path_factory):
    from benchmarks.public_media import fetch
    from tests.backends.test_lite_bundle import _index_reachable

    why = _index_reachable()
    if why:
        pytest.skip(why)
    return {p.name: p for p in fetch(tmp_path_factory.mktemp("public-media"))}


@pytest.mark.network
@pytest.mark.parametrize("mirror", [False, True], ids=["as is", "mirrored"])
@pytest.mark.parametrize(
    "clip",
    # multi-cam03 passed the walk check (the pelvis travels, the feet cross) and got a direction
    ["pose2sim-multi-cam03.mp4", "pose2sim-single-cam01.mp4", "pose2sim-multi-cam02.mp4"],
)
def test_a_clip_where_nobody_walks_gets_no_cadence_and_no_direction(
    lite_backend, pose2sim_clips, tmp_path, clip, mirror
):
    path = pose2sim_clips[clip]
    if mirror:
        path = write_copy(path, Copy("mirror", mirror=True), tmp_path)
    res = analyze_gait_video(path, lite_backend).result
    assert math.isnan(res.cadence_spm) and res.walking_direction is None
    assert res.quality.grade == "unusable" and res.warnings
