"""The posture page's exercise target: a named preset (``core.measure.targets.PRESETS``), none (the
default), or a custom target on a measure chosen by its readable name."""

from __future__ import annotations

import math
from collections.abc import Collection

import streamlit as st

from core.app.errors import attempt
from core.app.posture_table import measure_name
from core.measure.display import UNRELIABLE_NOTE, format_number
from core.measure.targets import PRESETS, Target, check_target

NONE = "none"
CUSTOM = "custom"
#: After the verdict of a target whose measure is flagged unreliable.
UNRELIABLE_VERDICT = " (value unreliable)"


def option_label(option: str) -> str:
    """ "No target", "Squat knee flexion (left): 90 ± 10°", "Custom target ..."."""
    if option == NONE:
        return "No target"
    if option == CUSTOM:
        return "Custom target (choose a measure and a goal)"
    preset = PRESETS[option]
    words = preset.label[:1].upper() + preset.label[1:]
    return f"{words}: {preset.target:g} ± {preset.tolerance:g}°"


def _custom(measures: dict[str, float]) -> Target:
    keys = list(measures)
    metric = st.selectbox("Measure", keys, format_func=measure_name, key="posture_target_metric")
    target = st.number_input("Target (°)", value=90.0, step=1.0, key="posture_target_value")
    tolerance = st.number_input(
        "Tolerance (±°)", min_value=0.0, value=10.0, step=1.0, key="posture_target_tol"
    )
    return Target("custom", str(metric), float(target), float(tolerance))


def render_target(measures: dict[str, float], unreliable: Collection[str] = ()) -> None:
    """The target picker and its verdict for ``measures``; a measure in ``unreliable`` (its value
    flagged, ``core.measure.confidence``) gets its verdict with "(value unreliable)" after it and
    a line saying why it is not to be relied on."""
    choice = st.selectbox(
        "Exercise target",
        [NONE, *PRESETS, CUSTOM],
        format_func=option_label,
        key="posture_target_preset",
    )
    if choice == NONE:
        st.caption("Choose a target to compare one measure with an exercise goal.")
        return
    target = _custom(measures) if choice == CUSTOM else PRESETS[choice]
    value = float(measures.get(target.metric, math.nan))
    verdict = attempt(check_target, value, target.target, target.tolerance)
    if verdict is not None:
        doubtful = target.metric in unreliable and math.isfinite(value)
        st.metric(
            f"{measure_name(target.metric)}: target {target.target:g} ± {target.tolerance:g}°",
            format_number(value, target.unit) + (UNRELIABLE_NOTE if doubtful else ""),
            delta=verdict + (UNRELIABLE_VERDICT if doubtful else ""),
            delta_color="off",
        )
        if doubtful:
            st.caption(
                "This value is flagged unreliable (see the measures above): the comparison with "
                "the target is not to be relied on; a retake may settle it."
            )
