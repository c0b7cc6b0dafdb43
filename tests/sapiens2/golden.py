"""Helpers shared by the parity tests: load a golden tiny model, its config and its arrays."""

from __future__ import annotations

import json

import numpy as np

from core.sapiens2 import build_model
from core.sapiens2.checkpoints import load_checkpoint
from core.sapiens2.model import Sapiens2Model
from tests.conftest import shared_path

TASKS = ("pose", "seg", "normal", "pointmap")


def golden_config(task: str) -> dict:
    return json.loads(shared_path("sapiens2", "golden", f"{task}_tiny_config.json").read_text())


def golden_arrays(name: str) -> dict[str, np.ndarray]:
    with np.load(shared_path("sapiens2", "golden", name)) as data:
        return {k: data[k] for k in data.files}


def golden_model(task: str) -> Sapiens2Model:
    """The tiny model built from the golden config dict and loaded through our checkpoint loader."""
    model = build_model(golden_config(task))
    load_checkpoint(model, shared_path("sapiens2", "golden", f"{task}_tiny.safetensors"))
    return model.eval()
