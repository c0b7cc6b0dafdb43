"""The posture page's desk check in plain words: one sentence naming the body parts to look at,
with their angles and RULA bands, then the band table (``core.measure.ergonomics``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.measure.display import format_number
from core.measure.ergonomics import FINE, LOOK, NOT_MEASURED, DeskCheck, RulaItem, desk_check

#: RULA's part names as a person says them.
PART_WORDS = {"neck": "neck", "trunk": "trunk", "upper_arm": "upper arm", "lower_arm": "forearm"}


def part_name(item: RulaItem) -> str:
    """ "neck", "left upper arm", "right forearm"."""
    words = PART_WORDS.get(item.part, item.part.replace("_", " "))
    return f"{item.side} {words}" if item.side else words


def _join(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def summary(check: DeskCheck) -> str:
    """One sentence: what to look at (the parts outside their best RULA band, with angle and band),
    how many measured parts are fine, and how many could not be seen.

    >>> from core.measure.ergonomics import desk_check
    >>> summary(desk_check({"neck_flexion_deg": 25.0, "trunk_lean_deg": 2.0}, view="left"))
    'Look at the neck (25.0°, >20° flexion); the trunk is in its best RULA band; 4 parts could not be measured.'
    """
    look = [i for i in check.items if i.status == LOOK]
    fine = [i for i in check.items if i.status == FINE]
    unseen = [i for i in check.items if i.status == NOT_MEASURED]
    if not look and not fine:
        return "No body part was visible enough for a desk check: use a photo that shows the head, trunk and arms."
    clauses = []
    if look:
        named = [
            f"the {part_name(i)} ({format_number(i.angle_deg, 'deg')}, {i.band})" for i in look
        ]
        clauses.append(f"Look at {_join(named)}")
    if fine and look:
        if len(fine) == 1:
            clauses.append(f"the {part_name(fine[0])} is in its best RULA band")
        else:
            clauses.append(f"the other {len(fine)} measured parts are in their best RULA band")
    elif fine:
        clauses.append(
            "All measured parts are in their best RULA band"
            if len(fine) > 1
            else f"The {part_name(fine[0])} is in its best RULA band"
        )
    if unseen:
        n = len(unseen)
        clauses.append(f"{n} part{'s' if n > 1 else ''} could not be measured")
    return "; ".join(clauses) + "."


def rula_table(items: Sequence[RulaItem]) -> pd.DataFrame:
    """One row per scored part: part (readable, side included), angle, band, RULA score, readout,
    note."""
    return pd.DataFrame(
        [
            {
                "part": part_name(item).capitalize(),
                "angle": format_number(item.angle_deg, "deg"),
                "band": item.band,
                "RULA score": "" if item.score is None else str(item.score),
                "readout": item.status,
                "note": item.note,
            }
            for item in items
        ],
        columns=["part", "angle", "band", "RULA score", "readout", "note"],
    )


def render_desk_check(measures: dict[str, float], view: str) -> DeskCheck:
    check = desk_check(measures, view=view)
    box = {FINE: st.success, LOOK: st.warning}.get(check.status, st.info)
    box(f"**Desk check: {check.status}.** {summary(check)}")
    st.table(rula_table(check.items), hide_index=True)
    st.caption("RULA posture bands (McAtamney and Corlett 1993); 'fine' is the part's best band.")
    return check
