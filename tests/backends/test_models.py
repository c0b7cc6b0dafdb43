"""Lite model lookup and the download (with the network replaced by a fake downloader)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from core.backends.models import (
    LITE_MODELS,
    fetch_lite_model,
    fetch_lite_models,
    find_lite_model,
    resolve_lite_model,
)
from core.config import load_settings
from core.errors import ModelNotAvailable
from tests.conftest import shared_path


@pytest.fixture
def empty_settings(tmp_path):
    return replace(load_settings(), model_dir=None, cache_dir=tmp_path / "cache")


def test_file_names_match_the_shared_models():
    readme = shared_path("models", "README.md").read_text()
    for model in LITE_MODELS.values():
        assert model.filename in readme
        assert (shared_path("models") / model.filename).is_file()
        assert model.url.startswith("https://storage.googleapis.com/mediapipe-models/")
        assert model.url.endswith("/" + model.filename)


def test_lookup_order_and_missing_message(empty_settings, tmp_path):
    assert find_lite_model("selfie_segmenter", empty_settings) is None
    with pytest.raises(ModelNotAvailable, match="fetch lite"):
        resolve_lite_model("selfie_segmenter", empty_settings)
    with pytest.raises(ModelNotAvailable, match="unknown lite model"):
        find_lite_model("nope", empty_settings)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "selfie_segmenter.tflite").write_bytes(b"x")
    cached = empty_settings.cache_dir / "lite"
    cached.mkdir(parents=True)
    (cached / "selfie_segmenter.tflite").write_bytes(b"y")
    settings = replace(empty_settings, model_dir=mine)
    assert (
        find_lite_model("selfie_segmenter", settings) == mine / "selfie_segmenter.tflite"
    )  # model dir first
    assert find_lite_model("selfie_segmenter", empty_settings) == cached / "selfie_segmenter.tflite"


def _serve(payload: bytes, *, fail_after: int | None = None):
    def download(url, out, progress):
        for start in range(0, len(payload), 100):
            if fail_after is not None and start >= fail_after:
                raise OSError("connection reset")
            out.write(payload[start : start + 100])
            progress(min(start + 100, len(payload)), len(payload))

    return download


def test_successful_fetch_records_hash(empty_settings):
    payload = shared_path(
        "models", "selfie_segmenter.tflite"
    ).read_bytes()  # a real model: check_loads passes
    seen = []
    path, digest = fetch_lite_model(
        "selfie_segmenter",
        settings=empty_settings,
        download=_serve(payload),
        progress=lambda name, done, total: seen.append((name, done, total)),
    )
    assert path == empty_settings.cache_dir / "lite" / "selfie_segmenter.tflite"
    assert path.read_bytes() == payload
    assert digest == hashlib.sha256(payload).hexdigest()
    sums = (path.parent / "SHA256SUMS").read_text()
    assert f"{digest}  selfie_segmenter.tflite" in sums
    assert seen[-1] == ("selfie_segmenter.tflite", len(payload), len(payload))
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "SHA256SUMS",
        "selfie_segmenter.tflite",
    ]


def test_partial_download_leaves_nothing(empty_settings):
    with pytest.raises(ModelNotAvailable, match="connection reset"):
        fetch_lite_models(
            settings=empty_settings,
            keys=("selfie_segmenter",),
            download=_serve(b"z" * 1000, fail_after=500),
        )
    assert list((empty_settings.cache_dir / "lite").iterdir()) == []


def test_file_that_does_not_load_is_not_kept(empty_settings):
    with pytest.raises(ModelNotAvailable, match="does not load"):
        fetch_lite_model(
            "selfie_segmenter", settings=empty_settings, download=_serve(b"not a model" * 10)
        )
    assert list((empty_settings.cache_dir / "lite").iterdir()) == []


def test_fetch_skips_files_found_locally(empty_settings):
    settings = replace(empty_settings, model_dir=shared_path("models"))

    def no_network(*_):
        raise AssertionError("must not download a file that is already there")

    paths = fetch_lite_models(settings=settings, download=no_network)
    assert paths["pose_landmarker_full"] == shared_path("models", "pose_landmarker_full.task")
