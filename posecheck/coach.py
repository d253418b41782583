"""The stretch coach engine: poses with timestamps in, one `FrameResult` per frame out.

    coach = Coach(get_stretch("kneeling-hip-flexor"))
    result = coach.update(pose, t_s)     # pose may be None (nobody in view)

Live video, recorded-video review and tests all run this one engine; only the source of the
poses differs. Phases: no person -> setting up -> in position -> holding -> done. A moving
stretch (its spec's mode names reps) adds "rep" (a repetition under way) and "between reps":
each rep is followed through its stages by `posecheck.temporal.RepPhases` (or `CycleTracker`),
judged at its end range the moment that range is confirmed (`posecheck.rules.judge_rep`, no
waiting for stillness), and the cue is one sentence about the last rep until the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from posecheck.limits import Margins, Status
from posecheck.metrics import Measurement, get_metric
from posecheck.pose import Pose
from posecheck.rules import Evaluation, Verdict, evaluate, judge_rep, measurement_key, unjudged
from posecheck.smoothing import LandmarkSmoother
from posecheck.specs import Check, StretchSpec
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


class Phase(StrEnum):
    NO_PERSON = "no person"
    SETTING_UP = "setting up"
    IN_POSITION = "in position"
    HOLDING = "holding"
    REP = "rep"
    BETWEEN_REPS = "between reps"
    DONE = "done"


@dataclass(frozen=True)
class CoachSettings:
    """Tuning for the live feel; one place for these defaults.

    margin_deg / margin_ratio: how far past its target a check that is ok may drift before it
    turns to adjust (hysteresis), for angle and ratio metrics.
    set_gap_s: after a rep, how long the person counts as still doing the set (the last rep's
    verdict stays up and no setup guidance is given) while at rest between reps.
    """

    smoothing: bool = True
    margin_deg: float = 3.0
    margin_ratio: float = 0.03
    status_hold_s: float = 0.3
    position_hold_s: float = 0.5
    cue_min_s: float = 2.5
    hold_gap_s: float = 0.5
    set_gap_s: float = 5.0

    def __post_init__(self) -> None:
        for name in (
            "margin_deg",
            "margin_ratio",
            "status_hold_s",
            "position_hold_s",
            "cue_min_s",
            "hold_gap_s",
            "set_gap_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")

    @property
    def margins(self) -> Margins:
        return Margins(self.margin_deg, self.margin_ratio)


GOOD_CUE = "Good form: hold it."
#: In position for a stretch done as reps only, before the first one.
START_REPS_CUE = "In position: start your {unit}s."
STILL_CUE = "Hold still while I check your position."
#: Said instead of any verdict when the skeleton takes limbs from two people (`Pose.mixed`).
MIXED_CUE = (
    "Someone else is in view and the camera mixes the two of you up: make sure only you are "
    "in view."
)


@dataclass(frozen=True)
class RepResult:
    """One repetition, judged at its end range: its times (start, the moment judged: the
    bottom of a squat, the top of a bridge, the second end of a cycle; back at rest, None
    while it is still under way), a verdict per check with the value judged, and the one
    sentence said about it. `held_s`: the part of it spent holding the end range."""

    number: int
    start_s: float
    bottom_s: float
    end_s: float | None
    verdicts: tuple[Verdict, ...]
    form_ok: bool
    cue: str
    held_s: float = 0.0

    @property
    def fault(self) -> str | None:
        """The first check out of range (required checks first), or None."""
        ordered = sorted(self.verdicts, key=lambda v: not v.check.required)
        return next((v.check.id for v in ordered if v.status is Status.ADJUST), None)

    @property
    def rows(self) -> tuple[CheckRow, ...]:
        """The rep's checks table: each value judged at its end range and what it means."""
        rows = []
        for v in self.verdicts:
            value = v.measurement.value
            if value is None:
                state = CheckState.HIDDEN if v.measurement.reason else CheckState.OTHER_VIEW
            elif v.check.target.contains(value):
                state = CheckState.OK
            elif v.status is Status.OK:
                state = CheckState.AT_LIMIT  # within the check's rep margin
            else:
                state = CheckState.ADJUST
            rows.append(CheckRow(v.check, value, state))
        return tuple(rows)


class CheckState(StrEnum):
    """What the checks table says about a check, so that a value is never shown as ok while
    it is outside its target and "can't see" only ever means a landmark out of sight."""

    OK = "ok"
    ADJUST = "adjust"
    AT_LIMIT = "at the limit"  # just outside, within the tolerance a check that was ok keeps
    HIDDEN = "can't see"
    OTHER_VIEW = "other view"  # this camera view cannot judge it
    NOT_JUDGED = "not judged yet"  # measured, but the person is not in position yet


@dataclass(frozen=True)
class CheckRow:
    """One line of the checks table: the value and what it means, from one computation."""

    check: Check
    value: float | None
    state: CheckState


@dataclass(frozen=True)
class FrameResult:
    """What the coach says about one frame."""

    t_s: float
    phase: Phase
    view: str | None
    side: str | None
    in_position: bool
    form_ok: bool
    verdicts: tuple[Verdict, ...]
    cue: str | None
    hold_s: float
    hold_by_side: dict[str, float]
    hold_target_s: float
    reps: int
    reps_target: int
    #: Someone besides the user is in view (or the skeleton mixes two people: `pose.mixed`);
    #: pages and windows show it.
    others_present: bool = False
    pose: Pose | None = field(default=None, repr=False, compare=False)
    measurements: dict[str, Measurement] = field(default_factory=dict, repr=False)
    #: Every cue that applies to this frame, most important first (`cue` is the one shown):
    #: setup guidance while not in position, else the fixes; empty when all is well.
    cues: tuple[str, ...] = ()
    #: Moving stretches: where the current rep is (REST between reps; OUT, END, BACK, HOLD)
    #: and every rep judged so far (the last may still be under way); None / () for holds.
    rep_stage: RepStage | None = None
    rep_log: tuple[RepResult, ...] = field(default=(), repr=False)
    #: The checks table: the last rep's judged values while a set of reps is going on,
    #: otherwise this frame's values with what they mean.
    rows: tuple[CheckRow, ...] = field(default=(), repr=False)
    #: Which checks this camera view can judge and which it cannot (None: all of them).
    view_note: str | None = None
    goal_met: bool = False

    @property
    def person(self) -> bool:
        return self.phase is not Phase.NO_PERSON

    @property
    def last_rep(self) -> RepResult | None:
        return self.rep_log[-1] if self.rep_log else None

    @property
    def rows_from_rep(self) -> RepResult | None:
        """The rep whose judged values the checks table shows (None: this frame's values)."""
        if self.phase in (Phase.REP, Phase.BETWEEN_REPS) and self.rep_log:
            return self.rep_log[-1]
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "t_s": round(self.t_s, 3),
            "phase": self.phase.value,
            "view": self.view,
            "side": self.side,
            "in_position": self.in_position,
            "form_ok": self.form_ok,
            "checks": [v.to_json() for v in self.verdicts],
            "cue": self.cue,
            "hold_s": round(self.hold_s, 2),
            "reps": self.reps,
        }


def rep_cue(number: int, verdicts: tuple[Verdict, ...], max_ok: int = 2) -> str:
    """One sentence about rep `number`: its first fault (required checks first) in the
    check's rep words ("Rep 2 stopped above knee height: sit lower next time"), or what went
    well ("Rep 3: full depth, heels down")."""
    ordered = [v for v in verdicts if v.check.required] + [
        v for v in verdicts if not v.check.required
    ]
    for v in ordered:
        if v.status is Status.ADJUST:
            words = v.check.rep_low if v.direction == "low" else v.check.rep_high
            if words:
                return f"Rep {number} {words}"
            return f"Rep {number}: {v.check.cue_for(v.direction) or 'adjust ' + v.check.id}"
    # A value that passed only within the check's rep margin is not praised.
    good = [
        v.check.rep_ok
        for v in ordered
        if v.status is Status.OK
        and v.check.rep_ok
        and v.measurement.value is not None
        and v.check.target.contains(v.measurement.value)
    ]
    return f"Rep {number}: " + (", ".join(good[:max_ok]) if good else "good form")


class Coach:
    """One person, one stretch, one session. Not thread-safe: one Coach per stream."""

    def __init__(
        self, spec: StretchSpec, side: str | None = None, settings: CoachSettings | None = None
    ) -> None:
        if side not in (None, "left", "right"):
            raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
        if side is not None and not spec.sided:
            raise ValueError(f"{spec.id} has no sides; leave side out")
        self.spec = spec
        self.side = side
        self.settings = settings or CoachSettings()
        s = self.settings
        self._smoother = LandmarkSmoother() if s.smoothing else None
        self._world_smoother = LandmarkSmoother() if s.smoothing else None
        self._statuses = {c.id: StatusFilter(s.status_hold_s) for c in spec.checks}
        self._in_position = Debounce(s.position_hold_s)
        self._hold = HoldTimer(s.hold_gap_s)
        self._trends = {t.id: TrendDetector(t.by, t.min_gain, t.window_s) for t in spec.trends}
        self._cues = CuePicker(s.cue_min_s)
        self._units = {c.id: get_metric(c.metric).unit for c in spec.checks}
        self._notes: dict[str | None, str | None] = {}
        self._reps = _RepLayer(spec, s.hold_gap_s) if spec.has_reps else None
        self._last_t: float | None = None
        self._last_side = side or ""

    def reset(self) -> None:
        """Forget everything: a new session with the same stretch."""
        for smoother in (self._smoother, self._world_smoother):
            if smoother is not None:
                smoother.reset()
        for status in self._statuses.values():
            status.reset()
        self._in_position.reset()
        self._hold.reset()
        if self._reps is not None:
            self._reps.reset()
        for trend in self._trends.values():
            trend.reset()
        self._cues.reset()
        self._last_t = None
        self._last_side = self.side or ""

    def _smooth(self, pose: Pose, t: float) -> Pose:
        if self._smoother is None or self._world_smoother is None:
            return pose
        normalized = self._smoother.update(pose.normalized, t)
        world = None if pose.world is None else self._world_smoother.update(pose.world, t)
        return replace(pose, normalized=normalized, world=world)

    def _margin(self, check_id: str) -> float:
        if self._statuses[check_id].value != Status.OK.value:
            return 0.0
        return self.settings.margins.of(self._units[check_id])

    def _note(self, view: str | None) -> str | None:
        if view not in self._notes:
            self._notes[view] = self.spec.note_for_view(view)
        return self._notes[view]

    def update(self, pose: Pose | None, t_s: float) -> FrameResult:
        """Advance to time `t_s` (seconds, increasing) with this frame's pose (or None)."""
        if self._last_t is not None and t_s <= self._last_t:
            raise ValueError(f"time must increase: got {t_s} s after {self._last_t} s")
        self._last_t = t_s
        spec = self.spec
        reps = self._reps
        if pose is None or pose.mixed:
            # Nobody, or a skeleton whose limbs belong to two people: nothing to judge (its
            # angles would mix two bodies), and nothing of it carried into later frames.
            if self._smoother is not None and self._world_smoother is not None:
                self._smoother.reset()
                self._world_smoother.reset()
            self._in_position.reset()
            self._hold.update(False, t_s)
            why = ("Step into the camera's view.",) if pose is None else (MIXED_CUE,)
            cue = self._cues.update(list(why), t_s)
            return FrameResult(
                t_s,
                Phase.NO_PERSON if pose is None else Phase.SETTING_UP,
                None,
                self.side,
                False,
                False,
                (),
                cue,
                self._hold.held.get(self._last_side, 0.0),
                dict(self._hold.held),
                spec.hold_s if spec.has_hold else 0.0,
                reps.count if reps else 0,
                spec.reps.target if reps and spec.reps else 0,
                pose is not None,
                pose,
                cues=why,
                rep_stage=reps.stage if reps else None,
                rep_log=reps.log if reps else (),
                goal_met=spec.done(self._hold_total(), reps.count if reps else 0),
            )

        pose = self._smooth(pose, t_s)
        margins = {c.id: self._margin(c.id) for c in spec.checks}
        evaluation = evaluate(spec, pose, self.side, margins)
        in_position = self._in_position.update(evaluation.in_position, t_s)
        verdicts = self._filtered(evaluation, t_s, in_position)

        trend_cues = self._update_trends(evaluation, t_s, in_position)
        required_ok = all(v.status is Status.OK for v in verdicts if v.check.required)
        form_ok = in_position and required_ok and not trend_cues
        side = evaluation.side or ""
        if reps is None:
            held = self._hold.update(form_ok, t_s, side)
            stage = None
        else:
            stage = reps.update(evaluation, t_s)
            held = reps.hold(self._hold, form_ok, t_s, side) if spec.has_hold else 0.0
        self._last_side = side
        count = reps.count if reps else 0
        done = spec.done(self._hold_total(), count)

        in_set = reps is not None and reps.in_set(t_s, self.settings.set_gap_s)
        moving = reps is not None and stage not in (None, RepStage.REST, RepStage.HOLD)
        if moving and reps is not None and (in_set or reps.under_way_in_position):
            phase = Phase.DONE if done else Phase.REP
        elif in_set and stage is not RepStage.HOLD:
            phase = Phase.DONE if done else Phase.BETWEEN_REPS
        elif not in_position:
            phase = Phase.SETTING_UP
        elif done:
            phase = Phase.DONE
        else:
            phase = Phase.HOLDING if form_ok and spec.has_hold else Phase.IN_POSITION

        if phase in (Phase.REP, Phase.BETWEEN_REPS) or (phase is Phase.DONE and (in_set or moving)):
            # A set of reps: the cue is about the last rep, shown at once and kept until the
            # next one; never setup guidance or "hold still" in the middle of a set.
            assert reps is not None
            last = reps.log[-1] if reps.log else None
            cue = last.cue if last else None
            actionable = [cue] if cue and last and not last.form_ok else []
            if reps.note is not None and stage is RepStage.REST:
                cue = reps.note[1]  # the attempt since the last rep, and why it did not count
                actionable = [cue]
            self._cues.reset()
        else:
            if phase is Phase.SETTING_UP:
                actionable = list(evaluation.setup_cues)
                candidates = actionable or [STILL_CUE]
            else:
                required = [v.cue for v in verdicts if v.cue and v.check.required]
                advisory = [v.cue for v in verdicts if v.cue and not v.check.required]
                actionable = [c for c in (*trend_cues, *required, *advisory) if c]
                candidates = actionable or [self._good_cue(done)]
            cue = self._cues.update(list(dict.fromkeys(candidates)), t_s)
        actionable = list(dict.fromkeys(actionable))
        rep_log = reps.log if reps else ()
        rows = self._rows(verdicts, evaluation.view, in_position, margins)
        return FrameResult(
            t_s,
            phase,
            evaluation.view,
            evaluation.side,
            in_position,
            form_ok,
            verdicts,
            cue,
            held,
            dict(self._hold.held),
            spec.hold_s if spec.has_hold else 0.0,
            count,
            spec.reps.target if reps and spec.reps else 0,
            pose.others_present,
            pose,
            dict(evaluation.measurements),
            tuple(actionable),
            stage,
            rep_log,
            rows,
            self._note(evaluation.view),
            done,
        )

    def _good_cue(self, done: bool) -> str:
        if done:
            return "Done: well held." if self.spec.mode == "hold" else "Done: goal reached."
        if self.spec.has_hold or self.spec.reps is None:
            return GOOD_CUE
        return START_REPS_CUE.format(unit=self.spec.reps.unit)

    def _hold_total(self) -> float:
        return max(self._hold.held.values(), default=0.0)

    def _rows(
        self,
        verdicts: tuple[Verdict, ...],
        view: str | None,
        in_position: bool,
        margins: dict[str, float],
    ) -> tuple[CheckRow, ...]:
        """This frame's checks table: each value with the state of that same value."""
        rows = []
        for v in verdicts:
            value = v.measurement.value
            if not v.check.judged_from(view):
                state = CheckState.OTHER_VIEW
            elif value is None:
                state = CheckState.HIDDEN
            elif not in_position:
                state = CheckState.NOT_JUDGED
            elif v.check.target.contains(value):
                state = CheckState.OK
            elif v.status is Status.OK and v.check.target.contains(value, margins[v.check.id]):
                state = CheckState.AT_LIMIT
            else:
                state = CheckState.ADJUST
            rows.append(CheckRow(v.check, value, state))
        return tuple(rows)

    def _filtered(self, evaluation: Evaluation, t: float, in_position: bool) -> tuple[Verdict, ...]:
        """The verdicts to report: none judged while the person is not settled in position
        (setup guidance comes first, whatever this frame shows); once in position each check's
        status changes only after it has held (`status_hold_s`)."""
        if not in_position:
            return tuple(unjudged(v) for v in evaluation.verdicts)
        verdicts = []
        for raw in evaluation.verdicts:
            status = Status(self._statuses[raw.check.id].update(raw.status.value, t))
            if status is raw.status:
                verdicts.append(raw)
                continue
            direction = None
            if status is Status.ADJUST:
                value = raw.measurement.value
                direction = raw.check.target.direction(value) if value is not None else None
                if direction is None:
                    # Back inside the range but not yet long enough: keep the last direction.
                    direction = "low" if raw.check.target.min is not None else "high"
            verdicts.append(Verdict(raw.check, status, raw.measurement, direction))
        return tuple(verdicts)

    def _update_trends(self, evaluation: Evaluation, t: float, in_position: bool) -> list[str]:
        cues = []
        for trend in self.spec.trends:
            moving = evaluation.measurements.get(measurement_key(trend.moving, trend.moving_limb))
            steady = evaluation.measurements.get(measurement_key(trend.steady, trend.steady_limb))
            fired = self._trends[trend.id].update(
                t, moving.value if moving else None, steady.value if steady else None
            )
            if fired and in_position:
                cues.append(trend.cue)
        return cues


class _RepLayer:
    """The coach's repetitions: the tracker, the reps judged so far, and the hold at the end
    range for stretches done as reps and a hold (a rep's pause becomes a hold once it lasts
    `hold_after_s`; the good-form time of that pause is credited then, not before)."""

    def __init__(self, spec: StretchSpec, hold_gap_s: float) -> None:
        assert spec.reps is not None
        r = spec.reps
        self.spec = spec
        self.key = measurement_key(r.metric, r.limb)
        self.tracker: RepPhases[Evaluation] | CycleTracker[Evaluation]
        if r.cycle is not None:
            self.tracker = CycleTracker(
                r.cycle[0], r.cycle[1], r.turn, r.min_dwell_s, r.min_rep_s, r.settle_s
            )
        else:
            self.tracker = RepPhases(
                r.toward, r.rest, r.reach, r.turn, r.min_dwell_s, r.min_rep_s, r.settle_s,
                r.hold_after_s,
            )  # fmt: skip
        self._pending_hold = HoldTimer(hold_gap_s)
        self.reset()

    def reset(self) -> None:
        self.tracker.reset()
        self._pending_hold.reset()
        self.log: tuple[RepResult, ...] = ()
        self.open = False  # the last entry of the log is still under way
        self.stage = RepStage.REST
        self.last_rep_t: float | None = None
        self.under_way_in_position = False  # the rep under way was in position on some frame
        #: Why the last movement to the end range was not counted, and when (None: it was).
        self.note: tuple[float, str] | None = None

    @property
    def count(self) -> int:
        return len(self.log)

    def in_set(self, t: float, gap_s: float) -> bool:
        """Reps are going on: one under way after an earlier one, or the last one ended (or
        was judged) within `gap_s`."""
        if not self.log or self.last_rep_t is None:
            return False
        return self.stage is not RepStage.REST or t - self.last_rep_t <= gap_s

    def update(self, evaluation: Evaluation, t: float) -> RepStage:
        m = evaluation.measurements.get(self.key)
        was_rest = self.tracker.stage is RepStage.REST
        event = self.tracker.update(t, None if m is None else m.value, evaluation)
        stage = self.tracker.stage
        if was_rest and stage is not RepStage.REST:
            self.under_way_in_position = False
        # One end of a cycle says little (a head raised on all fours); a squat's bottom in
        # position says a rep is under way.
        if evaluation.in_position and isinstance(self.tracker, RepPhases):
            self.under_way_in_position = True
        if event is not None:
            self._on(event, t)
        elif self.open and stage is RepStage.REST:
            # Back at rest without completing: too short to be a rep after all.
            self.log, self.open = self.log[:-1], False
        if isinstance(self.tracker, RepPhases):
            if stage is RepStage.OUT and self.tracker.reached:
                stage = RepStage.END  # at the end range (confirmed or not): what a person sees
            if stage is RepStage.HOLD and self.open and self.tracker.window is not None:
                reached = self.tracker.window.reached_s or t
                self.log = (*self.log[:-1], replace(self.log[-1], held_s=t - reached))
        if stage is not RepStage.REST:
            self.last_rep_t = t if self.log else None
        self.stage = stage
        return stage

    def _on(self, event: RepEvent[Evaluation], t: float) -> None:
        win = event.window
        frames = [n[2] for n in win.near]
        if event.kind == "dip":
            return
        cycle = isinstance(self.tracker, CycleTracker)
        if event.kind == "end":
            if isinstance(self.tracker, CycleTracker):
                if not any(f.in_position for f in frames):
                    self.tracker.forget()  # not on all fours (or the like): not a cycle's end
                return  # one end of a cycle: judged when the cycle completes
            judgement = judge_rep(self.spec, frames, extreme=win.extreme)
            if not judgement.in_position:
                # Not recognisably this stretch at its end range: not a rep. Say why, once
                # back (a half squat is not a deep squat; sitting on a chair is not either).
                near = min(frames, key=lambda f: abs(_value(f, self.key) - win.extreme))
                if near.setup_cues and not self.open:
                    self.note = (t, f"Not counted: {near.setup_cues[0]}")
                return
            number = self.count + (0 if self.open else 1)
            rep = RepResult(
                number, win.start_s, win.extreme_s, None, judgement.verdicts,
                judgement.form_ok, rep_cue(number, judgement.verdicts),
            )  # fmt: skip
            self.log = (*self.log[:-1], rep) if self.open else (*self.log, rep)
            self.open = True
            self.last_rep_t, self.note = t, None
            return
        # A rep (or cycle) is complete.
        if cycle:
            assert self.spec.reps is not None
            judgement = judge_rep(self.spec, frames, ends=self.spec.reps.cycle)
            if judgement.in_position:
                number = self.count + 1
                rep = RepResult(
                    number, win.start_s, win.extreme_s, win.end_s, judgement.verdicts,
                    judgement.form_ok, rep_cue(number, judgement.verdicts),
                )  # fmt: skip
                self.log = (*self.log, rep)
                self.last_rep_t = t
            return
        if self.open:
            self.log = (*self.log[:-1], replace(self.log[-1], end_s=win.end_s,
                                                held_s=win.held_s))  # fmt: skip
            self.open = False
            self.last_rep_t = t

    def hold(self, timer: HoldTimer, form_ok: bool, t: float, side: str) -> float:
        """Advance the hold timer: good form counts while the end range is held, credited
        once the pause there has become a hold (stage HOLD)."""
        tracker = self.tracker
        if not isinstance(tracker, RepPhases):
            return timer.update(False, t, side)
        at_end = tracker.stage is RepStage.OUT and tracker.reached
        if tracker.stage is RepStage.HOLD:
            pending = sum(self._pending_hold.held.values())
            if pending:
                timer.credit(pending, side)
                self._pending_hold.reset()
            return timer.update(form_ok, t, side)
        if at_end:
            self._pending_hold.update(form_ok, t, side)
        else:
            self._pending_hold.reset()
        return timer.update(False, t, side)


def _value(frame: Evaluation, key: str) -> float:
    m = frame.measurements.get(key)
    return m.value if m is not None and m.value is not None else float("inf")


#: A still photo: no smoothing and no waiting for a state to settle.
STILL = CoachSettings(smoothing=False, status_hold_s=0, position_hold_s=0, cue_min_s=0)


def judge_still(spec: StretchSpec, pose: Pose | None, side: str | None = None) -> FrameResult:
    """The coach's verdict on a single photo (what `posecheck check` and the photo page draw)."""
    return Coach(spec, side, STILL).update(pose, 0.0)
