"""Who is being measured: the subject picker, the creator form and the consent gate.

The subject chosen last is remembered per browser, never in the store (several people may share
one store): in the page address (``?subject=<id>``, so a bookmark or a reloaded tab after a restart
reopens it) and in a cookie of this site (``sapiens_measure_subject``, so a new tab does too). It
is used again only while that subject exists; otherwise the picker starts at the first one.

A subject is a pseudonymous label (never a name is asked for) with an optional height (turns step
lengths into metres) and year of birth. Consent is recorded once per subject, with its date, before
any photo or video of that person is analysed; the measurement pages call :func:`require_subject`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import streamlit as st

from core.app.errors import attempt, succeeded

if TYPE_CHECKING:
    from core.store import Store
    from core.store.records import Subject

CONSENT_TEXT = (
    "The person measured (or their legal guardian) agrees that their photos and videos are analysed "
    "on this computer and that the measurements are stored here, under the pseudonym above."
)
#: Widget key of the subject picker, and the session-state key that keeps the chosen id across pages.
SUBJECT_KEY = "subject_id"
CURRENT_KEY = "_current_subject_id"
#: The page-address parameter and the cookie that remember the subject chosen last in a browser.
QUERY_PARAM = "subject"
COOKIE = "sapiens_measure_subject"
#: A year: the cookie outlives a restart of the app and of the browser.
COOKIE_MAX_AGE_S = 365 * 24 * 3600
_COOKIE_WRITTEN = "_subject_cookie_written"


def remembered_subject_id(subject_ids: Iterable[int]) -> int | None:
    """The subject this browser chose last (page address first, then the cookie), if it still
    exists among ``subject_ids``; else None."""
    ids = set(subject_ids)
    for raw in (st.query_params.get(QUERY_PARAM), _cookie()):
        try:
            subject_id = int(str(raw))
        except ValueError:
            continue
        if subject_id in ids:
            return subject_id
    return None


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):  # no browser session (a bare script run)
        return None


def remember(subject_id: int) -> None:
    """Put the chosen subject into the page address and this browser's cookie."""
    if st.query_params.get(QUERY_PARAM) != str(subject_id):
        st.query_params[QUERY_PARAM] = str(subject_id)
    if st.session_state.get(_COOKIE_WRITTEN) == subject_id or _cookie() == str(subject_id):
        return
    st.session_state[_COOKIE_WRITTEN] = subject_id
    # An int id only: nothing a user typed goes into the script.
    st.html(
        f"<script>document.cookie = '{COOKIE}={int(subject_id)}; path=/; "
        f"max-age={COOKIE_MAX_AGE_S}; SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def current_subject(store: Store) -> Subject | None:
    subject_id = st.session_state.get(CURRENT_KEY)
    if subject_id is None:
        return None
    return next((s for s in store.list_subjects() if s.id == subject_id), None)


def render_picker(store: Store) -> Subject | None:
    """A select box over the stored subjects (sidebar); returns the chosen one."""
    subjects = {s.id: s for s in store.list_subjects()}
    if st.session_state.get(CURRENT_KEY) not in subjects:
        # None chosen yet in this session (or it was deleted): the one this browser chose last,
        # if it still exists, else the first one.
        remembered = remembered_subject_id(subjects)
        st.session_state[CURRENT_KEY] = (
            remembered if remembered is not None else next(iter(subjects), None)
        )
    if not subjects:
        st.caption("No subject yet: create one on the Start page.")
        return None
    remember(st.session_state[CURRENT_KEY])
    # The widget belongs to the page that draws it: give it the kept choice, keep its changes.
    st.session_state[SUBJECT_KEY] = st.session_state[CURRENT_KEY]

    def keep() -> None:
        st.session_state[CURRENT_KEY] = st.session_state[SUBJECT_KEY]

    st.selectbox(
        "Subject",
        options=list(subjects),
        format_func=lambda sid: (
            subjects[sid].label + ("" if subjects[sid].consent else " (no consent)")
        ),
        key=SUBJECT_KEY,
        on_change=keep,
    )
    return subjects[st.session_state[CURRENT_KEY]]


def render_creator(store: Store) -> None:
    """The new-subject form; the created subject becomes the current one (after a rerun)."""
    with st.form("new_subject", clear_on_submit=True):
        st.markdown("**New subject**")
        label = st.text_input(
            "Pseudonymous label",
            key="new_subject_label",
            placeholder="e.g. P001",
            help="Never a real name: the label is what exports and reports show.",
        )
        c1, c2 = st.columns(2)
        height_cm = c1.number_input(
            "Height (cm, optional)",
            min_value=40.0,
            max_value=250.0,
            value=None,
            step=1.0,
            key="new_subject_height_cm",
            help="Leave empty if not given. With a height, step lengths are also in metres.",
        )
        birth_year = c2.number_input(
            "Year of birth (optional)",
            min_value=1900,
            max_value=2100,
            value=None,
            step=1,
            key="new_subject_birth_year",
            help="Leave empty if not given.",
        )
        consent = st.checkbox(CONSENT_TEXT, key="new_subject_consent")
        submitted = st.form_submit_button("Create subject", key="new_subject_create")
    if not submitted:
        return
    subject_id = attempt(
        store.create_subject,
        label,
        height_m=height_cm / 100.0 if height_cm else None,
        birth_year=int(birth_year) if birth_year else None,
        consent=bool(consent),
    )
    if subject_id is None:
        return
    # The picker was drawn earlier in this run: rerun so it shows the new subject as chosen.
    st.session_state[CURRENT_KEY] = subject_id
    st.rerun()


def render_consent(store: Store, subject: Subject) -> Subject:
    """Show the consent state; for a subject without consent, a checkbox and button to record it."""
    if subject.consent:
        st.caption(f"Consent recorded on {subject.consent_date} for {subject.label}.")
        return subject
    st.warning(
        f"No consent recorded for {subject.label}: nothing can be measured for this subject yet."
    )
    agreed = st.checkbox(CONSENT_TEXT, key=f"consent_check_{subject.id}")
    pressed = st.button("Record consent", key=f"consent_record_{subject.id}", disabled=not agreed)
    if pressed and succeeded(store.record_consent, subject.id):
        # Rerun so every widget (the picker's label too) sees the recorded consent.
        st.rerun()
    return subject


def require_subject(store: Store) -> Subject:
    """The current subject with consent, or a message that says what to do and the page stops."""
    subject = current_subject(store)
    if subject is None:
        st.info("Create or pick a subject first (Start page), then come back here.")
        st.page_link("pages/start.py", label="Go to the Start page", icon=":material/home:")
        st.stop()
    if not subject.consent:
        render_consent(store, subject)
        st.stop()
    return subject
