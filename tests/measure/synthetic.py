"""Synthetic skeletons and walks with known ground truth, shared by the measure tests."""

from __future__ import annotations

import math

import numpy as np

from core.keypoints import CANONICAL_NAMES, DERIVED, INDEX, Pose, PoseSeries


def make_xy(points: dict[str, tuple[float, float]]) -> np.ndarray:
    """(K, 2) canonical array with the given points, NaN elsewhere, midpoints derived as in keypoints."""
    xy = np.full((len(CANONICAL_NAMES), 2), np.nan)
    for name, p in points.items():
        xy[INDEX[name]] = p
    for name, (a, b) in DERIVED.items():
        xy[INDEX[name]] = (xy[INDEX[a]] + xy[INDEX[b]]) / 2
    return xy


def make_pose(points: dict[str, tuple[float, float]]) -> Pose:
    xy = make_xy(points)
    scores = np.where(np.isfinite(xy[:, 0]), 0.9, np.nan)
    return Pose(xy, scores, "test", "synthetic", 0.5)


def polar(origin: tuple[float, float], length: float, angle_deg: float) -> tuple[float, float]:
    """Point at ``length`` from ``origin`` in direction ``angle_deg`` (0 = image right, 90 = image up)."""
    a = math.radians(angle_deg)
    return (origin[0] + length * math.cos(a), origin[1] - length * math.sin(a))


def foot_rel(phase: np.ndarray, *, amplitude: float, stance: float) -> np.ndarray:
    """Heel ahead of the pelvis (pixels) over a stride phase in [0, 1): +A at heel strike (phase 0),
    a half cosine down to -A at toe-off (phase ``stance``), a half cosine back up during swing.
    Both halves have zero slope at their ends, so the curve is smooth and its max/min are exact."""
    phase = np.mod(phase, 1.0)
    st = amplitude * np.cos(np.pi * phase / stance)
    sw = -amplitude * np.cos(np.pi * (phase - stance) / (1 - stance))
    return np.where(phase < stance, st, sw)


def walk_truth(cadence_spm: float, si_pct: float) -> tuple[float, float, float]:
    """(stride, left step, right step) seconds: L + R = stride = 120 / cadence and
    (R - L) / (0.5 (R + L)) * 100 = si_pct, so R - L = si_pct * stride / 200."""
    stride = 120.0 / cadence_spm
    diff = si_pct * stride / 200.0
    return stride, (stride - diff) / 2, (stride + diff) / 2


def walking_series(
    *,
    fps: float = 30.0,
    duration_s: float = 6.0,
    cadence_spm: float = 110.0,
    si_pct: float = 0.0,
    direction: int = 1,
    stance: float = 0.6,
    height_px: float = 400.0,
    speed_px_s: float = 170.0,
    lean_deg: float = 3.0,
    noise_px: float = 0.0,
    dropout: float = 0.0,
    gap: tuple[int, int] | None = None,
    every: int = 1,
    frame_size: tuple[int, int] = (1280, 720),
    seed: int = 0,
) -> PoseSeries:
    """A side-view walk: pelvis moving at ``speed_px_s`` toward ``direction`` (+1 = image right),
    feet following :func:`foot_rel` with the left heel strike at t = 0.1 s + k·stride and the right
    one a right step time later. The nose is 0.87 H above the ground-level ankle, so the estimated
    body height is ``height_px`` exactly. The trunk leans ``lean_deg`` forward."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fps))
    frames = np.arange(0, n, every)
    t = frames / fps
    stride, _left, right = walk_truth(cadence_spm, si_pct)
    amp = 0.2 * height_px
    ground = 620.0
    x0 = 150.0 if direction > 0 else frame_size[0] - 150.0
    pelvis_x = x0 + direction * speed_px_s * t
    hip_y = ground - 0.49 * height_px + 3 * np.sin(4 * np.pi * t / stride)
    shoulder_y = hip_y - 0.29 * height_px
    shoulder_x = pelvis_x + direction * math.tan(math.radians(lean_deg)) * (hip_y - shoulder_y)
    xy = np.full((len(t), len(CANONICAL_NAMES), 2), np.nan)

    def put(name: str, x: np.ndarray, y: np.ndarray) -> None:
        xy[:, INDEX[name], 0], xy[:, INDEX[name], 1] = x, y

    put("nose", pelvis_x + direction * 0.05 * height_px, ground - 0.87 * height_px + 0 * t)
    put("left_ear", pelvis_x, ground - 0.87 * height_px + 0 * t)
    put("right_ear", pelvis_x, ground - 0.87 * height_px + 0 * t)
    for side, offset in (("left", 0.1), ("right", 0.1 + right)):
        phase = (t - offset) / stride
        rel = foot_rel(phase, amplitude=amp, stance=stance)
        swing = np.mod(phase, 1.0) >= stance
        lift = np.where(
            swing,
            0.05 * height_px * np.sin(np.pi * (np.mod(phase, 1.0) - stance) / (1 - stance)),
            0,
        )
        heel_x = pelvis_x + direction * rel
        put(f"{side}_hip", pelvis_x, hip_y)
        put(f"{side}_shoulder", shoulder_x, shoulder_y)
        put(f"{side}_heel", heel_x, ground + 5 - lift)
        put(f"{side}_ankle", heel_x + direction * 0.03 * height_px, ground - lift)
        put(f"{side}_big_toe", heel_x + direction * 0.15 * height_px, ground + 5 - lift)
        put(
            f"{side}_knee",
            (pelvis_x + heel_x) / 2 + direction * 0.03 * height_px,
            (hip_y + ground) / 2,
        )
    xy += rng.normal(0.0, noise_px, xy.shape) if noise_px else 0.0
    if dropout:
        xy[rng.random(len(t)) < dropout] = np.nan
    if gap:
        xy[gap[0] : gap[1]] = np.nan
    for name, (a, b) in DERIVED.items():
        xy[:, INDEX[name]] = (xy[:, INDEX[a]] + xy[:, INDEX[b]]) / 2
    scores = np.where(np.isfinite(xy[..., 0]), 0.9, np.nan)
    return PoseSeries(xy, scores, t, frames, frame_size, "test", "synthetic")
