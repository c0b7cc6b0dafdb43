"""Altair chart builders for the pages and the printable report.

Charts take tidy pandas frames (as produced by ``core.measure.summary`` and the store) and return
``alt.Chart`` objects; they never compute a measurement, they only draw one.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import UndefinedType

#: Colours that stay distinguishable for common colour-vision deficiencies (Okabe-Ito).
SIDE_COLOURS = {"left": "#0072B2", "right": "#D55E00", "": "#009E73"}


def time_series_panels(
    series: pd.DataFrame,
    columns: dict[str, str],
    *,
    time_col: str = "time_s",
    events: pd.DataFrame | None = None,
    height: int = 140,
    x_domain: tuple[float, float] | None = None,
    shaded: pd.DataFrame | None = None,
) -> list[alt.Chart | alt.LayerChart | alt.FacetChart]:
    """One small chart per signal over time, with heel strikes as vertical rules.

    ``columns`` maps a column of ``series`` to its axis title (e.g. ``{"trunk_lean_deg":
    "Trunk lean (deg)"}``); missing columns are skipped. ``events`` has ``time_s`` and ``side``.
    Every panel spans the whole recording on x, so the panels line up when drawn one under the
    other; each is drawn as its own chart, so it can take the page's width (a concatenated
    chart cannot). ``x_domain``: the time axis' (start, end), seconds (default: the series' own
    span); ``shaded``: ``start_s, end_s`` stretches drawn as grey bands (no data there).
    """
    t = series[time_col]
    x_scale = _time_scale(t, x_domain)
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
                # The name with its unit is the panel's title, above it: as a y axis title it
                # was longer than a 140 px panel and cut ("head deviation (frame widt").
                y=alt.Y("value:Q", title=None),
                tooltip=[
                    alt.Tooltip(f"{time_col}:Q", format=".2f"),
                    alt.Tooltip("value:Q", format=".2f"),
                ],
            )
        )
        layer = _decorate(line, x_scale, events=events, shaded=shaded)
        heading = alt.TitleParams(title, anchor="start", fontSize=13, limit=NO_LABEL_LIMIT)
        panels.append(layer.properties(height=height, title=heading))
    return panels


def _time_scale(t: pd.Series, x_domain: tuple[float, float] | None) -> alt.Scale | UndefinedType:
    """The shared time axis: ``x_domain`` (start, end) in seconds, else the series' own span."""
    if x_domain is not None:
        return alt.Scale(domain=[float(x_domain[0]), float(x_domain[1])], nice=False)
    return alt.Scale(domain=[float(t.min()), float(t.max())]) if len(t) else alt.Undefined


def curve_panels(
    series: pd.DataFrame,
    curves: dict[str, str],
    *,
    time_col: str = "time_s",
    events: pd.DataFrame | None = None,
    height: int = 160,
    x_domain: tuple[float, float] | None = None,
    shaded: pd.DataFrame | None = None,
) -> list[alt.Chart | alt.LayerChart | alt.FacetChart]:
    """One chart per joint-angle curve, the left and right sides as two lines, each sample that is
    not to be relied on (``<side>_<metric>_reason`` not empty) drawn as a hollow ring on its line.

    ``curves`` maps a curve metric (``knee_signed_flexion_deg``; the series has it per side, with
    its ``_reason`` column) to the panel's title; the rest as :func:`time_series_panels`. A missing
    sample breaks its line rather than being bridged or drawn as 0.
    """
    t = series[time_col]
    x_scale = _time_scale(t, x_domain)
    side_scale = alt.Scale(domain=["left", "right"],
                           range=[SIDE_COLOURS["left"], SIDE_COLOURS["right"]])  # fmt: skip
    panels = []
    for metric, title in curves.items():
        parts = []
        for side in ("left", "right"):
            col = f"{side}_{metric}"
            if col not in series.columns:
                continue
            reason = series.get(f"{col}_reason", pd.Series("", index=series.index))
            value = series[col].to_numpy(dtype=float)
            # Each run between missing samples is its own line (``detail``): a gap stays a gap
            # (Vega-Lite either bridges a missing sample or, with invalid=None, draws it as 0).
            run = np.cumsum(~np.isfinite(value))
            parts.append(pd.DataFrame({"time_s": t.to_numpy(), "side": side, "value": value,
                                       "run": [f"{side} {r}" for r in run],
                                       "doubt": reason.fillna("").astype(str).to_numpy()}))  # fmt: skip
        if not parts:
            continue
        data = pd.concat(parts, ignore_index=True)
        base = alt.Chart(data).encode(
            x=alt.X("time_s:Q", title="time (s)", scale=x_scale),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("side:N", title="side", scale=side_scale),
            tooltip=["side:N", alt.Tooltip("time_s:Q", format=".2f"),
                     alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("doubt:N", title="unreliable")],
        )  # fmt: skip
        line = base.mark_line().encode(detail="run:N")
        rings = base.transform_filter(alt.datum.doubt != "").mark_point(filled=False, size=30)
        layer = _decorate(alt.layer(line, rings), x_scale, events=events, shaded=shaded)
        heading = alt.TitleParams(title, anchor="start", fontSize=13, limit=NO_LABEL_LIMIT)
        panels.append(layer.properties(height=height, title=heading))
    return panels


def _decorate(
    chart: alt.Chart | alt.LayerChart | alt.FacetChart,
    x_scale: alt.Scale | UndefinedType,
    *,
    events: pd.DataFrame | None,
    shaded: pd.DataFrame | None,
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """``chart`` over grey bands where the walker was not tracked, under dashed heel strikes."""
    layer: alt.Chart | alt.LayerChart | alt.FacetChart = (
        chart  # alt.layer is typed to give either of the last two
    )
    if shaded is not None and len(shaded):
        bands = (
            alt.Chart(shaded.assign(what="walker not tracked"))
            .mark_rect(color="#999999", opacity=0.2)
            .encode(
                x=alt.X("start_s:Q", title="time (s)", scale=x_scale),
                x2="end_s:Q",
                tooltip=["what:N", alt.Tooltip("start_s:Q", format=".2f"),
                         alt.Tooltip("end_s:Q", format=".2f")],
            )
        )  # fmt: skip
        layer = alt.layer(bands, layer)
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
        layer = alt.layer(layer, rules)
    return layer


#: Vega's default cuts axis labels at 180 px ("elbow_angle_de..."); these never are.
NO_LABEL_LIMIT = 0


def trend_chart(history: pd.DataFrame, *, title: str) -> alt.LayerChart | alt.FacetChart:
    """A measure over sessions on a dated axis (``core.app.dates``): ``history`` has ``created``,
    ``value``, ``side``, ``measure`` (the words with the side: the legend names side and measure),
    ``session`` and optionally ``value_text`` (the formatted value for the tooltip) and
    ``reliability`` ("reliable" / "unreliable": a value stored as unreliable is drawn as a
    hollow ring, not a dot). ``title`` is the y axis title with its unit. NaN values are left
    out."""
    from core.app.dates import epoch_ms, time_axis, time_label, time_style

    data = history.dropna(subset=["value"]).copy()
    style = time_style(data["created"])
    data["when_ms"] = [epoch_ms(t) for t in data["created"]]
    data["when"] = [time_label(t, style) for t in data["created"]]
    data["created"] = data["created"].astype(str)
    if "value_text" not in data.columns:
        data["value_text"] = data["value"].map(lambda v: f"{v:.1f}")
    if "reliability" not in data.columns:
        data["reliability"] = "reliable"
    sides = data.drop_duplicates("measure")
    colour = alt.Scale(
        domain=sides["measure"].tolist(),
        range=[SIDE_COLOURS.get(str(s or ""), SIDE_COLOURS[""]) for s in sides["side"]],
    )
    x = time_axis(data["created"]) if len(data) else {"scale": {}, "axis": {}}
    base = alt.Chart(data).encode(
        x=alt.X("when_ms:T", scale=alt.Scale(**x["scale"]), axis=alt.Axis(**x["axis"])),
        y=alt.Y("value:Q", title=title, axis=alt.Axis(titleLimit=NO_LABEL_LIMIT)),
        color=alt.Color(
            "measure:N",
            title="measure",
            scale=colour,
            legend=alt.Legend(orient="bottom", labelLimit=NO_LABEL_LIMIT),
        ),
        tooltip=[
            alt.Tooltip("when:N", title="session"),
            alt.Tooltip("measure:N"),
            alt.Tooltip("value_text:N", title="value"),
            alt.Tooltip("session:N", title="session id"),
        ],
    )
    points = base.mark_point(size=50, strokeWidth=2).encode(
        fill=alt.condition(
            alt.datum.reliability == "unreliable",
            alt.value("white"),
            alt.Color("measure:N", scale=colour, legend=None),
        ),
    )
    return alt.layer(base.mark_line(), points).properties(height=260, width="container")


def compare_chart(table: pd.DataFrame, *, title: str, axis_title: str) -> alt.Chart:
    """Two sessions' values of measures that share one unit, as grouped bars: ``table`` has
    ``measure`` (words with side), ``session`` (its label), ``value`` and optionally
    ``value_text``. Labels are never cut off."""
    data = table.dropna(subset=["value"]).copy()
    if "value_text" not in data.columns:
        data["value_text"] = data["value"].map(lambda v: f"{v:.1f}")
    return (
        alt.Chart(data, title=alt.TitleParams(title, anchor="start", limit=NO_LABEL_LIMIT))
        .mark_bar()
        .encode(
            y=alt.Y("measure:N", title=None, sort=None, axis=alt.Axis(labelLimit=NO_LABEL_LIMIT)),
            x=alt.X("value:Q", title=axis_title, axis=alt.Axis(titleLimit=NO_LABEL_LIMIT)),
            yOffset=alt.YOffset("session:N", sort=None),
            color=alt.Color(
                "session:N",
                title="session",
                sort=None,
                scale=alt.Scale(range=["#999999", "#0072B2"]),
                legend=alt.Legend(orient="bottom", labelLimit=NO_LABEL_LIMIT),
            ),
            tooltip=["measure:N", "session:N", alt.Tooltip("value_text:N", title="value")],
        )
        .properties(width="container")
    )
