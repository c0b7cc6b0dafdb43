"""Several people in one posture photo: who to measure (a choice numbered as the overlay's boxes),
what the page says about who was measured, and the person in a saved session's parameters.

People are numbered from 1, largest first, as ``core.analysis`` and the CLI number them. Another
person is measured by pointing ``analyze_posture`` at the centre of their box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from core.analysis import PostureResult

#: The widget's key, and the photo its choice was made for (a new photo starts at the largest).
KEY = "posture_person"
_PHOTO_KEY = "posture_person_photo"


def person_label(index: int) -> str:
    """ "Person 1 (largest)", "Person 2", ... for the 0-based ``index``."""
    return "Person 1 (largest)" if index == 0 else f"Person {index + 1}"


def box_text(result: PostureResult, index: int) -> str:
    x1, y1, x2, y2 = result.people[index].require_box()
    return f"box {x1:.0f},{y1:.0f} to {x2:.0f},{y2:.0f} px"


def point_of(result: PostureResult, index: int) -> tuple[float, float]:
    """The centre of person ``index``'s box (x, y pixels): the point that selects them."""
    x1, y1, x2, y2 = result.people[index].require_box()
    return ((x1 + x2) / 2.0, (y1 + y2) / 2.0)


def choose_person(result: PostureResult, photo_sha256: str) -> int:
    """The person to measure: a select box when the photo holds several people (0 otherwise).

    The choice belongs to the photo: a different photo starts again at the largest person, and a
    choice beyond the people found falls back to it.
    """
    n = len(result.people)
    if st.session_state.get(_PHOTO_KEY) != photo_sha256 or st.session_state.get(KEY, 0) >= n:
        st.session_state[KEY] = 0
    st.session_state[_PHOTO_KEY] = photo_sha256
    if n < 2:
        return 0
    return int(
        st.selectbox(
            f"Who to measure ({n} people found; numbered as the boxes on the picture)",
            list(range(n)),
            format_func=person_label,
            key=KEY,
        )
    )


def measured_text(result: PostureResult) -> str:
    """One sentence on who was measured; "" when the photo holds one person."""
    n = len(result.people)
    if n < 2:
        return ""
    i = result.person_index
    return f"Measured: person {i + 1} of {n} ({box_text(result, i)}; the white box on the picture)."


def page_warnings(result: PostureResult) -> tuple[str, ...]:
    """The result's warnings without the CLI's "N people found ... --point" line: the page says
    who was measured in its own words (:func:`measured_text`) and offers the choice instead."""
    people_line = f"{len(result.people)} people found; measured person"
    return tuple(w for w in result.warnings if not w.startswith(people_line))
