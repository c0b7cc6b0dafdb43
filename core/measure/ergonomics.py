"""RULA-band scoring (McAtamney & Corlett 1993) of neck, trunk, upper and lower arm, and a desk check.

Each body part is shown as the band its measured angle falls in, with the band's RULA score: a
reading against bands, not a single cut-off. Only the posture-score bands are used; RULA's
adjustments (twist, side bend, arm abduction, support) and the load/muscle-use tables need more than
a 2D photo and are not scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import InputError
from core.measure.posture import VIEWS
from core.measure.view import FRONTAL

FINE = "fine"
LOOK = "look at this"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Band:
    """One RULA band: angles in (low, high] (degrees) score ``score``; ``label`` is what is shown."""

    low: float
    high: float
    label: str
    score: int


#: The bands per part, McAtamney & Corlett (1993), table 1 (posture scores only). Angles in degrees;
#: the angle each part is scored on is given in ``PART_ANGLE`` and documented in docs/MEASURES.md.
RULA_BANDS: dict[str, tuple[Band, ...]] = {
    "neck": (
        Band(-math.inf, 0.0, "extension", 4),
        Band(0.0, 10.0, "0-10° flexion", 1),
        Band(10.0, 20.0, "10-20° flexion", 2),
        Band(20.0, math.inf, ">20° flexion", 3),
    ),
    # "Upright" is our tolerance of 5°: a 2D estimate is never exactly 0.
    "trunk": (
        Band(-math.inf, 5.0, "upright (<5°)", 1),
        Band(5.0, 20.0, "0-20° flexion", 2),
        Band(20.0, 60.0, "20-60° flexion", 3),
        Band(60.0, math.inf, ">60° flexion", 4),
    ),
    "upper_arm": (
        Band(-math.inf, 20.0, "0-20°", 1),
        Band(20.0, 45.0, "20-45°", 2),
        Band(45.0, 90.0, "45-90°", 3),
        Band(90.0, math.inf, ">90°", 4),
    ),
    "lower_arm": (
        Band(-math.inf, 60.0, "<60° flexion", 2),
        Band(60.0, 100.0, "60-100° flexion", 1),
        Band(100.0, math.inf, ">100° flexion", 2),
    ),
}

#: Which posture measure each part is scored on, per side ("" for one-off parts).
PART_ANGLE: dict[str, str] = {
    "neck": "neck_flexion_deg",
    "trunk": "trunk_lean_deg",
    "upper_arm": "{side}_shoulder_angle_deg",
    "lower_arm": "{side}_elbow_flexion_deg",
}


@dataclass(frozen=True)
class RulaItem:
    """One scored part: the measured angle (degrees, NaN when not visible), its band and RULA score.

    ``status`` is "fine" in the part's best band, "look at this" otherwise, "not measured" when the
    angle is NaN (then ``band`` is "not visible" and ``score`` None). ``note`` warns when the view
    does not show the angle RULA means.
    """

    part: str
    angle_deg: float
    band: str
    score: int | None
    status: str
    side: str = ""
    note: str = ""


def rula_band(part: str, angle_deg: float) -> Band | None:
    """The band of ``part`` ("neck", "trunk", "upper_arm", "lower_arm") that holds ``angle_deg``.

    Bands are closed at the top: exactly 10° of neck flexion is "0-10°". None for NaN.
    """
    if part not in RULA_BANDS:
        raise InputError(f"unknown RULA part {part!r}; choose one of {', '.join(RULA_BANDS)}")
    if not math.isfinite(angle_deg):
        return None
    bands = RULA_BANDS[part]
    if part == "neck" and angle_deg == 0.0:
        return bands[1]  # 0° is neutral, not extension
    for band in bands:
        if band.low < angle_deg <= band.high:
            return band
    return bands[-1]


def _item(part: str, angle: float, side: str, note: str) -> RulaItem:
    band = rula_band(part, angle)
    if band is None:
        return RulaItem(part, math.nan, "not visible", None, NOT_MEASURED, side, note)
    best = min(b.score for b in RULA_BANDS[part])
    return RulaItem(
        part, float(angle), band.label, band.score, FINE if band.score == best else LOOK, side, note
    )


def rula_scores(measures: dict[str, float], *, view: str = "left") -> list[RulaItem]:
    """Score the neck, trunk and both upper and lower arms in RULA bands.

    Parameters
    ----------
    measures : dict from :func:`core.measure.posture.posture_measures` (degrees).
    view : "front", "back", "left", "right" or "side" (keyword-only), the view the measures came
        from (``PostureResult.view``: "auto" is resolved before).
        RULA's neck and trunk flexion are side-view angles: in a front view the neck angle is
        unsigned and the trunk lean is a side bend, so those items carry a note.

    Returns
    -------
    list of RulaItem: neck, trunk, upper_arm left/right, lower_arm left/right.

    Notes
    -----
    The trunk is scored on the magnitude of the lean (RULA does not score trunk extension
    separately). The upper arm is scored on the shoulder angle hip-shoulder-elbow, which cannot tell
    flexion from extension; RULA scores extension beyond 20° as 2, so an arm held far behind the
    body would read one band too high. The neck is scored against the image vertical, i.e. assuming
    an upright trunk, where RULA measures it against the trunk.
    """
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    missing = [k for k in ("neck_flexion_deg", "trunk_lean_deg") if k not in measures]
    if missing:
        raise InputError(f"measures lack {', '.join(missing)}; pass the dict from posture_measures")
    front_note = (
        f"{view} view: RULA expects a side view; this is the side bend" if view in FRONTAL else ""
    )
    items = [
        _item("neck", float(measures["neck_flexion_deg"]), "", front_note),
        _item("trunk", abs(float(measures["trunk_lean_deg"])), "", front_note),
    ]
    for part in ("upper_arm", "lower_arm"):
        for side in ("left", "right"):
            key = PART_ANGLE[part].format(side=side)
            items.append(_item(part, float(measures.get(key, math.nan)), side, ""))
    return items


@dataclass(frozen=True)
class DeskCheck:
    """Summary of a desk posture: "fine" when every measured part is in its best band."""

    status: str
    items: tuple[RulaItem, ...]
    flagged: tuple[str, ...]
    message: str


def desk_check(measures: dict[str, float], *, view: str = "left") -> DeskCheck:
    """The office-worker readout: RULA items and one "fine" / "look at this" line.

    ``status`` is "not measured" when no part could be measured, "look at this" when any measured
    part is outside its best band (``flagged`` names them, e.g. "neck" or "upper_arm (left)"), and
    "fine" otherwise.
    """
    items = tuple(rula_scores(measures, view=view))
    measured = [i for i in items if i.status != NOT_MEASURED]
    flagged = tuple(f"{i.part} ({i.side})" if i.side else i.part for i in items if i.status == LOOK)
    if not measured:
        return DeskCheck(NOT_MEASURED, items, (), "no body part was visible enough to measure")
    if flagged:
        msg = "look at: " + ", ".join(flagged)
        return DeskCheck(LOOK, items, flagged, msg)
    return DeskCheck(
        FINE, items, (), f"all {len(measured)} measured parts are in their best RULA band"
    )
