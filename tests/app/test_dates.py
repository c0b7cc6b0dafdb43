"""Dated time axes and labels (core.app.dates): what a person reads under a trend chart."""

from __future__ import annotations

import pandas as pd
import pytest

from core.app.charts import trend_chart
from core.app.dates import (
    AXIS_TITLE,
    MAX_TICKS,
    TimeStyle,
    as_utc,
    d3_format,
    epoch_ms,
    time_axis,
    time_domain,
    time_label,
    time_style,
)


def _d3_in_python(fmt: str, value: str) -> str:
    """What Vega draws for ``fmt``: d3's "%-d" is the unpadded day, the rest is strftime."""
    t = as_utc(value)
    return t.strftime(fmt.replace("%-d", str(t.day)))


def test_label_reads_day_month_and_time() -> None:
    assert time_label("2026-12-03T14:05:09") == "3 Dec 14:05"
    assert time_label("2026-12-03T14:05:09", TimeStyle(year=True)) == "3 Dec 2026 14:05"
    assert time_label("2026-12-03T14:05:09", TimeStyle(seconds=True)) == "3 Dec 14:05:09"
    # Stored times are UTC; an offset is converted, a naive time is taken as UTC.
    assert time_label("2026-12-03T15:05:00+01:00") == "3 Dec 14:05"


@pytest.mark.parametrize(
    "times",
    [
        ["2026-12-03T14:05:00"],
        ["2026-12-03T14:05:00", "2026-12-03T14:06:00"],
        ["2026-12-03T14:05:10", "2026-12-03T14:05:40"],
        ["2025-12-30T09:00:00", "2026-01-02T09:00:00"],
    ],
)
def test_axis_format_draws_what_the_label_writes(times: list[str]) -> None:
    style = time_style(times)
    for t in times:
        assert _d3_in_python(d3_format(style), t) == time_label(t, style)


def test_a_single_session_gets_one_tick_in_a_padded_range() -> None:
    # The old axis showed one ".398" tick: now one tick at the session, labelled in words.
    t = "2026-12-03T14:05:00"
    axis = time_axis([t])
    assert axis["axis"]["values"] == [epoch_ms(t)]
    assert axis["axis"]["format"] == "%-d %b %H:%M" and axis["axis"]["formatType"] == "utc"
    lo, hi = axis["scale"]["domain"]
    hour_ms = 3600 * 1000
    assert (lo, hi) == (epoch_ms(t) - hour_ms, epoch_ms(t) + hour_ms)
    assert axis["scale"]["type"] == "utc" and axis["axis"]["title"] == AXIS_TITLE


def test_sessions_a_minute_apart_read_as_minutes() -> None:
    # The old axis showed ":53 :54 ... 07:10 :01" ticks; now one tick per session, in minutes.
    times = ["2026-12-03T07:09:53", "2026-12-03T07:10:54"]
    style = time_style(times)
    assert style == TimeStyle(seconds=False, year=False)
    assert [time_label(t, style) for t in times] == ["3 Dec 07:09", "3 Dec 07:10"]
    axis = time_axis(times)
    assert axis["axis"]["values"] == [epoch_ms(t) for t in times]
    # Padded by at least 30 s each side (MIN_PAD), so the end points are not on the frame.
    lo, hi = time_domain(times)
    assert lo == as_utc(times[0]) - pd.Timedelta(seconds=30)
    assert hi == as_utc(times[1]) + pd.Timedelta(seconds=30)


def test_seconds_only_when_two_sessions_share_a_minute_and_year_when_years_differ() -> None:
    same_minute = ["2026-12-03T14:05:10", "2026-12-03T14:05:40"]
    assert time_style(same_minute) == TimeStyle(seconds=True, year=False)
    assert len({time_label(t, time_style(same_minute)) for t in same_minute}) == 2
    assert time_style(["2025-12-30T09:00:00", "2026-01-02T09:00:00"]).year
    assert time_style(["2026-12-03T14:05:00", "2026-12-03T14:05:00"]) == TimeStyle()


def test_many_sessions_get_at_most_max_ticks_with_first_and_last() -> None:
    times = [f"2026-11-{d:02d}T10:00:00" for d in range(1, 21)]
    values = time_axis(times)["axis"]["values"]
    assert len(values) == MAX_TICKS
    assert values[0] == epoch_ms(times[0]) and values[-1] == epoch_ms(times[-1])
    assert values == sorted(values)


def test_trend_chart_uses_the_dated_axis_and_names_side_and_measure() -> None:
    created = [as_utc("2026-12-03T14:05:00"), as_utc("2026-12-04T09:30:00")] * 2
    hist = pd.DataFrame(
        {
            "session": [1, 2, 1, 2],
            "created": created,
            "side": ["left", "left", "right", "right"],
            "measure": ["Knee angle (left)"] * 2 + ["Knee angle (right)"] * 2,
            "value": [150.0, 160.0, 152.0, float("nan")],
        }
    )
    spec = trend_chart(hist, title="Knee angle (°)").to_dict()
    line, points = spec["layer"]
    assert line["mark"]["type"] == "line" and points["mark"]["type"] == "point"
    x = line["encoding"]["x"]
    assert x["axis"]["values"] == [epoch_ms(t) for t in created[:2]]
    assert x["axis"]["format"] == "%-d %b %H:%M" and x["scale"]["type"] == "utc"
    colour = line["encoding"]["color"]
    assert colour["scale"]["domain"] == ["Knee angle (left)", "Knee angle (right)"]
    assert colour["legend"]["labelLimit"] == 0  # legend labels never cut off
    data = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert len(data) == 3  # the NaN value is not drawn
    assert list(data["when"]) == ["3 Dec 14:05", "4 Dec 09:30", "3 Dec 14:05"]


def test_trend_chart_draws_a_value_stored_as_unreliable_hollow() -> None:
    created = [as_utc("2026-12-03T14:05:00"), as_utc("2026-12-04T09:30:00")]
    hist = pd.DataFrame(
        {
            "session": [1, 2],
            "created": created,
            "side": ["left", "left"],
            "measure": ["Knee angle (left)"] * 2,
            "value": [150.0, 160.0],
            "reliability": ["reliable", "unreliable"],
        }
    )
    spec = trend_chart(hist, title="Knee angle (°)").to_dict()
    fill = spec["layer"][1]["encoding"]["fill"]
    assert fill["condition"]["test"] == "(datum.reliability === 'unreliable')"
    assert fill["condition"]["value"] == "white" and fill["field"] == "measure"
    data = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert list(data["reliability"]) == ["reliable", "unreliable"]
    # Without the column (a frame made before flags were stored) every point is filled.
    plain = trend_chart(hist.drop(columns="reliability"), title="K").to_dict()
    assert set(pd.DataFrame(plain["datasets"][plain["data"]["name"]])["reliability"]) == {
        "reliable"
    }
