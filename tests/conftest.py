"""Shared test fixtures: where ``../shared`` is, and a private data directory per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SAPIENS_MEASURE_SHARED", ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path inside ``../shared``; the calling test is skipped with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {Path('shared', *parts)} beside the checkout (absent here)")
    return path


@pytest.fixture
def shared() -> Path:
    return shared_path()


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test writes into its own data directory, never into the checkout's ``data/``."""
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("SAPIENS_MEASURE_DATA_DIR", str(data))
    monkeypatch.setenv("SAPIENS_MEASURE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    if not os.environ.get("SAPIENS_MEASURE_MODEL_DIR") and (SHARED / "models").is_dir():
        monkeypatch.setenv("SAPIENS_MEASURE_MODEL_DIR", str(SHARED / "models"))
    return data


@pytest.fixture(autouse=True, scope="session")
def _close_native_models():
    """Close MediaPipe tasks at the end of the session, while its worker threads still run."""
    yield
    lite = sys.modules.get("core.backends.lite")
    if lite is not None:
        lite.close_all()
