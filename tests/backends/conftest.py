"""One lite backend per test module: MediaPipe models are slow to create and safe to reuse."""

from __future__ import annotations

import pytest

from tests.conftest import shared_path


@pytest.fixture(scope="module")
def lite_backend():
    from dataclasses import replace

    from core.backends.lite import LiteBackend
    from core.config import load_settings

    settings = replace(load_settings(), model_dir=shared_path("models"))
    backend = LiteBackend(settings)
    yield backend
    backend.close()  # MediaPipe's native threads must stop before the interpreter does
