"""A quality grade for each gait session: good, limited or unusable, with the reasons behind it.

The grade summarises what the measurement layer knows (is it a walk, frames used, events
rejected, valid strikes) and, when the tracker gives them, the share of the visible walk tracked and
the number of track jumps (``TrackingStats``; None means unknown and lowers nothing).
Thresholds and their reasons in ``docs/MEASURES.md`` ("Quality grade").
"""

from __future__ import annotations

from dataclasses import dataclass

#: Grade names and their stored numbers (a measurement row's value is a number).
GRADES = {"unusable": 0, "limited": 1, "good": 2}
#: Below this share of analysed frames with the subject, the walk is only partly seen.
MIN_FRAMES_USED_SHARE = 0.5
#: Tracking stats: below the first share of the visible walk tracked, limited; below the second,
#: unusable (most of the walk would be someone else or nobody).
MIN_TRACKED_SHARE = 0.8
MIN_TRACKED_SHARE_USABLE = 0.5
#: More than this share of the detected heel strikes dropped by the plausibility rules: limited.
MAX_REJECTED_SHARE = 0.25
#: Fewer valid strikes than this (but at least the 4 cadence needs): limited, a short walk.
GOOD_VALID_STRIKES = 6

#: code -> (the grade it caps the session at, a short label, the line shown with its figures).
REASONS: dict[str, tuple[str, str, str]] = {
    "no_person": ("unusable", "no person found", "no person was found in any analysed frame"),
    "low_frame_rate": ("unusable", "frame rate too low", "the analysed frame rate is too low for events"),
    "not_a_walk": ("unusable", "not a side-on walk", "not a walk filmed side-on (see the warnings): nothing is measured"),
    "too_few_strikes": ("unusable", "fewer than 4 valid heel strikes", "{n} valid alternating heel strikes, fewer than 4: no cadence"),
    "tracked_share_very_low": ("unusable", "walk mostly not tracked", "only {share:.0%} of the visible walk was tracked"),
    "tracked_share_low": ("limited", "walk partly not tracked", "only {share:.0%} of the visible walk was tracked"),
    "track_jumps": ("limited", "track jumps", "the track jumped {n} time(s) (another person?)"),
    "frames_used_low": ("limited", "subject in few frames", "the subject was found in only {share:.0%} of the analysed frames"),
    "many_rejected": ("limited", "many implausible events", "{n} of {m} detected heel strikes were implausible and dropped"),
    "few_strikes": ("limited", "short walk", "only {n} valid heel strikes (fewer than 6): a short walk, values are rough"),
}  # fmt: skip

#: Reasons another line of ``GaitResult.warnings`` already states; the others are added to the
#: warnings as one line starting with QUALITY_WARNING_PREFIX.
SAID_IN_WARNINGS = frozenset(
    {"no_person", "low_frame_rate", "not_a_walk", "too_few_strikes", "many_rejected"}
)
QUALITY_WARNING_PREFIX = "quality "


@dataclass(frozen=True)
class TrackingStats:
    """What the tracker knows about the subject's track; None where it does not say.

    tracked_share : share (0-1) of the frames where the walker is visible in which the track held
        them. track_jumps : times the track switched person or jumped.
    """

    tracked_share: float | None = None
    track_jumps: int | None = None


@dataclass(frozen=True)
class Quality:
    """grade: "good", "limited" or "unusable"; reasons: (code, text) pairs, worst first; stats: the
    numbers the grade was decided on (None where unknown)."""

    grade: str
    reasons: tuple[tuple[str, str], ...]
    stats: dict[str, float | int | None]

    @property
    def grade_value(self) -> int:
        return GRADES[self.grade]

    def as_dict(self) -> dict[str, object]:
        return {
            "grade": self.grade,
            "reasons": [{"code": c, "text": t} for c, t in self.reasons],
            **self.stats,
        }


def grade_session(
    *,
    n_frames: int,
    n_frames_used: int,
    walk_ok: bool,
    events_possible: bool,
    n_valid_strikes: int,
    n_detected_strikes: int,
    track_jumps_seen: int = 0,
    tracking: TrackingStats | None = None,
) -> Quality:
    """The grade of one analysed walk.

    n_frames : analysed frames; n_frames_used : those with the subject. walk_ok : the walk check
    passed (a side-on walk across the image). events_possible : the frame rate allows events.
    n_valid_strikes / n_detected_strikes : heel strikes kept by / found before the plausibility
    rules. track_jumps_seen : pelvis jumps found in the signal itself, used when ``tracking`` does
    not give a count.
    """
    tracking = tracking or TrackingStats()
    frames_share = n_frames_used / n_frames if n_frames else 0.0
    jumps = tracking.track_jumps if tracking.track_jumps is not None else track_jumps_seen
    rejected = n_detected_strikes - n_valid_strikes
    found: list[tuple[str, dict[str, object]]] = []
    if n_frames_used == 0:
        found.append(("no_person", {}))
    elif not events_possible:
        found.append(("low_frame_rate", {}))
    elif not walk_ok:
        found.append(("not_a_walk", {}))
    elif n_valid_strikes < 4:
        found.append(("too_few_strikes", {"n": n_valid_strikes}))
    share = tracking.tracked_share
    if share is not None and share < MIN_TRACKED_SHARE_USABLE:
        found.append(("tracked_share_very_low", {"share": share}))
    elif share is not None and share < MIN_TRACKED_SHARE:
        found.append(("tracked_share_low", {"share": share}))
    if jumps:
        found.append(("track_jumps", {"n": jumps}))
    if n_frames_used and frames_share < MIN_FRAMES_USED_SHARE:
        found.append(("frames_used_low", {"share": frames_share}))
    if n_detected_strikes and rejected / n_detected_strikes > MAX_REJECTED_SHARE:
        found.append(("many_rejected", {"n": rejected, "m": n_detected_strikes}))
    if 4 <= n_valid_strikes < GOOD_VALID_STRIKES:
        found.append(("few_strikes", {"n": n_valid_strikes}))
    reasons = tuple((code, REASONS[code][2].format(**kw)) for code, kw in found)
    caps = [GRADES[REASONS[code][0]] for code, _ in found]
    value = min(caps, default=GRADES["good"])
    grade = next(g for g, v in GRADES.items() if v == value)
    reasons = tuple(sorted(reasons, key=lambda r: GRADES[REASONS[r[0]][0]]))
    stats = {
        "frames_used_share": round(frames_share, 4),
        "tracked_share": share,
        "track_jumps": jumps,
        "valid_heel_strikes": n_valid_strikes,
        "rejected_heel_strikes": rejected,
    }
    return Quality(grade, reasons, stats)
