"""The gait page's "about N s left", measured on the pass that is running, not on a pass of its own.

The analysis (and the overlay video) report each frame done; after the first frames, which also
load the model, the time per frame is extrapolated to the frames left. No frame is decoded only to
estimate. The speed one analysis measured is remembered per backend for the next video's caption.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

T = TypeVar("T")

#: Frames timed after the warm-up before the time left is extrapolated: fewer give an estimate that
#: swings with one slow frame (a detector miss, a garbage collection).
MIN_TIMED_FRAMES = 3


class TimeLeft:
    """Progress text for ``done`` of ``total`` frames: "Frame 12 of 230, about 20 s left".

    The first ``batch`` frames are the warm-up (the first call loads the model; with a batch the
    frames of one forward are reported at one instant), so the clock starts when they are done;
    after ``max(MIN_TIMED_FRAMES, batch)`` more the time per frame is extrapolated to the rest.
    ``clock``: seconds (``time.perf_counter``; a test passes its own).
    """

    def __init__(
        self,
        total: int | None,
        *,
        batch: int = 1,
        clock: Callable[[], float] = time.perf_counter,
        verb: str = "Frame",
    ) -> None:
        self.total = total
        self.warmup = max(1, int(batch))
        self.needed = max(MIN_TIMED_FRAMES, int(batch))
        self.clock = clock
        self.verb = verb
        self.started = clock()
        self.mark: float | None = None  # when the warm-up frames were done
        self.done = 0

    @property
    def seconds_per_frame(self) -> float | None:
        """Seconds per frame after the warm-up; None until enough frames were timed."""
        timed = self.done - self.warmup
        if self.mark is None or timed < self.needed:
            return None
        return (self.clock() - self.mark) / timed

    def update(self, done: int) -> str:
        """Record that ``done`` frames are finished; the text to show."""
        self.done = done
        if self.mark is None and done >= self.warmup:
            self.mark = self.clock()
        if not self.total:
            return f"{self.verb} {done}, {self.clock() - self.started:.0f} s so far"
        head = f"{self.verb} {done} of {self.total}"
        spf = self.seconds_per_frame
        if spf is None:
            return f"{head}, timing the first frames ..."
        return f"{head}, about {spf * max(0, self.total - done):.0f} s left"

    def share(self) -> float:
        """Done over total, in [0, 1] (0 when the total is unknown)."""
        return min(1.0, self.done / self.total) if self.total else 0.0


def bar_callback(bar: DeltaGenerator, clock: TimeLeft) -> Callable[[int, int | None], None]:
    """``progress(done, total)`` for ``analyze_gait_video`` that draws ``clock``'s text on ``bar``
    (an ``st.progress``)."""

    def progress(done: int, total: int | None) -> None:
        if total and not clock.total:
            clock.total = total
        text = clock.update(done)
        bar.progress(clock.share(), text=text)

    return progress


def counted(items: Iterator[T], progress: Callable[[int], None]) -> Iterator[T]:
    """``items`` unchanged, calling ``progress(n)`` after the n-th is consumed (the overlay
    writer's frames: the bar moves as it encodes)."""
    for n, item in enumerate(items, start=1):
        yield item
        progress(n)


@st.cache_resource(show_spinner=False)
def _speeds() -> dict[Hashable, float]:
    return {}


def remember_speed(backend_key: Hashable, seconds_per_frame: float | None) -> None:
    """Keep the time per frame one analysis measured, for the next video's caption."""
    if seconds_per_frame is not None and seconds_per_frame > 0:
        _speeds()[backend_key] = float(seconds_per_frame)


def known_speed(backend_key: Hashable) -> float | None:
    """The time per frame last measured with this backend in this app, None when none yet."""
    return _speeds().get(backend_key)


def before_text(n_frames: int, analysed_fps: float, backend_name: str, spf: float | None) -> str:
    """What the page says before the analysis starts: the frames, and the time when a previous
    analysis with this backend measured its speed."""
    head = f"{n_frames} frames at {analysed_fps:.1f} fps with {backend_name}"
    if spf is None:
        return f"{head}; the time left is shown once the first frames are analysed."
    return (
        f"{head}: about {spf * n_frames:.0f} s at the speed measured on the last video "
        f"({spf:.2f} s a frame; the overlay video adds some more)."
    )
