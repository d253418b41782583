"""State over time: hysteresis so verdicts do not flicker, hold timers that count only good
form, rep counters and rep phases (each repetition followed from rest to its end range and
back, handing over the frames to judge it on), trend detection, and a cue picker that leaves a
cue up long enough to read.

Small classes with `update()` and `reset()`; no UI, no clock of their own: time is passed in
(seconds), so the same code serves live video, recorded video and tests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S")


@dataclass
class Debounce:
    """A boolean that changes only after the new value has held for `hold_s` seconds."""

    hold_s: float = 0.3
    value: bool = False
    _pending: bool | None = None
    _since: float = 0.0

    def update(self, raw: bool, t: float) -> bool:
        if raw == self.value:
            self._pending = None
        elif self._pending is None or self._pending != raw:
            self._pending, self._since = raw, t
        if self._pending is not None and t - self._since >= self.hold_s:
            self.value, self._pending = raw, None
        return self.value

    def reset(self, value: bool = False) -> None:
        self.value, self._pending = value, None


@dataclass
class HoldTimer:
    """Seconds held in good form, per side. Time counts only between consecutive good frames
    closer than `max_gap_s` (a dropped frame does not lose time, a pause does not add it)."""

    max_gap_s: float = 0.5
    held: dict[str, float] = field(default_factory=dict)
    _last_good: float | None = None
    _last_side: str | None = None

    def update(self, good: bool, t: float, side: str = "") -> float:
        if good:
            if (
                self._last_good is not None
                and self._last_side == side
                and 0 < t - self._last_good <= self.max_gap_s
            ):
                self.held[side] = self.held.get(side, 0.0) + (t - self._last_good)
            self.held.setdefault(side, 0.0)
            self._last_good, self._last_side = t, side
        else:
            self._last_good = None
        return self.held.get(side, 0.0)

    def credit(self, seconds: float, side: str = "") -> None:
        """Add time held that was followed elsewhere (a rep's end range turning into a hold)."""
        self.held[side] = self.held.get(side, 0.0) + max(0.0, seconds)

    def reset(self) -> None:
        self.held.clear()
        self._last_good = self._last_side = None


class RepStage(StrEnum):
    """Where a repetition is: at rest (standing, lying flat), on the way out (down into a
    squat, up into a bridge), at its end range (confirmed), on the way back, or holding the
    end range (stayed there: a hold, not a rep in progress)."""

    REST = "rest"
    OUT = "out"
    END = "end range"
    BACK = "back"
    HOLD = "holding"


#: A rep keeps at most this many frames near its end range (a long hold must not grow memory).
MAX_WINDOW = 600


@dataclass
class RepWindow(Generic[S]):
    """One repetition as far as it has got: when it started, its extreme (the deepest point of
    a squat, the top of a bridge; for a cycle, its second end) and the frames near that
    extreme, each with the caller's sample (what the frame measured), to judge it on.

    `reached_s`: when it first got past `reach` (None: not yet, a dip so far). `end_s`: when it
    was back at rest. `held_s`: how long it stayed at the end range once that became a hold.
    """

    start_s: float
    extreme_s: float
    extreme: float
    near: list[tuple[float, float, S]] = field(default_factory=list)
    reached_s: float | None = None
    end_s: float | None = None
    held_s: float = 0.0


@dataclass(frozen=True)
class RepEvent(Generic[S]):
    """What a rep tracker reports on a frame: "end" (the end range is confirmed: judge it now,
    without waiting for stillness), "rep" (a rep is complete: count it) or "dip" (a movement
    turned back before it got far enough to be a rep)."""

    kind: str
    window: RepWindow[S]


@dataclass
class RepPhases(Generic[S]):
    """Follows out-and-back repetitions of one metric with hysteresis in value and in time.

    `toward` says on which side the end range lies ("high": squat depth, a bridge's hip
    angle; "low": a hip angle that closes). Leaving past `rest` starts a rep and coming back
    past it ends one. The rep counts only if the metric stayed past `reach` for `min_dwell_s`
    (a shallower movement is a dip, a one-frame landmark glitch is nothing) and the rep lasted
    `min_rep_s`. Its end range is confirmed, and reported once for judging, when the metric
    has come back `turn` from its extreme, or, for a paused end range (a bridge held at the
    top), once it has made no progress (by turn / 3) for `settle_s`; a later, further extreme
    is reported again at its turn (a bounce that goes deeper). `hold_after_s` past reach
    without turning makes the rep a hold (stage HOLD) until it turns back.

    `update(t, value, sample)` takes the metric (None: not measured on this frame, which
    neither moves nor resets anything) and an opaque sample kept with the frames near the
    extreme; it returns a `RepEvent` or None. Times are seconds passed in by the caller.
    """

    toward: str
    rest: float
    reach: float
    turn: float
    min_dwell_s: float = 0.1
    min_rep_s: float = 0.5
    settle_s: float = 0.6
    hold_after_s: float = 3.0
    stage: RepStage = RepStage.REST
    count: int = 0
    window: RepWindow[S] | None = None
    _sign: int = 1
    _judged_at: float | None = None
    _back_from: float | None = None
    _progress: float | None = None
    _progress_t: float = 0.0

    def __post_init__(self) -> None:
        if self.toward not in ("high", "low"):
            raise ValueError(f"toward must be 'high' or 'low', got {self.toward!r}")
        self._sign = 1 if self.toward == "high" else -1
        if self._sign * (self.reach - self.rest) <= 0:
            raise ValueError(
                f"reach ({self.reach}) must lie beyond rest ({self.rest}) toward {self.toward}"
            )
        if self.turn <= 0:
            raise ValueError(f"turn must be more than 0, got {self.turn}")

    @property
    def reached(self) -> bool:
        """The rep under way has got past `reach` (it is a rep, not a dip, so far)."""
        return self.window is not None and self.window.reached_s is not None

    def reset(self) -> None:
        self.stage, self.count, self.window = RepStage.REST, 0, None
        self._judged_at = self._back_from = self._progress = None

    def update(self, t: float, value: float | None, sample: S) -> RepEvent[S] | None:
        if value is None:
            return None
        sign = self._sign
        v, rest, reach = sign * value, sign * self.rest, sign * self.reach
        if self.stage is RepStage.REST:
            if v <= rest:
                return None
            self.stage = RepStage.OUT
            self.window = RepWindow(t, t, value)
            self._judged_at = self._back_from = self._progress = None
            self._progress_t = t
        win = self.window
        assert win is not None
        extreme = sign * win.extreme
        if v > extreme:  # further out: the window keeps only the frames near the new extreme
            win.extreme, win.extreme_s, extreme = value, t, v
            if self._progress is None or v >= self._progress + self.turn / 3:
                self._progress, self._progress_t = v, t
            win.near = [n for n in win.near if sign * n[1] >= v - self.turn]
        if v >= extreme - self.turn:
            win.near.append((t, value, sample))
            if len(win.near) > MAX_WINDOW:
                del win.near[0]
        if v >= reach:
            if win.reached_s is None:
                win.reached_s = t
        elif win.reached_s is not None and t - win.reached_s < self.min_dwell_s:
            win.reached_s = None  # past reach too briefly: a glitch, not there

        if self.stage in (RepStage.OUT, RepStage.HOLD):
            if v <= extreme - self.turn:  # turned back: the end range is behind
                self._back_from = v
                if win.reached_s is None:
                    self.stage = RepStage.BACK
                    return RepEvent("dip", win)
                if self.stage is RepStage.HOLD:
                    win.held_s = t - win.reached_s
                self.stage = RepStage.END
                return self._judge(win)
            if win.reached_s is not None:
                settled = max(win.reached_s, self._progress_t)
                if self._judged_at is None and t - settled >= self.settle_s:
                    return self._judge(win)  # a paused end range: judged without the turn
                if t - win.reached_s >= self.hold_after_s:
                    self.stage = RepStage.HOLD
            return None
        # END / BACK: on the way back to rest.
        if self._back_from is None or v < self._back_from:
            self._back_from = v
        if v <= rest:
            self.stage = RepStage.REST
            win.end_s = t
            if self._judged_at is not None and t - win.start_s >= self.min_rep_s:
                self.count += 1
                return RepEvent("rep", win)
            return None
        # Back toward the end range by `turn` before reaching rest: the same rep goes on.
        self.stage = RepStage.OUT if v >= self._back_from + self.turn else RepStage.BACK
        return None

    def _judge(self, win: RepWindow[S]) -> RepEvent[S] | None:
        if self._judged_at == win.extreme:
            return None  # judged on the plateau already; nothing new since
        self._judged_at = win.extreme
        return RepEvent("end", win)


@dataclass
class CycleTracker(Generic[S]):
    """Counts cycles that must reach two ends, past `low` on one side and past `high` on the
    other, in either order (cat-cow: head down past -15, head up past +25).

    Each extreme is confirmed once the metric has come back `turn` from it, or has stayed
    within `turn` of it for `settle_s` (a paused cat or cow); it is an end only if it is past
    its threshold and the metric stayed near it for `min_dwell_s`. A cycle is a low end and a
    high end one after the other, at least `min_rep_s` apart. `update` returns a `RepEvent`
    "end" for each end and "rep" for each cycle, whose window holds both ends' frames and runs
    from the first end to the second (its `extreme` and `extreme_s`).
    """

    low: float
    high: float
    turn: float
    min_dwell_s: float = 0.2
    min_rep_s: float = 0.4
    settle_s: float = 0.8
    max_rep_s: float = 10.0
    count: int = 0
    #: The end reached first in the cycle under way (None: none yet).
    pending: RepWindow[S] | None = None
    _dir: int = 0  # +1 following a maximum, -1 a minimum, 0 not started
    _current: RepWindow[S] | None = None
    _settled: float | None = None  # the extreme confirmed while paused at it

    def __post_init__(self) -> None:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.turn <= 0:
            raise ValueError(f"turn must be more than 0, got {self.turn}")

    @property
    def stage(self) -> RepStage:
        """END while at an end (past its threshold), OUT between the first end of a cycle
        and the second, REST while looking for the first end."""
        cur = self._current
        if cur is not None and self._past(cur.extreme, self._dir > 0):
            return RepStage.END
        return RepStage.OUT if self.pending is not None else RepStage.REST

    def reset(self) -> None:
        self.count, self.pending, self._dir, self._current = 0, None, 0, None
        self._settled = None

    def forget(self) -> None:
        """Drop the first end of the cycle under way (the caller found it was not one)."""
        self.pending = None

    def update(self, t: float, value: float | None, sample: S) -> RepEvent[S] | None:
        if value is None:
            return None
        if self.pending is not None and t - self.pending.extreme_s > self.max_rep_s:
            self.pending = None
        if self._current is None:  # the first value says which end is looked for first
            self._dir = 1 if value >= (self.low + self.high) / 2 else -1
            self._current, self._settled = RepWindow(t, t, value), None
        cur, d = self._current, self._dir
        if d * value > d * cur.extreme:
            cur.extreme, cur.extreme_s = value, t
            cur.near = [n for n in cur.near if d * n[1] >= d * value - self.turn]
        if d * value >= d * cur.extreme - self.turn:
            cur.near.append((t, value, sample))
            if len(cur.near) > MAX_WINDOW:
                del cur.near[0]
            settled = self._settled
            fresh = settled is None or d * cur.extreme > d * settled + self.turn
            if fresh and t - cur.near[0][0] >= self.settle_s:
                self._settled = cur.extreme  # a paused end: confirmed without the way back
                return self._confirm(cur, t)
            return None
        # Came back by `turn`: this extreme is over; follow the other direction from here.
        settled = self._settled
        self._dir, self._current, self._settled = -d, RepWindow(t, t, value), None
        self._current.near.append((t, value, sample))
        if settled is not None and d * cur.extreme <= d * settled + self.turn:
            return None  # confirmed while paused there already
        return self._confirm(cur, t)

    def _past(self, value: float, high: bool) -> bool:
        return value >= self.high if high else value <= self.low

    def _confirm(self, end: RepWindow[S], t: float) -> RepEvent[S] | None:
        high = end.extreme >= self.high
        if not (high or end.extreme <= self.low):
            return None
        if end.near[-1][0] - end.near[0][0] < self.min_dwell_s:
            return None
        end.reached_s, end.end_s = end.near[0][0], t
        first, self.pending = self.pending, end
        if first is None or (first.extreme >= self.high) == high:
            return RepEvent("end", end)  # the first end of a cycle (or the same end again)
        if end.extreme_s - first.extreme_s < self.min_rep_s:
            return RepEvent("end", end)
        self.count += 1
        self.pending = None
        cycle = RepWindow(first.near[0][0], end.extreme_s, end.extreme, first.near + end.near)
        cycle.reached_s, cycle.end_s = first.reached_s, t
        return RepEvent("rep", cycle)


@dataclass
class TrendDetector:
    """True when `moving` has grown by at least `by` within `window_s` while `steady` has not
    grown by `min_gain` over the same samples."""

    by: float
    min_gain: float
    window_s: float
    _samples: deque[tuple[float, float, float]] = field(default_factory=deque)

    def update(self, t: float, moving: float | None, steady: float | None) -> bool:
        if moving is None or steady is None:
            return False
        self._samples.append((t, moving, steady))
        while self._samples and t - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        if len(self._samples) < 2:
            return False
        lowest = min(self._samples, key=lambda s: s[1])
        _, moving_now, steady_now = self._samples[-1]
        # Measured from the moment `moving` was lowest, so an earlier dip does not count.
        return moving_now - lowest[1] >= self.by and steady_now - lowest[2] < self.min_gain

    def reset(self) -> None:
        self._samples.clear()


@dataclass
class CuePicker:
    """Chooses the one cue to show. A cue that still applies stays up at least `min_show_s`
    so it can be read, even if a more important one appears; one that no longer applies (the
    user fixed it) gives way after `resolved_s`. Then the most important current cue shows."""

    min_show_s: float = 2.5
    resolved_s: float = 0.5
    current: str | None = None
    _since: float = 0.0

    def update(self, candidates: tuple[str, ...] | list[str], t: float) -> str | None:
        top = candidates[0] if candidates else None
        if top == self.current:
            return self.current
        shown = t - self._since
        still_applies = self.current in candidates
        limit = self.min_show_s if still_applies else min(self.resolved_s, self.min_show_s)
        if self.current is None or shown >= limit:
            self.current, self._since = top, t
        return self.current

    def reset(self) -> None:
        self.current = None


@dataclass
class StatusFilter:
    """A check's reported status: a new status is adopted once it has lasted `hold_s` seconds
    (the first status is adopted at once)."""

    hold_s: float = 0.3
    value: str | None = None
    _pending: str | None = None
    _since: float = 0.0

    def update(self, raw: str, t: float) -> str:
        if self.value is None or raw == self.value:
            self.value, self._pending = raw, None
            return self.value
        if raw != self._pending:
            self._pending, self._since = raw, t
        if t - self._since >= self.hold_s:
            self.value, self._pending = raw, None
        return self.value

    def reset(self) -> None:
        self.value = self._pending = None


@dataclass
class Alarm:
    """Alerts on a condition that persists, without crying wolf.

    `update(raw, t)` with raw True (the condition holds), False (it does not) or None (this
    frame does not count, e.g. nobody in view: neither progress nor clearing, and the time to
    the next frame is not counted either). Returns True only on the frame the alarm fires.

    - `on_s`: how long the condition has held in the current episode, counted between
      consecutive frames where it holds (a step longer than `max_gap_s` counts nothing).
      Lapses shorter than `clear_s` do not end the episode; `clear_s` of the condition being
      false in a row does (hysteresis in time).
    - It fires once `on_s` reaches `trigger_s`, unless it fired less than `cooldown_s` ago;
      an episode that lasts past the cooldown fires again.
    """

    trigger_s: float
    clear_s: float
    cooldown_s: float
    max_gap_s: float = 1.0
    on_s: float = 0.0
    off_s: float = 0.0
    count: int = 0
    longest_s: float = 0.0
    _last: tuple[float, bool] | None = None
    _fired_at: float | None = None

    @property
    def active(self) -> bool:
        """An episode is under way (the condition held and has not yet cleared)."""
        return self.on_s > 0

    def update(self, raw: bool | None, t: float) -> bool:
        if raw is None:
            self._last = None
            return False
        step = 0.0
        if self._last is not None and self._last[1] == raw and t - self._last[0] <= self.max_gap_s:
            step = max(0.0, t - self._last[0])
        self._last = (t, raw)
        if not raw:
            if self.active:
                self.off_s += step
                if self.off_s >= self.clear_s:
                    self.end_episode()
            return False
        self.on_s += step
        self.off_s = 0.0
        self.longest_s = max(self.longest_s, self.on_s)
        cooled = self._fired_at is None or t - self._fired_at >= self.cooldown_s
        if self.on_s >= self.trigger_s and cooled:
            self._fired_at = t
            self.count += 1
            return True
        return False

    def end_episode(self) -> None:
        """The condition is over (cleared, or the person left): the next one starts from 0."""
        self.on_s = self.off_s = 0.0

    def reset(self) -> None:
        self.end_episode()
        self.count, self.longest_s = 0, 0.0
        self._last = self._fired_at = None
