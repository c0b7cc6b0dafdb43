"""Driving the app in AppTest: start at Home.py, make a subject, open a page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.store import Store

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "Home.py")
PAGES = (
    "pages/start.py",
    "pages/posture.py",
    "pages/gait.py",
    "pages/desk_watch.py",
    "pages/skin_roi.py",
    "pages/relight.py",
    "pages/sessions.py",
)
#: Generous: the first run of a page imports torch/mediapipe and loads models on a 2-core CPU.
TIMEOUT_S = 300


def make_subject(label: str = "P001", *, consent: bool = True, height_m: float | None = 1.7) -> int:
    """A subject in the test's data directory (the autouse fixture points the app there)."""
    with Store() as store:
        return store.create_subject(label, consent=consent, height_m=height_m)


def open_page(page: str) -> AppTest:
    """Run Home.py, then switch to ``page`` and run it."""
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(page).run()
    return at


def problems(at: AppTest) -> list[str]:
    """Exceptions and error boxes the page shows (empty when all is well)."""
    return [e.message for e in at.exception] + [e.value for e in at.error]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown that has ``column`` (plain tables carry no key in AppTest): an
    ``st.table`` (HTML, what a person reads) or an ``st.dataframe``."""
    for frame in [*at.table, *at.dataframe]:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column on the page")


def texts(at: AppTest) -> str:
    """All the text the page shows in captions, info, warning and markdown, joined."""
    parts = (
        [c.value for c in at.caption] + [i.value for i in at.info] + [w.value for w in at.warning]
    )
    parts += [m.value for m in at.markdown] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)
