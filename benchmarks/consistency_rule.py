"""The rule by which a posture readout is compared with its mirrored or rescaled copy (issue 15).

Pure functions, no model: ``benchmarks/validate_consistency.py`` feeds them the readouts of real
photos, ``tests/benchmarks/test_consistency_rule.py`` checks the rule itself on synthetic poses
mirrored exactly. The measures' signs are defined in ``docs/MEASURES.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Issue 15's bar: a readout that moves more than this under a mirror or a rescale is inconsistent.
TOLERANCE_DEG = 6.0

#: Measures whose sign names a side of the *picture* or of the subject (MEASURES.md section 2): a
#: mirror negates them. Trunk lean is positive toward the camera's left (a side view keeps that
#: image sign); a tilt is positive when the subject's left joint is higher, and the mirror makes the
#: original right joint the mirrored subject's left.
MIRROR_NEGATED = frozenset({"trunk_lean_deg", "shoulder_tilt_deg", "hip_tilt_deg"})
#: Measures a mirror leaves unchanged (after exchanging left and right): unsigned interior angles
#: and their flexions, front-view neck flexion (unsigned), and everything measured in the body's
#: own frame toward the way the subject faces (side-view neck flexion, craniovertebral angle, the
#: signed sagittal angles, forward trunk lean, MEASURES.md 2b): the mirror turns the face with it.
MIRROR_KEPT = frozenset(
    {
        "knee_angle_deg",
        "hip_angle_deg",
        "elbow_angle_deg",
        "shoulder_angle_deg",
        "knee_flexion_deg",
        "hip_flexion_deg",
        "elbow_flexion_deg",
        "hip_signed_flexion_deg",
        "shoulder_signed_flexion_deg",
        "knee_signed_flexion_deg",
        "ankle_dorsiflexion_deg",
        "neck_flexion_deg",
        "craniovertebral_angle_deg",
        "forward_trunk_lean_deg",
    }
)
#: 180 - an interior angle: they pass or fail with their angle, so they are not checked twice.
DERIVED = frozenset({"knee_flexion_deg", "hip_flexion_deg", "elbow_flexion_deg"})
#: Line tilts live in (-90, 90]: -89 and 90 are 1 degree apart.
PERIOD_180 = frozenset({"shoulder_tilt_deg", "hip_tilt_deg"})
#: The mirror of a side view: the subject's other side faces the camera.
MIRRORED_VIEW = {"left": "right", "right": "left"}

CONSISTENT, FLAGGED, WARNED, SILENT = "consistent", "flagged", "warned", "silent"
VERDICTS = (CONSISTENT, FLAGGED, WARNED, SILENT)


@dataclass(frozen=True)
class Readout:
    """One image's measures (name -> degrees, NaN when not visible); ``flagged``: the measures that
    have a value but are marked unreliable; ``found``: whether anybody was found; ``view``: the
    view measured in (for the report); ``doubtful``: the readout warns that its view is a best
    guess (oblique, or the evidence disagrees) or that left and right are uncertain."""

    values: dict[str, float]
    flagged: frozenset[str] = frozenset()
    found: bool = True
    view: str = ""
    doubtful: bool = False


def sideless(name: str) -> str:
    """``left_knee_angle_deg`` -> ``knee_angle_deg``; names without a side are returned as is."""
    for side in ("left_", "right_"):
        if name.startswith(side):
            return name[len(side) :]
    return name


def mirrored_name(name: str) -> str:
    """The key a mirror moves a readout to: the subject's left becomes their right."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name[len(a) :]
    return name


def mirror_sign(name: str) -> float:
    """-1 for a measure a mirror negates, +1 for one it keeps; ``KeyError`` for a measure the rule
    does not know (a new measure needs a decision, not a default)."""
    base = sideless(name)
    if base in MIRROR_NEGATED:
        return -1.0
    if base in MIRROR_KEPT:
        return 1.0
    raise KeyError(f"no mirror rule for {name!r}: add it to MIRROR_NEGATED or MIRROR_KEPT")


def unruled(names: Iterable[str]) -> list[str]:
    """The measures of ``names`` that the mirror rule does not cover."""
    return [n for n in names if sideless(n) not in MIRROR_NEGATED | MIRROR_KEPT]


def difference_deg(name: str, a: float, b: float) -> float:
    """|a - b| in degrees, modulo 180 for line tilts and 360 for the others."""
    period = 180.0 if sideless(name) in PERIOD_180 else 360.0
    return abs((a - b + period / 2) % period - period / 2)


def compare(
    original: Readout, other: Readout, kind: str, *, tolerance_deg: float = TOLERANCE_DEG
) -> list[tuple[str, str, float | None]]:
    """(measure, verdict, difference in degrees or None) for each check of one pair.

    ``kind`` is "mirror" (left and right exchanged, :func:`mirror_sign` applied) or anything else
    (a rescale: compared as is). Verdicts: :data:`FLAGGED` when either number is marked
    unreliable; else :data:`WARNED` when either readout is ``doubtful`` (its warnings say the view
    or the sides are a guess); else :data:`CONSISTENT` when both are numbers within ``tolerance_deg``, and
    :data:`SILENT` (silently inconsistent) when they differ by more, or when one is a number and the
    other NaN or nobody was found. NaN on both sides is no check (not visible either way).
    """
    checks = []
    names = sorted(set(original.values) | {mirrored_name(n) for n in other.values})
    for name in names:
        if sideless(name) in DERIVED:
            continue
        mirror = kind == "mirror"
        key = mirrored_name(name) if mirror else name
        value = original.values.get(name, math.nan)
        got = other.values.get(key, math.nan) * (mirror_sign(name) if mirror else 1.0)
        a_ok, b_ok = math.isfinite(value), math.isfinite(got)
        if not a_ok and not b_ok:
            continue
        diff = difference_deg(name, value, got) if a_ok and b_ok else None
        if name in original.flagged or key in other.flagged:
            verdict = FLAGGED
        elif original.doubtful or other.doubtful:
            verdict = WARNED
        elif diff is not None and diff <= tolerance_deg:
            verdict = CONSISTENT
        else:
            verdict = SILENT
        checks.append((name, verdict, diff))
    return checks
