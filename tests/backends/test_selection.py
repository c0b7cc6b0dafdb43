"""Backend selection rules, with the Sapiens2 checkpoint lookup replaced."""

from __future__ import annotations

import sys
import types
from dataclasses import replace

import pytest

from core.backends import selection
from core.config import load_settings
from core.errors import InputError, ModelNotAvailable
from tests.conftest import shared_path


@pytest.fixture
def settings():
    return replace(load_settings(), model_dir=shared_path("models"))


@pytest.fixture
def fake_sapiens2(monkeypatch, tmp_path):
    """Stand-ins for core.sapiens2.checkpoints and core.backends.sapiens2; returns the found-path switch."""
    found = {"path": None}
    checkpoints = types.ModuleType("core.sapiens2.checkpoints")
    checkpoints.find_checkpoint = lambda task, size, settings=None: (
        found["path"] if task == "pose" else None
    )
    backend_module = types.ModuleType("core.backends.sapiens2")

    class Sapiens2Backend:
        name = "sapiens2"

        def __init__(self, size, *, settings=None):
            self.size = size

    backend_module.Sapiens2Backend = Sapiens2Backend
    monkeypatch.setitem(sys.modules, "core.sapiens2.checkpoints", checkpoints)
    monkeypatch.setitem(sys.modules, "core.backends.sapiens2", backend_module)
    return found


def test_auto_is_lite_without_sapiens2_weights(settings, fake_sapiens2):
    backend = selection.get_backend("auto", settings=settings)
    assert backend.name == "lite"
    backend.close()


def test_auto_is_sapiens2_with_weights(settings, fake_sapiens2, tmp_path):
    fake_sapiens2["path"] = tmp_path / "sapiens2_1b_pose.safetensors"
    backend = selection.get_backend("AUTO", size="1b", settings=settings)
    assert backend.name == "sapiens2" and backend.size == "1b"
    status = selection.available_backends(settings, size="1b")
    assert status["sapiens2"].startswith("ready") and status["lite"].startswith("ready")


def test_forced_choices_and_errors(settings, fake_sapiens2, tmp_path):
    assert (
        selection.get_backend("sapiens2", settings=settings).name == "sapiens2"
    )  # forced: built even without weights
    with pytest.raises(InputError, match="choose one of"):
        selection.get_backend("best", settings=settings)
    no_models = replace(settings, model_dir=None, cache_dir=tmp_path)
    with pytest.raises(ModelNotAvailable, match="fetch lite"):
        selection.get_backend("lite", settings=no_models)
    status = selection.available_backends(no_models)
    assert (
        "fetch lite" in status["lite"]
        and "fetch sapiens2 --task pose --size 0.4b" in status["sapiens2"]
    )


def test_missing_sapiens2_module_counts_as_absent(settings, monkeypatch):
    monkeypatch.setitem(
        sys.modules, "core.sapiens2.checkpoints", None
    )  # import raises ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "core.backends.sapiens2", None)
    assert selection.find_sapiens2_pose("0.4b", settings) is None
    assert selection.available_backends(settings)["sapiens2"] == "not part of this build"
    with pytest.raises(ModelNotAvailable, match="not part of this build"):
        selection.get_backend("sapiens2", settings=settings)


def test_which_backend_says_what_auto_resolves_to(settings, fake_sapiens2, tmp_path):
    # auto without Sapiens2 weights is lite, and says why; get_backend builds the same.
    choice = selection.which_backend("auto", settings=settings)
    assert (choice.name, choice.requested, choice.ready) == ("lite", "auto", True)
    assert "no Sapiens2 0.4b pose weights" in choice.reason
    fake_sapiens2["path"] = tmp_path / "sapiens2_1b_pose.safetensors"
    choice = selection.which_backend("auto", size="1b", settings=settings)
    assert (choice.name, choice.size, choice.ready) == ("sapiens2", "1b", True)
    assert "found the Sapiens2 1b pose weights" in choice.reason
    assert selection.get_backend("auto", size="1b", settings=settings).name == choice.name
    # Forced sapiens2 without weights: named, not ready, and the reason says what is missing.
    fake_sapiens2["path"] = None
    forced = selection.which_backend("Sapiens2", settings=settings)
    assert (forced.name, forced.ready) == ("sapiens2", False)
    assert "pose weights are not on this computer" in forced.reason
    with pytest.raises(InputError, match="choose one of"):
        selection.which_backend("best", settings=settings)
