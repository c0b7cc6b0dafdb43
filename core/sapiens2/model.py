"""``build_model``: a Sapiens2 task model (``.backbone`` + ``.decode_head``) from a preset or a dict.

The module's state-dict keys are the official ones (``backbone.*``, ``decode_head.*``), so
``model.load_state_dict(safetensors.torch.load_file(path))`` loads a released checkpoint unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from core.sapiens2.backbone import Sapiens2Backbone
from core.sapiens2.config_dict import config_from_dict
from core.sapiens2.heads import NormalHead, PointmapHead, PoseHeatmapHead, SegHead
from core.sapiens2.presets import ModelConfig, get_preset

_HEADS = {"pose": PoseHeatmapHead, "seg": SegHead, "normal": NormalHead, "pointmap": PointmapHead}


class Sapiens2Model(nn.Module):
    """Normalised image (B, 3, H, W) -> raw head output.

    pose (B, 308, H/4, W/4) heatmaps; seg (B, 29, H, W) logits; normal (B, 3, H, W) un-normalised;
    pointmap a tuple ((B, 3, H, W), (B, 1)).
    """

    cfg: ModelConfig  # plain attribute, typed here: nn.Module's lookup would type it as a module

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.task = cfg.task
        self.backbone = Sapiens2Backbone(cfg.backbone)
        self.decode_head = _HEADS[cfg.task](cfg.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        return self.decode_head(self.backbone(x))


def resolve_config(config: str | Mapping[str, Any] | ModelConfig) -> ModelConfig:
    """A :class:`ModelConfig` from a preset name ``"<task>-<size>"``, a golden-schema dict, or itself."""
    if isinstance(config, ModelConfig):
        return config
    if isinstance(config, str):
        return get_preset(config)
    if isinstance(config, Mapping):
        return config_from_dict(config)
    raise ValueError(
        f"config must be a preset name like 'pose-0.4b' or a dict, got {type(config).__name__}"
    )


def build_model(config: str | Mapping[str, Any] | ModelConfig) -> Sapiens2Model:
    """Build a task model with the official parameter layout.

    Parameters
    ----------
    config : str or dict
        ``"<task>-<size>"`` with task in pose, seg, normal, pointmap and size in 0.4b, 0.8b, 1b, 5b
        (or ``tiny``), or a dict in the schema of ``golden/*_config.json``.

    Returns
    -------
    Sapiens2Model
        Randomly initialised (load weights with ``load_state_dict``); honours the ambient
        ``torch.device`` context, so ``with torch.device("meta"):`` allocates nothing.

    Examples
    --------
    >>> import torch
    >>> with torch.device("meta"):
    ...     m = build_model("pose-0.4b")
    >>> tuple(m.decode_head.conv_pose.weight.shape)
    (308, 256, 1, 1)
    """
    return Sapiens2Model(resolve_config(config))
