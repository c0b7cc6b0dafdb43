"""The gait page's quality panel: each grade shown with its reasons (no model is run)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow


def _panel(walk: str) -> AppTest:
    def script(walk: str) -> None:
        from core.app.gait_ui import render_quality
        from core.measure.gait import analyze_gait
        from tests.measure.synthetic import walking_series

        kwargs = {"good": {}, "unusable": {"speed_px_s": 0.0}, "short": {"duration_s": 1.5}}
        render_quality(analyze_gait(walking_series(**kwargs[walk])))

    at = AppTest.from_function(script, args=(walk,))
    at.run(timeout=60)  # the first run imports pandas, scipy and streamlit's widgets
    assert not at.exception
    return at


def test_good_limited_and_unusable_are_told_apart():
    good = _panel("good")
    assert [s.value for s in good.success] == ["**Quality: good** no problem found."]
    treadmill = _panel("unusable")  # a walk in place is refused
    assert [e.value for e in treadmill.error] == [
        "**Quality: unusable**\n- not a walk filmed side-on (see the warnings): nothing is measured"
    ]
    short = _panel("short")
    assert [e.value for e in short.error] == [
        "**Quality: unusable**\n- 2 valid alternating heel strikes, fewer than 4: no cadence"
    ]
    assert not good.error and not treadmill.success
