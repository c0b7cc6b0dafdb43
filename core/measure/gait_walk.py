"""Is this a walk across the image, filmed side-on? Decided from the signals before any gait event.

A side-on overground walk has both: the pelvis travels across the image, and the feet pass each
other about once a step (the heel-to-heel distance along x changes sign). Legs that pass each other
without travel are a treadmill or walking on the spot; a body height that grows or shrinks
strongly is a walk towards or away from the camera. Neither is measured as if it were side-on.
Definitions and thresholds in ``docs/MEASURES.md`` ("Is it a walk?").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import theilslopes

from core.measure.gait_signals import body_height_series, first_of, mean_of

#: Pelvis travel below this many body heights (or 10 % of the frame width) is "not walking across".
MIN_TRAVEL_BODY_HEIGHTS = 0.5
#: The feet "pass each other" when heel_left x - heel_right x goes from below -band to above +band
#: (or back), band = this many body heights: well above the few pixels of keypoint jitter, well
#: below the ~0.3-0.4 body-height step length of a walk.
LEG_CROSSING_BAND_BODY_HEIGHTS = 0.05
#: A walk towards or away from the camera changes the body height in the image; a side-on walk
#: across the frame changes it by a few percent (perspective). A fitted change beyond 30 % over the
#: walk is refused.
MAX_SCALE_CHANGE = 1.3

#: verdict -> a line for the warnings (None for a walk).
REFUSALS = {
    "not_a_walk": (
        "not a walk: no periodic leg motion and no progression across the image; no events, no "
        "direction and no cadence (events need a side view of a walk across the frame)"
    ),
    "no_leg_motion": (
        "not a walk: the subject moves across the image but the feet do not pass each other "
        "(no periodic leg motion); no events, no direction and no cadence"
    ),
    "in_place": (
        "the feet pass each other but the pelvis does not travel across the image: walking in "
        "place or on a treadmill, a camera that follows the subject, or a movement that is not a "
        "walk (a lunge, a turn); this is refused, not measured as a side-on walk (film an "
        "overground walk across the frame)"
    ),
    # Given after the events (core.measure.gait), not by check_walk: the signals looked like a
    # walk, but not one step of it holds up.
    "no_steps": (
        "not measured as a walk: the pelvis travels and the feet pass each other, but not one "
        "step holds up (fewer than 2 plausible heel strikes: a lunge or a throw can look like "
        "this); no direction, no cadence and no signal signed by the direction"
    ),
    "towards_or_away": (
        "walking towards or away from the camera: the body height in the image changes by a factor "
        "{scale:.2f} over the walk; this is refused, not measured as a side-on walk (film the walk "
        "from the side)"
    ),
}


@dataclass(frozen=True)
class WalkCheck:
    """What the signals say about the clip.

    verdict : "walk", or a key of ``REFUSALS``. direction : +1 (toward the image's right), -1, or 0
    when refused. travel_bh : signed pelvis travel in body heights (NaN without a height).
    leg_crossings : times the feet passed each other. scale_change : fitted body height at the
    end / at the start of the walk (NaN when not measurable).
    """

    verdict: str
    direction: float
    travel_bh: float
    leg_crossings: int
    scale_change: float

    @property
    def warning(self) -> str:
        if self.verdict == "walk":
            return ""
        scale = self.scale_change if math.isfinite(self.scale_change) else math.nan
        return REFUSALS[self.verdict].format(scale=scale)


def _travel_px(xy: np.ndarray, t: np.ndarray) -> float:
    """Pelvis x travel: least-squares slope x the time between the first and last seen frame."""
    px = mean_of(xy, ("left_hip", "right_hip"))[:, 0]
    ok = np.isfinite(px)
    if ok.sum() < 2:
        return 0.0
    slope = np.polyfit(t[ok], px[ok], 1)[0]
    return float(slope * (t[ok][-1] - t[ok][0]))


def leg_crossings(xy: np.ndarray, h_px: float) -> int:
    """How often the feet pass each other along x, with a hysteresis band against jitter."""
    if not math.isfinite(h_px):
        return 0
    d = (
        first_of(xy, ("left_heel", "left_ankle"))[:, 0]
        - first_of(xy, ("right_heel", "right_ankle"))[:, 0]
    )
    band = LEG_CROSSING_BAND_BODY_HEIGHTS * h_px
    state = np.where(d > band, 1, np.where(d < -band, -1, 0))
    state = state[state != 0]  # inside the band (or missing) keeps the last side
    return int(np.count_nonzero(np.diff(state)))


def scale_change(xy: np.ndarray, t: np.ndarray) -> float:
    """Fitted body height at the end / at the start: exp(slope of log height x duration).

    The slope is Theil-Sen's (the median of pairwise slopes), not least squares: a few frames with
    a wrong head or ankle point (a half-seen body at the frame's edge reads half its height) must
    not turn a side-on walk into one "towards the camera". On the mirrored sample, least squares
    gave 1.68 from such frames, Theil-Sen 1.09 (the original: 1.02 and 1.05)."""
    h = body_height_series(xy)
    ok = np.isfinite(h)
    if ok.sum() < 10:  # too few frames to fit a trend through the jitter of single frames
        return math.nan
    slope = theilslopes(np.log(h[ok]), t[ok])[0]
    return float(math.exp(slope * (t[ok][-1] - t[ok][0])))


def check_walk(xy: np.ndarray, t: np.ndarray, frame_width: int, h_px: float) -> WalkCheck:
    """The verdict on one stretch of cleaned (T, K, 2) keypoints with times ``t`` (seconds)."""
    travel = _travel_px(xy, t)
    need = MIN_TRAVEL_BODY_HEIGHTS * h_px if math.isfinite(h_px) else 0.1 * frame_width
    travels = abs(travel) >= need
    crossings = leg_crossings(xy, h_px)
    scale = scale_change(xy, t)
    # Two crossings = one full stride seen; fewer is no periodic leg motion.
    periodic = crossings >= 2
    travel_bh = travel / h_px if math.isfinite(h_px) else math.nan
    if math.isfinite(scale) and max(scale, 1 / scale) >= MAX_SCALE_CHANGE:
        verdict = "towards_or_away"
    elif travels and periodic:
        verdict = "walk"
    elif periodic:
        verdict = "in_place"
    elif travels:
        verdict = "no_leg_motion"
    else:
        verdict = "not_a_walk"
    direction = float(np.sign(travel)) if verdict == "walk" else 0.0
    return WalkCheck(verdict, direction, travel_bh, crossings, scale)
