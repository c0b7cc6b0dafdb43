"""The subject of a video is the person who walks: re-join fragments, then pick the longest walk.

1. **Re-joining.** A fragment that ends and one that starts up to ``max_gap`` steps later are the
   same person when the second starts where the first was heading (constant-velocity prediction,
   within half a body height plus 0.02 body heights per step of gap), at a similar size (ratio
   0.67-1.5), and, when both are long enough to say, moving with a similar velocity. Links are
   made cheapest first; each fragment has at most one predecessor and one successor.
2. **Choice.** Each re-joined person (a chain of fragments) gets its sustained progression across
   the image (``core.tracking.progression``). The subject is the person with the longest; among
   people within :data:`TIE_SHARE` of the longest (the same walk seen again, as in a looped
   clip), the first to appear. When nobody progresses at all (no walk), the person seen in the
   most frames. A bystander who moves late, or is seen last, therefore never replaces the walker,
   and nobody else's detections remove any of the walker's frames.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import theilslopes

from core.keypoints import Pose
from core.tracking.fragment import Fragment
from core.tracking.people import anchor, height
from core.tracking.progression import progression_px

#: How the subject was tracked (:func:`choose_subject`): counts, shares, ``chosen_by`` text.
TrackStats = dict[str, float | int | str | None]

#: People whose progression is within this share of the longest are the same walk (a looped or
#: repeated pass): the earliest is taken. Two passes over the same path differ by a few per cent
#: (the first and last detections at the image edges), a bystander's hop by far more.
TIE_SHARE = 0.1
#: Samples at each end of a fragment used to estimate its position and velocity for re-joining.
END_SAMPLES = 10
#: Fragments shorter than this have no trustworthy velocity: only their position is checked.
MIN_VELOCITY_SAMPLES = 5
#: A jump of the subject's anchor this far (body heights) from where its last motion predicts is
#: counted as an identity jump (the detections of someone else taken for the subject).
JUMP_BODY_HEIGHTS = 0.3
#: A box this close (px) to the frame's left or right edge is cut by it (boxes are clipped to the
#: picture, so a person partly out of it has x1 = 0 or x2 = width exactly).
EDGE_PX = 1.0


@dataclass(frozen=True)
class SubjectChoice:
    """poses: the subject's pose per step (None where unseen); chain: its fragments in time order;
    stats: how it was tracked (see :func:`choose_subject`)."""

    poses: tuple[Pose | None, ...]
    chain: tuple[Fragment, ...]
    stats: TrackStats


def _end_state(frag: Fragment, *, start: bool) -> tuple[np.ndarray, np.ndarray | None, float]:
    """(position at the fragment's first/last step, velocity px/step or None, body height px)."""
    sel = slice(0, END_SAMPLES) if start else slice(-END_SAMPLES, None)
    steps = np.asarray(frag.steps[sel], float)
    pts = np.array([anchor(p) for p in frag.poses[sel]])
    size = float(np.median([height(p.require_box()) for p in frag.poses[sel]]))
    at = steps[0] if start else steps[-1]
    if len(steps) < MIN_VELOCITY_SAMPLES or np.ptp(steps) == 0:
        return pts[0] if start else pts[-1], None, size
    # Theil-Sen (median of pairwise slopes), not least squares: the first or last detection of a
    # stretch is often a half-seen body (entering an occlusion or leaving it) whose anchor is off
    # by a fraction of a body height, and one such sample must not turn the walker's velocity
    # into "someone else's motion" (the mirrored 0.75x walk lost her second half that way).
    fit = [theilslopes(pts[:, d], steps)[:2] for d in (0, 1)]
    position = np.array([intercept + slope * at for slope, intercept in fit])
    return position, np.array([slope for slope, _ in fit]), size


_State = tuple[np.ndarray, "np.ndarray | None", float]


def _link_cost(a_end: _State, b_start: _State, gap: int) -> float | None:
    """How badly a fragment starting in state ``b_start`` continues one that ended in ``a_end``
    ``gap`` steps earlier (body heights off the prediction); None when it cannot be the same person."""
    pa, va, ha = a_end
    pb, vb, hb = b_start
    if not 0.67 <= hb / ha <= 1.5:
        return None
    size = max(ha, hb)
    predicted = pa + (va if va is not None else 0.0) * gap
    off = float(np.linalg.norm(pb - predicted)) / size
    if off > min(0.5 + 0.02 * gap, 1.5):
        return None
    if va is not None and vb is not None:
        allowed = max(0.5 * float(np.linalg.norm(va)), 0.02 * size)
        if float(np.linalg.norm(vb - va)) > allowed:
            return None  # same place, other motion: someone else (a bystander starting to move)
    return off


def continuation_cost(a: Fragment, b: Fragment, *, max_gap: int) -> float | None:
    """How badly ``b`` continues ``a`` (see :func:`link_fragments`); None when it cannot."""
    gap = b.first - a.last
    if not 1 <= gap <= max_gap:
        return None
    return _link_cost(_end_state(a, start=False), _end_state(b, start=True), gap)


def link_fragments(fragments: Sequence[Fragment], *, max_gap: int) -> list[list[Fragment]]:
    """The fragments grouped into people (chains in time order), cheapest links first."""
    by_start = sorted(fragments, key=lambda f: f.first)
    starts = [f.first for f in by_start]
    begin = {f.id: _end_state(f, start=True) for f in fragments}
    candidates = []
    for a in fragments:
        end = _end_state(a, start=False)
        lo, hi = bisect_right(starts, a.last), bisect_right(starts, a.last + max_gap)
        for b in by_start[lo:hi]:
            cost = _link_cost(end, begin[b.id], b.first - a.last)
            if cost is not None:
                candidates.append((cost, a.id, b.id))
    succ: dict[int, int] = {}
    pred: dict[int, int] = {}
    for _, ia, ib in sorted(candidates):
        if ia not in succ and ib not in pred:
            succ[ia], pred[ib] = ib, ia
    by_id = {f.id: f for f in fragments}
    chains = []
    for f in by_start:
        if f.id in pred:
            continue
        chain = [f]
        while chain[-1].id in succ:
            chain.append(by_id[succ[chain[-1].id]])
        chains.append(chain)
    return chains


def _samples(chain: list[Fragment]) -> tuple[list[int], list[Pose]]:
    steps = [s for f in chain for s in f.steps]
    poses = [p for f in chain for p in f.poses]
    return steps, poses


def _progression(chain: list[Fragment]) -> tuple[float, float]:
    """(sustained progression px, median body height px) of one person."""
    _, poses = _samples(chain)
    xs = [float(anchor(p)[0]) for p in poses]
    hs = [height(p.require_box()) for p in poses]
    return progression_px(xs, hs), float(np.median(hs))


def at_side_edge(pose: Pose, width: float) -> bool:
    """The pose's box reaches the left or right edge of a frame ``width`` px wide, or its anchor
    lies beyond it: a walker entering or leaving, partly out of the picture."""
    x1, _, x2, _ = pose.require_box()
    x = float(anchor(pose)[0])
    return x1 <= EDGE_PX or x2 >= width - EDGE_PX or not EDGE_PX < x < width - EDGE_PX


def identity_jumps(
    steps: Sequence[int], poses: Sequence[Pose], *, frame_width: float | None = None
) -> int:
    """Times the anchor lands, and stays, more than :data:`JUMP_BODY_HEIGHTS` away from where its
    recent motion puts it (a straight-line fit over the last :data:`END_SAMPLES` accepted
    samples). A single stray sample whose successor is back on course is a detection glitch,
    not a jump. With ``frame_width``, samples at a side edge (:func:`at_side_edge`) are left out:
    there the pelvis is cut off or placed outside the picture by the model, and its move as the
    walker leaves is not someone else."""
    if frame_width is not None:
        inside = [i for i, p in enumerate(poses) if not at_side_edge(p, frame_width)]
        steps, poses = [steps[i] for i in inside], [poses[i] for i in inside]
    pts = np.array([anchor(p) for p in poses])
    hs = np.array([height(p.require_box()) for p in poses])
    accepted: list[int] = [0] if len(pts) else []

    def off(i: int) -> float:
        recent = accepted[-END_SAMPLES:]
        if len(recent) < 2:
            predicted = pts[recent[-1]]
        else:
            at = np.asarray(steps, float)[recent]
            fit = [np.polyfit(at, pts[recent, d], 1) for d in (0, 1)]
            predicted = np.array([np.polyval(c, steps[i]) for c in fit])
        return float(np.linalg.norm(pts[i] - predicted)) / hs[i]

    jumps = 0
    for i in range(1, len(pts)):
        if off(i) > JUMP_BODY_HEIGHTS:
            if i + 1 < len(pts) and off(i + 1) <= JUMP_BODY_HEIGHTS:
                continue  # a glitch: the next sample is back where the motion predicts
            jumps += 1
            accepted = [i]  # follow the new position from here
            continue
        accepted.append(i)
    return jumps


def choose_subject(
    fragments: Sequence[Fragment],
    *,
    n_steps: int,
    frames_with_person: int,
    duplicates_merged: int = 0,
    max_gap: int = 45,
    frame_width: float | None = None,
) -> SubjectChoice:
    """The subject over the whole video (module notes) and how it was tracked (``frame_width``:
    the frames' width in px, for :func:`identity_jumps`; None: unknown).

    ``stats`` keys: ``frames_analysed``; ``frames_with_person`` (frames where anyone was seen);
    ``frames_tracked`` (frames with the subject); ``tracked_share`` (frames_tracked /
    frames_with_person, None when nobody was seen); ``span_share`` (frames_tracked over the frames
    from the subject's first to its last detection: the share of its visible walk it was tracked
    in); ``people`` (re-joined people seen); ``fragments`` (the subject's unbroken stretches);
    ``rejoins`` (fragments - 1, gaps bridged); ``identity_jumps`` (see :func:`identity_jumps`);
    ``duplicates_merged`` (duplicate detections dropped, all people); ``progression_px`` and
    ``progression_body_heights`` (the subject's sustained travel); ``chosen_by`` ("progression",
    or "frames" when nobody progressed, or None when nobody was seen).
    """
    chains = link_fragments(fragments, max_gap=max_gap)
    stats: TrackStats = {
        "frames_analysed": n_steps,
        "frames_with_person": frames_with_person,
        "frames_tracked": 0,
        "tracked_share": None,
        "span_share": None,
        "people": len(chains),
        "fragments": 0,
        "rejoins": 0,
        "identity_jumps": 0,
        "duplicates_merged": duplicates_merged,
        "progression_px": 0.0,
        "progression_body_heights": 0.0,
        "chosen_by": None,
    }
    if not chains:
        return SubjectChoice((None,) * n_steps, (), stats)
    scored = [(chain, *_progression(chain)) for chain in chains]
    longest = max(px for _, px, _ in scored)
    if longest > 0:
        near = [s for s in scored if s[1] >= (1 - TIE_SHARE) * longest]
        chain, px, size = min(near, key=lambda s: s[0][0].first)
        stats["chosen_by"] = "progression"
    else:
        chain, px, size = max(scored, key=lambda s: sum(len(f.steps) for f in s[0]))
        stats["chosen_by"] = "frames"
    steps, poses = _samples(chain)
    out: list[Pose | None] = [None] * n_steps
    for s, p in zip(steps, poses, strict=True):
        out[s] = p
    tracked = len(steps)
    stats.update(
        frames_tracked=tracked,
        tracked_share=tracked / frames_with_person if frames_with_person else None,
        span_share=tracked / (steps[-1] - steps[0] + 1),
        fragments=len(chain),
        rejoins=len(chain) - 1,
        identity_jumps=identity_jumps(steps, poses, frame_width=frame_width),
        progression_px=round(px, 1),
        progression_body_heights=round(px / size, 3) if size > 0 and math.isfinite(size) else None,
    )
    return SubjectChoice(tuple(out), tuple(chain), stats)
