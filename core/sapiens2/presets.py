"""Sapiens2 size presets as data: backbone and head hyper-parameters (SPEC.md 2.1 and 3).

``PRESETS["pose-0.4b"]`` etc. describe the official task models; the ``*-tiny`` presets are the
golden-fixture models (embed 32, 18 layers) so CI can run real forwards in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

TASKS = ("pose", "seg", "normal", "pointmap")
SIZES = ("0.4b", "0.8b", "1b", "5b")
#: Network input (H, W) of every official task model.
INPUT_SIZE_HW = (1024, 768)
NUM_KEYPOINTS = 308
NUM_SEG_CLASSES = 29


def gqa_kv_heads(num_layers: int, num_heads: int) -> tuple[int, ...]:
    """Per-layer kv head count: full MHSA in the first and last 8 layers, h/2 in between (SPEC 2.4)."""
    return tuple(
        num_heads if i < 8 or i >= num_layers - 8 else num_heads // 2 for i in range(num_layers)
    )


@dataclass(frozen=True)
class BackboneConfig:
    """The ViT backbone. ``num_kv_heads`` has one entry per layer."""

    embed_dim: int
    num_layers: int
    num_heads: int
    head_dim: int
    ffn_dim: int
    num_kv_heads: tuple[int, ...]
    patch_size: int = 16
    in_channels: int = 3
    n_storage_tokens: int = 8
    rope_base: float = 100.0
    #: 4K window tokenizer (only the ``pretrain-1b-4k`` backbone; SPEC 2.7).
    num_tokenizer_layers: int = 0
    window_size: int = 4

    @property
    def num_prefix_tokens(self) -> int:
        return 1 + self.n_storage_tokens  # cls + storage tokens


@dataclass(frozen=True)
class HeadConfig:
    """A decode head; which fields matter depends on ``kind`` (pose, seg, normal, pointmap)."""

    kind: str
    in_channels: int
    out_channels: int
    deconv_out_channels: tuple[int, ...] = ()
    deconv_kernel_sizes: tuple[int, ...] = ()
    upsample_channels: tuple[int, ...] = ()
    conv_out_channels: tuple[int, ...] = ()
    conv_kernel_sizes: tuple[int, ...] = ()
    scale_conv_out_channels: tuple[int, ...] = ()
    scale_conv_kernel_sizes: tuple[int, ...] = ()
    #: Widths of the scale MLP, input first (e.g. 6144, 512, 128, 1).
    scale_final_layer: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelConfig:
    """One task model: backbone + head, and the network input size its pre-processing targets."""

    task: str
    size: str
    backbone: BackboneConfig
    head: HeadConfig
    input_size_hw: tuple[int, int] = INPUT_SIZE_HW
    canonical_focal_length: float = 768.0
    extra: dict = field(default_factory=dict, compare=False, repr=False)


# (C, L, h, d) per size (SPEC 2.1); F = 4C.
_ARCH = {
    "0.1b": (768, 12, 12, 64),
    "0.4b": (1024, 24, 16, 64),
    "0.8b": (1280, 32, 16, 80),
    "1b": (1536, 40, 24, 64),
    "5b": (2432, 56, 32, 76),
}


def _backbone(size: str) -> BackboneConfig:
    c, n, h, d = _ARCH[size]
    return BackboneConfig(c, n, h, d, 4 * c, gqa_kv_heads(n, h))


def _head(task: str, size: str, c: int) -> HeadConfig:
    if task == "pose":
        deconv, conv = (
            ((1536, 1024), (768, 512, 256)) if size == "1b" else ((1024, 768), (512, 512, 256))
        )
        return HeadConfig(
            "pose",
            c,
            NUM_KEYPOINTS,
            deconv,
            (4,) * len(deconv),
            conv_out_channels=conv,
            conv_kernel_sizes=(1,) * 3,
        )
    if task == "seg":
        return HeadConfig(
            "seg",
            c,
            NUM_SEG_CLASSES,
            (512, 256, 128, 64),
            (4,) * 4,
            conv_out_channels=(64, 64),
            conv_kernel_sizes=(1, 1),
        )
    big = size == "5b"
    conv = (128, 64, 32) if big else (64, 32, 16)
    if task == "normal":
        up = (1536, 768, 512, 256) if big else (768, 512, 256, 128)
        return HeadConfig(
            "normal", c, 3, upsample_channels=up, conv_out_channels=conv, conv_kernel_sizes=(3,) * 3
        )
    up = (1536, 768, 768, 768) if big else (1536, 768, 512, 256)
    return HeadConfig(
        "pointmap", c, 3, upsample_channels=up, conv_out_channels=conv, conv_kernel_sizes=(3,) * 3,
        scale_conv_out_channels=(1536, 512, 128), scale_conv_kernel_sizes=(1, 1, 1),
        scale_final_layer=(128 * 8 * 6, 512, 128, 1),
    )  # fmt: skip


def _tiny(task: str) -> ModelConfig:
    """The golden fixtures' tiny models (shared/sapiens2/golden/README.md)."""
    bb = BackboneConfig(32, 18, 4, 8, 128, gqa_kv_heads(18, 4))
    heads = {
        "pose": ((64, 48), HeadConfig("pose", 32, NUM_KEYPOINTS, (32, 24), (4, 4), conv_out_channels=(24, 16, 16), conv_kernel_sizes=(1, 1, 1))),
        "seg": ((64, 48), HeadConfig("seg", 32, NUM_SEG_CLASSES, (32, 24, 16, 16), (4,) * 4, conv_out_channels=(16, 16), conv_kernel_sizes=(1, 1))),
        "normal": ((128, 96), HeadConfig("normal", 32, 3, upsample_channels=(32, 24, 16, 16), conv_out_channels=(16, 8, 8), conv_kernel_sizes=(3,) * 3)),
        "pointmap": ((192, 144), HeadConfig(
            "pointmap", 32, 3, upsample_channels=(64, 32, 16, 16), conv_out_channels=(16, 8, 8), conv_kernel_sizes=(3,) * 3,
            scale_conv_out_channels=(48, 32, 16), scale_conv_kernel_sizes=(1, 1, 1), scale_final_layer=(64, 32, 16, 1))),
    }  # fmt: skip
    hw, head = heads[task]
    return ModelConfig(task, "tiny", bb, head, hw)


PRESETS: dict[str, ModelConfig] = {
    **{
        f"{t}-{s}": ModelConfig(t, s, _backbone(s), _head(t, s, _ARCH[s][0]))
        for t in TASKS
        for s in SIZES
    },
    **{f"{t}-tiny": _tiny(t) for t in TASKS},
}


#: Backbone-only (pretrain) checkpoints: bare keys, loaded into ``Sapiens2Backbone``.
PRETRAIN_BACKBONES: dict[str, BackboneConfig] = {
    **{s: _backbone(s) for s in _ARCH},
    "1b-4k": replace(_backbone("1b"), num_tokenizer_layers=4),
}


def get_preset(name: str) -> ModelConfig:
    """The preset ``"<task>-<size>"``; ``ValueError`` naming the valid choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown Sapiens2 preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None
