"""A one-line progress bar on stderr: files done of total, per-status counts, rate and time left.

On a terminal the line redraws in place; when stderr is a file or a pipe (a cluster job's log) a
full line is written at most every ``log_interval_s`` seconds, so logs stay readable.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``; ``"?"`` when unknown.

    >>> format_duration(75), format_duration(3725), format_duration(float("nan"))
    ('1:15', '1:02:05', '?')
    """
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Counts outcomes and draws the bar.

    ``total`` files in all; :meth:`advance` after each one with its status. The rate and the time
    left count only files a worker analysed (``analysed=True``): files skipped as unchanged are
    instant and would make the estimate far too optimistic.
    """

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        log_interval_s: float = 10.0,
        unit: str = "files",
        per_second: bool = False,
        show_counts: bool = True,
    ) -> None:
        self.total = int(total)
        self.unit, self.per_second, self.show_counts = unit, per_second, show_counts
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.clock = clock
        self.log_interval_s = log_interval_s
        self.counts: Counter[str] = Counter()
        self.analysed = 0
        self.start = clock()
        self._last_draw = float("-inf")
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def rate_per_min(self) -> float:
        """Files analysed per minute so far (NaN before the first one)."""
        elapsed = self.clock() - self.start
        return self.analysed / elapsed * 60.0 if self.analysed and elapsed > 0 else float("nan")

    def seconds_left(self) -> float:
        rate = self.rate_per_min()
        remaining = self.total - self.done
        if remaining <= 0:
            return 0.0
        return remaining / rate * 60.0 if math.isfinite(rate) and rate > 0 else float("nan")

    def line(self) -> str:
        """The text of the bar, e.g. ``[######------] 12/40  ok 10 · failed 1 · 3.2 files/min · 0:42 left``."""
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * BAR_WIDTH))
        counts = " · ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        rate = self.rate_per_min() / 60.0 if self.per_second else self.rate_per_min()
        per = f"{self.unit}/{'s' if self.per_second else 'min'}"
        rate_text = f"{rate:.1f} {per}" if math.isfinite(rate) else f"-- {per}"
        parts = [
            f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done}/{self.total}",
            counts if self.show_counts else "",
            rate_text,
            f"{format_duration(self.seconds_left())} left",
        ]
        return "  ".join(p for p in parts if p)

    def advance(self, status: str, *, analysed: bool = True) -> None:
        """Count one finished file and redraw (at most a few times a second on a terminal)."""
        self.counts[status] += 1
        self.analysed += int(analysed)
        now = self.clock()
        finished = self.done >= self.total
        interval = 0.1 if self._tty else self.log_interval_s
        if finished or now - self._last_draw >= interval:
            self._draw()
            self._last_draw = now

    def _draw(self) -> None:
        if not self.enabled:
            return
        if self._tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (a terminal's cursor would otherwise stay on it)."""
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()
