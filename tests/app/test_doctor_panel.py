"""The Start page's "System check" panel: collapsed, nothing computed until the button is pressed."""

from __future__ import annotations

import pytest

from core.sapiens2 import routes
from tests.app.helpers import open_page, problems


def test_system_check_runs_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def choose(*, measure_now: bool = False) -> dict[str, routes.Route]:
        calls.append(measure_now)
        return {op: routes.Route(op, "torch", "a faked rule") for op in routes.OPS}

    monkeypatch.setattr(routes, "choose", choose)
    at = open_page("pages/start.py")
    assert not problems(at)
    panel = next(e for e in at.expander if e.label == "System check")
    assert not calls, "the report must not be computed at page load"
    assert not [c for c in at.code if "CPU:" in c.value]

    panel.button(key="doctor_run").click().run()
    assert not problems(at)
    assert calls == [False]
    report = next(c.value for c in at.code if "CPU:" in c.value)
    assert "attention" in report and "a faked rule" in report
    assert "Lite model files:" in report
