"""Desk watch page building blocks: a work period kept in the session, the smoothed RULA readout,
alerts, and saving the period as a "desk" session.

Two frame sources feed a period. The server camera: the camera of the machine that runs the
dashboard (or a video file), read with OpenCV on the server, one frame per refresh (:func:`step`).
The browser camera: a WebRTC stream measured in its own thread (:mod:`core.app.desk_webrtc`), whose
measured angles arrive through a queue (:func:`record`). Either way each frame is measured and
dropped.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import InputError, NoPersonFound
from core.measure.desk_watch import TRACKS, DeskWatch, Event, WatchConfig, frame_angles

if TYPE_CHECKING:
    from collections.abc import Generator

    from core.backends.base import Backend
    from core.store import Store, Subject

STATE_KEY = "desk_watch_period"
HOW_IT_WORKS = (
    "The camera is read on this computer (the one running the dashboard), one frame every few "
    "seconds; each frame is measured and dropped, nothing is stored or sent anywhere. The browser "
    "only shows the readout. Alerts need a part to stay outside its neutral RULA band for the set "
    "time; brief changes are smoothed away (docs/MEASURES.md, Desk watch)."
)


@dataclass
class Period:
    """A running work period: the watcher, its frame source and what the last frame showed."""

    watch: DeskWatch
    frames: (
        Generator[tuple[float, np.ndarray], None, None] | None
    )  # None: measured elsewhere (browser camera)
    source: str
    start_utc: str
    person: bool = False
    ended: bool = False
    error: str = ""
    alerts: list[Event] = field(default_factory=list)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def start(source: str, config: WatchConfig, every_s: float) -> Period:
    """Open the source (camera index or video file) and begin a period; ``InputError`` if it won't open."""
    from core.cli.watch import sample_frames

    frames = sample_frames(source.strip(), every_s)
    period = Period(DeskWatch(config), frames, source.strip(), utc_now())
    st.session_state[STATE_KEY] = period
    return period


def step(period: Period, backend: Backend, view: str) -> list[Event]:
    """Measure the next frame; the period ends (``ended``) at the end of the source, or with
    ``error`` set when the source will not open or a camera stops."""
    from core.analysis import analyze_posture, live_flip_test

    if period.frames is None:  # the browser camera's frames are measured in their own callback
        return []
    try:
        t, image = next(period.frames)
    except StopIteration:
        period.ended = True
        return []
    except InputError as exc:  # the source would not open, or a camera stopped
        period.ended, period.error = True, str(exc)
        return []
    angles, person = np.full(len(TRACKS), np.nan), False
    with contextlib.suppress(NoPersonFound):  # nobody in view: NaN angles, person False
        angles, person = (
            frame_angles(
                analyze_posture(
                    image, backend, view=view, flip_test=live_flip_test(backend)
                ).measures
            ),
            True,
        )
    return record(period, t, angles, person)


def record(period: Period, t: float, angles: np.ndarray, person: bool) -> list[Event]:
    """One measured frame (time, angles of ``TRACKS``) into the period's watcher."""
    period.person = person
    events = period.watch.update(t, angles)
    period.alerts += [e for e in events if e.kind == "alert"]
    return events


def stop(period: Period) -> None:
    """End the period: the camera (or file) is released and open alerted strains are closed."""
    if period.frames is not None:
        period.frames.close()  # runs sample_frames' finally: the capture is released
    if not period.ended:
        period.watch.finish()
    period.ended = True


def readout(period: Period) -> pd.DataFrame:
    """One row per part: smoothed angle, band, and how long it has been outside its neutral band."""
    rows = []
    for r in period.watch.readings:
        rows.append(
            {
                "part": f"{r.part} ({r.side})" if r.side else r.part,
                "smoothed angle (°)": None
                if not np.isfinite(r.angle_deg)
                else round(r.angle_deg, 1),
                "band": r.band.label if r.band else "not visible",
                "outside neutral for (s)": round(r.held_s) if r.strained else 0,
            }
        )
    return pd.DataFrame(rows)


def shares_table(period: Period, last_s: float) -> pd.DataFrame:
    """Per part, the % of the last ``last_s`` seconds in each band."""
    rows = []
    for (part, side), shares in zip(TRACKS, period.watch.shares(last_s)):
        for band, share in shares.items():
            name = f"{part} ({side})" if side else part
            rows.append({"part": name, "band": band, "share (%)": round(100 * share, 1)})
    return pd.DataFrame(rows, columns=["part", "band", "share (%)"])


def announce(events: list[Event]) -> None:
    """A toast per new alert, so one that fires while the readout is scrolled away is still seen."""
    for e in events:
        if e.kind == "alert":
            st.toast(f"ALERT: {e.name} outside its neutral band for {e.held_s:.0f} s", icon="⚠️")


def render(period: Period) -> None:
    watch = period.watch
    if period.error:
        st.error(period.error, icon=":material/videocam_off:")
    if watch.end_s is None or watch.start_s is None:
        st.caption("Waiting for the first frame ...")
        return
    elapsed = watch.end_s - watch.start_s
    st.caption(
        f"{elapsed:.0f} s watched; "
        + ("a person is in view." if period.person else "no person in view in the last frame.")
    )
    strained = [r for r in watch.readings if r.strained and r.held_s >= watch.config.alert_after_s]
    for r in strained:
        name = f"{r.part} ({r.side})" if r.side else r.part
        st.warning(
            f"ALERT: {name} has been outside its neutral band for {r.held_s:.0f} s ({r.band.label if r.band else 'not visible'}).",
            icon=":material/warning:",
        )
    st.dataframe(readout(period), hide_index=True, key="desk_watch_readout")
    st.caption(f"Alerts so far: {len(period.alerts)}")


def source_kind(source: str) -> str:
    """What a period's ``source`` was, in words: "camera", "video file" or "browser camera"."""
    if source.isdigit():
        return "camera"
    return source if source == "browser camera" else "video file"


def save(
    store: Store, subject: Subject, period: Period, backend_info: dict[str, object], notes: str
) -> int:
    """Finish the period and store it as one "desk" session (no video frame); ``backend_info`` is
    ``describe()`` of the backend that measured it."""
    from core.measure.desk_period import KIND, period_params, period_rows

    if period.watch.start_s is None:
        raise InputError("nothing to save: no frame was read yet")
    stop(period)
    return store.save_session(
        subject.id,
        kind=KIND,
        backend_info=dict(backend_info),
        source_hash="",
        measurements=period_rows(period.watch),
        notes=notes,
        params=period_params(
            period.watch,
            start_utc=period.start_utc,
            end_utc=utc_now(),
            source=source_kind(period.source),
        ),
    )
