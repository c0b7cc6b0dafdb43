"""Which person to measure: the largest (or the one nearest a point) in a photo, one tracked person in a video.

The video tracker follows every person with IoU / centre-distance association (constant-velocity
prediction), so identities never swap when people cross. The *subject* is the track with the
highest salience: body size x completeness x (1 + recent net motion in body heights). A walking
subject therefore wins over an equally large bystander who stands or jumps in place, without any
rule about where in the frame the subject must be. Switching subject needs a clear, sustained lead;
a subject that disappears (occlusion) is re-acquired only by a new track near where it was heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.keypoints import INDEX, Pose

Box = tuple[float, float, float, float]
#: The limb points that say how complete a detected body is.
_CORE = tuple(
    INDEX[f"{s}_{j}"]
    for s in ("left", "right")
    for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)


def _center(box: Box) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def _height(box: Box) -> float:
    return max(box[3] - box[1], box[2] - box[0], 1.0)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _anchor(pose: Pose) -> np.ndarray:
    # The pelvis moves with the body, not with the arms; the box centre is the fallback.
    hip = pose.point("mid_hip")
    return hip if np.all(np.isfinite(hip)) else _center(pose.box)  # type: ignore[arg-type]


def _completeness(pose: Pose) -> float:
    return float(np.mean(np.all(np.isfinite(pose.xy[list(_CORE)]), axis=1)))


def select_person(poses: Sequence[Pose], point: tuple[float, float] | None = None) -> Pose | None:
    """The person to measure in one image.

    Without ``point``: the largest by box area (``Pose.box``: the backend's box or the keypoint
    extent). With ``point`` (x, y pixels, e.g. a click): the person whose box is nearest to it
    (distance 0 inside a box; ties, such as overlapping boxes, go to the nearer box centre).
    Returns None when there is nobody.
    """
    people = [p for p in poses if p.box is not None]
    if not people:
        return None
    if point is None:
        return max(people, key=lambda p: _area(p.box))  # type: ignore[arg-type]
    px, py = float(point[0]), float(point[1])

    def distance(p: Pose) -> tuple[float, float]:
        x1, y1, x2, y2 = p.box  # type: ignore[misc]
        dx, dy = max(x1 - px, 0.0, px - x2), max(y1 - py, 0.0, py - y2)
        cx, cy = _center(p.box)  # type: ignore[arg-type]
        return float(np.hypot(dx, dy)), float(np.hypot(cx - px, cy - py))

    return min(people, key=distance)


@dataclass
class _Track:
    id: int
    box: Box
    last_step: int
    born_step: int
    poses: dict[int, Pose] = field(default_factory=dict)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per step, box centre

    def predicted_box(self, step: int) -> Box:
        dx, dy = self.velocity * (step - self.last_step)
        x1, y1, x2, y2 = self.box
        return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)

    def add(self, step: int, pose: Pose, box: Box) -> None:
        if self.poses:
            gap = step - self.last_step
            new_v = (_center(box) - _center(self.box)) / gap
            self.velocity = 0.5 * self.velocity + 0.5 * new_v if len(self.poses) > 1 else new_v
        self.box, self.last_step = box, step
        self.poses[step] = pose

    def salience(self, step: int, window: int) -> float:
        recent = [(s, p) for s, p in self.poses.items() if s > step - window]
        if not recent:
            return 0.0
        heights = [_height(p.box) for _, p in recent]  # type: ignore[arg-type]
        size = float(np.mean(heights))
        complete = float(np.mean([_completeness(p) for _, p in recent]))
        (s0, p0), (s1, p1) = recent[0], recent[-1]
        # Net displacement (body heights) scaled to a full window, so a person who just appeared is
        # comparable; at least a third of a window is assumed so that one-frame jitter cannot count.
        span = max(s1 - s0, window / 3)
        motion = float(np.linalg.norm(_anchor(p1) - _anchor(p0))) / size * window / span
        return size * (0.25 + complete) * (1.0 + 2.0 * motion)


class PersonTracker:
    """Keep one person across the frames of a video.

    Call :meth:`update` once per analysed frame with that frame's poses (any order); it returns
    the subject's pose in that frame or None. For a whole recorded video prefer
    :meth:`subject_poses` after the last frame: it gives the final subject's pose for every frame,
    including the frames before the tracker was sure who the subject is.

    Parameters (all in frames, i.e. calls to ``update``)
    ----------
    window : frames over which salience (size, completeness, net motion) is measured.
    max_missed : a non-subject track unseen this long is forgotten.
    min_hits : frames a track needs before it can become the subject.
    switch_ratio, switch_frames : another track takes over only when its salience is at least
        ``switch_ratio`` times the subject's for ``switch_frames`` consecutive frames.
    reacquire_frames : how long a vanished subject waits to be re-found (occlusion) before
        anyone else may be chosen.
    """

    def __init__(
        self,
        *,
        window: int = 30,
        max_missed: int = 15,
        min_hits: int = 3,
        switch_ratio: float = 1.5,
        switch_frames: int = 8,
        reacquire_frames: int = 60,
    ) -> None:
        self.window, self.max_missed, self.min_hits = window, max_missed, min_hits
        self.switch_ratio, self.switch_frames, self.reacquire_frames = (
            switch_ratio,
            switch_frames,
            reacquire_frames,
        )
        self.tracks: list[_Track] = []
        self.subject: _Track | None = None
        self.step = -1
        self._next_id = 0
        self._challenger: tuple[int, int] | None = None  # (track id, consecutive frames ahead)

    # -- association ----------------------------------------------------------------------------
    def _gate(self, track: _Track) -> float:
        missed = self.step - track.last_step - 1
        return min(0.5 + 0.05 * missed, 2.0)  # body heights; grows while a person is unseen

    def _associate(self, poses: list[tuple[Pose, Box]]) -> None:
        pairs = []
        for ti, track in enumerate(self.tracks):
            pred = track.predicted_box(self.step)
            for pi, (_, box) in enumerate(poses):
                h_t, h_p = _height(track.box), _height(box)
                if not 0.5 <= h_p / h_t <= 2.0:
                    continue  # a person does not halve or double in size between frames
                dist = float(np.linalg.norm(_center(pred) - _center(box))) / max(h_t, h_p)
                iou = _iou(pred, box)
                if iou >= 0.1 or dist <= self._gate(track):
                    pairs.append((dist - iou, ti, pi))
        used_t, used_p = set(), set()
        for _, ti, pi in sorted(pairs):
            if ti in used_t or pi in used_p:
                continue
            used_t.add(ti)
            used_p.add(pi)
            self.tracks[ti].add(self.step, *poses[pi])
        for pi, (pose, box) in enumerate(poses):
            if pi not in used_p:
                self._new_track(pose, box)

    def _new_track(self, pose: Pose, box: Box) -> None:
        subject = self.subject
        if subject is not None and self.step - subject.last_step > 1 and subject not in self.tracks:
            # The subject vanished; a new person appearing where it was heading is the subject again.
            dist = float(np.linalg.norm(_center(subject.predicted_box(self.step)) - _center(box)))
            if dist / _height(subject.box) <= self._gate(subject):
                subject.add(self.step, pose, box)
                self.tracks.append(subject)
                return
        track = _Track(self._next_id, box, self.step, self.step)
        track.add(self.step, pose, box)
        self._next_id += 1
        self.tracks.append(track)

    # -- subject choice -------------------------------------------------------------------------
    def _choose_subject(self) -> None:
        ready = [
            t for t in self.tracks if len(t.poses) >= self.min_hits and t.last_step == self.step
        ]
        if self.subject is not None and self.subject not in self.tracks:
            if self.step - self.subject.last_step <= self.reacquire_frames:
                return  # still waiting for the vanished subject to come back
            self.subject = None
        if self.subject is None:
            if ready:
                self.subject = max(ready, key=lambda t: t.salience(self.step, self.window))
            self._challenger = None
            return
        own = self.subject.salience(self.step, self.window)
        rivals = [t for t in ready if t is not self.subject]
        best = max(rivals, key=lambda t: t.salience(self.step, self.window), default=None)
        if best is None or best.salience(self.step, self.window) < self.switch_ratio * own:
            self._challenger = None
            return
        count = (
            self._challenger[1] + 1 if self._challenger and self._challenger[0] == best.id else 1
        )
        self._challenger = (best.id, count)
        if count >= self.switch_frames:
            self.subject, self._challenger = best, None

    def update(self, poses: Sequence[Pose]) -> Pose | None:
        """Feed one frame's poses; returns the subject's pose in this frame, or None."""
        self.step += 1
        boxed = [(p, p.box) for p in poses if p.box is not None and _area(p.box) > 0]
        self._associate(boxed)  # type: ignore[arg-type]
        # Forgotten tracks are gone for association; a vanished subject lives on in self.subject.
        self.tracks = [t for t in self.tracks if self.step - t.last_step <= self.max_missed]
        self._choose_subject()
        if self.subject is None:
            return None
        return self.subject.poses.get(self.step)

    def subject_poses(self) -> list[Pose | None]:
        """For every frame given to :meth:`update` so far, the final subject's pose (None where unseen)."""
        if self.subject is None:
            return [None] * (self.step + 1)
        return [self.subject.poses.get(s) for s in range(self.step + 1)]
