"""Gap interpolation, Hampel outlier rejection and the zero-phase Butterworth low-pass."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.errors import InputError
from core.measure.filtering import finite_runs, interpolate_gaps, lowpass, reject_outliers

nan = np.nan


def test_finite_runs():
    assert finite_runs(np.array([False, True, True, False, True])) == [(1, 3), (4, 5)]
    assert finite_runs(np.array([], bool)) == []


def test_interpolate_short_gaps_only():
    x = np.array([nan, 0.0, 1.0, nan, nan, 4.0, nan, nan, nan, nan, 9.0, nan])
    out = interpolate_gaps(x, max_gap_frames=3)
    # The 2-frame gap is on the line 1 -> 4; the 4-frame gap and both ends stay missing.
    assert_allclose(out[:6], [nan, 0, 1, 2, 3, 4])
    assert np.all(np.isnan(out[6:10])) and np.isnan(out[11])
    assert np.isnan(x[3])  # the input is not modified


def test_interpolate_in_time_and_per_column():
    # Samples at t = 0, 1, 3 with the middle one missing: in time the value at t=1 is 1/3 of the way.
    x = np.array([[0.0, 5.0], [nan, 6.0], [3.0, nan]])
    out = interpolate_gaps(x, max_gap_frames=1, time_s=np.array([0.0, 1.0, 3.0]))
    assert_allclose(out[1, 0], 1.0)
    assert np.isnan(out[2, 1])  # trailing gap of column 1 stays


def test_reject_outliers_spike_and_flat_wobble():
    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 6, 120)) * 50 + rng.normal(0, 0.5, 120)
    x[40] += 30.0  # 60 noise sigmas
    out = reject_outliers(x)
    assert np.isnan(out[40]) and np.isfinite(out).sum() == 119
    flat = np.zeros(50)
    flat[10] = 0.1  # a flat stretch has MAD 0: without a floor the 0.1 px wobble is "an outlier"
    assert np.isnan(reject_outliers(flat)[10])
    assert np.isfinite(reject_outliers(flat, min_scale=0.5)[10])


def test_reject_outliers_validates():
    with pytest.raises(InputError, match="odd"):
        reject_outliers(np.zeros(10), window=4)


def test_lowpass_gain_phase_and_stopband():
    fs = 30.0
    t = np.arange(300) / fs
    slow = np.sin(2 * np.pi * 1.0 * t)
    fast = np.sin(2 * np.pi * 12.0 * t)
    # 4th-order Butterworth at 6 Hz, run twice: |H|^2 = 1 / (1 + (f/6)^8). At 1 Hz that is
    # 1 - 6e-7 (passes, and zero phase keeps the peaks in place); at 12 Hz 1/257 = 0.0039.
    out = lowpass(slow + fast, fs, cutoff_hz=6.0)
    mid = slice(60, 240)  # away from the edge transients
    assert_allclose(out[mid], slow[mid], atol=0.01)
    resid = lowpass(fast, fs)[mid]
    assert np.max(np.abs(resid)) < 0.01


def test_lowpass_nan_segments_and_short_series():
    x = np.concatenate([np.ones(20), [nan] * 3, 2 * np.ones(5), [nan], [7.0]])
    out = lowpass(x, 30.0)
    # Constants pass unchanged per stretch; NaN stays NaN; the 1-sample stretch is left as is.
    assert_allclose(out[:20], 1.0)
    assert np.all(np.isnan(out[20:23])) and np.isnan(out[28])
    assert_allclose(out[23:28], 2.0)
    assert out[29] == 7.0


def test_lowpass_needs_nyquist_above_cutoff():
    with pytest.raises(InputError, match="samples per second"):
        lowpass(np.zeros(50), 10.0, cutoff_hz=6.0)
