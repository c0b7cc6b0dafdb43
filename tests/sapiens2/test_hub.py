"""The download path with huggingface_hub replaced by a fake that serves a tiny file from a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import ModelNotAvailable
from core.sapiens2 import hub
from tests.conftest import shared_path


class FakeHub:
    """Stands in for ``hf_hub_download``: copies the tiny golden file into a fake cache, reports progress."""

    def __init__(self, source: Path, cache: Path) -> None:
        self.source, self.cache, self.calls = source, cache, []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        target = self.cache / kwargs["repo_id"].replace("/", "--") / kwargs["filename"]
        if kwargs.get("local_files_only"):
            if not target.exists():
                raise FileNotFoundError("not cached")
            return str(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = self.source.stat().st_size
        tqdm_class = kwargs.get("tqdm_class")
        bar = tqdm_class(total=size, disable=True) if tqdm_class else None
        shutil.copyfile(self.source, target)
        if bar is not None:
            bar.update(size // 2)
            bar.update(size - size // 2)
            bar.close()
        return str(target)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    fake = FakeHub(shared_path("sapiens2", "golden", "pose_tiny.safetensors"), tmp_path / "cache")
    monkeypatch.setattr(hub, "_hf_hub_download", fake)
    return fake


def test_download_then_found_in_cache(fake: FakeHub) -> None:
    assert hub.cached_checkpoint("pose", "0.4b") is None
    seen: list[tuple[int, int | None]] = []
    path = hub.download_checkpoint(
        "pose", "0.4b", progress=lambda done, total: seen.append((done, total))
    )
    size = fake.source.stat().st_size
    assert path.read_bytes() == fake.source.read_bytes()
    assert seen == [(size // 2, size), (size, size)]
    call = fake.calls[-1]
    assert (
        call["repo_id"] == "facebook/sapiens2-pose-0.4b"
        and call["filename"] == "sapiens2_0.4b_pose.safetensors"
    )
    assert hub.cached_checkpoint("pose", "0.4b") == path
    assert fake.calls[-1]["local_files_only"] is True  # lookups never go online


def test_download_failure_is_actionable(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(**kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(hub, "_hf_hub_download", offline)
    with pytest.raises(
        ModelNotAvailable, match=r"huggingface.co/facebook/sapiens2-seg-1b.*no route to host"
    ):
        hub.download_checkpoint("seg", "1b")
