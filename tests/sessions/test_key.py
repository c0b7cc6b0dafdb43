"""The parameters key (core.sessions.key): what changes the numbers changes it, the device does not."""

from __future__ import annotations

import pytest

from core.sessions.key import UNKNOWN_KEY, gait_key, posture_key
from core.sessions.options import GaitOptions, PostureOptions

LITE = {"backend": "lite", "model": "full", "size": "", "device": "cpu", "dtype": "float32",
        "threshold": 0.5, "num_poses": 2}  # fmt: skip
SAPIENS = {"backend": "sapiens2", "model": "sapiens2_0.4b_pose", "size": "0.4b", "device": "cpu",
           "dtype": "bfloat16", "threshold": 0.3, "flip_test": True}  # fmt: skip


@pytest.mark.parametrize("info", [LITE, SAPIENS])
def test_device_does_not_change_the_key(info: dict) -> None:
    on_gpu = {**info, "device": "cuda:0"}
    assert posture_key(info, PostureOptions()) == posture_key(on_gpu, PostureOptions())
    assert gait_key(info, GaitOptions()) == gait_key(on_gpu, GaitOptions())


def test_fast_changes_the_key_only_where_there_is_a_flip_test() -> None:
    # Sapiens2: --fast skips the flip test, other keypoints, other numbers.
    assert posture_key(SAPIENS, PostureOptions(fast=True)) != posture_key(SAPIENS, PostureOptions())
    # The lite backend has no flip test: fast or not, the same computation.
    assert posture_key(LITE, PostureOptions(fast=True)) == posture_key(LITE, PostureOptions())
    # The flip test the backend last ran with does not leak in: the options decide it.
    stale = {**SAPIENS, "flip_test": False}
    assert posture_key(stale, PostureOptions()) == posture_key(SAPIENS, PostureOptions())


@pytest.mark.parametrize(
    "change",
    [{"backend": "sapiens2"}, {"model": "heavy"}, {"size": "1b"}, {"dtype": "bfloat16"},
     {"threshold": 0.3}],
)  # fmt: skip
def test_each_model_field_changes_the_key(change: dict) -> None:
    assert posture_key({**LITE, **change}, PostureOptions()) != posture_key(LITE, PostureOptions())
    assert gait_key({**LITE, **change}, GaitOptions()) != gait_key(LITE, GaitOptions())


def test_posture_options_change_the_key() -> None:
    base = posture_key(LITE, PostureOptions())
    assert posture_key(LITE, PostureOptions(view="front")) != base
    assert posture_key(LITE, PostureOptions(point=(10.0, 20.0))) != base
    # The same point given as ints or floats is the same request.
    assert posture_key(LITE, PostureOptions(point=(10, 20))) == posture_key(
        LITE, PostureOptions(point=(10.0, 20.0))
    )


def test_gait_sampling_and_height_change_the_key() -> None:
    base = gait_key(LITE, GaitOptions())
    for other in (GaitOptions(every=2), GaitOptions(fps=25.0), GaitOptions(max_seconds=60.0),
                  GaitOptions(height_m=1.7), GaitOptions(max_seconds=None)):  # fmt: skip
        assert gait_key(LITE, other) != base
    # 0 and None both mean "the whole video"; frames per forward are speed, not numbers.
    assert gait_key(LITE, GaitOptions(max_seconds=0)) == gait_key(
        LITE, GaitOptions(max_seconds=None)
    )
    assert gait_key(LITE, GaitOptions(batch=8)) == base
    # Posture and gait never share a key.
    assert base != posture_key(LITE, PostureOptions())


def test_a_key_is_never_the_unknown_marker() -> None:
    assert len(posture_key(LITE, PostureOptions())) == 64 != len(UNKNOWN_KEY)


def test_the_default_view_is_the_measurement_default() -> None:
    from core.measure import view
    from core.sessions import options

    assert options.DEFAULT_VIEW == view.DEFAULT_VIEW == PostureOptions().view


def test_gait_fast_changes_the_key_of_lite_only() -> None:
    # Lite frames run the flip test unless fast (since 2026-12-07): two analyses, two keys,
    # whatever flip test the backend's photo default says.
    lite = {**LITE, "flip_test": True}
    assert gait_key(lite, GaitOptions(fast=True)) != gait_key(lite, GaitOptions())
    assert gait_key({**lite, "flip_test": False}, GaitOptions()) == gait_key(lite, GaitOptions())
    # Sapiens2's frames keep the flip test they ran with: fast does not touch them.
    assert gait_key(SAPIENS, GaitOptions(fast=True)) == gait_key(SAPIENS, GaitOptions())


def test_gait_flip_test_is_off_for_lite_when_fast_only() -> None:
    from core.analysis import gait_flip_test
    from core.backends.fake import FakeBackend

    class Lite(FakeBackend):
        name = "lite"

    assert gait_flip_test(Lite(), fast=True) is False
    assert gait_flip_test(Lite(), fast=False) is None  # the backend's own: on
    assert gait_flip_test(FakeBackend(), fast=True) is None
