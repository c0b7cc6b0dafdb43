"""Follow every person through a video, then choose the subject over the whole video.

Frame by frame, duplicate detections of one person are merged (``people.merge_duplicates``) and
the rest are associated with the people seen before (constant-velocity prediction, IoU and centre
distance), so identities do not swap when people cross. The result is a set of *fragments*: the
unbroken stretches of each person. After the last frame, :func:`core.tracking.walker.choose_subject`
re-joins the fragments of one person across short gaps and takes as the subject the person with
the longest sustained progression across the image; the choice never depends on who was seen last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.keypoints import Pose
from core.tracking.fragment import Fragment
from core.tracking.people import center, height, merge_duplicates
from core.tracking.walker import TrackStats
from core.types import Box, area, iou


class PersonTracker:
    """Keep one person across the frames of a video.

    Call :meth:`update` once per analysed frame with that frame's poses (any order). After the last
    frame, :meth:`subject_poses` gives the subject's pose for every frame (None where unseen),
    chosen over the whole video, and :attr:`stats` says how well it was tracked. :meth:`update`
    itself returns a live guess (the person who has progressed furthest so far, if seen in this
    frame), for displays that cannot wait for the end.

    Parameters (in steps, i.e. calls to ``update``)
    ----------
    max_missed : a person unseen for more steps than this ends its fragment. Kept short: after a
        longer gap only position and velocity together (re-joining, after the last frame) can
        tell the same person from someone who appeared where it was heading.
    min_hits : detections a fragment needs before the live guess may pick it, and before it
        counts as an established person that a duplicate cannot be merged into.
    max_gap : the longest gap (occlusion, missed detections) over which two fragments of one
        person are re-joined after the last frame.
    """

    def __init__(self, *, max_missed: int = 3, min_hits: int = 3, max_gap: int = 45) -> None:
        self.max_missed, self.min_hits, self.max_gap = max_missed, min_hits, max_gap
        self.fragments: list[Fragment] = []
        self.live: list[Fragment] = []
        self.step = -1
        self.frames_with_person = 0
        self.duplicates_merged = 0
        self._best: Fragment | None = None  # the live guess's person
        self._choice = None  # cached whole-video choice (walker.SubjectChoice)
        self.frame_width: float | None = None  # the frames' width, once update() is told it

    # -- association ----------------------------------------------------------------------------
    def _gate(self, fragment: Fragment) -> float:
        missed = self.step - fragment.last - 1
        return 0.5 + 0.05 * missed  # body heights; grows while a person is unseen

    def _match(self, fragments: list[Fragment], poses: list[Pose]) -> dict[int, Fragment]:
        """Greedy association, lowest cost first: detection index -> fragment."""
        pairs = []
        for fi, frag in enumerate(fragments):
            pred = frag.predicted_box(self.step)
            for pi, pose in enumerate(poses):
                box: Box = pose.require_box()
                h_f, h_p = height(frag.box), height(box)
                if not 0.5 <= h_p / h_f <= 2.0:
                    continue  # a person does not halve or double in size between frames
                dist = float(np.linalg.norm(center(pred) - center(box))) / max(h_f, h_p)
                overlap = iou(pred, box)
                if overlap >= 0.1 or dist <= self._gate(frag):
                    pairs.append((dist - overlap, fi, pi))
        used_f: set[int] = set()
        out: dict[int, Fragment] = {}
        for _, fi, pi in sorted(pairs):
            if fi not in used_f and pi not in out:
                used_f.add(fi)
                out[pi] = fragments[fi]
        return out

    def update(self, poses: Sequence[Pose], *, frame_width: float | None = None) -> Pose | None:
        """Feed one frame's poses (``frame_width``: the frame's width in px, which lets the
        identity-jump count leave out a walker at the picture's edge); returns the live guess's
        pose in this frame, or None."""
        self.step += 1
        self._choice = None
        if frame_width is not None:
            self.frame_width = float(frame_width)
        found = [p for p in poses if p.box is not None and area(p.box) > 0]
        self.live = [f for f in self.live if self.step - f.last <= self.max_missed]
        # Two detections that continue two different established people are two people, however
        # alike their skeletons (people crossing); any other look-alike pair is one person twice.
        established = [f for f in self.live if len(f.steps) >= self.min_hits]
        claimed = self._match(established, found)
        found, dropped = merge_duplicates(
            found, distinct=lambda i, j: i in claimed and j in claimed
        )
        self.duplicates_merged += dropped
        if found:
            self.frames_with_person += 1
        matched = self._match(self.live, found)
        for pi, pose in enumerate(found):
            frag = matched.get(pi)
            if frag is None:
                frag = Fragment(len(self.fragments))
                self.fragments.append(frag)
                self.live.append(frag)
            frag.add(self.step, pose)
            self._consider(frag)
        return self._live_guess()

    def _consider(self, frag: Fragment) -> None:
        # Progression never decreases, so only the fragments just extended can overtake the best.
        if len(frag.steps) < self.min_hits:
            return
        best = self._best
        if best is None or frag.progression.value_px > best.progression.value_px:
            self._best = frag

    def _live_guess(self) -> Pose | None:
        best = self._best
        if best is not None and best.progression.value_px > 0:
            if best.last == self.step:
                return best.poses[-1]
            # Unseen now: a person who started since, where and as it was heading, is it again.
            from core.tracking.walker import continuation_cost

            costs = [
                (cost, frag.id, frag)
                for frag in self.live
                if frag.last == self.step
                and (cost := continuation_cost(best, frag, max_gap=self.max_gap)) is not None
            ]
            return min(costs)[2].poses[-1] if costs else None
        # Nobody has moved yet: the person seen longest so far, if in this frame.
        here = [f for f in self.live if f.last == self.step and len(f.steps) >= self.min_hits]
        return max(here, key=lambda f: len(f.steps)).poses[-1] if here else None

    # -- the whole-video choice -----------------------------------------------------------------
    def _chosen(self):  # -> walker.SubjectChoice
        if self._choice is None:
            from core.tracking.walker import choose_subject

            self._choice = choose_subject(
                self.fragments,
                n_steps=self.step + 1,
                frames_with_person=self.frames_with_person,
                duplicates_merged=self.duplicates_merged,
                max_gap=self.max_gap,
                frame_width=self.frame_width,
            )
        return self._choice

    def subject_poses(self) -> list[Pose | None]:
        """For every frame given to :meth:`update` so far, the subject's pose (None where unseen)."""
        return list(self._chosen().poses)

    @property
    def stats(self) -> TrackStats:
        """How the subject was tracked (see :func:`core.tracking.walker.choose_subject`)."""
        return dict(self._chosen().stats)
