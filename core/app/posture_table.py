"""The posture page's measures as a physiotherapist reads them: a short headline table of the main
measures for the view, every other measure behind an expander, readable names and units
(``core.measure.display``), each value with its score, an unreliable one marked as such.

Tables are drawn with ``st.table`` (HTML, in the page's DOM: it wraps long cells and a browser test
can read it; ``st.dataframe`` draws on a canvas and cuts text off).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.measure.confidence import LOW_SCORE, OFF_PLANE, VIEWS_DISAGREE, VIEWS_GAP_DEG
from core.measure.display import NOT_MEASURED, UNRELIABLE_NOTE, display_info, format_number
from core.measure.posture import MEASURE_INFO
from core.measure.summary import split_side
from core.measure.view import FRONTAL

if TYPE_CHECKING:
    from core.analysis import PostureResult

RELIABLE, UNRELIABLE = "reliable", "unreliable"
COLUMNS = ("measure", "value", "score", "reliability", "meaning", "key")

#: The main measures of a front or back view: the tilts and lean a standing assessment starts with,
#: then the knees and elbows.
HEADLINE_FRONTAL = (
    "shoulder_tilt_deg",
    "hip_tilt_deg",
    "trunk_lean_deg",
    "neck_flexion_deg",
    "left_knee_angle_deg",
    "right_knee_angle_deg",
    "left_elbow_angle_deg",
    "right_elbow_angle_deg",
)
#: The main measures of a side view: head and trunk carriage, then the signed sagittal angles.
HEADLINE_SIDEWAYS = (
    "neck_flexion_deg",
    "craniovertebral_angle_deg",
    "forward_trunk_lean_deg",
    "left_shoulder_signed_flexion_deg",
    "right_shoulder_signed_flexion_deg",
    "left_hip_signed_flexion_deg",
    "right_hip_signed_flexion_deg",
    "left_knee_signed_flexion_deg",
    "right_knee_signed_flexion_deg",
)


def headline_keys(view: str) -> tuple[str, ...]:
    """The main measures of the view measured in (``PostureResult.view``)."""
    return HEADLINE_FRONTAL if view in FRONTAL else HEADLINE_SIDEWAYS


def measure_name(key: str) -> str:
    """``left_elbow_angle_deg`` -> "Elbow angle (left)"."""
    return display_info(*split_side(key)).name


def measures_table(result: PostureResult) -> pd.DataFrame:
    """One row per measure, in ``MEASURE_INFO`` order: readable name (side included), value with
    unit ("not measured" when a point needed was missing; "12.3° (unreliable)" below the reliable
    score), score, reliability, meaning, and the stored key."""
    rows = []
    for key, value in result.measures.items():
        metric, side = split_side(key)
        defined = MEASURE_INFO.get(key)
        info = display_info(metric, side, defined.unit if defined else None)
        # This key's own description: the display table keeps one per metric, which for the
        # side-view measures names the other side ("side view: right thigh ..." on the left one).
        meaning = defined.description.removeprefix(f"{side} ") if defined else info.description
        text = format_number(value, info.unit)
        c = result.confidence.measures.get(key)
        seen = c is not None and math.isfinite(value)
        score = f"{c.score:.2f}" if c is not None and seen and math.isfinite(c.score) else ""
        reliability = (RELIABLE if c.reliable else UNRELIABLE) if c is not None and seen else ""
        if reliability == UNRELIABLE:
            text += UNRELIABLE_NOTE
        rows.append(
            {
                "measure": info.name,
                "value": text,
                "score": score,
                "reliability": reliability,
                "meaning": meaning,
                "key": key,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def split_headline(table: pd.DataFrame, view: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(headline, rest): the view's main measures that were measured, in headline order, and every
    other row, the measured ones first (a main measure that could not be measured goes to the
    rest)."""
    order = {key: i for i, key in enumerate(headline_keys(view))}
    seen = table["value"] != NOT_MEASURED
    main = table["key"].isin(order) & seen
    headline = table[main].sort_values("key", key=lambda s: s.map(order))
    rest = pd.concat([table[~main & seen], table[~main & ~seen]])
    return headline.reset_index(drop=True), rest.reset_index(drop=True)


def render_measures(result: PostureResult) -> pd.DataFrame:
    """The headline table, a line naming the main measures not measured, and an expander with the
    rest; returns the whole table."""
    table = measures_table(result)
    headline, rest = split_headline(table, result.view)
    if len(headline):
        st.table(headline[["measure", "value", "score", "reliability"]], hide_index=True)
    missing = [measure_name(k) for k in headline_keys(result.view) if k not in set(headline["key"])]
    if missing:
        st.caption(
            f"Not measured (a point needed was missing or below the score threshold): "
            f"{', '.join(missing)}."
        )
    n_seen = int((rest["value"] != NOT_MEASURED).sum())
    with st.expander(f"All other measures ({n_seen} measured, {len(rest) - n_seen} not)"):
        st.table(rest[["measure", "value", "score", "reliability", "meaning"]], hide_index=True)
    for line in unreliable_lines(result, table):
        st.warning(line)
    return table


def unreliable_lines(result: PostureResult, table: pd.DataFrame) -> list[str]:
    """One warning per reason the table's unreliable measures have (``core.measure.confidence``)."""
    bad = table.loc[table["reliability"] == UNRELIABLE, "key"]
    reasons = [result.confidence.measures[k].reason for k in bad]
    lines = []
    if n := reasons.count(LOW_SCORE):
        lines.append(
            f"{n} measure(s) unreliable: a point they use scores below "
            f"{result.confidence.min_score:g}. Check the skeleton before using them."
        )
    if n := reasons.count(OFF_PLANE):
        lines.append(
            f"{n} measure(s) unreliable: the trunk is turned about "
            f"{result.confidence.body_turn_deg:.0f} deg from square-on, so the camera is not "
            "square to the plane they lie in (tilts need a front or back view, flexion and "
            "lean angles a side view). Retake the photo square to the body."
        )
    if n := reasons.count(VIEWS_DISAGREE):
        lines.append(
            f"{n} measure(s) unreliable: the photo and its mirror image give angles more than "
            f"{VIEWS_GAP_DEG:g}° apart, so the pose model does not pin them down. A larger, "
            "sharper photo helps."
        )
    return lines
