"""Tests for posecheck.smoothing: jitter and lag on synthetic 30 fps landmark tracks, and misuse.

Signals are in normalized landmark units (fractions of the frame) with seeded noise of 0.004,
about the frame-to-frame jitter of MediaPipe landmarks on a still person.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from posecheck.landmarks import NUM_LANDMARKS
from posecheck.smoothing import LandmarkSmoother, OneEuroFilter

Arr = NDArray[np.float64]

FPS = 30.0
NOISE = 0.004
# A brisk limb movement: half the frame width per second.
FAST_SPEED = 0.5


def _times(seconds: float) -> Arr:
    return np.arange(round(seconds * FPS)) / FPS


def _filter_scalar(f: OneEuroFilter, values: Arr, times: Arr) -> Arr:
    return np.array([f.update(float(v), float(t)) for v, t in zip(values, times, strict=True)])


def _smooth_frames(s: LandmarkSmoother, frames: Arr, times: Arr) -> Arr:
    return np.stack([s.update(frame, float(t)) for frame, t in zip(frames, times, strict=True)])


def _landmark_track(seconds: float, seed: int) -> tuple[Arr, Arr, Arr]:
    """Times, true and noisy (n, 33, 3) tracks: each coordinate a slow sway of its own phase."""
    rng = np.random.default_rng(seed)
    t = _times(seconds)
    phase = rng.uniform(0, 2 * np.pi, (NUM_LANDMARKS, 3))
    centre = rng.uniform(0.2, 0.8, (NUM_LANDMARKS, 3))
    # A seated person swaying: 3 % of the frame at 0.1 Hz.
    truth = centre + 0.03 * np.sin(2 * np.pi * 0.1 * t[:, None, None] + phase)
    noisy = truth + rng.normal(0.0, NOISE, truth.shape)
    return t, truth, noisy


def _ramp(seconds: float, start_s: float, speed: float) -> tuple[Arr, Arr]:
    t = _times(seconds)
    return t, 0.2 + speed * np.clip(t - start_s, 0.0, None)


def _ramp_lag_s(f: OneEuroFilter, *, noise: float = 0.0, seed: int = 0) -> float:
    """Steady-state delay on a ramp: how far the output trails the truth, in seconds."""
    t, truth = _ramp(4.0, 1.0, FAST_SPEED)
    raw = truth + np.random.default_rng(seed).normal(0.0, noise, truth.shape) if noise else truth
    out = _filter_scalar(f, raw, t)
    steady = t >= 2.0
    return float(np.mean(truth[steady] - out[steady]) / FAST_SPEED)


# --- jitter and lag with the landmark defaults ---------------------------------------------------


def test_default_smoother_halves_jitter_on_a_swaying_person() -> None:
    t, truth, noisy = _landmark_track(20.0, seed=1)
    out = _smooth_frames(LandmarkSmoother(), noisy, t)
    settled = slice(int(FPS), None)  # the first second is the filter settling in
    raw_resid = np.std(noisy[settled] - truth[settled])
    resid = np.std(out[settled] - truth[settled])
    assert raw_resid == pytest.approx(NOISE, rel=0.05)
    assert resid <= 0.5 * raw_resid
    # Frame-to-frame shaking, which is what a user sees on the overlay.
    raw_steps = np.std(np.diff(noisy[settled] - truth[settled], axis=0))
    steps = np.std(np.diff(out[settled] - truth[settled], axis=0))
    assert steps <= 0.3 * raw_steps


def test_default_smoother_follows_a_fast_ramp_within_100_ms() -> None:
    defaults = LandmarkSmoother()
    lag = _ramp_lag_s(
        OneEuroFilter(defaults.min_cutoff, defaults.beta, defaults.d_cutoff), noise=NOISE
    )
    assert 0.0 < lag < 0.1


def test_default_smoother_reaches_90_percent_of_a_step_within_100_ms() -> None:
    t = _times(2.0)
    step_at = 1.0
    frames = np.where(t[:, None, None] >= step_at, 0.6, 0.4) * np.ones((t.size, NUM_LANDMARKS, 2))
    out = _smooth_frames(LandmarkSmoother(), frames, t)[:, 0, 0]
    reached = t[(t >= step_at) & (out >= 0.4 + 0.9 * 0.2)]
    assert reached.size > 0
    assert reached[0] - step_at < 0.1
    # Without the speed term the same step takes far longer: the adaptive cutoff is doing it.
    slow = _filter_scalar(OneEuroFilter(min_cutoff=1.0, beta=0.0), frames[:, 0, 0], t)
    slow_reached = t[(t >= step_at) & (slow >= 0.4 + 0.9 * 0.2)]
    assert slow_reached[0] - step_at > 0.3


def test_fast_movement_delay_by_cross_correlation_is_at_most_two_frames() -> None:
    # Reaching movement: 1 Hz, 10 % of the frame, peak speed ~0.63 frame/s.
    t = _times(10.0)
    truth = 0.5 + 0.1 * np.sin(2 * np.pi * 1.0 * t)
    raw = truth + np.random.default_rng(3).normal(0.0, NOISE, t.size)
    d = LandmarkSmoother()
    out = _filter_scalar(OneEuroFilter(d.min_cutoff, d.beta, d.d_cutoff), raw, t)
    settled = slice(int(FPS), None)
    a, b = out[settled] - out[settled].mean(), truth[settled] - truth[settled].mean()
    shifts = range(0, 8)
    corr = [float(np.dot(a[k:], b[: b.size - k])) / (b.size - k) for k in shifts]
    assert int(np.argmax(corr)) <= 2


# --- properties of the One Euro filter -----------------------------------------------------------


@pytest.mark.parametrize("min_cutoff", [0.5, 1.0, 3.0])
def test_fixed_cutoff_ramp_lag_equals_the_time_constant(min_cutoff: float) -> None:
    # With beta = 0 the filter is a first-order low-pass, whose steady delay on a ramp is
    # exactly tau = 1 / (2 pi fc) when alpha = 1 / (1 + tau / Te): a check of the definition.
    lag = _ramp_lag_s(OneEuroFilter(min_cutoff=min_cutoff, beta=0.0))
    assert lag == pytest.approx(1.0 / (2 * math.pi * min_cutoff), rel=0.01)


def test_named_betas_reduce_lag_and_trade_jitter() -> None:
    lags = [_ramp_lag_s(OneEuroFilter(1.0, beta)) for beta in (0.0, 1.0, 3.0, 10.0, 30.0)]
    assert lags == sorted(lags, reverse=True)
    assert lags[0] > 3 * lags[3]
    # The price: a still point shakes a little more with a higher beta.
    t = _times(10.0)
    raw = 0.5 + np.random.default_rng(5).normal(0.0, NOISE, t.size)
    calm = np.std(_filter_scalar(OneEuroFilter(1.0, 0.0), raw, t)[30:])
    lively = np.std(_filter_scalar(OneEuroFilter(1.0, 10.0), raw, t)[30:])
    assert calm < lively < NOISE


@settings(max_examples=25, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=50.0),
    st.floats(min_value=0.5, max_value=50.0),
    st.floats(min_value=0.3, max_value=3.0),
)
def test_higher_beta_always_reduces_ramp_lag(beta: float, extra: float, min_cutoff: float) -> None:
    low = _ramp_lag_s(OneEuroFilter(min_cutoff, beta))
    high = _ramp_lag_s(OneEuroFilter(min_cutoff, beta + extra))
    assert 0.0 < high < low


def test_arrays_are_filtered_elementwise() -> None:
    rng = np.random.default_rng(11)
    t = _times(1.0)
    signals = np.cumsum(rng.normal(0.0, 0.01, (t.size, 4, 3)), axis=0)
    together = OneEuroFilter(1.0, 5.0)
    joint = np.stack([together.update(s, float(ti)) for s, ti in zip(signals, t, strict=True)])
    for i, j in np.ndindex(4, 3):
        alone = _filter_scalar(OneEuroFilter(1.0, 5.0), signals[:, i, j], t)
        np.testing.assert_allclose(joint[:, i, j], alone, rtol=0, atol=1e-15)


def test_constant_input_stays_constant_even_with_irregular_frame_times() -> None:
    f = OneEuroFilter(1.0, 10.0)
    times = np.cumsum(np.random.default_rng(2).uniform(0.01, 0.2, 50))
    out = _filter_scalar(f, np.full(50, 0.37), times)
    np.testing.assert_allclose(out, 0.37, rtol=0, atol=1e-15)


# --- first sample, reset, timestamps, shapes -----------------------------------------------------


def test_first_sample_passes_through_with_its_shape_and_type() -> None:
    scalar = OneEuroFilter().update(0.25, 0.0)
    assert isinstance(scalar, float)
    assert scalar == 0.25
    points = np.arange(6.0).reshape(2, 3)
    out = OneEuroFilter().update(points, 10.0)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, points)
    # The second sample is smoothed, not passed through.
    f = OneEuroFilter()
    f.update(0.0, 0.0)
    second = f.update(1.0, 1 / FPS)
    assert 0.0 < second < 1.0


@pytest.mark.parametrize("t_next", [1.0, 0.5])
def test_timestamps_must_strictly_increase(t_next: float) -> None:
    f = OneEuroFilter()
    f.update(0.0, 1.0)
    with pytest.raises(ValueError, match="timestamps must strictly increase"):
        f.update(0.1, t_next)


def test_reset_starts_a_new_sequence() -> None:
    f = OneEuroFilter()
    f.update(0.0, 5.0)
    f.update(0.0, 5.1)
    assert f.last_time == pytest.approx(5.1)
    f.reset()
    assert f.last_time is None
    # After reset time may start again from zero and the first value passes through.
    assert f.update(0.9, 0.0) == 0.9


def test_misuse_of_update_is_reported() -> None:
    f = OneEuroFilter()
    f.update(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match=r"shape changed from \(3,\) to \(4,\)"):
        f.update(np.zeros(4), 0.1)
    with pytest.raises(ValueError, match="must be finite"):
        f.update(np.array([0.0, math.nan, 0.0]), 0.2)
    with pytest.raises(ValueError, match="timestamp must be a finite"):
        f.update(np.zeros(3), math.inf)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_cutoff": 0.0}, "min_cutoff must be a finite number > 0"),
        ({"min_cutoff": -1.0}, "min_cutoff must be a finite number > 0"),
        ({"min_cutoff": math.nan}, "min_cutoff must be a finite number > 0"),
        ({"beta": -0.1}, "beta must be a finite number >= 0"),
        ({"beta": math.inf}, "beta must be a finite number >= 0"),
        ({"d_cutoff": 0.0}, "d_cutoff must be a finite number > 0"),
    ],
)
def test_filter_arguments_are_validated(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**kwargs)
    with pytest.raises(ValueError, match=message):
        LandmarkSmoother(**kwargs)


def test_beta_zero_is_allowed() -> None:
    assert OneEuroFilter(beta=0.0).beta == 0.0


# --- LandmarkSmoother ----------------------------------------------------------------------------


def test_smoother_restarts_after_a_gap_instead_of_dragging() -> None:
    s = LandmarkSmoother(max_gap_s=0.5)
    here = np.full((NUM_LANDMARKS, 3), 0.2)
    there = np.full((NUM_LANDMARKS, 3), 0.7)
    for t in _times(1.0):
        s.update(here, float(t))
    # Person lost for a second, found elsewhere: the skeleton appears where they are.
    np.testing.assert_array_equal(s.update(there, 2.0), there)


def test_smoother_keeps_smoothing_across_a_short_gap() -> None:
    s = LandmarkSmoother(max_gap_s=0.5)
    here = np.full((NUM_LANDMARKS, 3), 0.2)
    there = np.full((NUM_LANDMARKS, 3), 0.21)
    for t in _times(1.0):
        s.update(here, float(t))
    out = s.update(there, 1.0 + 0.3)
    assert np.all(out < there)
    assert np.all(out > here)


def test_smoother_reset_and_shape_checks() -> None:
    s = LandmarkSmoother()
    first = np.full((NUM_LANDMARKS, 2), 0.5)
    s.update(first, 0.0)
    s.update(first + 0.1, 1 / FPS)
    s.reset()
    np.testing.assert_array_equal(s.update(first, 0.0), first)
    with pytest.raises(ValueError, match=r"shape \(33, k\)"):
        s.update(np.zeros((32, 3)), 1.0)
    with pytest.raises(ValueError, match=r"shape \(33, k\)"):
        s.update(np.zeros(33), 1.0)
    with pytest.raises(ValueError, match="timestamps must strictly increase"):
        s.update(first, 0.0)


@pytest.mark.parametrize("gap", [0.0, -0.5, math.nan])
def test_smoother_validates_max_gap(gap: float) -> None:
    with pytest.raises(ValueError, match="max_gap_s must be a finite number > 0"):
        LandmarkSmoother(max_gap_s=gap)
