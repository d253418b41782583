"""The stretch coach engine: poses with timestamps in, one `FrameResult` per frame out.

    coach = Coach(get_stretch("kneeling-hip-flexor"))
    result = coach.update(pose, t_s)     # pose may be None (nobody in view)

Live video, recorded-video review and tests all run this one engine; only the source of the
poses differs. Phases: no person -> setting up -> in position -> holding -> done.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from posecheck.limits import Margins, Status
from posecheck.metrics import Measurement, get_metric
from posecheck.pose import Pose
from posecheck.rules import Evaluation, Verdict, evaluate, measurement_key, unjudged
from posecheck.smoothing import LandmarkSmoother
from posecheck.specs import StretchSpec
from posecheck.temporal import (
    CuePicker,
    Debounce,
    HoldTimer,
    RepCounter,
    StatusFilter,
    TrendDetector,
)


class Phase(StrEnum):
    NO_PERSON = "no person"
    SETTING_UP = "setting up"
    IN_POSITION = "in position"
    HOLDING = "holding"
    DONE = "done"


@dataclass(frozen=True)
class CoachSettings:
    """Tuning for the live feel; one place for these defaults.

    margin_deg / margin_ratio: how far past its target a check that is ok may drift before it
    turns to adjust (hysteresis), for angle and ratio metrics.
    """

    smoothing: bool = True
    margin_deg: float = 3.0
    margin_ratio: float = 0.03
    status_hold_s: float = 0.3
    position_hold_s: float = 0.5
    cue_min_s: float = 2.5
    hold_gap_s: float = 0.5

    def __post_init__(self) -> None:
        for name in (
            "margin_deg",
            "margin_ratio",
            "status_hold_s",
            "position_hold_s",
            "cue_min_s",
            "hold_gap_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")

    @property
    def margins(self) -> Margins:
        return Margins(self.margin_deg, self.margin_ratio)


GOOD_CUE = "Good form: hold it."
#: Said instead of any verdict when the skeleton takes limbs from two people (`Pose.mixed`).
MIXED_CUE = (
    "Someone else is in view and the camera mixes the two of you up: make sure only you are "
    "in view."
)

#: How long after last being in position the rep counter keeps counting (see _count_reps).
REP_GRACE_S = 3.0


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

    @property
    def person(self) -> bool:
        return self.phase is not Phase.NO_PERSON

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
        self._reps = (
            RepCounter(spec.reps.low, spec.reps.high, spec.reps.start) if spec.reps else None
        )
        self._trends = {t.id: TrendDetector(t.by, t.min_gain, t.window_s) for t in spec.trends}
        self._cues = CuePicker(s.cue_min_s)
        self._last_t: float | None = None
        self._last_side = side or ""
        self._last_in_position_t: float | None = None

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
        self._last_in_position_t = None

    def _smooth(self, pose: Pose, t: float) -> Pose:
        if self._smoother is None or self._world_smoother is None:
            return pose
        normalized = self._smoother.update(pose.normalized, t)
        world = None if pose.world is None else self._world_smoother.update(pose.world, t)
        return replace(pose, normalized=normalized, world=world)

    def _margin(self, check_id: str) -> float:
        if self._statuses[check_id].value != Status.OK.value:
            return 0.0
        return self.settings.margins.of(get_metric(self.spec.check(check_id).metric).unit)

    def update(self, pose: Pose | None, t_s: float) -> FrameResult:
        """Advance to time `t_s` (seconds, increasing) with this frame's pose (or None)."""
        if self._last_t is not None and t_s <= self._last_t:
            raise ValueError(f"time must increase: got {t_s} s after {self._last_t} s")
        self._last_t = t_s
        spec = self.spec
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
                spec.hold_s,
                self._reps.count if self._reps else 0,
                spec.reps.target if spec.reps else 0,
                pose is not None,
                pose,
                cues=why,
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
        held = self._hold.update(form_ok, t_s, side)
        self._last_side = side
        reps = self._count_reps(evaluation, in_position, t_s)

        if not in_position:
            phase = Phase.SETTING_UP
            actionable = list(evaluation.setup_cues)
            candidates = actionable or ["Hold still while I check your position."]
        else:
            done = spec.hold_s > 0 and held >= spec.hold_s
            if spec.reps is not None and reps >= spec.reps.target:
                done = True
            phase = Phase.DONE if done else (Phase.HOLDING if form_ok else Phase.IN_POSITION)
            required = [v.cue for v in verdicts if v.cue and v.check.required]
            advisory = [v.cue for v in verdicts if v.cue and not v.check.required]
            actionable = [c for c in (*trend_cues, *required, *advisory) if c]
            candidates = actionable or ["Done: well held." if phase is Phase.DONE else GOOD_CUE]
        actionable = list(dict.fromkeys(actionable))
        cue = self._cues.update(list(dict.fromkeys(candidates)), t_s)
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
            spec.hold_s,
            reps,
            spec.reps.target if spec.reps else 0,
            pose.others_present,
            pose,
            dict(evaluation.measurements),
            tuple(actionable),
        )

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

    def _count_reps(self, evaluation: Evaluation, in_position: bool, t: float) -> int:
        if self._reps is None or self.spec.reps is None:
            return 0
        if evaluation.in_position or in_position:
            self._last_in_position_t = t
        # A dynamic stretch leaves its entry band on every rep (a squat's top is a stand), so
        # frames count while the person was in position within the last few seconds.
        recent = (
            self._last_in_position_t is not None and t - self._last_in_position_t <= REP_GRACE_S
        )
        if recent:
            key = measurement_key(self.spec.reps.metric, self.spec.reps.limb)
            m = evaluation.measurements.get(key)
            self._reps.update(m.value if m else None)
        return self._reps.count


#: A still photo: no smoothing and no waiting for a state to settle.
STILL = CoachSettings(smoothing=False, status_hold_s=0, position_hold_s=0, cue_min_s=0)


def judge_still(spec: StretchSpec, pose: Pose | None, side: str | None = None) -> FrameResult:
    """The coach's verdict on a single photo (what `posecheck check` and the photo page draw)."""
    return Coach(spec, side, STILL).update(pose, 0.0)
