"""Every official task checkpoint's keys, shapes and dtypes (shared manifests) equal our model's, built on meta."""

from __future__ import annotations

import json

import pytest
import torch

from core.sapiens2 import build_model
from core.sapiens2.backbone import Sapiens2Backbone
from core.sapiens2.presets import PRETRAIN_BACKBONES, SIZES, TASKS, get_preset
from tests.conftest import shared_path


def _manifest(name: str) -> dict[str, tuple[tuple[int, ...], str]]:
    data = json.loads(shared_path("sapiens2", "manifests", f"{name}.json").read_text())
    return {k: (tuple(v["shape"]), v["dtype"]) for k, v in data["tensors"].items()}


def _state(module: torch.nn.Module) -> dict[str, tuple[tuple[int, ...], str]]:
    return {
        k: (tuple(v.shape), str(v.dtype).removeprefix("torch."))
        for k, v in module.state_dict().items()
    }


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("task", TASKS)
def test_task_model_matches_manifest(task: str, size: str) -> None:
    expected = _manifest(f"{task}_{size}")
    with torch.device("meta"):
        model = build_model(f"{task}-{size}")
    assert next(model.parameters()).is_meta  # nothing allocated
    got = _state(model)
    assert sorted(set(got) ^ set(expected)) == []
    assert got == expected


@pytest.mark.parametrize("size", sorted(PRETRAIN_BACKBONES))
def test_bare_backbone_matches_pretrain_manifest(size: str) -> None:
    # The pretrain files hold the bare backbone (no prefix), 1b-4k with the window tokenizer.
    with torch.device("meta"):
        backbone = Sapiens2Backbone(PRETRAIN_BACKBONES[size])
    assert _state(backbone) == _manifest(f"pretrain_{size.replace('-', '_')}")


def test_task_backbone_equals_pretrain_backbone() -> None:
    assert get_preset("seg-1b").backbone == PRETRAIN_BACKBONES["1b"]
