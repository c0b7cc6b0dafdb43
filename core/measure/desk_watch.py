"""Desk watch: RULA bands over time, with alerts on a strain that lasts (docs/MEASURES.md "Desk watch").

Frames arrive with their own time stamps (any rate, irregular, with gaps). Each body part's angle is
smoothed by a time-weighted median over the last ``window_s`` seconds, so a change held for less than
half the window never moves the smoothed band. A part is "strained" while its smoothed angle lies
outside its neutral (best-scored) RULA band; an alert fires once ``alert_after_s`` seconds after the
smoothed angle left the neutral band, and the strain only ends (a "recovered" event) after the
smoothed angle has stayed neutral or unmeasured for ``recover_s`` seconds, so a brief return does
not reset the clock. Bands come from :mod:`core.measure.ergonomics`; nothing here does I/O.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError
from core.measure.ergonomics import PART_ANGLE, RULA_BANDS, Band, rula_band

#: The tracked body parts, as (part, side): one per RulaItem of ``rula_scores``.
TRACKS: tuple[tuple[str, str], ...] = (
    ("neck", ""),
    ("trunk", ""),
    ("upper_arm", "left"),
    ("upper_arm", "right"),
    ("lower_arm", "left"),
    ("lower_arm", "right"),
)
NOT_VISIBLE = "not visible"


def track_name(part: str, side: str) -> str:
    return f"{part} ({side})" if side else part


def frame_angles(measures: dict[str, float]) -> np.ndarray:
    """The angle (degrees) each of :data:`TRACKS` is scored on, from ``posture_measures``; NaN if absent.

    The trunk is scored on the magnitude of the lean, as in ``rula_scores``.
    """
    out = np.empty(len(TRACKS))
    for i, (part, side) in enumerate(TRACKS):
        value = float(measures.get(PART_ANGLE[part].format(side=side), math.nan))
        out[i] = abs(value) if part == "trunk" else value
    return out


def neutral_score(part: str) -> int:
    """The best (lowest) RULA score of ``part``: its neutral band."""
    return min(b.score for b in RULA_BANDS[part])


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The lower weighted median: the smallest value whose cumulative weight reaches half the total.

    NaN values are ignored; NaN when no finite value has a positive weight.
    """
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return math.nan
    v, w = values[keep], weights[keep]
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, cum[-1] / 2.0)])


@dataclass(frozen=True)
class WatchConfig:
    """Durations in seconds. ``recover_s`` None means ``window_s``.

    window_s: smoothing window. alert_after_s: how long a part stays outside its neutral band before
    an alert. recover_s: how long it must be back (or unmeasured) before the strain counts as ended.
    max_gap_s: the longest time one frame stands for; time between frames beyond it is unobserved,
    and a gap between frames longer than both ``recover_s`` and ``max_gap_s`` ends any strain. share_window_s: the "last N
    minutes" of :meth:`DeskWatch.shares`. interval_s: the length of the stored per-interval shares.
    """

    window_s: float = 10.0
    alert_after_s: float = 300.0
    recover_s: float | None = None
    max_gap_s: float = 2.0
    share_window_s: float = 600.0
    interval_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("window_s", "alert_after_s", "max_gap_s", "share_window_s", "interval_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number of seconds, got {value!r}")
        if self.alert_after_s < self.window_s:
            # With alert_after_s >= window_s a change shorter than the window can never alert.
            raise InputError(
                f"alert_after_s ({self.alert_after_s}) must be at least window_s ({self.window_s})"
            )
        r = self.recover_s
        if r is not None and not (isinstance(r, int | float) and math.isfinite(r) and r >= 0):
            raise InputError(f"recover_s must be a number of seconds >= 0, got {r!r}")

    @property
    def recover(self) -> float:
        return self.window_s if self.recover_s is None else float(self.recover_s)


@dataclass(frozen=True)
class Event:
    """An alert ("alert") or the end of an alerted strain ("recovered").

    time_s: when it fired; held_s: how long the smoothed angle had been outside the neutral band
    (for "recovered", from the start of the strain to the last strained frame); band/angle_deg: the
    smoothed reading at that time (for "recovered", the last strained one).
    """

    kind: str
    part: str
    side: str
    time_s: float
    held_s: float
    band: str
    angle_deg: float

    @property
    def name(self) -> str:
        return track_name(self.part, self.side)


@dataclass
class _Strain:
    onset: float | None = None
    last_above: float = -math.inf
    alerted: bool = False
    last_band: Band | None = None
    last_angle: float = math.nan


@dataclass(frozen=True)
class Reading:
    """The smoothed state of one track at one time: angle (NaN when unmeasured), band (None then)."""

    part: str
    side: str
    angle_deg: float
    band: Band | None
    strained: bool
    held_s: float


@dataclass
class DeskWatch:
    """Feed it ``update(t, angles)`` in time order; it returns the events that fire at ``t``.

    ``angles``: the angles of :data:`TRACKS` (``frame_angles``), NaN for a part not visible or a
    frame with nobody in it. Per-interval band times (seconds) accumulate in ``intervals``.
    """

    config: WatchConfig = field(default_factory=WatchConfig)

    def __post_init__(self) -> None:
        self._t: deque[float] = deque()
        self._w: deque[float] = deque()  # the time each frame stands for (capped at max_gap_s)
        self._a: deque[np.ndarray] = deque()
        self._strain = [_Strain() for _ in TRACKS]
        self._segments: deque[tuple[float, float, tuple[str, ...]]] = deque()
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.readings: tuple[Reading, ...] = ()
        self.events: list[Event] = []
        #: interval index -> track index -> band label (or "not visible") -> seconds
        self.intervals: dict[int, list[dict[str, float]]] = {}
        self.above_s = np.zeros(len(TRACKS))

    def update(self, t: float, angles: np.ndarray | list[float]) -> list[Event]:
        t = float(t)
        a = np.asarray(angles, dtype=np.float64)
        if a.shape != (len(TRACKS),):
            raise InputError(f"angles must hold {len(TRACKS)} values (TRACKS), got shape {a.shape}")
        if not math.isfinite(t):
            raise InputError(f"frame time must be a finite number of seconds, got {t!r}")
        if self.end_s is not None and t < self.end_s:
            raise InputError(f"frame times must not go back ({t} s after {self.end_s} s)")
        cfg = self.config
        prev = self.end_s
        gap = math.inf if prev is None else t - prev
        if self.start_s is None:
            self.start_s = t
        self.end_s = t
        self._t.append(t)
        self._w.append(min(gap, cfg.max_gap_s))
        self._a.append(a)
        while self._t and self._t[0] <= t - cfg.window_s:
            self._t.popleft(), self._w.popleft(), self._a.popleft()
        smoothed = self._smoothed(t)
        events: list[Event] = []
        readings = []
        labels = []
        for i, (part, side) in enumerate(TRACKS):
            band = rula_band(part, smoothed[i])
            above = band is not None and band.score > neutral_score(part)
            events += self._step(i, t, gap, above, band, smoothed[i])
            st = self._strain[i]
            held = t - st.onset if st.onset is not None and above else 0.0
            readings.append(Reading(part, side, smoothed[i], band, above, held))
            labels.append(NOT_VISIBLE if band is None else band.label)
        self.readings = tuple(readings)
        if prev is not None:
            self._account(prev, t, tuple(labels), [r.strained for r in readings])
        self.events += events
        return events

    def _smoothed(self, t: float) -> np.ndarray:
        times = np.fromiter(self._t, float)
        # A frame stands for the time before it, clipped to the window's start.
        starts = np.maximum(times - np.fromiter(self._w, float), t - self.config.window_s)
        weights = np.clip(times - starts, 0.0, None)
        if len(weights) == 1:
            weights = np.ones(1)  # the first frame of a stream (or after a gap) stands alone
        stack = np.stack(list(self._a))
        return np.array([weighted_median(stack[:, i], weights) for i in range(len(TRACKS))])

    def _recovered(self, i: int, t: float) -> Event:
        st = self._strain[i]
        label = st.last_band.label if st.last_band else NOT_VISIBLE
        held = 0.0 if st.onset is None else st.last_above - st.onset  # set: it was alerted
        return Event("recovered", *TRACKS[i], t, held, label, st.last_angle)

    def _step(
        self, i: int, t: float, gap: float, above: bool, band: Band | None, angle: float
    ) -> list[Event]:
        st, cfg = self._strain[i], self.config
        part, side = TRACKS[i]
        out: list[Event] = []
        ended = st.onset is not None and (
            gap > max(cfg.recover, cfg.max_gap_s)
            or (not above and t - st.last_above >= cfg.recover)
        )
        if ended:
            if st.alerted:
                out.append(self._recovered(i, t))
            self._strain[i] = st = _Strain()
        if above:
            if st.onset is None:
                st.onset = t
            st.last_above, st.last_band, st.last_angle = t, band, float(angle)
            if not st.alerted and t - st.onset >= cfg.alert_after_s:
                st.alerted = True
                label = band.label if band is not None else NOT_VISIBLE  # above: a band
                out.append(Event("alert", part, side, t, t - st.onset, label, float(angle)))
        return out

    def _account(self, t0: float, t1: float, labels: tuple[str, ...], above: list[bool]) -> None:
        """Spread (t0, t1] over the intervals: observed time (up to max_gap_s) to the band at t1."""
        cfg = self.config
        start = t0 if self.start_s is None else self.start_s  # update set it before this
        seen_from = max(t0, t1 - cfg.max_gap_s)
        self._segments.append((seen_from, t1, labels))
        if seen_from > t0:
            self._segments.append((t0, seen_from, (NOT_VISIBLE,) * len(TRACKS)))
        while self._segments and self._segments[0][1] <= t1 - cfg.share_window_s:
            self._segments.popleft()
        self.above_s += np.asarray(above, float) * (t1 - seen_from)
        for a, b, labs in ((seen_from, t1, labels), (t0, seen_from, (NOT_VISIBLE,) * len(TRACKS))):
            while b > a:
                k = int((a - start) // cfg.interval_s)
                edge = min(b, start + (k + 1) * cfg.interval_s)
                bins = self.intervals.setdefault(k, [{} for _ in TRACKS])
                for j, lab in enumerate(labs):
                    bins[j][lab] = bins[j].get(lab, 0.0) + (edge - a)
                a = edge

    def shares(self, last_s: float | None = None) -> list[dict[str, float]]:
        """Per track, the share (0-1) of the last ``last_s`` seconds (default ``share_window_s``,
        or since the start when shorter) spent in each band label, or "not visible"."""
        last_s = (
            self.config.share_window_s
            if last_s is None
            else min(last_s, self.config.share_window_s)
        )
        out: list[dict[str, float]] = [{} for _ in TRACKS]
        if self.end_s is None or self.start_s is None:
            return out
        lo = max(self.end_s - last_s, self.start_s)
        total = self.end_s - lo
        for a, b, labels in self._segments:
            span = min(b, self.end_s) - max(a, lo)
            if span > 0:
                for j, lab in enumerate(labels):
                    out[j][lab] = out[j].get(lab, 0.0) + span / total
        return out

    def finish(self) -> list[Event]:
        """End the period: every alerted strain still open gets its "recovered" event at ``end_s``."""
        out: list[Event] = []
        if self.end_s is None:
            return out  # no frame seen: no strain to close
        for i, st in enumerate(self._strain):
            if st.onset is not None and st.alerted:
                out.append(self._recovered(i, self.end_s))
            self._strain[i] = _Strain()
        self.events += out
        return out


def watch_stream(
    times: np.ndarray | list[float], angles: np.ndarray, config: WatchConfig | None = None
) -> tuple[DeskWatch, list[Event]]:
    """Run a whole stream (times (n,), angles (n, len(TRACKS))) and finish it; returns the watcher
    and every event in order."""
    w = DeskWatch(config or WatchConfig())
    a = np.asarray(angles, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if a.ndim != 2 or a.shape != (len(times), len(TRACKS)):
        raise InputError(f"angles must be (n, {len(TRACKS)}) for n times, got {a.shape}")
    for t, row in zip(times, a):
        w.update(t, row)
    if len(times):
        w.finish()
    return w, list(w.events)
