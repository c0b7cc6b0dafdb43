"""Only plausible gait events: heel strikes and toe-offs that fail a physiological rule are dropped
and counted by reason.

Rules (thresholds and sources in ``docs/MEASURES.md``, "Plausible events"):

1. A foot event only where that foot is near its lowest and slowest (it is on the ground).
2. No two heel strikes within ``MIN_STRIKE_GAP_S`` of each other (either foot): both are dropped,
   since nothing tells which one is real.
3. The same foot twice within two shortest steps (0.5 s): no strike of the other foot can have
   been missed between them, so one is false; both are dropped.
4. Strikes must alternate sides with a step time in ``STEP_TIME_RANGE_S``; the walk is cut into
   chains of such steps (a gap in the analysis or a dropped event also cuts), and a strike that
   belongs to no chain (no plausible step with either neighbour) is dropped. Steps are only ever
   paired inside one chain. With 3 or more such steps, a step outside 0.6-1.67 times their
   median also cuts (``STEP_TIME_RELATIVE``).
5. A toe-off must lie within a chain's time span (extended by one step time each side).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.measure.filtering import finite_runs
from core.measure.gait_events import GaitEvent

#: Step time (one heel strike to the next of the other foot), seconds: 0.25 s = 240 steps/min,
#: 2.0 s = 30 steps/min. Reference adult walking cadences are 81-138 steps/min (step 0.43-0.74 s;
#: Tudor-Locke & Rowe 2012, Sports Med 42(5):381-398); the range is much wider on both sides so
#: that slow pathological gait and brisk walking are kept while doubled or merged events are not.
STEP_TIME_RANGE_S = (0.25, 2.0)
#: A step shorter than this share of the walk's median step, or longer than the median divided by
#: it, is not a step of this walk: stride-time variability of steady walking is a few percent
#: (coefficient of variation ~1-3 % in healthy adults, higher but far below 40 % in pathological
#: gait; Hausdorff 2005, J NeuroEng Rehabil 2:19). Needs MIN_STEPS_FOR_MEDIAN plausible steps.
STEP_TIME_RELATIVE = 0.6
MIN_STEPS_FOR_MEDIAN = 3
#: Two heel strikes closer than this are not two steps (the fastest steps above are 0.25 s).
MIN_STRIKE_GAP_S = 0.2
#: "On the ground": the foot point within this many body heights of its lowest point over
#: +-GROUND_WINDOW_S, and moving at most SLOW_SHARE of its fast (90th percentile) speed in that
#: window. At a Zeni event the foot's speed relative to the pelvis is zero, so its image speed is
#: about the walking speed, well below its swing speed. On the shared side-view walk (lite) the
#: true events reach 0.04 (heel) / 0.06 (toe) body heights and 0.51 / 0.57 of the fast speed; the
#: heel rises up to ~0.2 body heights in swing, and mid-swing is at ~1.0 of the fast speed.
GROUND_BODY_HEIGHTS = 0.08
SLOW_SHARE = 0.7
GROUND_WINDOW_S = 1.0
#: A foot slower than this is still, whatever its fast speed (a foot at rest is on the ground).
STILL_BODY_HEIGHTS_PER_S = 0.1
#: Fewer valid alternating strikes than this give no cadence.
MIN_VALID_STRIKES = 4

#: Reasons an event is dropped, in the order they are checked.
STRIKE_REASONS = (
    "not_on_ground",
    "too_close",
    "not_alternating",
    "step_time_out_of_range",
    "step_time_irregular",
    "isolated",
)
TOE_OFF_REASONS = ("not_on_ground", "outside_walk")


@dataclass
class Screened:
    """The events that passed, the chain id of each kept strike's frame (for step pairing), and the
    counts of dropped events by reason: ``rejected[kind][reason]``."""

    heel_strikes: list[GaitEvent]
    toe_offs: list[GaitEvent]
    chain_of: dict[int, int]
    rejected: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def n_rejected(self) -> int:
        return sum(sum(r.values()) for r in self.rejected.values())

    @property
    def n_detected_strikes(self) -> int:
        return len(self.heel_strikes) + sum(self.rejected["heel_strike"].values())


def on_ground(point: np.ndarray, t: np.ndarray, i: int, h_px: float) -> bool:
    """Is the (T, 2) foot point at sample ``i`` near its lowest and slowest? True when unknown."""
    a, b = next(
        ((a, b) for a, b in finite_runs(np.all(np.isfinite(point), axis=1)) if a <= i < b), (i, i)
    )
    if b - a < 5:  # too little around the event to tell
        return True
    seg, ts = point[a:b], t[a:b]
    speed = np.hypot(*np.gradient(seg, ts, axis=0).T)
    near = np.abs(ts - t[i]) <= GROUND_WINDOW_S
    low = np.max(seg[near, 1])  # image y grows downward
    fast = np.percentile(speed[near], 90)
    return bool(
        low - seg[i - a, 1] <= GROUND_BODY_HEIGHTS * h_px
        and speed[i - a] <= max(SLOW_SHARE * fast, STILL_BODY_HEIGHTS_PER_S * h_px)
    )


def _either_side(pair_bad: np.ndarray) -> np.ndarray:
    """(N,) bool from (N - 1,) bool over neighbour pairs: True where either pair of an event is."""
    out = np.zeros(len(pair_bad) + 1, bool)
    out[:-1] |= pair_bad
    out[1:] |= pair_bad
    return out


def _drop(
    events: list[GaitEvent],
    cut: list[bool],
    bad: list[bool] | np.ndarray,
    counts: dict[str, int],
    reason: str,
) -> tuple[list[GaitEvent], list[bool]]:
    """Remove the ``bad`` events (counted under ``reason``); the next survivor is marked cut."""
    out: list[GaitEvent] = []
    out_cut: list[bool] = []
    pending = False
    for e, c, b in zip(events, cut, bad):
        if b:
            counts[reason] += 1
            pending = True
        else:
            out.append(e)
            out_cut.append(c or pending)
            pending = False
    return out, out_cut


def _link(a: GaitEvent, b: GaitEvent, run_of: dict[int, int]) -> str:
    """Why the step a -> b is not plausible ("" when it is)."""
    if run_of[a.frame] != run_of[b.frame]:
        return "gap"
    if a.side == b.side:
        return "not_alternating"
    lo, hi = STEP_TIME_RANGE_S
    return "" if lo <= b.time_s - a.time_s <= hi else "step_time_out_of_range"


def screen_events(
    heel_strikes: list[GaitEvent],
    toe_offs: list[GaitEvent],
    *,
    heel: dict[str, np.ndarray],
    toe: dict[str, np.ndarray],
    t: np.ndarray,
    pos: dict[int, int],
    run_of: dict[int, int],
    h_px: float,
) -> Screened:
    """Apply the rules to events in time order.

    heel, toe : side -> (T, 2) filtered foot point, pixels. pos : video frame -> array position.
    run_of : video frame -> id of the gap-free stretch it belongs to.
    """
    rejected = {
        "heel_strike": dict.fromkeys(STRIKE_REASONS, 0),
        "toe_off": dict.fromkeys(TOE_OFF_REASONS, 0),
    }
    counts = rejected["heel_strike"]
    strikes, cut = list(heel_strikes), [False] * len(heel_strikes)
    off_ground = [not on_ground(heel[e.side], t, pos[e.frame], h_px) for e in strikes]
    strikes, cut = _drop(strikes, cut, off_ground, counts, "not_on_ground")
    gaps = np.diff([e.time_s for e in strikes])
    strikes, cut = _drop(strikes, cut, _either_side(gaps < MIN_STRIKE_GAP_S), counts, "too_close")
    # The same foot twice within two shortest steps: no strike of the other foot can have been
    # missed between them, so one of them is false (which one, nothing tells).
    same = np.array([a.side == b.side for a, b in zip(strikes, strikes[1:])], bool)
    gaps = np.diff([e.time_s for e in strikes])
    twice = same & (gaps < 2 * STEP_TIME_RANGE_S[0])
    strikes, cut = _drop(strikes, cut, _either_side(twice), counts, "not_alternating")

    # A step never spans a dropped event: those links count as gaps.
    links = ["gap" if c else _link(a, b, run_of) for a, b, c in zip(strikes, strikes[1:], cut[1:])]
    # A step far from the walk's own median step is not a step of this walk (a label swap, a
    # second skeleton); judged once the walk has enough steps for a median to mean something.
    steps = [b.time_s - a.time_s for a, b, r in zip(strikes, strikes[1:], links) if r == ""]
    if len(steps) >= MIN_STEPS_FOR_MEDIAN:
        median = float(np.median(steps))
        lo, hi = STEP_TIME_RELATIVE * median, median / STEP_TIME_RELATIVE
        links = [
            "step_time_irregular" if r == "" and not lo <= b.time_s - a.time_s <= hi else r
            for a, b, r in zip(strikes, strikes[1:], links)
        ]
    kept: list[GaitEvent] = []
    chain_of: dict[int, int] = {}
    chain = -1
    for k, e in enumerate(strikes):
        before = links[k - 1] if k > 0 else None
        after = links[k] if k < len(links) else None
        if before != "" and after != "":
            found = [r for r in (before, after) if r not in (None, "gap")]
            reason = (
                "not_alternating"
                if "not_alternating" in found
                else (found[0] if found else "isolated")
            )
            rejected["heel_strike"][reason] += 1
            continue
        if before != "":
            chain += 1  # a chain starts here
        kept.append(e)
        chain_of[e.frame] = chain

    spans = _chain_spans(kept, chain_of)
    offs = []
    for e in toe_offs:
        if not on_ground(toe[e.side], t, pos[e.frame], h_px):
            rejected["toe_off"]["not_on_ground"] += 1
        elif not any(lo <= e.time_s <= hi for lo, hi in spans):
            rejected["toe_off"]["outside_walk"] += 1
        else:
            offs.append(e)
    return Screened(kept, offs, chain_of, rejected)


def _chain_spans(kept: list[GaitEvent], chain_of: dict[int, int]) -> list[tuple[float, float]]:
    """Each chain's [first strike - one step, last strike + one step] time span (median step)."""
    spans = []
    for c in sorted(set(chain_of.values())):
        times = np.array([e.time_s for e in kept if chain_of[e.frame] == c])
        step = float(np.median(np.diff(times)))
        spans.append((times[0] - step, times[-1] + step))
    return spans
