"""Session times as a person reads them ("3 Dec 14:05"), in tables, pickers and chart axes.

Stored times are UTC ISO strings; they are shown in UTC and the axes say so. The format adapts
to the times shown together: seconds only when two sessions fall in the same minute, the year
only when the sessions span more than one year (tables, which outlive the page, always carry it).
A chart's ticks sit on the sessions themselves, so one session gives one readable tick, and
sessions a minute apart are not labelled with fractions of a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: The most ticks a dated axis gets (the first and the last session always among them).
MAX_TICKS = 8
#: How far a chart's time range reaches past a single session, on each side.
SINGLE_PAD = pd.Timedelta(hours=1)
#: The least padding on each side of several sessions' range, so end points are not on the edge.
MIN_PAD = pd.Timedelta(seconds=30)
AXIS_TITLE = "session date and time (UTC)"


@dataclass(frozen=True)
class TimeStyle:
    """What a label shows besides day, month, hour and minute."""

    seconds: bool = False
    year: bool = False


def as_utc(value: object) -> pd.Timestamp:
    """A stored time (ISO string, datetime, Timestamp) as a UTC Timestamp (naive means UTC)."""
    ts = pd.Timestamp(value)  # type: ignore[arg-type]  # any stored time: Timestamp parses or raises
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def time_style(times: Iterable[object]) -> TimeStyle:
    """The style that tells ``times`` apart: seconds when two distinct times share a minute,
    the year when they are not all in one year."""
    ts = sorted({as_utc(t) for t in times})
    minutes = [t.floor("min") for t in ts]
    return TimeStyle(
        seconds=len(set(minutes)) < len(ts),
        year=len({t.year for t in ts}) > 1,
    )


def time_label(value: object, style: TimeStyle = TimeStyle()) -> str:
    """``3 Dec 14:05`` (``3 Dec 2026 14:05`` with the year, ``3 Dec 14:05:09`` with seconds).

    >>> time_label("2026-12-03T14:05:09")
    '3 Dec 14:05'
    """
    t = as_utc(value)
    text = f"{t.day} {t:%b}"
    if style.year:
        text += f" {t.year}"
    text += f" {t:%H:%M}"
    if style.seconds:
        text += f":{t:%S}"
    return text


def d3_format(style: TimeStyle) -> str:
    """The Vega (d3-time-format) string that draws what :func:`time_label` writes."""
    return "%-d %b" + (" %Y" if style.year else "") + " %H:%M" + (":%S" if style.seconds else "")


def epoch_ms(value: object) -> int:
    """Milliseconds since 1970 UTC: what a Vega-Lite temporal field reads unambiguously."""
    return int(as_utc(value).value // 1_000_000)


def tick_times(times: Iterable[object], *, max_ticks: int = MAX_TICKS) -> list[pd.Timestamp]:
    """The sessions that get a tick: all of them up to ``max_ticks``, else evenly picked ones
    (first and last included)."""
    ts = sorted({as_utc(t) for t in times})
    if len(ts) <= max_ticks:
        return ts
    step = (len(ts) - 1) / (max_ticks - 1)
    return [ts[round(i * step)] for i in range(max_ticks)]


def time_domain(times: Iterable[object]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The chart's time range: the sessions' range padded on both sides (an hour around a
    single session, so its point sits in the middle of a dated axis)."""
    ts = sorted({as_utc(t) for t in times})
    if not ts:
        raise ValueError("a time axis needs at least one time")
    span = ts[-1] - ts[0]
    pad = SINGLE_PAD if span == pd.Timedelta(0) else max(span * 0.05, MIN_PAD)
    return ts[0] - pad, ts[-1] + pad


def time_axis(times: Iterable[object]) -> dict[str, dict[str, Any]]:
    """Vega-Lite ``scale`` and ``axis`` of a dated x axis over ``times`` (plain dicts, so the
    chart builders and the tests read the same thing): UTC, ticks at the sessions, labels as
    :func:`time_label` writes them; values typed ``Any``: JSON for altair's keyword arguments)."""
    ts = list(times)
    style = time_style(ts)
    lo, hi = time_domain(ts)
    ticks = tick_times(ts)
    return {
        "scale": {"type": "utc", "domain": [epoch_ms(lo), epoch_ms(hi)]},
        "axis": {
            "values": [epoch_ms(t) for t in ticks],
            "format": d3_format(style),
            "formatType": "utc",
            "labelAngle": 0 if len(ticks) <= 3 else -30,
            "labelOverlap": True,
            "title": AXIS_TITLE,
        },
    }
