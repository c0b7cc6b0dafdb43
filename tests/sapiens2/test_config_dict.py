"""build_model with golden-schema dicts: numeric fields honoured, inconsistencies rejected."""

from __future__ import annotations

import copy

import pytest
import torch

from core.sapiens2 import build_model
from tests.sapiens2.golden import golden_config


def _cfg(task: str = "pose") -> dict:
    return copy.deepcopy(golden_config(task))


def test_numeric_fields_are_honoured() -> None:
    cfg = _cfg()
    cfg["backbone"]["n_storage_tokens"] = 4
    cfg["backbone"]["num_kv_heads_per_layer"][3] = 1
    cfg["backbone"]["rope"]["base"] = 10.0
    cfg["decode_head"]["conv_out_channels"] = [8, 8, 8]
    cfg["gqa_rule"] = "ignored text"
    m = build_model(cfg)
    assert m.backbone.storage_tokens.shape == (1, 4, 32)
    assert m.backbone.blocks[3].attn.wk.weight.shape == (1 * 8, 32)  # 1 kv head x head_dim 8
    # base 10, head_dim 8: periods 10 ** (i / 2) for i = 0, 1 -> 1 and sqrt(10) rounded to bf16 (3.15625).
    assert m.backbone.rope_embed.periods.float().tolist() == [1.0, 3.15625]
    assert m.decode_head.conv_pose.weight.shape == (308, 8, 1, 1)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("backbone", "num_kv_heads_per_layer"), [4] * 17, "17 entries for 18 layers"),
        (("backbone", "head_dim"), 16, "num_heads 4 x head_dim 16 != embed_dims 32"),
        (("backbone", "num_kv_heads_per_layer"), [3] * 18, "not a multiple of kv heads 3"),
        (("decode_head", "in_channels"), 64, "in_channels 64 != backbone.embed_dims 32"),
        (
            ("decode_head", "conv_kernel_sizes"),
            [1, 1],
            "conv_out_channels has 3 entries but conv_kernel_sizes has 2",
        ),
        (("decode_head", "type"), "SegHead", "does not fit task 'pose'"),
        (("input_size_hw",), [60, 48], "not a multiple of patch_size 16"),
        (("backbone", "embed_dims"), -32, "positive integer"),
    ],
)
def test_inconsistent_fields_raise_value_error(
    path: tuple[str, ...], value: object, message: str
) -> None:
    cfg = _cfg()
    target = cfg
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build_model(cfg)


def test_pointmap_scale_mlp_must_fit_input_size() -> None:
    # 192x144 -> 12x9 tokens -> three stride-2 convs -> 2x2, times 16 channels = 64 MLP inputs.
    cfg = _cfg("pointmap")
    cfg["input_size_hw"] = [256, 144]  # 16x9 -> 8x5 -> 4x3 -> 2x2: still 64, accepted
    build_model(cfg)
    cfg["input_size_hw"] = [320, 144]  # 20x9 -> 10x5 -> 5x3 -> 3x2: 96 != 64
    with pytest.raises(ValueError, match="16 x 3 x 2 = 96"):
        build_model(cfg)


def test_unknown_preset_names_choices() -> None:
    with pytest.raises(ValueError, match="pose-0.4b"):
        build_model("pose-2b")


def test_dict_build_under_meta_device() -> None:
    with torch.device("meta"):
        m = build_model(_cfg("normal"))
    assert all(p.is_meta for p in m.parameters())
