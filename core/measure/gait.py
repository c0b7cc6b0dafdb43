"""Gait analysis of one tracked person: cleaned per-frame signals, events and step parameters.

Pipeline: outlier rejection → gap interpolation → zero-phase Butterworth low-pass (raw kept) →
walking direction → heel strikes / toe-offs (Zeni et al. 2008) → cadence, step and stride times,
stance share, symmetry, step length. Definitions in ``docs/MEASURES.md``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from core.errors import InputError
from core.keypoints import INDEX, PoseSeries
from core.measure.angles import signed_from_vertical_deg
from core.measure.filtering import finite_runs, lowpass
from core.measure.gait_angles import at_edge, curve_keys, joint_curves
from core.measure.gait_events import GaitEvent, find_extrema, summarize_steps, symmetry_index
from core.measure.gait_plausibility import MIN_VALID_STRIKES, screen_events
from core.measure.gait_quality import (
    QUALITY_WARNING_PREFIX,
    SAID_IN_WARNINGS,
    TrackingStats,
    grade_session,
)
from core.measure.gait_result import DIRECTIONS, GaitResult
from core.measure.gait_signals import (
    body_height_px,
    clean_keypoints,
    drop_excursions,
    first_of,
    inside_frame,
    main_segment,
    mean_of,
    track_segments,
)
from core.measure.gait_walk import check_walk

#: Events need the signal sampled well above the step rate and the 6 Hz filter band.
MIN_EVENT_FPS = 10.0
#: Minimum heel/toe excursion that makes an event, in body heights.
MIN_PROMINENCE_BODY_HEIGHTS = 0.04
#: Fewer valid alternating heel strikes than this give no cadence (see gait_plausibility).
MIN_STEPS = MIN_VALID_STRIKES
#: A walking direction needs at least one step that holds up: two valid heel strikes. With fewer,
#: the walk check's verdict becomes "no_steps" (``gait_walk.REFUSALS``).
MIN_STEPS_FOR_DIRECTION = 2

__all__ = ["MIN_EVENT_FPS", "MIN_STEPS", "GaitResult", "analyze_gait"]


def _signals(
    xy: np.ndarray, frame_size: tuple[int, int], direction: float
) -> dict[str, np.ndarray]:
    """The per-frame signals of one (T, K, 2) array (raw or filtered)."""
    pelvis = mean_of(xy, ("left_hip", "right_hip"))
    shoulder = mean_of(xy, ("left_shoulder", "right_shoulder"))
    lean = np.asarray(signed_from_vertical_deg(shoulder - pelvis))
    width, height = frame_size
    out = {
        "pelvis_x_px": pelvis[:, 0],
        "trunk_lean_deg": lean,
        # Walking toward the image's left (-x) makes the camera's left "forward": same sign as lean.
        "forward_trunk_lean_deg": -direction * lean if direction else np.full(len(xy), np.nan),
        "head_lateral_deviation": (xy[:, INDEX["nose"], 0] - pelvis[:, 0]) / width,
        "ankle_height_asymmetry": (xy[:, INDEX["right_ankle"], 1] - xy[:, INDEX["left_ankle"], 1])
        / height,
    }
    for side in ("left", "right"):
        heel = first_of(xy, (f"{side}_heel", f"{side}_ankle"))
        toe = first_of(xy, (f"{side}_big_toe", f"{side}_ankle"))
        out[f"heel_rel_{side}_px"] = (direction or math.nan) * (heel[:, 0] - pelvis[:, 0])
        out[f"toe_rel_{side}_px"] = (direction or math.nan) * (toe[:, 0] - pelvis[:, 0])
        out[f"heel_x_{side}_px"] = heel[:, 0]
    return out


def _events(
    sig: dict[str, np.ndarray], t: np.ndarray, frames: np.ndarray, h_px: float, use: np.ndarray
) -> tuple[list[GaitEvent], list[GaitEvent]]:
    """Heel strikes and toe-offs, each list in time order, from the frames where ``use`` is True."""
    hs: list[GaitEvent] = []
    to: list[GaitEvent] = []
    for side in ("left", "right"):
        for kind, name, sign, out in (
            ("heel_strike", "heel", 1.0, hs),
            ("toe_off", "toe", -1.0, to),
        ):
            rel = np.where(use, sign * sig[f"{name}_rel_{side}_px"], np.nan)
            finite = rel[np.isfinite(rel)]
            if finite.size < 3:
                continue
            spread = np.percentile(finite, 95) - np.percentile(finite, 5)
            floor = MIN_PROMINENCE_BODY_HEIGHTS * h_px if math.isfinite(h_px) else 0.0
            for time, i in find_extrema(rel, t, prominence=max(0.25 * spread, floor)):
                out.append(GaitEvent(time, side, int(frames[i]), kind))
    return sorted(hs, key=lambda e: e.time_s), sorted(to, key=lambda e: e.time_s)


def _step_lengths(
    heel_strikes: list[GaitEvent],
    sig: dict[str, np.ndarray],
    pos: dict[int, int],
    h_px: float,
    height_m: float | None,
) -> dict[str, float]:
    """Median step length per side: at each heel strike, how far that heel is ahead of the other."""
    lengths: dict[str, list[float]] = {"left": [], "right": []}
    for e in heel_strikes:
        other = "right" if e.side == "left" else "left"
        i = pos[e.frame]
        d = float(sig[f"heel_rel_{e.side}_px"][i] - sig[f"heel_rel_{other}_px"][i])
        if math.isfinite(d):
            lengths[e.side].append(d)
    out: dict[str, float] = {}
    for side, vals in lengths.items():
        bh = float(np.median(vals)) / h_px if vals and math.isfinite(h_px) else math.nan
        out[f"step_length_{side}_bh"] = bh
        out[f"step_length_{side}_m"] = bh * height_m if height_m else math.nan
    out["symmetry_index_step_length_pct"] = symmetry_index(
        out["step_length_right_bh"], out["step_length_left_bh"]
    )
    return out


def analyze_gait(
    series: PoseSeries,
    *,
    height_m: float | None = None,
    cutoff_hz: float = 6.0,
    max_gap_frames: int = 5,
    tracking: TrackingStats | None = None,
    reliable_score: float = math.nan,
) -> GaitResult:
    """Analyse a walk seen from the side.

    Parameters
    ----------
    series : PoseSeries, (T, K, 2) pixels with real ``time_s``.
    height_m : float, optional, the subject's height; step lengths are then also given in metres.
    cutoff_hz : float, Butterworth low-pass cutoff (4th order, zero phase); lowered to 0.8 × Nyquist
        with a warning when the frame rate is too low for it.
    max_gap_frames : int, longest run of missing frames that is interpolated.
    tracking : TrackingStats, optional, the tracker's share of the walk tracked and track jumps,
        for the quality grade (None: unknown).
    reliable_score : float, the score every point of a joint-angle sample needs for the sample to
        count as reliable (``gait_angles``; the app passes ``Settings.reliable_score`` of the
        backend). NaN (the default): no score rule, so only gap-filled samples are marked and the
        others carry no reliable flag.

    Returns
    -------
    GaitResult. Below MIN_EVENT_FPS analysed frames per second, or when the clip is not a side-on
    walk across the image (``gait_walk``), only the per-frame series are given and ``warnings``
    says why; implausible events are dropped (``gait_plausibility``); fewer than 4 valid
    alternating heel strikes give no cadence, the other values that can be computed, and a
    warning. ``quality`` grades the session. Never raises for a hard-to-analyse walk.
    """
    if not isinstance(series, PoseSeries):
        raise InputError(
            f"analyze_gait needs a core.keypoints.PoseSeries, got {type(series).__name__}"
        )
    if height_m is not None and not (0.3 <= height_m <= 3.0):
        raise InputError(f"height_m={height_m}: give the subject's height in metres (0.3 to 3.0)")
    t = np.asarray(series.time_s, dtype=np.float64)
    if len(t) < 2 or not np.all(np.diff(t) > 0):
        raise InputError("a gait series needs at least 2 frames with strictly increasing time_s")
    notes: list[str] = []
    if series.n_frames_used == 0:
        notes.append("no person was found in any analysed frame")
    fs = 1.0 / float(np.median(np.diff(t)))
    # Every 3rd frame of 30 fps is 10 fps, though its time steps sum to 9.9999... in floating point.
    fast_enough = fs >= MIN_EVENT_FPS * (1 - 1e-9)
    seen = inside_frame(series.xy, series.frame_size)
    h_px = body_height_px(seen)
    seen, n_excursions = drop_excursions(seen, t, h_px)
    if n_excursions:
        notes.append(
            f"{n_excursions} frame(s) dropped: the pose jumped away from the walker's track and "
            "straight back (a wrong skeleton, not another person)"
        )
    parts = track_segments(seen, t, h_px)
    if len(parts) > 1:
        notes.append(
            f"the tracked position jumped {len(parts) - 1} time(s) (another person?): "
            "events come from the longest stretch between jumps only"
        )
    # At low rates neighbouring frames are too far apart to call a sample an outlier.
    clean = np.concatenate(
        [
            clean_keypoints(
                seen[a:b], t[a:b], h_px, max_gap_frames=max_gap_frames, reject=fast_enough
            )
            for a, b in parts
        ]
    )
    used_cutoff: float | None = None
    if not fast_enough:
        filtered = clean
        notes.append(
            f"analysed frame rate is {fs:.1f} fps, below {MIN_EVENT_FPS:.0f}: heel strikes, toe-offs and "
            "cadence need a faster rate (analyse every frame), so only the per-frame series are given, unfiltered"
        )
    else:
        used_cutoff = cutoff_hz if cutoff_hz < 0.45 * fs else 0.4 * fs
        if used_cutoff != cutoff_hz:
            notes.append(
                f"low-pass cutoff lowered from {cutoff_hz} to {used_cutoff:.2f} Hz for {fs:.1f} fps"
            )
        filtered = np.concatenate(
            [lowpass(clean[a:b], fs, cutoff_hz=used_cutoff) for a, b in parts]
        )

    # With a jump, the walk is the longest stretch; the other person's steps must not mix in.
    in_main = main_segment(clean, parts)
    walk = check_walk(clean[in_main], t[in_main], series.frame_size[0], h_px)
    direction = walk.direction
    if walk.warning and series.n_frames_used:
        notes.append(walk.warning)
    raw_sig = _signals(seen, series.frame_size, direction)
    sig = _signals(filtered, series.frame_size, direction)
    frames = np.asarray(series.frame_index)
    heel_strikes: list[GaitEvent] = []
    toe_offs: list[GaitEvent] = []
    params: dict[str, float] = {}
    rejected: dict[str, dict[str, int]] = {}
    n_detected = 0
    if direction and fast_enough:
        found_hs, found_to = _events(sig, t, frames, h_px, in_main)
        # Steps pair only events in one stretch that is both gap-free and jump-free.
        run_id = np.full(len(t), -1)
        ok = np.isfinite(sig["pelvis_x_px"])
        for a, _ in parts[1:]:
            ok[a - 1] = False  # the cut splits a finite run in two
        for k, (a, b) in enumerate(finite_runs(ok)):
            run_id[a:b] = k
        run_of = {int(f): int(r) for f, r in zip(frames, run_id)}
        pos = {int(f): i for i, f in enumerate(frames)}
        feet = {
            name: {
                side: first_of(filtered, (f"{side}_{part}", f"{side}_ankle"))
                for side in ("left", "right")
            }
            for name, part in (("heel", "heel"), ("toe", "big_toe"))
        }
        screened = screen_events(
            found_hs,
            found_to,
            heel=feet["heel"],
            toe=feet["toe"],
            t=t,
            pos=pos,
            run_of=run_of,
            h_px=h_px,
        )
        heel_strikes, toe_offs, rejected = (
            screened.heel_strikes,
            screened.toe_offs,
            screened.rejected,
        )
        n_detected = screened.n_detected_strikes
        params = summarize_steps(heel_strikes, toe_offs, screened.chain_of)
        params.update(_step_lengths(heel_strikes, sig, pos, h_px, height_m))
        dropped = {f"{k}: {r}": n for k, v in rejected.items() for r, n in v.items() if n}
        if dropped:
            notes.append(
                "implausible events dropped ("
                + ", ".join(f"{key.replace('_', ' ')} x{n}" for key, n in dropped.items())
                + "; see docs/MEASURES.md, Plausible events)"
            )
        if len(heel_strikes) < MIN_STEPS_FOR_DIRECTION:
            # The signals looked like a walk, but not one step of it holds up (a lunge or a
            # throw can travel and cross the feet): no direction, and no signal signed by it.
            walk = replace(walk, verdict="no_steps", direction=0.0)
            notes.append(walk.warning)
            direction = 0.0
            raw_sig = _signals(seen, series.frame_size, direction)
            sig = _signals(filtered, series.frame_size, direction)
        if len(heel_strikes) < MIN_STEPS:
            params["cadence_spm"] = math.nan
            if walk.verdict == "walk":  # no_steps said it already
                notes.append(
                    f"only {len(heel_strikes)} heel strikes found that alternate with plausible "
                    f"step times (fewer than {MIN_STEPS}): no cadence, other step values are rough "
                    "or missing; record a longer walk"
                )

    quality = grade_session(
        n_frames=len(t),
        n_frames_used=series.n_frames_used,
        walk_ok=walk.verdict == "walk",
        events_possible=fast_enough,
        n_valid_strikes=len(heel_strikes),
        n_detected_strikes=n_detected,
        track_jumps_seen=len(parts) - 1,
        tracking=tracking,
    )
    # The grade's reasons that no other warning states yet (so a limited walk never has none).
    jumps_said = len(parts) > 1 and (tracking is None or tracking.track_jumps is None)
    said = set(SAID_IN_WARNINGS) | ({"track_jumps"} if jumps_said else set())
    extra = [text for code, text in quality.reasons if code not in said]
    if extra:
        notes.append(f"{QUALITY_WARNING_PREFIX}{quality.grade}: " + "; ".join(extra))
    curves = joint_curves(filtered, seen, series.scores, direction=direction, use=in_main,
                          min_score=reliable_score, edge=at_edge(series.xy, series.frame_size))  # fmt: skip
    data = {"frame": frames, "time_s": t}
    for name in sig:
        data[f"{name}_raw"] = raw_sig[name]
        data[name] = sig[name]
    for key in curve_keys():
        data[f"{key}_raw"] = curves.raw[key]
        data[key] = curves.values[key]
        data[f"{key}_score"] = curves.score[key]
        data[f"{key}_reason"] = curves.reason[key]
    return GaitResult(
        backend=series.backend,
        model=series.model,
        n_frames_used=series.n_frames_used,
        analysed_fps=fs,
        cutoff_hz=used_cutoff,
        walking_direction=DIRECTIONS.get(direction),
        body_height_px=h_px,
        height_m=height_m,
        heel_strikes=heel_strikes,
        toe_offs=toe_offs,
        params=params,
        warnings=notes,
        series=pd.DataFrame(data),
        walk=walk,
        rejected=rejected,
        quality=quality,
        reliable_score=float(reliable_score),
    )
