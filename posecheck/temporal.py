"""State over time: hysteresis so verdicts do not flicker, hold timers that count only good
form, rep counters, trend detection, and a cue picker that leaves a cue up long enough to read.

Small classes with `update()` and `reset()`; no UI, no clock of their own: time is passed in
(seconds), so the same code serves live video, recorded video and tests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


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

    def reset(self) -> None:
        self.held.clear()
        self._last_good = self._last_side = None


@dataclass
class RepCounter:
    """Counts a rep for each full cycle start -> other side of the band -> back.

    With start="low": the value must rise above `high` and then fall below `low`. The gap
    between the two thresholds is the hysteresis that keeps noise from counting.
    """

    low: float
    high: float
    start: str = "low"
    count: int = 0
    _away: bool = False

    def update(self, value: float | None) -> int:
        if value is None:
            return self.count
        if self.start == "low":
            if not self._away and value > self.high:
                self._away = True
            elif self._away and value < self.low:
                self._away = False
                self.count += 1
        else:
            if not self._away and value < self.low:
                self._away = True
            elif self._away and value > self.high:
                self._away = False
                self.count += 1
        return self.count

    def reset(self) -> None:
        self.count, self._away = 0, False


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
