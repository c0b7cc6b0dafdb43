"""Sessions review building blocks: the selectable session list, one session reopened from the store,
the trend and comparison views, CSV and report downloads, and deletion with confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.app import history, history_view
from core.app.charts import compare_chart, trend_chart
from core.app.dates import time_label, time_style
from core.app.errors import succeeded, user_errors
from core.app.report import build_report
from core.measure.display import display_info

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from core.store import Session, Store, Subject

OPEN_KEY = "sessions_open"


def pick_session(store: Store, sessions: list[Session]) -> Session:
    """The session list (a table to read: it wraps, nothing is cut off) and a select box that
    opens one of them."""
    table = history.sessions_table(store, sessions)
    st.table(history_view.session_list(table, sessions), hide_index=True)
    by_id = {s.id: s for s in sessions}
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

    rows = history.session_rows(store, session.id)
    left, right = st.columns([3, 2])
    # Names in words, values with their unit and decimals (core.measure.display), "not measured".
    left.table(history_view.values_table(rows), hide_index=True)
    threshold = (
        "no score threshold" if session.threshold is None else f"threshold {session.threshold}"
    )
    left.caption(
        f"{session.backend} / {session.model} {session.size} on {session.device} ({session.dtype}), "
        f"{threshold}. {session.notes or ''}"
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
    measure list offers only that kind's measures, left and right in one chart. Returns kind ->
    the metric charted."""
    kinds = list(dict.fromkeys(hist["kind"]))
    chosen: dict[str, str] = {}
    for kind in kinds:
        st.markdown(f"**{kind.capitalize()} sessions**")
        metric = _trend_of_kind(hist[hist["kind"] == kind], kind)
        if metric is not None:
            chosen[kind] = metric
        if kind == "desk":
            st.caption(
                "Desk work periods per day (UTC): minutes watched, alerts, minutes outside neutral"
            )
            st.table(history_view.desk_daily_table(history.desk_daily(hist)), hide_index=True)
    if not kinds:
        st.caption("No values to chart yet.")
    return chosen


def _trend_of_kind(hist: pd.DataFrame, kind: str) -> str | None:
    counts = (
        hist.dropna(subset=["value"])
        .groupby("metric", sort=False)["session"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    if counts.empty:
        st.caption("No values to chart yet.")
        return None
    units = dict(zip(hist["metric"], hist["unit"]))
    metric = st.selectbox(
        "Measure",
        counts.index.tolist(),
        format_func=lambda m: display_info(m, "", units.get(m)).name,
        key=f"sessions_trend_measure_{kind}",
    )
    n = int(hist["session"].nunique())
    trend = history_view.trend_frame(hist, metric)
    hollow = (
        " A hollow ring is a value stored as unreliable (see that session)."
        if (trend["reliability"] == "unreliable").any()
        else ""
    )
    st.caption(
        f"Only {kind} sessions ({n}) are in this trend: a measure is followed over sessions of "
        f"one kind. Times in UTC.{hollow}"
    )
    st.altair_chart(
        trend_chart(trend, title=history_view.axis_title(metric, units.get(metric, ""))),
        key=f"sessions_trend_chart_{kind}",
    )
    return metric


def render_compare(store: Store, sessions: list[Session]) -> None:
    """Two sessions of the same kind side by side: the table, then one chart per unit with the
    left and the right side in two columns. Session A offers only sessions of B's kind; when B
    has none, the page says so (never a walk against a photo)."""
    by_id = {s.id: s for s in sessions}
    ids = list(by_id)
    c1, c2 = st.columns(2)
    b = c2.selectbox(
        "Session B",
        ids,
        index=len(ids) - 1,
        format_func=lambda i: history.session_label(by_id[i]),
        key="sessions_compare_b",
    )
    session_b = by_id[b]
    partners = {s.id: s for s in history.same_kind(sessions, session_b)}
    kind = session_b.kind
    if not partners:
        st.info(
            f"No other {kind} session to compare #{b} with: a {kind} session is compared only "
            f"with another {kind} session."
        )
        return
    if st.session_state.get("sessions_compare_a") not in partners:
        st.session_state.pop("sessions_compare_a", None)
    default = history.compare_default(sessions, session_b)
    a = c1.selectbox(
        f"Session A (only {kind} sessions)",
        list(partners),
        index=list(partners).index(default.id) if default else 0,
        format_func=lambda i: history.session_label(by_id[i]),
        key="sessions_compare_a",
    )
    st.caption(f"Only {kind} sessions are offered: sessions of one kind share their measures.")
    style = time_style([by_id[a].created_utc, session_b.created_utc])
    label_a, label_b = (f"#{i} · {time_label(by_id[i].created_utc, style)}" for i in (a, b))
    table = history.compare(store, by_id[a], session_b)
    st.table(history_view.compare_table(table, label_a, label_b), hide_index=True)
    _compare_charts(table, label_a, label_b)


def _compare_charts(table: pd.DataFrame, label_a: str, label_b: str) -> None:
    for n, (unit, by_side) in enumerate(history_view.compare_groups(table, label_a, label_b)):
        heading = history_view.unit_heading(unit)
        symbol = display_info("x", "", unit).symbol or "count"
        sided = [side for side in ("left", "right") if side in by_side]
        if sided:
            columns = st.columns(2)
            for column, side in zip(columns, ("left", "right")):
                if side in by_side:
                    column.altair_chart(
                        compare_chart(
                            by_side[side], title=f"{heading}, {side} side", axis_title=symbol
                        ),
                        key=f"sessions_compare_chart_{n}_{side}",
                    )
        if "" in by_side:
            st.altair_chart(
                compare_chart(by_side[""], title=heading, axis_title=symbol),
                key=f"sessions_compare_chart_{n}",
            )


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
    listing = history_view.session_list(history.sessions_table(store, sessions), sessions)
    report = build_report(subject.label, listing, hist)
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
