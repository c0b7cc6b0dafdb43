"""A printable HTML report of one subject: label, sessions, measures, trend charts, the disclaimer.

Self-contained (no script, no web font, no CDN) so it opens offline and the browser's "Print to
PDF" gives the clinic's copy. Charts are small inline SVG line charts drawn here, because the
altair/Vega renderer would need JavaScript from the network.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from core.app.dates import TimeStyle, time_label, time_style
from core.app.history_view import split_key
from core.measure.display import UNRELIABLE_NOTE, display_info, format_number, unreliable
from core.reports.notice import DISCLAIMER, PLANE_NOTE, UNRELIABLE_LEGEND

_CSS = """
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
td, th { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }
.note { color: #555; font-size: 0.85em; }
.chart { display: inline-block; margin: 0.5em 1em 0.5em 0; }
@media print { h2 { page-break-after: avoid; } table, .chart { page-break-inside: avoid; } }
"""


def svg_line_chart(
    x: list[float],
    y: list[float],
    *,
    title: str,
    width: int = 320,
    height: int = 140,
    x_labels: tuple[str, str] | None = None,
    hollow: list[bool] | None = None,
) -> str:
    """A minimal SVG line chart of finite (x, y) points with the y range labelled, and the
    first and last x labelled with ``x_labels`` (the sessions' dates); a point whose ``hollow``
    entry is True (a value stored as unreliable) is drawn as a ring."""
    rings = hollow if hollow is not None else [False] * len(x)
    kept = [(a, b, r) for a, b, r in zip(x, y, rings) if math.isfinite(a) and math.isfinite(b)]
    pts = [(a, b) for a, b, _ in kept]
    head = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
    text = f'<text x="4" y="14" font-size="12">{html.escape(title)}</text>'
    if not pts:
        return f'{head}{text}<text x="4" y="40" font-size="11">no values</text></svg>'
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    pad_l, pad_r, pad_t, pad_b = 44, 8, 22, 12 if x_labels is None else 26

    def sx(v: float) -> float:
        return pad_l + (0.5 if x1 == x0 else (v - x0) / (x1 - x0)) * (width - pad_l - pad_r)

    def sy(v: float) -> float:
        return (
            height - pad_b - (0.5 if y1 == y0 else (v - y0) / (y1 - y0)) * (height - pad_t - pad_b)
        )

    line = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in pts)
    dots = "".join(
        f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="3" fill="white" stroke="#0072B2" '
        'stroke-width="1.5"><title>unreliable</title></circle>'
        if ring
        else f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.5" fill="#0072B2"/>'
        for a, b, ring in kept
    )
    labels = (
        f'<text x="2" y="{sy(y1) + 4:.1f}" font-size="10">{y1:.1f}</text>'
        f'<text x="2" y="{sy(y0) + 4:.1f}" font-size="10">{y0:.1f}</text>'
    )
    axis = f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" stroke="#999"/>'
    if x_labels is not None:
        first, last = (html.escape(t) for t in x_labels)
        labels += (
            f'<text x="{pad_l}" y="{height - 4}" font-size="10">{first}</text>'
            f'<text x="{width - pad_r}" y="{height - 4}" font-size="10" text-anchor="end">{last}</text>'
        )
    return f'{head}{text}{axis}{labels}<polyline fill="none" stroke="#0072B2" stroke-width="1.5" points="{line}"/>{dots}</svg>'


def _table(df: pd.DataFrame) -> str:
    # to_html escapes cell text, so labels and notes cannot inject markup. The cells arrive as
    # text (core.app.history_view); a blank cell is a measure the session's kind does not have.
    return df.to_html(index=False, na_rep="", border=0)


def _values(rows: pd.DataFrame) -> pd.DataFrame:
    """One session's values as ``measure, value, unit`` in words and the display's decimals,
    "(unreliable)" after a value stored as unreliable."""
    out = []
    for metric, side, value, unit, flagged in zip(
        rows["metric"], rows["side"], rows["value"], rows["unit"], unreliable(rows)
    ):
        info = display_info(str(metric), str(side or ""), str(unit or ""))
        text = format_number(value, info.unit, with_unit=False) + UNRELIABLE_NOTE * flagged
        out.append({"measure": info.name, "value": text, "unit": info.symbol})
    return pd.DataFrame(out, columns=["measure", "value", "unit"])


def build_report(
    label: str,
    sessions: pd.DataFrame,
    history: pd.DataFrame,
    *,
    trend_measures: list[str] | None = None,
) -> str:
    """The report as one HTML string.

    ``sessions``: the session list as shown (``core.app.history_view.session_list``); ``history``: every
    session-level value (``core.app.history.history``); ``trend_measures``: which measures get a
    chart (default: every measure seen in two or more sessions).
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Sapiens Measure report: {html.escape(label)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Sapiens Measure report: {html.escape(label)}</h1>",
        f"<p><strong>{html.escape(DISCLAIMER)}</strong></p>",
        f"<p class='note'>{html.escape(PLANE_NOTE)}</p>",
        f"<p class='note'>{html.escape(UNRELIABLE_LEGEND)}</p>",
        "<h2>Sessions</h2>",
        _table(sessions) if len(sessions) else "<p>No sessions saved.</p>",
    ]
    if len(history):
        counts = history.dropna(subset=["value"]).groupby("measure")["session"].nunique()
        chosen = (
            trend_measures if trend_measures is not None else counts[counts >= 2].index.tolist()
        )
        if chosen:
            parts.append("<h2>Trends</h2>")
            for measure in chosen:
                sub = history[history["measure"] == measure].sort_values("created")
                x = [float(i) for i in range(len(sub))]
                unit = sub["unit"].iloc[0] if len(sub) else ""
                metric, side = split_key(str(measure))
                info = display_info(metric, "", str(unit))
                detail = ", ".join(t for t in (side, info.symbol) if t)
                name = f"{info.name} ({detail})" if detail else info.name
                style = time_style(sub["created"])
                dates = (
                    (
                        time_label(sub["created"].iloc[0], style),
                        time_label(sub["created"].iloc[-1], style),
                    )
                    if len(sub)
                    else None
                )
                chart = svg_line_chart(
                    x,
                    sub["value"].astype(float).tolist(),
                    title=f"{name} by session",
                    x_labels=dates,
                    hollow=unreliable(sub).tolist(),
                )
                parts.append(f"<div class='chart'>{chart}</div>")
        parts.append("<h2>Measures per session</h2>")
        for _, rows in history.groupby("session", sort=True):
            when = time_label(rows["created"].iloc[0], TimeStyle(year=True))
            parts.append(
                f"<h3>Session #{int(rows['session'].iloc[0])}, {html.escape(when)} UTC, {html.escape(str(rows['kind'].iloc[0]))}</h3>"
            )
            parts.append(_table(_values(rows)))
    parts.append(f"<p class='note'>{html.escape(DISCLAIMER)}</p></body></html>")
    return "\n".join(parts)
