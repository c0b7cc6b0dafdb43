"""A work period of the desk watch as tidy store rows (kind "desk"; columns of docs/EXPORT.md).

Three groups of rows, none holding a video frame:

* per interval (``frame`` = interval number from 0, ``time_s`` = the interval's start, seconds from
  the period's start): ``<part>_<band>_share_pct`` per band and side, and ``<part>_not_visible_share_pct``;
* per event (``frame`` = the interval it fell in, ``time_s`` = when it fired): ``<part>_alert`` and
  ``<part>_recovered``, value = how long the strain had lasted (s);
* whole period (``frame`` <NA>, ``time_s`` NaN, what Sessions review charts over sessions):
  ``duration_min``, ``n_alerts``, ``<part>_above_neutral_min`` per side.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from core.errors import InputError
from core.measure.desk_watch import NOT_VISIBLE, TRACKS, DeskWatch
from core.measure.ergonomics import RULA_BANDS
from core.measure.summary import COLUMNS

KIND = "desk"


def band_slug(label: str) -> str:
    """A band label as a metric-name fragment: ">20° flexion" -> "gt20_flexion", "0-10° flexion" ->
    "0_10_flexion", "upright (<5°)" -> "upright_lt5", "not visible" -> "not_visible"."""
    text = label.replace(">", "gt").replace("<", "lt").replace("°", "")
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def share_metric(part: str, label: str) -> str:
    return f"{part}_{band_slug(label)}_share_pct"


def period_rows(watch: DeskWatch) -> pd.DataFrame:
    """The rows of a finished (or running) work period; empty when no frame was seen."""
    if not isinstance(watch, DeskWatch):
        raise InputError(f"period_rows needs a DeskWatch, got {type(watch).__name__}")
    rows: list[tuple] = []
    if watch.start_s is None or watch.end_s is None:
        return _frame(rows)
    start, end, cfg = watch.start_s, watch.end_s, watch.config
    for k in sorted(watch.intervals):
        bins = watch.intervals[k]
        t0 = k * cfg.interval_s
        span = min(cfg.interval_s, end - start - t0)
        for j, (part, side) in enumerate(TRACKS):
            for label in [b.label for b in RULA_BANDS[part]] + [NOT_VISIBLE]:
                share = 100.0 * bins[j].get(label, 0.0) / span if span > 0 else math.nan
                rows.append((k, t0, share_metric(part, label), side, share, "%"))
    for e in watch.events:
        t = e.time_s - start
        k = int(t // cfg.interval_s)
        rows.append((k, t, f"{e.part}_{e.kind}", e.side, e.held_s, "s"))
    rows.append((None, np.nan, "duration_min", "", (end - start) / 60.0, "min"))
    n_alerts = sum(e.kind == "alert" for e in watch.events)
    rows.append((None, np.nan, "n_alerts", "", float(n_alerts), "count"))
    for j, (part, side) in enumerate(TRACKS):
        rows.append(
            (None, np.nan, f"{part}_above_neutral_min", side, watch.above_s[j] / 60.0, "min")
        )
    return _frame(rows)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["frame"] = df["frame"].astype("Int64")
    df["time_s"] = df["time_s"].astype(float)
    df["value"] = df["value"].astype(float)
    return df


def period_params(watch: DeskWatch, *, start_utc: str, end_utc: str, **extra: object) -> dict:
    """The session params of a work period: its wall-clock start/end (ISO UTC) and the settings."""
    cfg = watch.config
    return {
        "start_utc": start_utc,
        "end_utc": end_utc,
        "window_s": cfg.window_s,
        "alert_after_s": cfg.alert_after_s,
        "recover_s": cfg.recover,
        "max_gap_s": cfg.max_gap_s,
        "interval_s": cfg.interval_s,
        **extra,
    }
