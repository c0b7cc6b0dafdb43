"""``python -m core fetch``: wiring to the lite fetch and to the Sapiens2 hub (both replaced here)."""

from __future__ import annotations

import sys
import types

from core.cli import main


def test_fetch_lite_prints_paths_and_progress(monkeypatch, capsys, tmp_path):
    import core.backends.models as models

    def fake_fetch(progress, *, force=False, notice=None):
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


def test_fetch_lite_failure_is_one_plain_error_line(monkeypatch, capsys, tmp_path):
    """Neither MediaPipe's storage nor the package index reachable: one `error:` line, exit 1."""
    import socket
    import urllib.error

    import core.backends.lite_bundle as bundle
    import core.backends.models as models

    monkeypatch.delenv("SAPIENS_MEASURE_MODEL_DIR", raising=False)
    monkeypatch.setenv("SAPIENS_MEASURE_CACHE_DIR", str(tmp_path / "cache"))

    def unreachable(url, out, progress):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    def pip_offline(args, on_line):
        on_line("Progress 0 of 35622638")  # a progress line before the failure
        on_line("ERROR: Could not find a version that satisfies the requirement mediapipe==0.10.21")
        return 1

    monkeypatch.setattr(models, "_urllib_download", unreachable)
    monkeypatch.setattr(bundle, "_run_pip", pip_offline)
    assert main(["fetch", "lite"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err  # on a line of its own, after the progress line
    assert "Traceback" not in err and "<urlopen error" not in err
    for words in (
        "Name or service not known",
        "Could not find a version",
        "SAPIENS_MEASURE_MODEL_DIR",
    ):
        assert words in errors[0]
    assert list((tmp_path / "cache" / "lite").iterdir()) == []
