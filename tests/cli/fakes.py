"""Hand the project's test double out as the CLI's backend; everything after it is the real code.

Only ``core.backends.selection.get_backend`` is replaced. Tracking, measures, RULA, gait, video
decoding and the store are the modules the CLI ships with.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.backends.fake import FakeBackend
from core.keypoints import INDEX


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: FakeBackend) -> list[tuple[str, str]]:
    """Make ``get_backend`` return ``backend``; returns the (name, size) of every request it gets."""
    requests: list[tuple[str, str]] = []

    def get_backend(name: str = "auto", *, size: str = "0.4b", settings=None) -> FakeBackend:
        requests.append((name, size))
        return backend

    monkeypatch.setattr("core.backends.selection.get_backend", get_backend)
    return requests


class ScoredFakeBackend(FakeBackend):
    """``FakeBackend`` whose poses give the named points these scores instead of 1.0 (the points
    keep their positions, so a score at or above the threshold leaves every measure as it was)."""

    def __init__(self, people, scores: dict[str, float], **kwargs) -> None:
        super().__init__(people, **kwargs)
        self.scores = scores

    def estimate_pose(self, image, boxes=None, *, timestamp_ms=None, flip_test=None):
        poses = super().estimate_pose(image, boxes, timestamp_ms=timestamp_ms)
        out = []
        for pose in poses:
            scores = pose.scores.copy()
            for name, score in self.scores.items():
                scores[INDEX[name]] = score
            out.append(dataclasses.replace(pose, scores=scores))
        return out
