"""The golden comparisons, with their cross-CPU tolerances, still catch real bugs.

Each test breaks the tiny model (or its pre/post-processing) on purpose, by monkeypatching, and
asserts that the comparison of test_model.py / test_predictor.py that should see it fails. Every
mutation is well above cross-CPU noise (the tolerances of tests/sapiens2/tolerance.py): a norm eps
of 1e-2 rather than 1e-6, not 1e-5 (which moves outputs about as much as another CPU does).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from core.sapiens2 import attention, predictor
from core.sapiens2.keypoints308 import FLIP_INDICES
from core.sapiens2.norm import RMSNorm
from core.sapiens2.postprocess import seg_class_map
from core.sapiens2.predictor import PosePredictor, SegPredictor
from core.sapiens2.rope import apply_rope_tokens
from tests.sapiens2.golden import golden_arrays, golden_model
from tests.sapiens2.test_model import assert_blocks_teacher_forced, assert_io_outputs
from tests.sapiens2.test_predictor import (
    assert_pose_heatmaps,
    assert_seg_class_map,
)
from tests.sapiens2.tolerance import assert_within, module_tolerance


def _io_checks(task: str, model: nn.Module) -> dict[str, Callable[[], None]]:
    io = golden_arrays(f"{task}_tiny_io.npz")

    @torch.inference_mode()
    def blocks() -> None:
        assert_blocks_teacher_forced(model, io)

    @torch.inference_mode()
    def outputs() -> None:
        assert_io_outputs(task, model(torch.from_numpy(io["input"])), io)

    return {"blocks": blocks, "outputs": outputs}


def _assert_caught(check: Callable[[], None]) -> None:
    with pytest.raises(AssertionError):
        check()


def test_unmutated_model_passes_the_checks() -> None:
    # The control: the same checks pass on the intact model, so a failure below is the mutation's.
    for check in _io_checks("seg", golden_model("seg")).values():
        check()


def _swapped_halves_rope(
    x: torch.Tensor, tables: tuple[torch.Tensor, torch.Tensor]
) -> torch.Tensor:
    # rotate_half as [x2, -x1] instead of [-x2, x1]: the rotation turns the other way.
    sin_signed, cos = tables
    return apply_rope_tokens(x, (-sin_signed, cos))


@pytest.mark.parametrize("check", ["blocks", "outputs"])
def test_swapped_rope_halves_caught(monkeypatch: pytest.MonkeyPatch, check: str) -> None:
    model = golden_model("pose")
    monkeypatch.setattr(attention, "apply_rope_tokens", _swapped_halves_rope)
    _assert_caught(_io_checks("pose", model)[check])


@pytest.mark.parametrize("check", ["blocks", "outputs"])
def test_wrong_norm_eps_caught(check: str) -> None:
    model = golden_model("normal")
    for m in model.modules():
        if isinstance(m, RMSNorm):
            m.eps = 1e-2  # official 1e-6
    _assert_caught(_io_checks("normal", model)[check])


@pytest.mark.parametrize("check", ["blocks", "outputs"])
def test_dropped_layer_scale_caught(check: str) -> None:
    model = golden_model("pointmap")
    for block in model.backbone.blocks:
        block.attn.gamma = nn.Identity()
    _assert_caught(_io_checks("pointmap", model)[check])


def test_wrong_flip_pair_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # One left/right pair of the flip test un-swapped: keypoint 5 and its partner map to themselves.
    flip = np.array(FLIP_INDICES)
    partner = int(flip[5])
    assert partner != 5
    flip[[5, partner]] = [5, partner]
    monkeypatch.setattr(predictor, "FLIP_INDICES", tuple(int(i) for i in flip))
    path = golden_arrays("pose_tiny_fullpath.npz")
    _assert_caught(lambda: assert_pose_heatmaps(PosePredictor(golden_model("pose")), path))


def test_seg_resize_align_corners_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # The class map's logit resize with align_corners=True (official: False).
    def aligned(logits: torch.Tensor, *, out_hw: tuple[int, int]) -> torch.Tensor:
        up = torch.nn.functional.interpolate(
            logits[None].float(), size=out_hw, mode="bilinear", align_corners=True
        )
        return up[0].argmax(dim=0)

    assert seg_class_map is predictor.seg_class_map
    monkeypatch.setattr(predictor, "seg_class_map", aligned)
    d = golden_arrays("seg_tiny_fullpath.npz")
    class_map = SegPredictor(golden_model("seg")).predict(d["large_image_rgb"]).class_map
    _assert_caught(lambda: assert_seg_class_map(class_map, d, "large"))


def test_normal_head_instance_norm_eps_caught() -> None:
    # The heads' InstanceNorm eps 1e-3 instead of 1e-5: caught by the head fed golden features.
    model = golden_model("normal")
    for m in model.decode_head.modules():
        if isinstance(m, nn.InstanceNorm2d):
            m.eps = 1e-3
    io = golden_arrays("normal_tiny_io.npz")
    with torch.inference_mode():
        out = model.decode_head(torch.from_numpy(io["backbone_features"])).numpy()
    tol = module_tolerance(model.decode_head, io["output"])
    _assert_caught(lambda: assert_within(out, io["output"], max_tol=tol))
