"""The Start page's "System check" panel: ``python -m core doctor``'s report, computed on demand.

The report imports torch and may measure the bf16 CPU routes once (seconds), so nothing runs at
page load: a button computes it and the result stays for the session.
"""

from __future__ import annotations

import streamlit as st

_KEY = "doctor_report"


def render() -> None:
    """A collapsed expander with a button that runs the system check and shows its text."""
    with st.expander("System check"):
        st.caption(
            "CPU, the route each bf16 CPU operation takes and why, library versions and the model "
            "files found: paste it into a bug report (same as `python -m core doctor`)."
        )
        if st.button("Run the system check", key="doctor_run"):
            from core.cli.doctor import as_text, report

            with st.spinner("Checking this machine..."):
                st.session_state[_KEY] = as_text(report())
        if _KEY in st.session_state:
            st.code(st.session_state[_KEY], language=None)
