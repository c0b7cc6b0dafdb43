"""Sapiens2 in pure PyTorch: backbone, the four task heads, checkpoints and a numpy predictor.

Written from ``shared/sapiens2/SPEC.md``; loads the official safetensors files unchanged.
The model names are imported on first use, so the label tables (``keypoints308``, ``classes``,
re-exported from the torch-free ``core.labels``)
and the presets can be read without importing torch (the CLI's start-up and the lite path).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Sapiens2Model": "core.sapiens2.model",
    "build_model": "core.sapiens2.model",
    "PRESETS": "core.sapiens2.presets",
    "SIZES": "core.sapiens2.presets",
    "TASKS": "core.sapiens2.presets",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
