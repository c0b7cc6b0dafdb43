"""Fixtures of the store tests: a fresh store in the per-test data folder and a small measurement frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.store import Store


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def rows(n_frames: int = 3, *, seed: int = 0) -> pd.DataFrame:
    """n_frames x 2 metrics (knee angle left/right), values from a seeded RNG, one negative lean."""
    rng = np.random.default_rng(seed)
    out = []
    for f in range(n_frames):
        for side in ("left", "right"):
            out.append((f, f / 30, "knee_angle_deg", side, float(rng.uniform(90, 180)), "deg"))
        out.append((f, f / 30, "trunk_lean_deg", "", -3.2 - f, "deg"))
    return pd.DataFrame(out, columns=["frame", "time_s", "metric", "side", "value", "unit"])


INFO = {
    "backend": "fake",
    "model": "fake-pose",
    "size": "tiny",
    "device": "cpu",
    "dtype": "float32",
    "threshold": 0.5,
}
