"""Temporal state: debounce, hold timer, rep phases and cycles, trend detector, cue picker,
status filter."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.temporal import (
    CuePicker,
    CycleTracker,
    Debounce,
    HoldTimer,
    RepEvent,
    RepPhases,
    RepStage,
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


def feed(tracker: RepPhases[int] | CycleTracker[int], values: list[float | None], dt: float = 0.1
         ) -> list[tuple[float, RepEvent[int]]]:  # fmt: skip
    """Every event, with its time; each frame's sample is its index."""
    events = []
    for i, value in enumerate(values):
        event = tracker.update(round(i * dt, 3), value, i)
        if event is not None:
            events.append((round(i * dt, 3), event))
    return events


def squats(depths: list[float], rest: float = -1.0, frames: int = 10) -> list[float | None]:
    """Down from `rest` to each depth and back, `frames` frames each way, a pause between."""
    out: list[float | None] = [rest] * 5
    for depth in depths:
        down = np.linspace(rest, depth, frames).tolist()
        out += down + down[::-1] + [rest] * 5
    return out


def test_each_rep_is_judged_at_its_turn_and_counted_back_at_rest() -> None:
    reps = RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1)
    values = squats([0.2, 0.25])
    events = feed(reps, values)
    kinds = [e.kind for _, e in events]
    assert kinds == ["end", "rep", "end", "rep"]
    (t_end, end), (t_rep, rep) = events[0], events[1]
    assert end.window.extreme == pytest.approx(0.2)
    # Judged 0.1 back from the bottom on the way up: the first frame after it, not at rest.
    assert values[round(t_end * 10)] < 0.2 - 0.1 + 1e-9
    assert t_end < t_rep
    assert end.window.extreme_s == pytest.approx(1.4)  # the bottom frame
    # The frames handed over are those within `turn` of the bottom.
    assert all(v >= 0.1 - 1e-9 for _, v, _ in end.window.near)
    assert rep.window.end_s == t_rep and reps.count == 2
    assert reps.stage is RepStage.REST


def test_a_shallow_movement_is_a_dip_and_a_glitch_is_nothing() -> None:
    reps = RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1)
    events = feed(reps, squats([-0.5]))  # never past reach
    assert [e.kind for _, e in events] == ["dip"] and reps.count == 0
    glitch: list[float | None] = [-1.0] * 5 + [-0.6, 0.3, -0.6] + [-1.0] * 5  # one frame deep
    events = feed(RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1), glitch)
    assert [e.kind for _, e in events] == ["dip"]


def test_unmeasured_frames_neither_move_nor_reset_a_rep() -> None:
    reps = RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1)
    values = squats([0.2])
    values[12] = values[13] = None  # the tracker blinked on the way down
    assert [e.kind for _, e in feed(reps, values)] == ["end", "rep"]


def test_a_paused_end_range_is_judged_without_waiting_for_the_way_back() -> None:
    bridge = RepPhases[int]("high", rest=145, reach=155, turn=6, settle_s=0.6)
    values: list[float | None] = [125.0] * 5 + [150.0, 165.0, 175.0] + [178.0] * 20 + [130.0] * 5
    events = feed(bridge, values)
    assert [e.kind for _, e in events] == ["end", "rep"]
    t_end = events[0][0]
    # No progress after 0.8 s (178): judged 0.6 s later, at the top, well before the way down.
    assert 1.35 <= t_end <= 1.55


def test_a_deeper_bounce_is_judged_again_and_stays_one_rep() -> None:
    reps = RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1)
    values: list[float | None] = [-1.0] * 3 + [-0.5, -0.1, 0.0, -0.2, -0.1, 0.2, 0.0, -0.5, -1.0]
    events = feed(reps, values)
    assert [e.kind for _, e in events] == ["end", "end", "rep"]
    assert events[1][1].window.extreme == pytest.approx(0.2)
    assert reps.count == 1


def test_staying_at_the_end_range_turns_a_rep_into_a_hold() -> None:
    reps = RepPhases[int]("high", rest=-0.85, reach=-0.35, turn=0.1, hold_after_s=3.0)
    values: list[float | None] = [-1.0] * 3 + [-0.5] + [0.1] * 50 + [-0.5, -1.0]
    stages = []
    events = []
    for i, value in enumerate(values):
        event = reps.update(i / 10, value, i)
        stages.append(reps.stage)
        if event is not None:
            events.append(event)
    assert RepStage.HOLD in stages
    first_hold = stages.index(RepStage.HOLD) / 10
    assert first_hold == pytest.approx(0.4 + 3.0, abs=0.11)
    assert [e.kind for e in events] == ["end", "rep"]  # judged once (settled), then counted
    assert events[-1].window.held_s == pytest.approx(5.4 - 0.4, abs=0.11)


def test_reps_toward_low_mirror_reps_toward_high() -> None:
    knee_in = RepPhases[int]("low", rest=90, reach=70, turn=8)
    values: list[float | None] = [135.0] * 3 + [100.0, 60.0, 40.0, 38.0, 45.0, 60.0, 100.0, 135.0]
    events = feed(knee_in, values)
    assert [e.kind for _, e in events] == ["end", "rep"]
    assert events[0][1].window.extreme == 38.0


def test_rep_phases_refuse_a_reach_on_the_wrong_side() -> None:
    with pytest.raises(ValueError, match="reach"):
        RepPhases[int]("high", rest=0.0, reach=-1.0, turn=0.1)
    with pytest.raises(ValueError, match="toward"):
        RepPhases[int]("up", rest=0.0, reach=1.0, turn=0.1)


def cycles(n: int, low: float = -35, high: float = 59, frames: int = 10) -> list[float | None]:
    out: list[float | None] = []
    for _ in range(n):
        out += [high] * frames + [low] * frames
    return out


def test_a_cycle_needs_both_ends_in_either_order() -> None:
    tracker = CycleTracker[int](-15, 25, 8)
    events = feed(tracker, cycles(3))
    assert [e.kind for _, e in events] == ["end", "rep"] * 3
    assert tracker.count == 3
    # The cycle's window holds both ends' frames.
    values = {v for _, v, _ in events[1][1].window.near}
    assert values == {-35, 59}
    half: list[float | None] = ([40.0] * 10 + [0.0] * 10) * 4  # cow, then only back to neutral
    assert CycleTracker[int](-15, 25, 8).count == 0
    tracker = CycleTracker[int](-15, 25, 8)
    feed(tracker, half)
    assert tracker.count == 0


def test_a_flicked_end_is_not_an_end_and_a_lone_end_is_forgotten() -> None:
    tracker = CycleTracker[int](-15, 25, 8, min_dwell_s=0.2, max_rep_s=10.0)
    flick: list[float | None] = [0.0] * 10 + [40.0] + [0.0] * 10 + [-30.0] * 10 + [0.0] * 5
    assert [e.kind for _, e in feed(tracker, flick)] == ["end"]  # only the cat counts as an end
    lonely = CycleTracker[int](-15, 25, 8, max_rep_s=10.0)
    values: list[float | None] = [40.0] * 10 + [0.0] * 150 + [-30.0] * 10 + [0.0] * 5
    assert [e.kind for _, e in feed(lonely, values)] == ["end", "end"]  # 15 s apart: no cycle
    assert lonely.count == 0


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
