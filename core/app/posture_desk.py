"""The posture page's desk check in plain words: one sentence naming the body parts to look at,
with their angles and RULA bands, then the band table (``core.measure.ergonomics``). A part whose
angle is unreliable (a point it uses scores below the reliable score) says so in both."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.measure.display import format_number
from core.measure.ergonomics import (
    FINE,
    LOOK,
    NOT_MEASURED,
    PART_ANGLE,
    DeskCheck,
    RulaItem,
    desk_check,
)

if TYPE_CHECKING:
    from core.analysis import PostureResult

#: RULA's part names as a person says them.
PART_WORDS = {"neck": "neck", "trunk": "trunk", "upper_arm": "upper arm", "lower_arm": "forearm"}


def part_name(item: RulaItem) -> str:
    """ "neck", "left upper arm", "right forearm"."""
    words = PART_WORDS.get(item.part, item.part.replace("_", " "))
    return f"{item.side} {words}" if item.side else words


def unreliable_parts(result: PostureResult, items: Sequence[RulaItem]) -> set[str]:
    """The :func:`part_name` of every measured part whose angle is flagged unreliable."""
    out = set()
    for item in items:
        key = PART_ANGLE[item.part].format(side=item.side)
        c = result.confidence.measures.get(key)
        if item.status != NOT_MEASURED and c is not None and not c.reliable:
            out.add(part_name(item))
    return out


def _join(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def summary(check: DeskCheck, unreliable: Collection[str] = ()) -> str:
    """One sentence: what to look at (the parts outside their best RULA band, with angle and band,
    "unreliable" for those in ``unreliable``), how many measured parts are fine, and how many could
    not be seen.

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
            f"the {part_name(i)} ({format_number(i.angle_deg, 'deg')}, {i.band}"
            + (", unreliable)" if part_name(i) in unreliable else ")")
            for i in look
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


def rula_table(items: Sequence[RulaItem], unreliable: Collection[str] = ()) -> pd.DataFrame:
    """One row per scored part: part (readable, side included), angle ("(unreliable)" after it for
    the parts in ``unreliable``), band, RULA score, readout, note."""
    return pd.DataFrame(
        [
            {
                "part": part_name(item).capitalize(),
                "angle": format_number(item.angle_deg, "deg")
                + (" (unreliable)" if part_name(item) in unreliable else ""),
                "band": item.band,
                "RULA score": "" if item.score is None else str(item.score),
                "readout": item.status,
                "note": item.note,
            }
            for item in items
        ],
        columns=["part", "angle", "band", "RULA score", "readout", "note"],
    )


def render_desk_check(result: PostureResult) -> DeskCheck:
    check = desk_check(result.measures, view=result.view)
    unreliable = unreliable_parts(result, check.items)
    box = {FINE: st.success, LOOK: st.warning}.get(check.status, st.info)
    box(f"**Desk check: {check.status}.** {summary(check, unreliable)}")
    st.table(rula_table(check.items, unreliable), hide_index=True)
    st.caption("RULA posture bands (McAtamney and Corlett 1993); 'fine' is the part's best band.")
    return check
