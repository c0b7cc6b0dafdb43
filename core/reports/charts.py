"""Trend charts for the PDF report: one measure over the sessions on a dated time axis, left and
right as two labelled lines. Drawn with matplotlib's object API (no pyplot: no global figure
state, safe in the app's threads) into PNG bytes that reportlab embeds.
"""

from __future__ import annotations

import io

import pandas as pd

from core.measure.display import display_info, unit_label, unreliable

#: Chart size in inches and resolution: two charts side by side fit an A4 or Letter text width.
SIZE_IN = (3.4, 2.2)
DPI = 200
#: Okabe-Ito colours, told apart by colour-blind readers: no side, left, right.
COLOURS = {"": "#000000", "left": "#0072B2", "right": "#D55E00"}
#: Axis titles in words where the symbol alone reads poorly on a turned axis.
AXIS_UNITS = {"deg": "degrees", "s": "seconds", "%": "percent"}
MARKERS = {"": "o", "left": "o", "right": "s"}


def trend_metrics(trend: pd.DataFrame, *, min_sessions: int = 2) -> list[tuple[str, str]]:
    """(kind, metric) pairs with a value in at least ``min_sessions`` sessions of that kind, in
    the order first seen: a trend only compares sessions of the same kind."""
    counts = trend.groupby(["kind", "metric"], sort=False)["session"].nunique()
    kept = counts[counts >= min_sessions].index
    return list(zip(map(str, kept.get_level_values(0)), map(str, kept.get_level_values(1))))


def trend_png(trend: pd.DataFrame, kind: str, metric: str) -> bytes:
    """PNG of ``metric`` over the ``kind`` sessions of ``trend`` (``core.reports.content.trend_frame``):
    x the session's date and time (UTC), y the value in its unit, one line per side; a value
    stored as unreliable is drawn hollow."""
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    sub = trend[(trend["kind"] == kind) & (trend["metric"] == metric)].sort_values("created")
    unit = str(sub["unit"].iloc[0]) if len(sub) else ""
    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    hollow_labelled = False
    for side, rows in sub.groupby("side", sort=True):
        x = pd.to_datetime(rows["created"], utc=True).dt.tz_localize(None).to_numpy()
        y = rows["value"].to_numpy(float)
        ax.plot(
            x,
            y,
            marker=MARKERS.get(str(side), "o"),
            color=COLOURS.get(str(side)),
            label=str(side) if side else None,
            linewidth=1.2,
            markersize=4,
        )
        # A value stored as unreliable: its marker drawn again, hollow (white inside).
        ring = unreliable(rows).to_numpy()
        if ring.any():
            ax.plot(
                x[ring],
                y[ring],
                linestyle="none",
                marker=MARKERS.get(str(side), "o"),
                markerfacecolor="white",
                markeredgecolor=COLOURS.get(str(side)),
                markersize=5,
                label="unreliable (hollow)" if not hollow_labelled else None,
            )
            hollow_labelled = True
    locator = mdates.AutoDateLocator(minticks=2, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title(display_info(metric, "", unit).name, fontsize=9)
    symbol = AXIS_UNITS.get(unit) or unit_label(unit)
    ax.set_ylabel(symbol if symbol else "count", fontsize=8)
    ax.tick_params(labelsize=7)
    # The date the ticks share (ConciseDateFormatter's offset) sits under the axis, at tick size.
    ax.xaxis.get_offset_text().set_fontsize(7)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    if sub["side"].astype(bool).any() or hollow_labelled:
        ax.legend(fontsize=7, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
