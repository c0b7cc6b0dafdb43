"""The Start page's lite download: a failure is a plain error box naming what to do, and no
progress bar is left behind (both routes faked as unreachable; no network)."""

from __future__ import annotations

import socket
import urllib.error

from tests.app.helpers import open_page, problems


def test_failed_lite_download_says_what_to_do_and_clears_its_bar(monkeypatch, tmp_path) -> None:
    import core.backends.lite_bundle as bundle
    import core.backends.models as models

    monkeypatch.delenv("SAPIENS_MEASURE_MODEL_DIR", raising=False)
    monkeypatch.setenv("SAPIENS_MEASURE_CACHE_DIR", str(tmp_path / "cache"))

    def unreachable(url, out, progress):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    def pip_offline(args, on_line):
        on_line("Progress 0 of 35622638")
        on_line("ERROR: No matching distribution found for mediapipe==0.10.21")
        return 1

    monkeypatch.setattr(models, "_urllib_download", unreachable)
    monkeypatch.setattr(bundle, "_run_pip", pip_offline)
    at = open_page("pages/start.py")
    assert problems(at) == []
    at.button(key="status_download_lite").click().run()
    shown = problems(at)
    assert len(shown) == 1, shown
    for words in (
        "Name or service not known",
        "No matching distribution found",
        "SAPIENS_MEASURE_MODEL_DIR",
        "python -m core fetch lite",
    ):
        assert words in shown[0]
    assert "<urlopen error" not in shown[0]
    assert list(at.get("progress")) == []  # cleared, not left half-full
    assert list((tmp_path / "cache" / "lite").iterdir()) == []
