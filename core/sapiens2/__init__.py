"""Sapiens2 in pure PyTorch: backbone, the four task heads, checkpoints and a numpy predictor.

Written from ``shared/sapiens2/SPEC.md``; loads the official safetensors files unchanged.
"""

from core.sapiens2.model import Sapiens2Model, build_model
from core.sapiens2.presets import PRESETS, SIZES, TASKS

__all__ = ["PRESETS", "SIZES", "TASKS", "Sapiens2Model", "build_model"]
