"""Sustained progression: how far a person travels across the image, jitter and turning in place excluded.

The horizontal position of the body anchor is followed as a zigzag with hysteresis: a change of
direction counts only once the person has come back by :data:`REVERSAL_BODY_HEIGHTS`, and a run
counts only when it covers at least :data:`MIN_RUN_BODY_HEIGHTS`. Someone standing, stretching or
jumping in place therefore progresses 0 px; a walk across the frame progresses its length; a walk
there and back, both lengths. The value never decreases as samples are added.
"""

from __future__ import annotations

import math

#: Coming back this far (body heights) ends a run: more than anyone sways while standing.
REVERSAL_BODY_HEIGHTS = 0.25
#: A run shorter than this (body heights) is not progression: about one step length (0.4 body
#: heights is a typical adult step; half a metre of sway or a hop stays below it).
MIN_RUN_BODY_HEIGHTS = 0.5


class Progression:
    """Incremental sustained progression (pixels) of one person's anchor x positions.

    >>> p = Progression()
    >>> for x in (0, 10, -10, 5, 0):  # swaying in place, body 300 px tall
    ...     p.add(x, 300.0)
    >>> p.value_px
    0.0
    >>> for x in range(0, 400, 20):  # then walking 380 px to the right
    ...     p.add(x, 300.0)
    >>> p.value_px
    390.0
    """

    def __init__(self) -> None:
        self.total_px = 0.0  # completed runs that counted
        self.direction = 0  # +1 / -1 once a run is under way
        self.start = math.nan  # where the current run began
        self.extreme = math.nan  # the furthest point of the current run
        self.low = self.high = math.nan  # the range seen before the first run
        self.counted = False  # the current run is long enough (it stays counted as it grows)

    def _run_px(self) -> float:
        return abs(self.extreme - self.start) if self.direction else 0.0

    def add(self, x: float, height_px: float) -> None:
        """One sample: anchor x (pixels) and the body height there (pixels). NaN x is skipped."""
        if not (math.isfinite(x) and math.isfinite(height_px) and height_px > 0):
            return
        reverse = REVERSAL_BODY_HEIGHTS * height_px
        if not self.direction:
            self.low = x if math.isnan(self.low) else min(self.low, x)
            self.high = x if math.isnan(self.high) else max(self.high, x)
            if x - self.low >= reverse:
                self.direction, self.start, self.extreme = 1, self.low, x
            elif self.high - x >= reverse:
                self.direction, self.start, self.extreme = -1, self.high, x
        elif self.direction * (x - self.extreme) > 0:
            self.extreme = x
        elif self.direction * (self.extreme - x) >= reverse:
            if self.counted:
                self.total_px += self._run_px()
            self.direction, self.start, self.extreme = -self.direction, self.extreme, x
            self.counted = False
        if self.direction and self._run_px() >= MIN_RUN_BODY_HEIGHTS * height_px:
            self.counted = True

    @property
    def value_px(self) -> float:
        """Pixels of sustained travel so far (completed runs plus the current one once it counts)."""
        return self.total_px + (self._run_px() if self.counted else 0.0)


def progression_px(xs: list[float], heights_px: list[float]) -> float:
    """Sustained progression (pixels) of a whole sequence of anchor x positions (see the module)."""
    p = Progression()
    for x, h in zip(xs, heights_px, strict=True):
        p.add(x, h)
    return p.value_px
