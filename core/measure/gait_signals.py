"""Per-frame keypoint cleaning for gait: frame bounds, person switches, outliers, gaps, body height."""

from __future__ import annotations

import math
import warnings

import numpy as np

from core.keypoints import DERIVED, INDEX
from core.measure.filtering import interpolate_gaps, reject_outliers

#: Vertical nose (or ear) to ankle distance as a share of body height: nose ~0.91 H and ankle
#: ~0.039 H (Winter, Biomechanics and Motor Control of Human Movement, 4th ed., fig. 4.1).
HEAD_TO_ANKLE_FRACTION = 0.87
#: A pelvis jump above JUMP_BODY_HEIGHTS + JUMP_BODY_HEIGHTS_PER_S × elapsed s is another person.
JUMP_BODY_HEIGHTS = 0.3
JUMP_BODY_HEIGHTS_PER_S = 2.0
#: A jump away and back within this many seen frames is a wrong skeleton, not another person
#: (0.1 s at 30 fps; a bystander taken for the walker stays far longer).
MAX_EXCURSION_FRAMES = 3


def mean_of(xy: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(T, 2) mean of whichever of ``names`` are present per frame (NaN when none is)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are expected
        return np.nanmean(np.stack([xy[:, INDEX[n]] for n in names]), axis=0)


def first_of(xy: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(T, 2) the first of ``names`` present per frame (a fallback chain, e.g. heel then ankle)."""
    out = np.full(xy.shape[:1] + (2,), np.nan)
    for name in reversed(names):
        p = xy[:, INDEX[name]]
        out = np.where(np.all(np.isfinite(p), axis=1, keepdims=True), p, out)
    return out


def body_height_series(xy: np.ndarray) -> np.ndarray:
    """(T,) per-frame body height in pixels: (lower ankle y - head y) / HEAD_TO_ANKLE_FRACTION.

    The head point is the nose, else the mean of the visible ears; the lower ankle is the stance
    foot's. NaN in frames without both (or with the head below the ankle).
    """
    head = first_of(xy, ("nose",))
    head = np.where(np.isfinite(head), head, mean_of(xy, ("left_ear", "right_ear")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ankle_y = np.nanmax(
            np.stack([xy[:, INDEX["left_ankle"], 1], xy[:, INDEX["right_ankle"], 1]]), axis=0
        )
        d = (ankle_y - head[:, 1]) / HEAD_TO_ANKLE_FRACTION
    return np.where(np.isfinite(d) & (d > 0), d, np.nan)


def body_height_px(xy: np.ndarray) -> float:
    """Median of :func:`body_height_series` over the frames that have it; NaN when none has."""
    d = body_height_series(xy)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size else math.nan


def inside_frame(xy: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """(T, K, 2) copy with points outside the image set to NaN.

    A pose model extrapolates the limbs of a person leaving the frame; those positions were not
    seen and would make false events at the edges.
    """
    width, height = frame_size
    x, y = xy[..., 0], xy[..., 1]
    with np.errstate(invalid="ignore"):
        outside = (x < 0) | (x > width - 1) | (y < 0) | (y > height - 1)
    return np.where(outside[..., None], np.nan, xy)


def _jump_limit(h_px: float, dt: np.ndarray | float) -> np.ndarray | float:
    return h_px * (JUMP_BODY_HEIGHTS + JUMP_BODY_HEIGHTS_PER_S * np.asarray(dt))


def drop_excursions(
    xy: np.ndarray, t: np.ndarray, h_px: float, *, max_frames: int = MAX_EXCURSION_FRAMES
) -> tuple[np.ndarray, int]:
    """(copy of ``xy``, frames dropped): a pelvis that jumps away for at most ``max_frames`` seen
    frames and then back to where the walker was (within the jump limit of ``track_segments``
    for the time elapsed) is a wrong skeleton in those frames (a bystander's or a broken one for
    a frame or two), not a change of person: those frames become missing instead of splitting the
    walk in three."""
    out = xy.copy()
    if not math.isfinite(h_px):
        return out, 0
    pelvis = mean_of(xy, ("left_hip", "right_hip"))
    idx = np.flatnonzero(np.all(np.isfinite(pelvis), axis=1))

    def near(i: int, j: int) -> bool:
        """Seen sample j is within the jump limit of seen sample i for the time between them."""
        a, b = idx[i], idx[j]
        return bool(np.hypot(*(pelvis[b] - pelvis[a])) <= _jump_limit(h_px, t[b] - t[a]))

    dropped, i = 0, 0
    while i < idx.size - 1:
        if near(i, i + 1):
            i += 1
            continue
        ahead = range(i + 2, min(i + 2 + max_frames, idx.size))
        back = next((j for j in ahead if near(i, j)), None)
        if back is None:
            i += 1  # a lasting jump: track_segments splits there
            continue
        out[idx[i + 1 : back]] = np.nan
        dropped += back - i - 1
        i = back
    return out, dropped


def track_segments(xy: np.ndarray, t: np.ndarray, h_px: float) -> list[tuple[int, int]]:
    """Half-open frame ranges between jumps of the pelvis too large for one walker.

    A jump of more than 0.3 body heights plus 2 body heights per second of elapsed time (faster
    than anyone walks) means the tracker switched to another person; each range is then cleaned,
    filtered and searched for events on its own.
    """
    if not math.isfinite(h_px):
        return [(0, len(xy))]
    pelvis = mean_of(xy, ("left_hip", "right_hip"))
    idx = np.flatnonzero(np.all(np.isfinite(pelvis), axis=1))
    if idx.size < 2:
        return [(0, len(xy))]
    jump = np.hypot(*np.diff(pelvis[idx], axis=0).T)
    limit = _jump_limit(h_px, np.diff(t[idx]))
    cuts = [int(i) for i in idx[1:][jump > limit]]
    edges = [0, *cuts, len(xy)]
    return list(zip(edges[:-1], edges[1:]))


def clean_keypoints(
    xy: np.ndarray, t: np.ndarray, h_px: float, *, max_gap_frames: int, reject: bool
) -> np.ndarray:
    """(T, K, 2) copy with outliers removed (when ``reject``) and short gaps filled, per coordinate."""
    flat = xy.reshape(len(xy), -1)
    if reject:
        min_scale = 0.01 * h_px if math.isfinite(h_px) else 1.0
        kept = reject_outliers(flat, window=7, n_sigmas=4.0, min_scale=min_scale)
        # A point off in one coordinate is a wrong point: drop both. Along the walk x moves fast,
        # so its spread is wide and a point 130 px off in x passes when only its y is caught
        # (the shared walk, frame 184: a broken leg whose x then bent the filtered ankle by 40°).
        wrong = np.any(np.isnan(kept.reshape(xy.shape)) & np.isfinite(xy), axis=-1)
        flat = np.where(np.repeat(wrong, 2, axis=-1), np.nan, flat)
    flat = interpolate_gaps(flat, max_gap_frames=max_gap_frames, time_s=t)
    out = flat.reshape(xy.shape)
    # Rejection and filling act per coordinate: re-derive the midpoints so they match their sides.
    for mid, (a, b) in DERIVED.items():
        out[:, INDEX[mid]] = (out[:, INDEX[a]] + out[:, INDEX[b]]) / 2
    return out


def main_segment(xy: np.ndarray, parts: list[tuple[int, int]]) -> np.ndarray:
    """(T,) bool, True on the range of ``parts`` where the pelvis is seen most often (the walker)."""
    pelvis = mean_of(xy, ("left_hip", "right_hip"))[:, 0]
    a, b = max(parts, key=lambda ab: int(np.isfinite(pelvis[ab[0] : ab[1]]).sum()))
    out = np.zeros(len(xy), bool)
    out[a:b] = True
    return out
