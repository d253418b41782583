"""Temporal state: debounce, hold timer, rep counter, trend detector, cue picker, status filter."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.temporal import (
    CuePicker,
    Debounce,
    HoldTimer,
    RepCounter,
    StatusFilter,
    TrendDetector,
)


def test_debounce_ignores_blips_shorter_than_its_hold() -> None:
    d = Debounce(hold_s=0.3)
    assert d.update(True, 0.0) is False
    assert d.update(True, 0.2) is False
    assert d.update(True, 0.3) is True
    assert d.update(False, 0.4) is True  # a 0.1 s blip does not flip it
    assert d.update(True, 0.5) is True
    assert d.update(False, 0.6) is True
    assert d.update(False, 0.95) is False


def test_hold_timer_counts_only_good_time_and_keeps_sides_apart() -> None:
    timer = HoldTimer(max_gap_s=0.5)
    for i in range(11):  # 0.0 .. 1.0 s good on the left
        timer.update(True, i / 10, "left")
    assert timer.held["left"] == pytest.approx(1.0)
    for i in range(11, 21):  # 1.1 .. 2.0 s bad form: nothing counts
        timer.update(False, i / 10, "left")
    assert timer.held["left"] == pytest.approx(1.0)
    for i in range(21, 26):  # right side good for 0.4 s
        timer.update(True, i / 10, "right")
    assert timer.held["right"] == pytest.approx(0.4)
    assert timer.held["left"] == pytest.approx(1.0)
    timer.update(True, 5.0, "right")  # a 2.5 s gap (camera stalled) adds nothing
    assert timer.held["right"] == pytest.approx(0.4)
    timer.reset()
    assert timer.held == {}


def test_rep_counter_needs_a_full_cycle_and_ignores_noise_inside_the_band() -> None:
    reps = RepCounter(low=100, high=150)
    t = np.linspace(0, 3, 300)
    knee = 125 + 45 * np.sin(2 * np.pi * t)  # three cycles 80..170
    for value in knee:
        reps.update(float(value))
    assert reps.count == 3
    noisy = RepCounter(low=100, high=150)
    for value in 125 + 20 * np.sin(np.linspace(0, 20, 200)):  # never leaves the band
        noisy.update(float(value))
    assert noisy.count == 0
    assert noisy.update(None) == 0


def test_rep_counter_starting_high_counts_dips() -> None:
    reps = RepCounter(low=0.0, high=0.5, start="high")
    for value in [1, 1, -0.2, -0.3, 0.8, 0.9, -0.1, 0.7]:
        reps.update(value)
    assert reps.count == 2


def test_trend_fires_when_moving_without_the_steady_gain() -> None:
    trend = TrendDetector(by=0.15, min_gain=4.0, window_s=3.0)
    fired = [trend.update(i / 10, 0.1 * i / 10, 20.0) for i in range(20)]  # +0.2 in 2 s
    assert fired[-1] and not fired[5]
    good = TrendDetector(by=0.15, min_gain=4.0, window_s=3.0)
    fired = [good.update(i / 10, 0.1 * i / 10, 20.0 + i) for i in range(20)]  # angle grows
    assert not any(fired)
    assert not good.update(3.0, None, 20.0)


def test_cue_stays_up_long_enough_to_read_and_gives_way_once_fixed() -> None:
    picker = CuePicker(min_show_s=2.0, resolved_s=0.5)
    assert picker.update(["Lift your chest."], 0.0) == "Lift your chest."
    # A more important cue appears, but the shown one still applies: it stays to be read.
    both = ["Tuck your pelvis under.", "Lift your chest."]
    assert picker.update(both, 0.5) == "Lift your chest."
    assert picker.update(both, 2.1) == "Tuck your pelvis under."
    # Fixed: a cue that no longer applies gives way after half a second, not two.
    assert picker.update([], 2.3) == "Tuck your pelvis under."
    assert picker.update([], 2.7) is None


def test_status_filter_adopts_a_new_status_after_it_has_lasted() -> None:
    status = StatusFilter(hold_s=0.3)
    assert status.update("ok", 0.0) == "ok"
    assert status.update("adjust", 0.1) == "ok"
    assert status.update("ok", 0.2) == "ok"  # a 0.1 s excursion is ignored
    assert status.update("adjust", 0.3) == "ok"
    assert status.update("adjust", 0.6) == "adjust"
