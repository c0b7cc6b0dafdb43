"""What a subject's report shows, read from the store: the subject, each session's values, warnings,
quality rows and overlay picture, and the values that can be charted over sessions. Nothing is
recomputed; the numbers are the stored ones.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, SapiensMeasureError
from core.measure.confidence import REASONS
from core.measure.display import unreliable
from core.store import Session, Store, Subject
from core.store.companions3d import FLAG_COLUMNS, flagged_measures

#: Stored rows whose metric starts with this are quality flags (grades, reliability) of a session.
QUALITY_PREFIX = "quality_"


@dataclass(frozen=True)
class SessionContent:
    """One session as the report shows it. ``values``: session-level rows (``metric, side, value,
    unit``), quality rows left out; ``quality``: the ``quality_*`` rows; ``image``: PNG bytes of
    the overlay (for a gait session the overlay video's frame at a heel strike), None without one;
    ``image_caption`` says which picture it is; ``warnings``: text lines."""

    session: Session
    values: pd.DataFrame
    quality: pd.DataFrame
    image: bytes | None
    image_caption: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContent:
    subject: Subject
    sessions: list[SessionContent]
    made_utc: dt.datetime

    @property
    def age_years(self) -> int | None:
        """Age in whole years at the report's date, from the year of birth (may be one too many
        before the birthday: only the year is stored)."""
        if self.subject.birth_year is None:
            return None
        return self.made_utc.year - int(self.subject.birth_year)


def session_values(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows not tied to a time: a photo's measures, a walk's cadence and step times, with
    ``reliable`` and ``reason`` where the rows have them (``companions3d.flagged_measures``)."""
    flags = [c for c in FLAG_COLUMNS if c in rows.columns]
    columns = ["metric", "side", "value", "unit", *flags]
    return rows[rows["time_s"].isna()][columns].reset_index(drop=True)


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG")
    return buf.getvalue()


def _check_image(data: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.verify()


def heel_strike_time(rows: pd.DataFrame) -> float | None:
    """The stored heel strike nearest the middle of the walk's heel strikes (s), None without any:
    mid-walk the walker is the most likely to be in full view."""
    times = rows[rows["metric"] == "heel_strike"]["value"].dropna().to_numpy(float)
    if times.size == 0:
        return None
    return float(times[np.argmin(np.abs(times - np.median(times)))])


def _video_frame(path: str | Path, time_s: float) -> np.ndarray | None:
    from core.video import iter_frames

    # A frame's timestamp can be a hair off its nominal value: start a little before it.
    frame = next(iter_frames(path, start_s=max(0.0, time_s - 1e-3), max_frames=1), None)
    return None if frame is None else frame.rgb


def _picture(session: Session, rows: pd.DataFrame) -> tuple[bytes | None, str, list[str]]:
    """(PNG bytes, caption, warnings) of the session's overlay picture."""
    pngs = [n for n in session.artifacts if n.lower().endswith(".png")]
    if pngs:
        try:
            data = session.artifacts[pngs[0]].read_bytes()
            _check_image(data)
        except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
            return None, "", [f"the overlay picture could not be read: {exc}"]
        return data, "Overlay as saved with the session", []
    videos = [n for n in session.artifacts if n.lower().endswith(".mp4")]
    if not videos:
        return None, "", []
    t = heel_strike_time(rows)
    when = 0.0 if t is None else t
    try:
        rgb = _video_frame(session.artifacts[videos[0]], when)
    except (OSError, SapiensMeasureError) as exc:
        return None, "", [f"the overlay video could not be read: {exc}"]
    if rgb is None:
        return None, "", ["the overlay video holds no frame at the chosen time"]
    caption = (
        f"Overlay video frame at a heel strike ({when:.2f} s)"
        if t is not None
        else "Overlay video, first frame (no heel strike was found)"
    )
    return _png(rgb), caption, []


#: Why a session-level value of a kind is missing (docs/MEASURES.md).
_MISSING_WHY = {
    "posture": ": the points they need were not visible or below the score threshold",
    "gait": (
        ": too few heel strikes were found, or the analysed frame rate was below 10 frames per "
        "second (then only the per-frame signals are measured)"
    ),
}


def _warnings(session: Session, values: pd.DataFrame) -> list[str]:
    out = [str(w) for w in session.params.get("warnings", []) or [] if str(w).strip()]
    missing = values[values["value"].isna()]
    if len(values) and len(missing):
        why = _MISSING_WHY.get(session.kind, "")
        out.append(f"{len(missing)} of {len(values)} values not measured{why}")
    flagged = values[unreliable(values)]
    if len(flagged):
        codes = [str(c) for c in flagged["reason"].dropna().unique() if str(c) in REASONS]
        why = f" ({'; '.join(REASONS[c] for c in codes)})" if codes else ""
        out.append(
            f"{len(flagged)} of {len(values)} values stored as unreliable{why}: marked "
            '"(unreliable)", shown but not to be relied on'
        )
    return out


def session_content(store: Store, session: Session) -> SessionContent:
    rows = flagged_measures(store.load_measurements(session.id, companions=True))
    values = session_values(rows)
    is_quality = values["metric"].astype(str).str.startswith(QUALITY_PREFIX)
    image, caption, picture_warnings = _picture(session, rows)
    return SessionContent(
        session=session,
        values=values[~is_quality].reset_index(drop=True),
        quality=values[is_quality].reset_index(drop=True),
        image=image,
        image_caption=caption,
        warnings=_warnings(session, values[~is_quality]) + picture_warnings,
    )


def report_content(
    store: Store, subject: Subject, *, session_ids: list[int] | None = None
) -> ReportContent:
    """The subject's sessions (oldest first), or only those in ``session_ids``.

    Raises ``InputError`` when there is no session to report (none saved, or an id that is not
    this subject's).
    """
    sessions = store.list_sessions(subject.id)
    if session_ids is not None:
        known = {s.id for s in sessions}
        foreign = [i for i in session_ids if i not in known]
        if foreign:
            raise InputError(f"session {foreign[0]} is not a session of subject {subject.label!r}")
        sessions = [s for s in sessions if s.id in set(session_ids)]
    if not sessions:
        raise InputError(
            f"subject {subject.label!r} has no saved sessions: nothing to report (save a posture, "
            "gait or desk session first)"
        )
    return ReportContent(
        subject=subject,
        sessions=[session_content(store, s) for s in sessions],
        made_utc=dt.datetime.now(dt.timezone.utc),
    )


def trend_frame(content: ReportContent) -> pd.DataFrame:
    """Session-level values of every session, for charts: ``session, created, kind, metric, side,
    value, unit, reliable`` (NaN values left out; ``reliable`` <NA> where no flag was stored:
    ``session_content`` reads every session through ``flagged_measures``)."""
    parts = []
    for sc in content.sessions:
        v = sc.values.dropna(subset=["value"]).copy()
        v.insert(0, "kind", sc.session.kind)
        v.insert(0, "created", pd.Timestamp(sc.session.created_utc))
        v.insert(0, "session", sc.session.id)
        parts.append(v)
    cols = ["session", "created", "kind", "metric", "side", "value", "unit", "reliable"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
