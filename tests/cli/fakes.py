"""Hand the project's test double out as the CLI's backend; everything after it is the real code.

Only ``core.backends.selection.get_backend`` is replaced. Tracking, measures, RULA, gait, video
decoding and the store are the modules the CLI ships with.
"""

from __future__ import annotations

import pytest

from core.backends.fake import FakeBackend


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: FakeBackend) -> list[tuple[str, str]]:
    """Make ``get_backend`` return ``backend``; returns the (name, size) of every request it gets."""
    requests: list[tuple[str, str]] = []

    def get_backend(name: str = "auto", *, size: str = "0.4b", settings=None) -> FakeBackend:
        requests.append((name, size))
        return backend

    monkeypatch.setattr("core.backends.selection.get_backend", get_backend)
    return requests
