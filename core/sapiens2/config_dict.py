"""Read a model description in the schema of ``shared/sapiens2/golden/*_config.json``.

Numeric fields are honoured (``input_size_hw``, every ``backbone`` number including
``num_kv_heads_per_layer``, ``head_dim``, ``n_storage_tokens``, ``rope.base``, every ``decode_head``
list); descriptive strings (``gqa_rule``, ``ffn``, ``official_*``) are ignored. Anything
inconsistent raises ``ValueError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.sapiens2.presets import (
    NUM_KEYPOINTS,
    NUM_SEG_CLASSES,
    TASKS,
    BackboneConfig,
    HeadConfig,
    ModelConfig,
)

_HEAD_KIND = {
    "PoseHeatmapHead": "pose",
    "SegHead": "seg",
    "NormalHead": "normal",
    "PointmapHead": "pointmap",
}


def _int(d: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where}.{key} must be a positive integer, got {value!r}")
    return value


def _ints(d: Mapping[str, Any], key: str, where: str) -> tuple[int, ...]:
    value = d.get(key, ())
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{where}.{key} must be a list of positive integers, got {value!r}")
    return tuple(value)


def _same_length(where: str, a: str, av: tuple, b: str, bv: tuple) -> None:
    if len(av) != len(bv):
        raise ValueError(f"{where}: {a} has {len(av)} entries but {b} has {len(bv)}")


def _backbone(d: Mapping[str, Any]) -> BackboneConfig:
    w = "backbone"
    c, n, h = _int(d, "embed_dims", w), _int(d, "num_layers", w), _int(d, "num_heads", w)
    head_dim = _int(d, "head_dim", w, c // h if c % h == 0 else None)
    if h * head_dim != c:
        raise ValueError(f"backbone: num_heads {h} x head_dim {head_dim} != embed_dims {c}")
    kv = _ints(d, "num_kv_heads_per_layer", w) if "num_kv_heads_per_layer" in d else (h,) * n
    if len(kv) != n:
        raise ValueError(f"backbone.num_kv_heads_per_layer has {len(kv)} entries for {n} layers")
    bad = [k for k in kv if h % k]
    if bad:
        raise ValueError(f"backbone: num_heads {h} is not a multiple of kv heads {bad[0]}")
    storage = d.get("n_storage_tokens", 8)
    if isinstance(storage, bool) or not isinstance(storage, int) or storage < 0:
        raise ValueError(
            f"backbone.n_storage_tokens must be a non-negative integer, got {storage!r}"
        )
    if d.get("with_cls_token", True) is not True:
        raise ValueError(
            "backbone.with_cls_token=false is not supported (every Sapiens2 model has one)"
        )
    base = float((d.get("rope") or {}).get("base", 100.0))
    if base <= 0:
        raise ValueError(f"backbone.rope.base must be positive, got {base}")
    if head_dim % 4:
        raise ValueError(f"backbone.head_dim {head_dim} must be divisible by 4 for 2-D RoPE")
    return BackboneConfig(
        embed_dim=c,
        num_layers=n,
        num_heads=h,
        head_dim=head_dim,
        ffn_dim=_int(d, "feedforward_channels", w, 4 * c),
        num_kv_heads=kv,
        patch_size=_int(d, "patch_size", w, 16),
        in_channels=_int(d, "in_channels", w, 3),
        n_storage_tokens=storage,
        rope_base=base,
    )


def _head(
    d: Mapping[str, Any], task: str, embed_dim: int, input_hw: tuple[int, int], patch: int
) -> HeadConfig:
    w = "decode_head"
    kind = _HEAD_KIND.get(d.get("type", ""), task)
    if kind != task:
        raise ValueError(f"decode_head.type {d.get('type')!r} does not fit task {task!r}")
    in_ch = _int(d, "in_channels", w, embed_dim)
    if in_ch != embed_dim:
        raise ValueError(f"decode_head.in_channels {in_ch} != backbone.embed_dims {embed_dim}")
    default_out = {"pose": NUM_KEYPOINTS, "seg": NUM_SEG_CLASSES}.get(task, 3)
    out = _int(d, "num_classes" if task == "seg" else "out_channels", w, default_out)
    lists = {
        k: _ints(d, k, w)
        for k in HeadConfig.__dataclass_fields__
        if k not in ("kind", "in_channels", "out_channels")
    }
    for a, b in (("deconv_out_channels", "deconv_kernel_sizes"), ("conv_out_channels", "conv_kernel_sizes"),
                 ("scale_conv_out_channels", "scale_conv_kernel_sizes")):  # fmt: skip
        _same_length(w, a, lists[a], b, lists[b])
    if task == "pointmap":
        mlp, convs = lists["scale_final_layer"], lists["scale_conv_out_channels"]
        if len(mlp) < 2 or not convs:
            raise ValueError(
                "decode_head: a pointmap head needs scale_conv_out_channels and scale_final_layer"
            )
        gh, gw = input_hw[0] // patch, input_hw[1] // patch
        for _ in convs:  # kernel-1 stride-2 convs: n -> ceil(n / 2)
            gh, gw = (gh + 1) // 2, (gw + 1) // 2
        if mlp[0] != convs[-1] * gh * gw:
            raise ValueError(
                f"decode_head.scale_final_layer[0] = {mlp[0]} but input_size_hw {list(input_hw)} gives "
                f"{convs[-1]} x {gh} x {gw} = {convs[-1] * gh * gw} flattened scale features"
            )
    return HeadConfig(kind=kind, in_channels=in_ch, out_channels=out, **lists)


def config_from_dict(d: Mapping[str, Any]) -> ModelConfig:
    """A :class:`ModelConfig` from a golden-schema dict; ``ValueError`` on inconsistent fields."""
    task = d.get("task") or _HEAD_KIND.get((d.get("decode_head") or {}).get("type", ""))
    if task not in TASKS:
        raise ValueError(f"config task {task!r} is not one of {', '.join(TASKS)}")
    if not isinstance(d.get("backbone"), Mapping) or not isinstance(d.get("decode_head"), Mapping):
        raise ValueError("config needs 'backbone' and 'decode_head' sections")
    hw = d.get("input_size_hw", (1024, 768))
    if len(hw) != 2 or not all(isinstance(v, int) and v > 0 for v in hw):
        raise ValueError(f"input_size_hw must be two positive integers, got {hw!r}")
    backbone = _backbone(d["backbone"])
    if hw[0] % backbone.patch_size or hw[1] % backbone.patch_size:
        raise ValueError(
            f"input_size_hw {list(hw)} is not a multiple of patch_size {backbone.patch_size}"
        )
    head = _head(d["decode_head"], task, backbone.embed_dim, tuple(hw), backbone.patch_size)
    return ModelConfig(
        task=task,
        size=str(d.get("size", "custom")),
        backbone=backbone,
        head=head,
        input_size_hw=(hw[0], hw[1]),
        canonical_focal_length=float(d.get("canonical_focal_length", 768.0)),
    )
