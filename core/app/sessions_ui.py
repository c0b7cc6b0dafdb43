"""Sessions review building blocks: the selectable session list, one session reopened from the store,
the trend and comparison views, CSV and report downloads, and deletion with confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.app import history
from core.app.charts import compare_chart, trend_chart
from core.app.errors import succeeded, user_errors
from core.app.report import build_report
from core.measure.display import display_table

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from core.store import Session, Store, Subject

OPEN_KEY = "sessions_open"


def pick_session(store: Store, sessions: list[Session]) -> Session:
    """The session list (click a row to open it) and a select box that names the opened one."""
    table = history.sessions_table(store, sessions)
    event = st.dataframe(
        table, hide_index=True, key="sessions_table", on_select="rerun", selection_mode="single-row"
    )
    by_id = {s.id: s for s in sessions}
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if rows:
        st.session_state[OPEN_KEY] = int(table.iloc[rows[0]]["session"])
    if st.session_state.get(OPEN_KEY) not in by_id:
        st.session_state[OPEN_KEY] = sessions[-1].id
    chosen = st.selectbox(
        "Open session",
        list(by_id),
        format_func=lambda i: history.session_label(by_id[i]),
        key=OPEN_KEY,
    )
    return by_id[chosen]


def render_session(store: Store, session: Session) -> None:
    """A saved session as it was stored: its values and its overlay (nothing recomputed)."""
    from core.store.export import session_long_csv, session_wide_csv
    from core.store.outfiles import session_stem

    rows = store.load_measurements(session.id)
    # Names in words, values with their unit and decimals (core.measure.display), "not measured".
    shown = display_table(history.summary_values(rows))
    left, right = st.columns([3, 2])
    left.dataframe(shown[["measure", "value"]], hide_index=True, key="sessions_values")
    left.caption(
        f"{session.backend} / {session.model} {session.size} on {session.device} ({session.dtype}), "
        f"threshold {session.threshold}. {session.notes}"
    )
    for name, path in session.artifacts.items():
        if name.endswith(".png"):
            right.image(str(path), caption=name)
        elif name.endswith(".mp4"):
            right.video(str(path))
    # The same file names as `python -m core export` writes.
    stem = session_stem(store.get_subject(session.subject_id), session)
    c1, c2 = st.columns(2)
    with user_errors():
        c1.download_button(
            "Session CSV (long)",
            session_long_csv(session.id, store=store),
            file_name=f"{stem}_long.csv",
            mime="text/csv",
            key="sessions_csv_long",
        )
        c2.download_button(
            "Session CSV (wide, per frame)",
            session_wide_csv(session.id, store=store),
            file_name=f"{stem}_wide.csv",
            mime="text/csv",
            key="sessions_csv_wide",
        )


def render_trend(hist: pd.DataFrame) -> dict[str, str]:
    """One measure over the sessions, per kind of session (posture, gait, ...): each kind's
    measure list offers only that kind's measures. Returns kind -> the measure charted."""
    kinds = list(dict.fromkeys(hist["kind"]))
    chosen: dict[str, str] = {}
    for kind in kinds:
        if len(kinds) > 1:
            st.markdown(f"**{kind.capitalize()}**")
        measure = _trend_of_kind(hist[hist["kind"] == kind], kind)
        if measure is not None:
            chosen[kind] = measure
        if kind == "desk":
            daily = history.desk_daily(hist)
            st.caption(
                "Desk work periods per day (UTC): minutes watched, alerts, minutes outside neutral"
            )
            st.dataframe(
                daily.pivot(index="day", columns="measure", values="value").reset_index(),
                hide_index=True,
                key="sessions_desk_daily",
            )
    if not kinds:
        st.caption("No values to chart yet.")
    return chosen


def _trend_of_kind(hist: pd.DataFrame, kind: str) -> str | None:
    counts = (
        hist.dropna(subset=["value"])
        .groupby("measure")["session"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    if counts.empty:
        st.caption("No values to chart yet.")
        return None
    measure = st.selectbox("Measure", counts.index.tolist(), key=f"sessions_trend_measure_{kind}")
    sub = hist[hist["measure"] == measure]
    st.altair_chart(
        trend_chart(sub, title=f"{measure} ({sub['unit'].iloc[0]})"),
        key=f"sessions_trend_chart_{kind}",
    )
    return measure


def render_compare(store: Store, sessions: list[Session]) -> None:
    if len(sessions) < 2:
        st.caption("Two or more sessions are needed to compare.")
        return
    by_id = {s.id: s for s in sessions}
    ids = list(by_id)
    # Default: the latest session against the one before it of the same kind (a walk against a
    # walk), else simply the one before it.
    same_kind = [i for i, s in enumerate(sessions[:-1]) if s.kind == sessions[-1].kind]
    c1, c2 = st.columns(2)
    a = c1.selectbox(
        "Session A",
        ids,
        index=same_kind[-1] if same_kind else len(ids) - 2,
        format_func=lambda i: history.session_label(by_id[i]),
        key="sessions_compare_a",
    )
    b = c2.selectbox(
        "Session B",
        ids,
        index=len(ids) - 1,
        format_func=lambda i: history.session_label(by_id[i]),
        key="sessions_compare_b",
    )
    table = history.compare(store, by_id[a], by_id[b])
    st.dataframe(table, hide_index=True, key="sessions_compare_table")
    long = table.melt(
        id_vars=["measure"], value_vars=[f"#{a}", f"#{b}"], var_name="session", value_name="value"
    )
    st.altair_chart(compare_chart(long), key="sessions_compare_chart")


def render_exports(
    store: Store, subject: Subject, sessions: list[Session], hist: pd.DataFrame
) -> None:
    from core.store.export import subject_csv
    from core.store.outfiles import subject_stem

    c1, c2 = st.columns(2)
    with user_errors():
        c1.download_button(
            "Subject CSV (all sessions)",
            subject_csv(subject.id, store=store),
            file_name=f"{subject_stem(subject)}_subject.csv",
            mime="text/csv",
            key="sessions_csv_subject",
        )
    render_pdf_report(store, subject, c2)
    report = build_report(subject.label, history.sessions_table(store, sessions), hist)
    c2.download_button(
        "Report for the screen (HTML)",
        report,
        file_name=f"report_subject_{subject.id}.html",
        mime="text/html",
        key="sessions_report",
    )


def render_pdf_report(store: Store, subject: Subject, where: DeltaGenerator) -> None:
    """Paper size and the PDF report's download button. The PDF is built when the button is
    pressed (a callable: Streamlit runs it on its own thread; the store's connections are per
    thread), not on every rerun of the page."""
    from core.reports.pdf import PAPERS, subject_pdf
    from core.store.outfiles import subject_stem

    paper = where.radio(
        "Paper", PAPERS, format_func=str.upper, horizontal=True, key="sessions_report_paper"
    )
    stem = subject_stem(subject)
    where.download_button(
        "Report (PDF, with pictures and trends)",
        lambda: subject_pdf(store, subject, paper=paper),
        file_name=f"{stem}_report.pdf",
        mime="application/pdf",
        key="sessions_report_pdf",
        type="primary",
    )
    opened = st.session_state.get(OPEN_KEY)
    if isinstance(opened, int):
        where.download_button(
            f"Report of session #{opened} only (PDF)",
            lambda: subject_pdf(store, subject, paper=paper, session_ids=[opened]),
            file_name=f"{stem}_session{opened}_report.pdf",
            mime="application/pdf",
            key="sessions_report_pdf_session",
        )


def render_delete(store: Store, subject: Subject, session: Session | None) -> None:
    """Delete the opened session, or the whole subject; each needs an explicit confirmation."""
    if session is not None:
        sure = st.checkbox(
            f"Yes, delete session #{session.id} with its measurements and files",
            key="sessions_delete_confirm",
        )
        pressed = st.button("Delete this session", key="sessions_delete", disabled=not sure)
        if pressed and succeeded(store.delete_session, session.id):
            st.session_state.pop(OPEN_KEY, None)
            st.rerun()
    typed = st.text_input(
        f"Type the label {subject.label!r} to delete this subject and everything of it",
        key="sessions_delete_subject_confirm",
    )
    pressed = st.button(
        "Delete the subject", key="sessions_delete_subject", disabled=typed != subject.label
    )
    if pressed and succeeded(store.delete_subject, subject.id):
        st.rerun()
