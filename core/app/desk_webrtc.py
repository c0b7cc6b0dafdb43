"""Desk watch from the browser's camera: a WebRTC stream (streamlit-webrtc) from the browser to this
dashboard's server, measured there at a bounded rate, drawn on and sent back, never stored.

The ICE configuration is an empty server list on both sides (:func:`rtc_configuration`), so no
STUN or TURN server is ever asked: the browser and the server connect over their own host
addresses only. aioice (the server's ICE) skips loopback addresses, so the two must share a
non-loopback (LAN) address; on a machine with only loopback the stream never connects and the
server camera mode is the way.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import streamlit as st

from core.app import desk_ui
from core.errors import NoPersonFound, SapiensMeasureError
from core.measure.desk_watch import TRACKS, DeskWatch, Event, WatchConfig, frame_angles
from core.measure.ergonomics import FINE, LOOK, RulaItem, rula_scores

if TYPE_CHECKING:
    from core.backends.base import Backend
    from core.config import Settings
    from core.keypoints import Pose

METER_KEY = "desk_webrtc_meter"
STOP_KEY = "desk_webrtc_stop"  # the stream is to stop (a period was saved or dropped)
SAVED_KEY = "desk_webrtc_saved"
STREAM_KEY = "desk_webrtc"
#: The one source name of a browser-camera period (``Period.source``, the saved ``source`` param).
SOURCE = "browser camera"
HOW_IT_WORKS = (
    "The browser sends the camera's video to this dashboard's server over WebRTC, on this "
    "machine's own network addresses: no STUN or TURN server is configured, so nothing is relayed "
    "and no frame leaves the two ends. The server measures a few frames a second with its own lite "
    "(MediaPipe) model, draws the skeleton and the RULA bands of the last measured frame on the "
    "video it sends back, and drops every frame; nothing is stored but the work period's band "
    "shares and alerts when you save it. The connection needs a non-loopback (LAN) address shared "
    "by the browser and the server (the server's WebRTC stack skips loopback addresses): on a "
    "machine with only a loopback address the video never starts; use the server camera instead."
)

_GREEN, _ORANGE, _GREY = (40, 180, 60), (255, 140, 0), (170, 170, 170)


def rtc_configuration() -> dict[str, list]:
    """An empty ICE server list: host candidates only, no STUN/TURN (a fresh dict per call).

    streamlit-webrtc treats ``{}``, ``None`` or a missing key as "fill in automatically" (Google's
    STUN server, or TURN credentials fetched when TWILIO_*, CLOUDFLARE_TURN_* or HF_TOKEN are
    set), on the browser side and on the server side alike; an empty list is kept as it is.
    """
    return {"iceServers": []}


@dataclass(frozen=True)
class Sample:
    """One measured frame: seconds since the meter started, the angles of :data:`TRACKS` (NaN where
    not visible), and whether a person was found."""

    time_s: float
    angles: np.ndarray
    person: bool


class FrameMeter:
    """The stream's frame callback: measures at most one frame every ``every_s`` seconds with its
    own backend (made by ``make_backend`` on first use, in the stream's thread), passes the
    others through, draws the last measured pose and bands on every frame, and queues a
    :class:`Sample` per measured frame for the script thread (:meth:`drain`).

    The backend is this meter's alone, with this meter's lock: never the app's shared one, whose
    lock would make other pages wait for the stream. ``clock`` (seconds, monotonic) is injectable
    for tests. The queue keeps the newest ``max_samples`` when the page stops draining it.
    """

    def __init__(
        self,
        make_backend: Callable[[], Backend],
        *,
        view: str = "side",
        every_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        max_samples: int = 1200,
    ) -> None:
        if not (math.isfinite(every_s) and every_s > 0):
            raise ValueError(f"every_s must be a positive number of seconds, got {every_s!r}")
        self.view = view
        self.every_s = float(every_s)
        self.samples: queue.Queue[Sample] = queue.Queue(max_samples)
        self.backend_info: dict[str, object] = {}
        self.error = ""
        self.measured = 0
        self.passed = 0
        self._make_backend = make_backend
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        self._clock = clock
        self._t0 = clock()
        self._next_s = -math.inf
        self._shown: tuple[Pose, list[RulaItem]] | None = None

    def process(self, rgb: np.ndarray) -> np.ndarray:
        """One RGB uint8 frame in, the frame to show out (a drawn copy)."""
        t = self._clock() - self._t0
        if t >= self._next_s:
            self._next_s = t + self.every_s
            self._measure(rgb, t)
        else:
            self.passed += 1
        return self.draw(rgb)

    def _measure(self, rgb: np.ndarray, t: float) -> None:
        from core.analysis import analyze_posture, live_flip_test

        angles, person = np.full(len(TRACKS), np.nan), False
        with self._lock:
            try:
                if self._backend is None:
                    self._backend = self._make_backend()
                    self.backend_info = dict(self._backend.describe())
                result = analyze_posture(
                    rgb, self._backend, view=self.view, flip_test=live_flip_test(self._backend)
                )
            except NoPersonFound:
                self._shown = None
            except SapiensMeasureError as exc:  # a model that will not load: said on the page
                self.error, self._shown = str(exc), None
                return
            else:
                angles, person, self.error = frame_angles(result.measures), True, ""
                self._shown = (result.pose, rula_scores(result.measures, view=result.view))
            self.measured += 1
        self._put(Sample(t, angles, person))

    def _put(self, sample: Sample) -> None:
        while True:
            try:
                self.samples.put_nowait(sample)
                return
            except queue.Full:  # the page has not drained for a while: the oldest goes
                with contextlib.suppress(queue.Empty):
                    self.samples.get_nowait()

    def drain(self) -> list[Sample]:
        """Every queued sample, oldest first (called from the script thread)."""
        out = []
        while True:
            try:
                out.append(self.samples.get_nowait())
            except queue.Empty:
                return out

    def draw(self, rgb: np.ndarray) -> np.ndarray:
        """The last measured pose and its per-frame RULA bands on a copy of ``rgb``."""
        from core.imaging.overlay import draw_pose

        shown = self._shown
        if shown is None:
            return rgb.copy()
        pose, items = shown
        out = draw_pose(rgb, pose)
        # Legible on a small stream: the text grows with the frame, never below 0.36 of cv2's size.
        font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.6 * max(0.6, out.shape[0] / 600)
        weight = max(1, round(2.5 * size))
        lines = [band_text(i) for i in items]
        width = max(cv2.getTextSize(line, font, size, weight)[0][0] for line in lines)
        step = int(46 * size)
        cv2.rectangle(out, (0, 0), (width + 12, step * len(lines) + step // 2), (0, 0, 0), -1)
        for k, (item, line) in enumerate(zip(items, lines)):
            colour = {FINE: _GREEN, LOOK: _ORANGE}.get(item.status, _GREY)
            cv2.putText(out, line, (6, step * (k + 1)), font, size, colour, weight, cv2.LINE_AA)
        return out

    def __call__(self, frame):  # noqa: ANN001, ANN204 - av.VideoFrame in and out
        import av

        # streamlit-webrtc copies pts and time_base from the frame it gave.
        return av.VideoFrame.from_ndarray(self.process(frame.to_ndarray(format="rgb24")), "rgb24")

    def close(self) -> None:
        """Release the backend (the stream ended); the next frame makes a new one."""
        with self._lock:
            if self._backend is not None and hasattr(self._backend, "close"):
                self._backend.close()
            self._backend, self._shown = None, None


def band_text(item: RulaItem) -> str:
    """A band line in the ASCII OpenCV draws: "upper_arm (left) 31 deg: 20-45 (RULA 2)"."""
    name = f"{item.part} ({item.side})" if item.side else item.part
    if item.score is None:
        return f"{name}: not visible"
    band = item.band.replace("°", "")
    return f"{name} {item.angle_deg:.0f} deg: {band} (RULA {item.score})"


def meter(settings: Settings, view: str, every_s: float) -> FrameMeter:
    """This browser session's meter (kept across reruns), following the page's view and rate."""
    current = st.session_state.get(METER_KEY)
    if current is None:
        from core.backends.lite import LiteBackend

        current = FrameMeter(lambda: LiteBackend(settings), view=view, every_s=every_s)
        st.session_state[METER_KEY] = current
    current.view, current.every_s = view, float(every_s)
    return current


def stream(frame_meter: FrameMeter, *, playing: bool | None = None):  # noqa: ANN201
    """The browser camera widget (its own start/stop button); returns streamlit-webrtc's context."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    return webrtc_streamer(
        key=STREAM_KEY,
        mode=WebRtcMode.SENDRECV,
        # Given to each side on its own: the shorthand rtc_configuration would do the same today,
        # but an explicit pair cannot fall back to a default on either side.
        frontend_rtc_configuration=rtc_configuration(),
        server_rtc_configuration=rtc_configuration(),
        media_stream_constraints={"video": True, "audio": False},
        video_frame_callback=frame_meter,
        on_video_ended=frame_meter.close,
        desired_playing_state=playing,
        async_processing=True,
    )


def live_stream(frame_meter: FrameMeter) -> bool:
    """Show the camera widget; True while it streams into a period (not while a stop is pending:
    the browser reports the stop a run or two after it was asked for)."""
    stopping = bool(st.session_state.get(STOP_KEY))
    playing = bool(stream(frame_meter, playing=False if stopping else None).state.playing)
    if stopping and not playing:
        del st.session_state[STOP_KEY]
        st.rerun()  # stopped: drawn again without the forced state, so START shows again
    return playing and not stopping


def request_stop(*, saved: int | None = None) -> None:
    """Ask the widget to stop on the next run; ``saved``: the session id to announce then."""
    st.session_state[STOP_KEY] = True
    if saved is not None:
        st.session_state[SAVED_KEY] = saved


def saved_session() -> int | None:
    """The id of the last session saved, until the next period begins (the widget's stop reruns
    the page, which would otherwise wipe the message at once)."""
    return st.session_state.get(SAVED_KEY)


def begin(config: WatchConfig) -> desk_ui.Period:
    """A browser-camera work period (no server-side frame source)."""
    period = desk_ui.Period(DeskWatch(config), None, SOURCE, desk_ui.utc_now())
    st.session_state[desk_ui.STATE_KEY] = period
    st.session_state.pop(SAVED_KEY, None)
    return period


def feed(period: desk_ui.Period, samples: list[Sample]) -> list[Event]:
    """Hand the measured frames to the period's watcher, in order."""
    events: list[Event] = []
    for s in samples:
        events += desk_ui.record(period, s.time_s, s.angles, s.person)
    return events


def lan_addresses() -> list[str]:
    """This machine's non-loopback IP addresses (what aioice offers as host candidates)."""
    import ifaddr  # an aioice dependency

    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            addr = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            if not (addr.startswith("127.") or addr == "::1" or addr.startswith("fe80")):
                found.append(addr)
    return found
