"""Joint angles annotated by eye on the shared media, and the tool's angles on the same frames.

How the points were picked: each frame was cut around the joints, enlarged 2.4x (photo, with a
gamma of 0.45 to lift the dark coat) or 3x (video) with a labelled 10 or 20 px grid over it, viewed,
and the joint centre read off the grid: the knee as the middle of the leg at the bend, the ankle as
the middle of the leg just above the foot, the hip as the middle of the thigh's top end about a
hand's width under the waistband (hidden under clothes: the least certain point), the elbow at the
outside of the bend of the sleeve, the wrist inside the cuff. Each point carries the half-width of
the region in which its centre could lie (px); the angle's uncertainty is the 5th-95th percentile
half-range of the angle with every point drawn uniformly in its square (seeded, 20000 draws).
Legs are named by where they are in the picture (front = ahead in the walking direction), not by
side: which leg is the left one is not always clear by eye, and the comparison takes the tool's leg
whose knee is nearer the annotated knee, so a left/right swap shows up in the label, not the angle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float, float]  # x, y, uncertainty half-width (px)


@dataclass(frozen=True)
class Annotation:
    media: str  # a file of ../shared/data, or "<video>#<frame index>": the shared walk or a public clip
    joint: str  # "knee" or "elbow"
    label: str  # which limb, in words
    a: Point  # hip (knee angle) or shoulder (elbow angle)
    b: Point  # the joint
    c: Point  # ankle or wrist


ANNOTATIONS = (
    Annotation("cameraman_standing.png", "elbow", "near arm (to the tripod handle)",
               (71, 179, 15), (50, 328, 20), (195, 280, 10)),
    Annotation("walking_side_view.mp4#75", "knee", "front leg",
               (1262, 752, 15), (1212, 805, 6), (1220, 893, 6)),
    Annotation("walking_side_view.mp4#75", "knee", "rear leg",
               (1268, 752, 15), (1288, 822, 6), (1305, 900, 6)),
    Annotation("walking_side_view.mp4#120", "knee", "front leg",
               (818, 752, 15), (775, 812, 6), (772, 898, 6)),
    Annotation("walking_side_view.mp4#120", "knee", "rear leg",
               (822, 752, 15), (857, 820, 6), (912, 882, 6)),
    Annotation("walking_side_view.mp4#150", "knee", "front leg",
               (540, 752, 15), (472, 813, 6), (445, 905, 6)),
    Annotation("walking_side_view.mp4#150", "knee", "rear leg",
               (543, 752, 15), (545, 825, 6), (578, 900, 6)),
    # Public media (benchmarks/public_media.py), annotated the same way on 2026-12-03 with the
    # motion-capture markers as guides: the man is seen from behind, bent to his left with his left
    # hand towards the floor and his right leg lifted behind. Elbow: the centre between the two
    # epicondyle markers; wrist: between the two wrist markers; shoulder: under the acromion
    # marker (the least certain point). Knee: the middle of the leg at the knee marker's height;
    # ankle: the middle between the malleolus markers; hip: under the shorts (least certain).
    Annotation("pose2sim-single-cam03.mp4#50", "elbow", "arm reaching down (image left)",
               (385, 690, 15), (372, 935, 8), (332, 1053, 8)),
    Annotation("pose2sim-single-cam03.mp4#50", "knee", "standing leg",
               (514, 889, 20), (495, 1016, 10), (523, 1180, 10)),
)  # fmt: skip
PARTS = {"knee": ("hip", "knee", "ankle"), "elbow": ("shoulder", "elbow", "wrist")}


def angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle at b (degrees), as docs/MEASURES.md defines it; points (..., 2)."""
    u, v = a - b, c - b
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    return np.degrees(np.arctan2(np.abs(cross), np.sum(u * v, axis=-1)))


def annotated(ann: Annotation, draws: int = 20000) -> tuple[float, float]:
    """(angle, uncertainty) in degrees: the angle of the picked points and the half-range of its
    5th-95th percentiles with each point uniform in its square."""
    rng = np.random.default_rng(0)
    pts = []
    for x, y, r in (ann.a, ann.b, ann.c):
        pts.append(np.array([x, y]) + rng.uniform(-r, r, size=(draws, 2)))
    spread = angle_deg(*pts)
    centre = float(angle_deg(*(np.array(p[:2], float) for p in (ann.a, ann.b, ann.c))))
    lo, hi = np.percentile(spread, [5, 95])
    return centre, float(hi - lo) / 2


def tool_angle(ann: Annotation, pose: object) -> tuple[str, float]:
    """(the tool's side, its angle) for the limb whose joint lies nearest the annotated joint."""
    best: tuple[float, str, float] | None = None
    for side in ("left", "right"):
        a, b, c = (pose.point(f"{side}_{p}") for p in PARTS[ann.joint])  # type: ignore[attr-defined]
        if not np.all(np.isfinite(b)):
            continue
        distance = float(np.hypot(*(b - np.array(ann.b[:2]))))
        angle = float(angle_deg(a, b, c)) if np.all(np.isfinite([a, c])) else float("nan")
        if best is None or distance < best[0]:
            best = (distance, side, angle)
    return ("none", float("nan")) if best is None else (best[1], best[2])


def compare_annotations(images: dict[str, np.ndarray], backend: object) -> list[str]:
    """Markdown rows: media, limb, annotated angle +- uncertainty, the tool's side and angle, error."""
    from core.analysis import analyze_posture
    from core.errors import NoPersonFound

    rows = [
        "| media | joint | annotated (deg) | tool side | tool (deg) | error (deg) | within unc. + 5 |",
        "|---|---|---|---|---|---|---|",
    ]
    for ann in ANNOTATIONS:
        if ann.media not in images:
            continue  # a public clip not fetched in this run
        ref, unc = annotated(ann)
        try:
            result = analyze_posture(images[ann.media], backend)
            side, got = tool_angle(ann, result.pose)
        except NoPersonFound:
            side, got = "no person", float("nan")
        err = got - ref
        ok = "yes" if np.isfinite(err) and abs(err) <= unc + 5 else "no"
        rows.append(
            f"| {ann.media} | {ann.joint}, {ann.label} | {ref:.1f} +- {unc:.1f} | {side} | "
            f"{got:.1f} | {err:+.1f} | {ok} |"
        )
    return rows


# Heel strikes of the walker in walking_side_view.mp4 (30 fps), annotated by eye on 2026-12-03.
# How: for each step, a fixed 200x110 px window on the ground around the landing foot (y 840-950),
# enlarged 3x with a 10 px grid, every frame from 7 before to 4 after the strike shown side by side;
# the toe's position was read off the grid in each frame. The foot comes in fast (35-80 px a frame)
# and stops within a frame or two: the strike is the first frame after which the foot moves less
# than about 6 px. Uncertainty +- 1 frame (33 ms) each: the heel touches while the forefoot still
# falls, and at 30 fps contact lies between two frames. The foot that lands at frame 60 is seen
# just as she steps out from behind the trunk; the next strike (about frame 189) is not annotated:
# the foot is already leaving the left edge of the picture. She walks from right to left.
WALK_VIDEO = "walking_side_view.mp4"
WALK_FPS = 30.0
WALK_STRIKE_FRAMES = (60, 79, 98, 116, 134, 152, 171)
WALK_STRIKE_UNCERTAINTY_FRAMES = 1
WALK_DIRECTION = "right_to_left"


def annotated_cadence(start_s: float = 0.0, end_s: float = math.inf) -> tuple[float, float, int]:
    """(cadence in steps/min, its uncertainty, strikes used) from the annotated strikes inside
    [start_s, end_s]: steps over the time from the first to the last of them. NaN with fewer than
    two. The uncertainty is the cadence's change when the span is one frame longer or shorter at
    each end (2 frames in all)."""
    frames = [f for f in WALK_STRIKE_FRAMES if start_s <= f / WALK_FPS <= end_s]
    if len(frames) < 2:
        return math.nan, math.nan, len(frames)
    span = (frames[-1] - frames[0]) / WALK_FPS
    cadence = 60.0 * (len(frames) - 1) / span
    shorter = 60.0 * (len(frames) - 1) / (span - 2 * WALK_STRIKE_UNCERTAINTY_FRAMES / WALK_FPS)
    return cadence, shorter - cadence, len(frames)
