"""A deterministic test double: poses from given canonical skeletons, no model, no randomness.

Page and CLI tests use it to drive the whole pipeline with known keypoints. It says what it is in
its ``name`` so nothing produced by it can pass for a measurement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from core.backends.base import Backend, Capability, PersonBox, Segmentation, as_rgb
from core.errors import InputError
from core.keypoints import CANONICAL_NAMES, INDEX, Pose

Skeleton = Mapping[str, tuple[float, float]] | np.ndarray
#: frame timestamp (ms) -> the skeletons in that frame
Motion = Callable[[int], Sequence[Skeleton]]

#: A standing person seen from the front, in units of body height (x right, y down, origin at the
#: top of the head's centre). Straight legs and arms hanging: knee and elbow angles are 180 degrees.
STANDING_FRONT: dict[str, tuple[float, float]] = {
    "nose": (0.0, 0.06),
    "left_eye": (0.02, 0.045),
    "right_eye": (-0.02, 0.045),
    "left_ear": (0.045, 0.055),
    "right_ear": (-0.045, 0.055),
    "neck": (0.0, 0.15),
    "left_shoulder": (0.11, 0.18),
    "right_shoulder": (-0.11, 0.18),
    "left_elbow": (0.13, 0.36),
    "right_elbow": (-0.13, 0.36),
    "left_wrist": (0.15, 0.54),
    "right_wrist": (-0.15, 0.54),
    "left_hip": (0.08, 0.52),
    "right_hip": (-0.08, 0.52),
    "left_knee": (0.08, 0.74),
    "right_knee": (-0.08, 0.74),
    "left_ankle": (0.08, 0.96),
    "right_ankle": (-0.08, 0.96),
    "left_heel": (0.08, 0.99),
    "right_heel": (-0.08, 0.99),
    "left_big_toe": (0.10, 1.0),
    "right_big_toe": (-0.10, 1.0),
    "left_small_toe": (0.13, 0.99),
    "right_small_toe": (-0.13, 0.99),
}
#: Lines drawn (thick) for the fake person mask.
_LIMBS = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("nose", "neck"), ("neck", "left_shoulder"), ("neck", "right_shoulder"),
)  # fmt: skip


def standing_skeleton(
    width: int, height: int, *, fill: float = 0.8
) -> dict[str, tuple[float, float]]:
    """``STANDING_FRONT`` centred in a width x height image, ``fill`` of its height tall (pixels)."""
    tall = fill * height
    top, cx = (height - tall) / 2, width / 2
    return {n: (cx + x * tall, top + y * tall) for n, (x, y) in STANDING_FRONT.items()}


def _as_canonical(skeleton: Skeleton) -> np.ndarray:
    if isinstance(skeleton, Mapping):
        unknown = set(skeleton) - set(INDEX)
        if unknown:
            raise InputError(
                f"unknown keypoint names in the fake skeleton: {', '.join(sorted(unknown))}"
            )
        xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
        for name, point in skeleton.items():
            xy[INDEX[name]] = point
        return xy
    xy = np.asarray(skeleton, dtype=np.float64)
    if xy.shape != (len(CANONICAL_NAMES), 2):
        raise InputError(
            f"a fake skeleton array must be ({len(CANONICAL_NAMES)}, 2), got {xy.shape}"
        )
    return xy


class FakeBackend(Backend):
    """Test double: returns the given skeletons as poses (score 1 where a point is given, else missing).

    Parameters
    ----------
    people : skeletons (canonical name -> (x, y) pixels, or a (K, 2) array in ``CANONICAL_NAMES``
        order). None: one :func:`standing_skeleton` fitted to each image.
    motion : for videos, a function of ``timestamp_ms`` giving that frame's skeletons; used instead
        of ``people`` whenever ``estimate_pose`` gets a timestamp.
    """

    name = "fake (test double)"
    model = "fake"
    capabilities = frozenset({Capability.POSE, Capability.PEOPLE, Capability.PERSON_MASK})

    def __init__(
        self,
        people: Sequence[Skeleton] | None = None,
        *,
        motion: Motion | None = None,
        threshold: float = 0.5,
    ) -> None:
        self.people = None if people is None else [_as_canonical(p) for p in people]
        self.motion = motion
        self.threshold = threshold
        self.calls = 0  # how many images were analysed, for tests that check caching

    def _skeletons(self, rgb: np.ndarray, timestamp_ms: int | None) -> list[np.ndarray]:
        if timestamp_ms is not None and self.motion is not None:
            return [_as_canonical(s) for s in self.motion(int(timestamp_ms))]
        if self.people is not None:
            return self.people
        height, width = rgb.shape[:2]
        return [_as_canonical(standing_skeleton(width, height))]

    def estimate_pose(
        self,
        image: np.ndarray,
        boxes: list[PersonBox] | None = None,
        *,
        timestamp_ms: int | None = None,
        flip_test: bool | None = None,
    ) -> list[Pose]:
        """The skeletons as poses, largest first; with ``boxes``, only people whose centre is in a
        box (``flip_test``: no model, nothing to mirror; ignored)."""
        rgb = as_rgb(image)
        self.calls += 1
        poses = []
        for xy in self._skeletons(rgb, timestamp_ms):
            scores = np.where(np.all(np.isfinite(xy), axis=1), 1.0, np.nan)
            pose = Pose.from_canonical(
                xy, scores, backend=self.name, model=self.model, threshold=self.threshold
            )
            poses.append(pose)
        if boxes is not None:
            poses = [p for p in poses if p.box and any(_contains(b, p.box) for b in boxes)]
        return sorted(poses, key=lambda p: PersonBox(p.box).area if p.box else 0.0, reverse=True)

    def detect_people(self, image: np.ndarray) -> list[PersonBox]:
        """Boxes around each skeleton's points (pixels, largest first)."""
        return [PersonBox(p.box) for p in self.estimate_pose(image) if p.box]

    def segment(self, image: np.ndarray) -> Segmentation:
        """A person mask drawn as thick limbs (width 8% of the body height) through the skeletons."""
        import cv2

        rgb = as_rgb(image)
        mask = np.zeros(rgb.shape[:2], np.uint8)
        for pose in self.estimate_pose(rgb):
            x1, y1, x2, y2 = pose.require_box()
            thickness = max(1, round(0.08 * max(y2 - y1, x2 - x1)))
            for a, b in _LIMBS:
                if pose.has(a) and pose.has(b):
                    pa, pb = (tuple(int(round(v)) for v in pose.point(n)) for n in (a, b))
                    cv2.line(mask, pa, pb, 1, thickness)
        return Segmentation(mask, ("Background", "Person"))


def _contains(box: PersonBox, inner: tuple[float, float, float, float]) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    x1, y1, x2, y2 = box.xyxy
    return x1 <= cx <= x2 and y1 <= cy <= y2
