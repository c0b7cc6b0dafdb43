"""The download path with huggingface_hub replaced by a fake that serves a tiny file from a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import ModelNotAvailable
from core.sapiens2 import hub
from tests.conftest import shared_path


class FakeHub:
    """Stands in for ``hf_hub_download``: copies the tiny golden file into the standard HF cache
    layout (``models--<org>--<name>/{refs/main, snapshots/<rev>/<file>}``), reports progress."""

    def __init__(self, source: Path, cache: Path) -> None:
        self.source, self.cache, self.calls = source, cache, []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        assert not kwargs.get("local_files_only"), "lookups read the cache folder, never the hub"
        repo = self.cache / ("models--" + kwargs["repo_id"].replace("/", "--"))
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text("0123abcd")
        target = repo / "snapshots" / "0123abcd" / kwargs["filename"]
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
    monkeypatch.setenv("HF_HUB_CACHE", str(fake.cache))
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
    n_calls = len(fake.calls)
    assert hub.cached_checkpoint("pose", "0.4b") == path
    assert len(fake.calls) == n_calls  # the lookup read the cache folder; the hub was not asked


def test_download_failure_is_actionable(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(**kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(hub, "_hf_hub_download", offline)
    with pytest.raises(
        ModelNotAvailable, match=r"huggingface.co/facebook/sapiens2-seg-1b.*no route to host"
    ):
        hub.download_checkpoint("seg", "1b")


def test_the_cache_folder_is_read_at_call_time(
    fake: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub reads HF_HUB_CACHE once, at its import: a checkpoint in the folder the
    # environment named then must not be found once the environment names another one.
    import huggingface_hub.constants

    hub.download_checkpoint("pose", "0.4b")
    assert hub.cached_checkpoint("pose", "0.4b") is not None
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(fake.cache))
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "elsewhere"))
    assert hub.cached_checkpoint("pose", "0.4b") is None
    assert hub._cache_dir(None) == str(tmp_path / "elsewhere" / "hub")
