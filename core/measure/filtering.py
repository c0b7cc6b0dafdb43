"""Cleaning of per-frame signals: gap interpolation, outlier rejection, zero-phase low-pass.

Every function works along axis 0 (time) of a (T,) or (T, ...) float array, treats each column on
its own, and returns a new array; NaN marks a missing sample and stays NaN where it cannot be filled.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import signal

from core.errors import InputError


def finite_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` half-open index ranges where the (T,) bool ``mask`` is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _columns(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    arr = np.array(x, dtype=np.float64)  # a copy: callers keep their raw data
    if arr.ndim == 0:
        raise InputError("expected a per-frame signal (T,) or (T, ...), got a scalar")
    return arr.reshape(len(arr), -1), arr.shape


def interpolate_gaps(
    x: np.ndarray, *, max_gap_frames: int = 5, time_s: np.ndarray | None = None
) -> np.ndarray:
    """Fill interior runs of at most ``max_gap_frames`` NaN samples by linear interpolation.

    Parameters
    ----------
    x : (T,) or (T, ...) float.
    max_gap_frames : int >= 0, longest run of missing frames that is filled; longer gaps and the
        missing samples before the first and after the last valid one stay NaN.
    time_s : (T,) float, optional; interpolate in time rather than frame index (uneven sampling).

    Returns
    -------
    Same shape as ``x``.
    """
    if max_gap_frames < 0:
        raise InputError(f"max_gap_frames must be >= 0, got {max_gap_frames}")
    cols, shape = _columns(x)
    t = np.arange(len(cols), dtype=np.float64) if time_s is None else np.asarray(time_s, np.float64)
    if t.shape != (len(cols),):
        raise InputError(f"time_s has shape {t.shape}, expected ({len(cols)},)")
    for j in range(cols.shape[1]):
        col = cols[:, j]
        ok = np.isfinite(col)
        if ok.sum() < 2:
            continue
        for a, b in finite_runs(~ok):
            if a > 0 and b < len(col) and b - a <= max_gap_frames:
                col[a:b] = np.interp(t[a:b], [t[a - 1], t[b]], [col[a - 1], col[b]])
    return cols.reshape(shape)


def reject_outliers(
    x: np.ndarray, *, window: int = 7, n_sigmas: float = 3.5, min_scale: float = 0.0
) -> np.ndarray:
    """Hampel filter: set to NaN samples far from their rolling median.

    A sample is an outlier when ``|x - median| > n_sigmas * max(1.4826 * MAD, min_scale)`` over the
    centred ``window`` (NaN ignored). 1.4826 makes the MAD a standard deviation for Gaussian noise;
    ``min_scale`` (same unit as ``x``) stops a flat stretch, whose MAD is 0, from rejecting every
    sub-pixel wobble.

    Parameters
    ----------
    x : (T,) or (T, ...) float.
    window : odd int >= 3, samples in the rolling window.
    n_sigmas : float > 0.
    min_scale : float >= 0.

    Returns
    -------
    Same shape as ``x``, outliers NaN.
    """
    if window < 3 or window % 2 == 0:
        raise InputError(f"window must be an odd number >= 3, got {window}")
    if n_sigmas <= 0 or min_scale < 0:
        raise InputError(f"n_sigmas must be > 0 and min_scale >= 0, got {n_sigmas} and {min_scale}")
    cols, shape = _columns(x)
    half = window // 2
    padded = np.pad(cols, ((half, half), (0, 0)), constant_values=np.nan)
    # (T, window, C) view of every centred window.
    win = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0).transpose(0, 2, 1)
    # All-NaN windows are expected at gaps; their RuntimeWarning says nothing useful.
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(win, axis=1)
        mad = np.nanmedian(np.abs(win - med[:, None, :]), axis=1)
        scale = np.maximum(1.4826 * mad, min_scale)
        bad = np.abs(cols - med) > n_sigmas * scale
    cols[bad] = np.nan
    return cols.reshape(shape)


def lowpass(
    x: np.ndarray, fs_hz: float, *, cutoff_hz: float = 6.0, order: int = 4, min_samples: int = 4
) -> np.ndarray:
    """Zero-phase Butterworth low-pass, run forwards and backwards on each NaN-free stretch.

    Parameters
    ----------
    x : (T,) or (T, ...) float.
    fs_hz : float, sampling rate of ``x``.
    cutoff_hz : float, -3 dB frequency of the forward pass; must be below fs_hz / 2.
    order : int, Butterworth order (4 by default; forward-backward doubles the attenuation).
    min_samples : int, stretches shorter than this are returned unfiltered (too short to filter).

    Returns
    -------
    Same shape as ``x``; NaN where ``x`` is NaN. Stretches shorter than scipy's default padding
    are filtered with the longest padding they allow, so short series still work.

    Raises
    ------
    InputError
        When ``cutoff_hz`` is not below the Nyquist frequency ``fs_hz / 2``.
    """
    if not (fs_hz > 0 and cutoff_hz > 0):
        raise InputError(f"sampling rate {fs_hz} Hz and cutoff {cutoff_hz} Hz must be positive")
    if cutoff_hz >= fs_hz / 2:
        raise InputError(
            f"a {cutoff_hz} Hz low-pass needs more than {2 * cutoff_hz} samples per second; "
            f"this signal has {fs_hz:.3g}"
        )
    sos = signal.butter(order, cutoff_hz, btype="low", fs=fs_hz, output="sos")
    default_pad = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    cols, shape = _columns(x)
    for j in range(cols.shape[1]):
        for a, b in finite_runs(np.isfinite(cols[:, j])):
            if b - a >= max(min_samples, 2):
                cols[a:b, j] = signal.sosfiltfilt(
                    sos, cols[a:b, j], padlen=min(default_pad, b - a - 1)
                )
    return cols.reshape(shape)
