"""Fixtures of the reliability suite; the case counts are printed at the end of the run and written as
JSON to ``$SAPIENS_MEASURE_RELIABILITY_REPORT`` when it is set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.reliability.harness import FIGURES, TALLY, NetworkRecorder


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> NetworkRecorder:
    """Every Python-level connection attempt is recorded and refused."""
    return NetworkRecorder(monkeypatch)


@pytest.fixture(scope="module")
def lite_backend():
    """One lite backend per module (MediaPipe models are slow to create), closed at the end."""
    from dataclasses import replace

    from core.backends.lite import LiteBackend
    from core.config import load_settings

    backend = LiteBackend(replace(load_settings(), model_dir=shared_path("models")))
    yield backend
    backend.close()  # MediaPipe's native threads must stop before the interpreter does


@pytest.fixture
def scratch_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty working folder, so a relative path built from hostile text would land here."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's reporter)
    if not TALLY and not FIGURES:
        return
    tr = terminalreporter
    tr.section("reliability: cases tried per suite")
    for suite in sorted(TALLY):
        outcomes = TALLY[suite]
        parts = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        tr.write_line(f"{suite:36s} {sum(outcomes.values()):6d}  ({parts})")
    for name, value in sorted(FIGURES.items()):
        tr.write_line(f"{name:36s} {value}")
    out = os.environ.get("SAPIENS_MEASURE_RELIABILITY_REPORT")
    if out:
        data = {"cases": {s: dict(o) for s, o in TALLY.items()}, "figures": FIGURES}
        Path(out).write_text(json.dumps(data, indent=2, sort_keys=True))
