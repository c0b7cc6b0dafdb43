"""Altair chart builders for the pages and the printable report.

Charts take tidy pandas frames (as produced by ``core.measure.summary`` and the store) and return
``alt.Chart`` objects; they never compute a measurement, they only draw one.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Colours that stay distinguishable for common colour-vision deficiencies (Okabe-Ito).
SIDE_COLOURS = {"left": "#0072B2", "right": "#D55E00", "": "#009E73"}


def time_series_panels(
    series: pd.DataFrame,
    columns: dict[str, str],
    *,
    time_col: str = "time_s",
    events: pd.DataFrame | None = None,
    height: int = 140,
) -> list[alt.Chart | alt.LayerChart]:
    """One small chart per signal over time, with heel strikes as vertical rules.

    ``columns`` maps a column of ``series`` to its axis title (e.g. ``{"trunk_lean_deg":
    "Trunk lean (deg)"}``); missing columns are skipped. ``events`` has ``time_s`` and ``side``.
    Every panel spans the whole recording on x, so the panels line up when drawn one under the
    other; each is drawn as its own chart, so it can take the page's width (a concatenated
    chart cannot).
    """
    t = series[time_col]
    x_scale = alt.Scale(domain=[float(t.min()), float(t.max())]) if len(t) else alt.Undefined
    panels = []
    for col, title in columns.items():
        if col not in series.columns:
            continue
        data = series[[time_col, col]].rename(columns={col: "value"})
        line = (
            alt.Chart(data)
            .mark_line(color="#333333")
            .encode(
                x=alt.X(f"{time_col}:Q", title="time (s)", scale=x_scale),
                y=alt.Y("value:Q", title=title),
                tooltip=[
                    alt.Tooltip(f"{time_col}:Q", format=".2f"),
                    alt.Tooltip("value:Q", format=".2f"),
                ],
            )
        )
        layer: alt.Chart | alt.LayerChart = line
        if events is not None and len(events):
            rules = (
                alt.Chart(events)
                .mark_rule(strokeDash=[4, 3], opacity=0.8)
                .encode(
                    x="time_s:Q",
                    color=alt.Color(
                        "side:N",
                        title="heel strike",
                        scale=alt.Scale(
                            domain=["left", "right"],
                            range=[SIDE_COLOURS["left"], SIDE_COLOURS["right"]],
                        ),
                    ),
                    tooltip=["side:N", alt.Tooltip("time_s:Q", format=".2f")],
                )
            )
            layer = alt.layer(line, rules)
        panels.append(layer.properties(height=height))
    return panels


def trend_chart(history: pd.DataFrame, *, title: str) -> alt.Chart:
    """A measure over sessions: ``history`` has ``created`` (datetime), ``value``, ``side``."""
    data = history.copy()
    data["side"] = data["side"].fillna("").replace("", "both/none")
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("created:T", title="session date"),
            y=alt.Y("value:Q", title=title),
            color=alt.Color("side:N", title="side"),
            tooltip=["created:T", "side:N", alt.Tooltip("value:Q", format=".1f"), "session:N"],
        )
        .properties(height=260, width="container")
    )


def compare_chart(table: pd.DataFrame) -> alt.Chart:
    """Two sessions side by side: ``table`` has ``measure``, ``session`` and ``value``."""
    return (
        alt.Chart(table.dropna(subset=["value"]))
        .mark_bar()
        .encode(
            y=alt.Y("measure:N", title=None),
            x=alt.X("value:Q", title="value"),
            yOffset="session:N",
            color=alt.Color("session:N", title="session"),
            tooltip=["measure:N", "session:N", alt.Tooltip("value:Q", format=".1f")],
        )
        .properties(width="container")
    )
