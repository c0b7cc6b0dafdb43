"""``python -m core fetch``: wiring to the lite fetch and to the Sapiens2 hub (both replaced here)."""

from __future__ import annotations

import sys
import types

from core.cli import main


def test_fetch_lite_prints_paths_and_progress(monkeypatch, capsys, tmp_path):
    import core.backends.models as models

    def fake_fetch(progress, *, force=False):
        progress("pose_landmarker_full.task", 50, 100)
        progress("pose_landmarker_full.task", 100, 100)
        return {"pose_landmarker_full": tmp_path / "pose_landmarker_full.task"}

    monkeypatch.setattr(models, "fetch_lite_models", fake_fetch)
    assert main(["fetch", "lite"]) == 0
    out, err = capsys.readouterr()
    assert "pose_landmarker_full.task" in out
    assert "(100%)" in err  # progress goes to stderr, not stdout


def test_fetch_sapiens2_calls_the_hub(monkeypatch, capsys, tmp_path):
    calls = []
    hub = types.ModuleType("core.sapiens2.hub")

    def download_checkpoint(task, size, *, progress=None):
        calls.append((task, size))
        progress(10, 10)
        return tmp_path / f"sapiens2_{size}_{task}.safetensors"

    hub.download_checkpoint = download_checkpoint
    monkeypatch.setitem(sys.modules, "core.sapiens2.hub", hub)
    assert main(["fetch", "sapiens2", "--task", "seg", "--size", "1b"]) == 0
    out, err = capsys.readouterr()
    assert calls == [("seg", "1b")]
    assert "sapiens2_1b_seg.safetensors" in out and "sapiens2_1b_seg" in err


def test_fetch_errors_are_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "core.sapiens2.hub", None)
    assert main(["fetch", "sapiens2"]) == 1
    assert "not part of this build" in capsys.readouterr().err
