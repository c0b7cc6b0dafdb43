"""Canonical named body keypoints, the value types that carry them, and the maps from each source.

Every measurement reads points by canonical name, so it works the same on Sapiens2's 308 keypoints
and MediaPipe's 33 landmarks. A point a source does not have is NaN, never invented: MediaPipe has
no neck, so ``neck`` is NaN there; ``mid_shoulder`` and ``mid_hip`` are derived midpoints for every
source and are named as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError

SIDES = ("left", "right")

#: Canonical points, in a fixed order (the K axis of ``Pose.xy``).
CANONICAL_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "neck",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    # Derived (midpoints of the two sides), present for every source when both sides are.
    "mid_shoulder",
    "mid_hip",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(CANONICAL_NAMES)}
DERIVED: dict[str, tuple[str, str]] = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
}

#: Sapiens2 308-keypoint ids (SPEC.md section 6; note wrists are 62/41 and hips 9/10).
SAPIENS2_IDS: dict[str, int] = {
    "nose": 0,
    "left_eye": 1,
    "right_eye": 2,
    "left_ear": 3,
    "right_ear": 4,
    "left_shoulder": 5,
    "right_shoulder": 6,
    "left_elbow": 7,
    "right_elbow": 8,
    "left_hip": 9,
    "right_hip": 10,
    "left_knee": 11,
    "right_knee": 12,
    "left_ankle": 13,
    "right_ankle": 14,
    "left_big_toe": 15,
    "left_small_toe": 16,
    "left_heel": 17,
    "right_big_toe": 18,
    "right_small_toe": 19,
    "right_heel": 20,
    "right_wrist": 41,
    "left_wrist": 62,
    "neck": 69,
}

#: MediaPipe pose landmark ids (33-landmark BlazePose topology). MediaPipe's ``foot_index``
#: (31/32) is the tip of the foot at the toes; it is the closest it has to a big toe. It has no
#: neck and no small toe.
MEDIAPIPE_IDS: dict[str, int] = {
    "nose": 0,
    "left_eye": 2,
    "right_eye": 5,
    "left_ear": 7,
    "right_ear": 8,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_elbow": 13,
    "right_elbow": 14,
    "left_wrist": 15,
    "right_wrist": 16,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
    "left_heel": 29,
    "right_heel": 30,
    "left_big_toe": 31,
    "right_big_toe": 32,
}

#: The 33 MediaPipe landmark names, in id order (for overlays and tables).
MEDIAPIPE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip


def _check_points(
    xy: np.ndarray, scores: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    xy = np.asarray(xy, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or scores.shape != xy.shape[:1]:
        raise InputError(f"expected xy (K, 2) and scores (K,), got {xy.shape} and {scores.shape}")
    if not np.isfinite(threshold) or threshold < 0:
        raise InputError(f"score threshold must be a finite number >= 0, got {threshold}")
    return xy, scores


def _add_derived(out_xy: np.ndarray, out_scores: np.ndarray) -> None:
    for name, (a, b) in DERIVED.items():
        k, ia, ib = INDEX[name], INDEX[a], INDEX[b]
        out_xy[k] = (out_xy[ia] + out_xy[ib]) / 2  # NaN when either side is missing
        out_scores[k] = np.minimum(out_scores[ia], out_scores[ib])  # NaN when either is unknown


def _canonical_from_source(
    xy: np.ndarray, scores: np.ndarray, ids: dict[str, int], threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    xy, scores = _check_points(xy, scores, threshold)
    out_xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    out_scores = np.full(len(CANONICAL_NAMES), np.nan)
    for name, src in ids.items():
        if src >= len(xy):
            raise InputError(f"source has {len(xy)} points, mapping needs id {src} for {name}")
        k = INDEX[name]
        out_scores[k] = scores[src]
        if scores[src] >= threshold and np.all(np.isfinite(xy[src])):
            out_xy[k] = xy[src]
    _add_derived(out_xy, out_scores)
    return out_xy, out_scores


def extent_box(xy: np.ndarray) -> tuple[float, float, float, float] | None:
    """Box (x1, y1, x2, y2) in pixels around the finite rows of ``xy`` (N, 2); None when none is finite."""
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        return None
    (x1, y1), (x2, y2) = pts.min(axis=0), pts.max(axis=0)
    return float(x1), float(y1), float(x2), float(y2)


@dataclass(frozen=True)
class Pose:
    """One person's canonical keypoints in one image.

    xy: (K, 2) float, image pixels (x right, y down); NaN where missing or below the threshold.
    scores: (K,) float, the source's confidence (Sapiens2 heatmap max, MediaPipe visibility);
    NaN where the source has no such point.
    """

    xy: np.ndarray
    scores: np.ndarray
    backend: str
    model: str
    threshold: float
    box_xyxy: tuple[float, float, float, float] | None = None
    #: The raw source keypoints (N_src, 2) and scores, for overlays in the source's own skeleton.
    source_xy: np.ndarray | None = field(default=None, repr=False)
    source_scores: np.ndarray | None = field(default=None, repr=False)
    #: After a flip test that keeps both answers (the lite backend's): the photo's and the mirror
    #: image's own canonical points, (K, 2) each, NaN where ``xy`` is; None otherwise.
    flip_views: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def point(self, name: str) -> np.ndarray:
        """(2,) pixels of a canonical point, NaN when missing."""
        return self.xy[INDEX[name]]

    def has(self, name: str) -> bool:
        """True when the canonical point is present (above the threshold)."""
        return bool(np.all(np.isfinite(self.point(name))))

    @property
    def box(self) -> tuple[float, float, float, float] | None:
        """``box_xyxy`` when the backend gave one, else the extent of the present points (pixels)."""
        if self.box_xyxy is not None:
            return self.box_xyxy
        return extent_box(self.xy if self.source_xy is None else self.source_xy)

    def require_box(self) -> tuple[float, float, float, float]:
        """:attr:`box` of a found person; ``ValueError`` for a pose without a single present point
        (no backend returns one: every person found has a box)."""
        box = self.box
        if box is None:
            raise ValueError(f"a {self.backend} pose without any present point has no box")
        return box

    @property
    def n_present(self) -> int:
        """How many canonical points are present."""
        return int(np.all(np.isfinite(self.xy), axis=1).sum())

    def as_dict(self) -> dict[str, tuple[float, float] | None]:
        """Canonical name -> (x, y) pixels, None where missing (JSON friendly)."""
        return {
            n: (None if not np.all(np.isfinite(p)) else (float(p[0]), float(p[1])))
            for n, p in zip(CANONICAL_NAMES, self.xy)
        }

    @classmethod
    def from_sapiens2(
        cls,
        keypoints: np.ndarray,
        scores: np.ndarray,
        *,
        model: str,
        threshold: float = 0.3,
        box_xyxy: tuple[float, float, float, float] | None = None,
        views: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Pose:
        """From one instance of Sapiens2 output: keypoints (308, 2) pixels, scores (308,);
        ``views``: the keypoints decoded from the photo's own heatmaps and from the mirror's
        (each (308, 2); :attr:`flip_views`), kept for the points the averaged scores keep."""
        xy, sc = _canonical_from_source(keypoints, scores, SAPIENS2_IDS, threshold)
        canonical_views = None
        if views is not None:
            a, b = (_canonical_from_source(v, scores, SAPIENS2_IDS, threshold)[0] for v in views)
            canonical_views = (a, b)
        return cls(
            xy,
            sc,
            "sapiens2",
            model,
            threshold,
            box_xyxy,
            np.asarray(keypoints),
            np.asarray(scores),
            canonical_views,
        )

    @classmethod
    def from_mediapipe(
        cls,
        landmarks_xy: np.ndarray,
        visibility: np.ndarray,
        *,
        model: str,
        threshold: float = 0.5,
        box_xyxy: tuple[float, float, float, float] | None = None,
        views: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Pose:
        """From MediaPipe's 33 landmarks already in pixels (33, 2) and their visibility (33,);
        ``views``: the flip test's two sets of 33 landmarks (:attr:`flip_views`), kept for the
        points the merged visibility keeps."""
        xy, sc = _canonical_from_source(landmarks_xy, visibility, MEDIAPIPE_IDS, threshold)
        canonical_views = None
        if views is not None:
            a, b = (
                _canonical_from_source(v, visibility, MEDIAPIPE_IDS, threshold)[0] for v in views
            )
            canonical_views = (a, b)
        return cls(
            xy,
            sc,
            "lite",
            model,
            threshold,
            box_xyxy,
            np.asarray(landmarks_xy),
            np.asarray(visibility),
            canonical_views,
        )

    @classmethod
    def from_canonical(
        cls,
        xy: np.ndarray,
        scores: np.ndarray,
        *,
        backend: str,
        model: str,
        threshold: float = 0.5,
        box_xyxy: tuple[float, float, float, float] | None = None,
    ) -> Pose:
        """From points already in canonical order: xy (K, 2) pixels, scores (K,).

        The derived midpoints (``mid_shoulder``, ``mid_hip``) are recomputed from their sides, so
        whatever the caller put there is ignored. Used by test doubles and re-loaded sessions.
        """
        xy, scores = _check_points(xy, scores, threshold)
        if len(xy) != len(CANONICAL_NAMES):
            raise InputError(f"expected {len(CANONICAL_NAMES)} canonical points, got {len(xy)}")
        keep = (scores >= threshold) & np.all(np.isfinite(xy), axis=1)
        out_xy = np.where(keep[:, None], xy, np.nan)
        out_scores = scores.copy()
        _add_derived(out_xy, out_scores)
        return cls(out_xy, out_scores, backend, model, threshold, box_xyxy)


@dataclass(frozen=True)
class PoseSeries:
    """One tracked person over the analysed frames of a video.

    xy: (T, K, 2) float pixels in canonical order, NaN where missing (or no pose in that frame);
    scores: (T, K); time_s: (T,) real timestamps of the frames; frame_index: (T,) int, index in the
    video; frame_size: (width, height) pixels.
    """

    xy: np.ndarray
    scores: np.ndarray
    time_s: np.ndarray
    frame_index: np.ndarray
    frame_size: tuple[int, int]
    backend: str = ""
    model: str = ""

    def __post_init__(self) -> None:
        t = len(self.time_s)
        if self.xy.shape != (t, len(CANONICAL_NAMES), 2) or self.scores.shape != (
            t,
            len(CANONICAL_NAMES),
        ):
            raise InputError(
                f"PoseSeries: xy {self.xy.shape} / scores {self.scores.shape} do not match "
                f"{t} frames of {len(CANONICAL_NAMES)} points"
            )

    def __len__(self) -> int:
        return len(self.time_s)

    def track(self, name: str) -> np.ndarray:
        """(T, 2) trajectory of one canonical point."""
        return self.xy[:, INDEX[name]]

    @property
    def n_frames_used(self) -> int:
        """Frames where the tracked person has at least one point."""
        return int(np.any(np.isfinite(self.xy[..., 0]), axis=1).sum())

    @classmethod
    def from_poses(
        cls,
        poses: list[Pose | None],
        time_s: np.ndarray,
        frame_index: np.ndarray,
        frame_size: tuple[int, int],
    ) -> PoseSeries:
        """Stack per-frame poses (None where the person was not found)."""
        k = len(CANONICAL_NAMES)
        xy = np.full((len(poses), k, 2), np.nan)
        scores = np.full((len(poses), k), np.nan)
        backend = model = ""
        for t, pose in enumerate(poses):
            if pose is not None:
                xy[t], scores[t] = pose.xy, pose.scores
                backend, model = pose.backend, pose.model
        return cls(
            xy,
            scores,
            np.asarray(time_s, float),
            np.asarray(frame_index, int),
            frame_size,
            backend,
            model,
        )
