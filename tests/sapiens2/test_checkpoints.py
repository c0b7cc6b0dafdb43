"""Checkpoint lookup order and loader errors (file, first offending key, expected vs found shape)."""

from __future__ import annotations

from pathlib import Path

import pytest
import safetensors.torch
import torch

from core.config import load_settings
from core.errors import CheckpointError, ModelNotAvailable
from core.sapiens2 import build_model
from core.sapiens2.backbone import Sapiens2Backbone
from core.sapiens2.checkpoints import (
    find_checkpoint,
    load_checkpoint,
    read_header,
    resolve_checkpoint,
)
from core.sapiens2.presets import get_preset
from tests.conftest import shared_path

NAME = "sapiens2_0.4b_pose.safetensors"


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def _fake_hf_cache(cache: Path, task: str = "pose", size: str = "0.4b") -> Path:
    # The standard HF cache layout: models--<org>--<name>/{refs/main, snapshots/<rev>/<file>}.
    repo = cache / f"models--facebook--sapiens2-{task}-{size}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    return _touch(repo / "snapshots" / "0123abcd" / f"sapiens2_{size}_{task}.safetensors")


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.delenv("SAPIENS2_CHECKPOINT_ROOT", raising=False)
    monkeypatch.delenv("SAPIENS_CHECKPOINT_ROOT", raising=False)
    return {
        "s2": tmp_path / "s2",
        "s": tmp_path / "s",
        "host": home / "sapiens2_host",
        "hf": tmp_path / "hf",
    }


def _settings(roots: dict[str, Path], *, s2: bool = True, s: bool = True):
    env = {}
    if s2:
        env["SAPIENS2_CHECKPOINT_ROOT"] = str(roots["s2"])
    if s:
        env["SAPIENS_CHECKPOINT_ROOT"] = str(roots["s"])
    return load_settings(env)


def test_lookup_order(roots: dict[str, Path]) -> None:
    hf = _fake_hf_cache(roots["hf"])
    assert find_checkpoint("pose", "0.4b", _settings(roots)) == hf  # only the HF cache has it
    host = _touch(roots["host"] / "pose" / NAME)
    assert find_checkpoint("pose", "0.4b", _settings(roots)) == host
    official = _touch(roots["s"] / "pose" / NAME)
    assert find_checkpoint("pose", "0.4b", _settings(roots)) == official
    ours = _touch(roots["s2"] / "pose" / NAME)
    assert find_checkpoint("pose", "0.4b", _settings(roots)) == ours
    # Without the env variables the home folder is the official default root.
    assert find_checkpoint("pose", "0.4b", _settings(roots, s2=False, s=False)) == host


def test_missing_everywhere_says_where_and_how(roots: dict[str, Path]) -> None:
    with pytest.raises(ModelNotAvailable) as err:
        resolve_checkpoint("seg", "1b", _settings(roots))
    msg = str(err.value)
    assert str(roots["s2"] / "seg" / "sapiens2_1b_seg.safetensors") in msg
    assert str(roots["host"] / "seg") in msg
    assert "python -m core fetch sapiens2 --task seg --size 1b" in msg
    assert "facebook/sapiens2-seg-1b" in msg


def _golden_state(task: str = "pose") -> dict[str, torch.Tensor]:
    return safetensors.torch.load_file(
        str(shared_path("sapiens2", "golden", f"{task}_tiny.safetensors"))
    )


def _save(tmp_path: Path, state: dict[str, torch.Tensor], name: str = "ckpt.safetensors") -> Path:
    path = tmp_path / name
    safetensors.torch.save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


def test_loads_golden_into_meta_model(tmp_path: Path) -> None:
    with torch.device("meta"):
        model = build_model("pose-tiny")
    load_checkpoint(model, shared_path("sapiens2", "golden", "pose_tiny.safetensors"))
    assert not any(p.is_meta for p in model.state_dict().values())
    assert torch.equal(model.backbone.cls_token, _golden_state()["backbone.cls_token"])


def test_wrong_shape_names_key_and_shapes(tmp_path: Path) -> None:
    state = _golden_state()
    state["backbone.blocks.3.attn.wq.weight"] = torch.zeros(16, 32)
    path = _save(tmp_path, state)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(build_model("pose-tiny"), path)
    msg = str(err.value)
    assert str(path) in msg and "'backbone.blocks.3.attn.wq.weight'" in msg
    assert "(16, 32)" in msg and "(32, 32)" in msg


def test_wrong_size_reports_first_mismatch(tmp_path: Path) -> None:
    # A tiny checkpoint into a bigger model: the first key in model order is the cls token.
    path = _save(tmp_path, _golden_state())
    cfg = get_preset("pose-tiny")
    bigger = build_model(cfg.__class__(**{**cfg.__dict__, "backbone": cfg.backbone.__class__(
        **{**cfg.backbone.__dict__, "embed_dim": 64, "num_heads": 8})}))  # fmt: skip
    with pytest.raises(
        CheckpointError, match=r"'backbone.cls_token' has shape \(1, 1, 32\).*expects \(1, 1, 64\)"
    ):
        load_checkpoint(bigger, path)


def test_missing_key(tmp_path: Path) -> None:
    state = _golden_state()
    del state["decode_head.conv_layers.3.bias"]
    with pytest.raises(
        CheckpointError,
        match=r"missing key 'decode_head.conv_layers.3.bias' \(expected shape \(16,\)\)",
    ):
        load_checkpoint(build_model("pose-tiny"), _save(tmp_path, state))


def test_missing_rope_periods_is_recomputed(tmp_path: Path) -> None:
    state = _golden_state()
    periods = state.pop("backbone.rope_embed.periods")
    with torch.device("meta"):
        model = build_model("pose-tiny")
    load_checkpoint(model, _save(tmp_path, state))
    assert torch.equal(model.backbone.rope_embed.periods, periods)


def test_wrong_task(tmp_path: Path) -> None:
    path = shared_path("sapiens2", "golden", "seg_tiny.safetensors")
    with pytest.raises(
        CheckpointError, match="this is a seg checkpoint, but a pose model was asked for"
    ) as err:
        load_checkpoint(build_model("pose-tiny"), path)
    assert str(path) in str(err.value)


def test_truncated_file(tmp_path: Path) -> None:
    data = shared_path("sapiens2", "golden", "pose_tiny.safetensors").read_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[: len(data) - 1000])
    with pytest.raises(CheckpointError, match="truncated") as err:
        load_checkpoint(build_model("pose-tiny"), path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "payload",
    [
        b"PK\x03\x04 a zip file, not safetensors",
        b"",
        b"\x10\x00\x00\x00\x00\x00\x00\x00{not json!!!!!!}",
    ],
)
def test_not_safetensors(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(payload)
    with pytest.raises(CheckpointError, match="not a safetensors file") as err:
        read_header(path)
    assert str(path) in str(err.value)


def test_pretrain_bare_keys_into_backbone_and_rejected_for_task(tmp_path: Path) -> None:
    bare = {
        k.removeprefix("backbone."): v
        for k, v in _golden_state().items()
        if k.startswith("backbone.")
    }
    path = _save(tmp_path, bare)
    backbone = load_checkpoint(Sapiens2Backbone(get_preset("pose-tiny").backbone), path)
    assert torch.equal(backbone.ln1.weight, bare["ln1.weight"])
    with pytest.raises(CheckpointError, match="backbone-only"):
        load_checkpoint(build_model("pose-tiny"), path)


def test_bf16_stored_weights_are_cast_to_float32(tmp_path: Path) -> None:
    state = {k: v.to(torch.bfloat16) for k, v in _golden_state().items()}
    model = load_checkpoint(build_model("pose-tiny"), _save(tmp_path, state))
    assert model.backbone.cls_token.dtype == torch.float32
    assert model.backbone.rope_embed.periods.dtype == torch.bfloat16
