"""Spec + pose -> verdicts. Pure functions, no state: the same frame always gives the same answer.

`evaluate` says whether the person is in position for the stretch (view and entry conditions)
with the setup guidance when not, and judges every check on the frame as it is. What to make of
a check while the person is not (yet) in position is the coach's policy (posecheck.coach): it
shows setup guidance, never form faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from posecheck.geometry import DegenerateGeometryError
from posecheck.limits import Status
from posecheck.limits import judge as judge_value
from posecheck.metrics import Context, Limb, Measurement, Unmeasurable, measure
from posecheck.pose import Pose
from posecheck.specs import Check, StretchSpec

__all__ = [
    "VIEW_CUES",
    "Evaluation",
    "Status",
    "Verdict",
    "evaluate",
    "judge",
    "measurement_key",
    "unjudged",
]


@dataclass(frozen=True)
class Verdict:
    """One check's result on one frame."""

    check: Check
    status: Status
    measurement: Measurement
    direction: str | None = None  # "low" / "high" when ADJUST

    @property
    def cue(self) -> str | None:
        """What to tell the user: the fix when out of range, the reason when unknown."""
        if self.status is Status.ADJUST:
            return self.check.cue_for(self.direction)
        if self.status is Status.UNKNOWN and self.measurement.reason:
            return self.measurement.reason
        return None

    def to_json(self) -> dict[str, Any]:
        value = self.measurement.value
        return {
            "id": self.check.id,
            "status": self.status.value,
            "value": None if value is None else round(value, 2),
            "target": self.check.target.to_json(),
            "cue": self.cue,
        }


@dataclass(frozen=True)
class Evaluation:
    """Everything the rules say about one frame for one stretch."""

    person: bool
    view: str | None
    side: str | None
    in_position: bool
    setup_cues: tuple[str, ...]
    verdicts: tuple[Verdict, ...]
    measurements: Mapping[str, Measurement]

    @property
    def form_ok(self) -> bool:
        """In position and every required check ok (an unknown required check is not ok)."""
        return self.in_position and all(
            v.status is Status.OK for v in self.verdicts if v.check.required
        )

    @property
    def cues(self) -> tuple[str, ...]:
        """All current cues, most important first: setup, then required checks, then advisory."""
        if not self.in_position:
            return self.setup_cues
        required = [v.cue for v in self.verdicts if v.cue and v.check.required]
        advisory = [v.cue for v in self.verdicts if v.cue and not v.check.required]
        return tuple(dict.fromkeys(required + advisory))


def judge(check: Check, measurement: Measurement, margin: float = 0.0) -> Verdict:
    """A check's verdict from its measurement; `margin` widens the range (hysteresis)."""
    status, direction = judge_value(check.target, measurement.value, margin)
    return Verdict(check, status, measurement, direction)


def unjudged(verdict: Verdict) -> Verdict:
    """The check measured but not judged (unknown, and no guidance of its own): how a check
    is reported while the person is not in position."""
    return Verdict(verdict.check, Status.UNKNOWN, replace(verdict.measurement, reason=""))


VIEW_CUES = {
    "side": "Turn side-on to the camera so it sees you in profile.",
    "front": "Face the camera.",
    "three-quarter": "Turn halfway between facing the camera and side-on.",
}


def measurement_key(metric: str, limb: Limb | None) -> str:
    return f"{metric}:{limb.value}" if limb is not None else metric


def evaluate(
    spec: StretchSpec,
    pose: Pose | None,
    side: str | None = None,
    margins: Mapping[str, float] | None = None,
) -> Evaluation:
    """Judge one frame. `side` ("left"/"right") overrides the spec's worked-limb guess;
    `margins` (check id -> widening) lets the temporal layer add hysteresis."""
    if pose is None:
        return Evaluation(False, None, None, False, ("Step into the camera's view.",), (), {})
    ctx = Context(pose, worked=side if side else spec.worked)
    measurements: dict[str, Measurement] = {}

    def get(metric: str, limb: Limb | None) -> Measurement:
        key = measurement_key(metric, limb)
        if key not in measurements:
            measurements[key] = measure(ctx, metric, limb)
        return measurements[key]

    view = ctx.view
    setup: list[str] = []
    if "any" not in spec.views and view not in spec.views:
        setup.append(VIEW_CUES[spec.views[0]])
    for condition in spec.entry:
        m = get(condition.metric, condition.limb)
        if m.value is None:
            setup.append(m.reason)
        elif not condition.target.contains(m.value):
            setup.append(condition.cue)
    in_position = not setup

    worked_side = _worked_side(ctx, spec, side)
    margins = margins or {}
    verdicts = [
        judge(check, get(check.metric, check.limb), margins.get(check.id, 0.0))
        for check in spec.checks
    ]
    # What the temporal layer follows over time (reps, trends) is measured here too.
    if spec.reps is not None:
        get(spec.reps.metric, spec.reps.limb)
    for trend in spec.trends:
        get(trend.moving, trend.moving_limb)
        get(trend.steady, trend.steady_limb)
    return Evaluation(
        True,
        view,
        worked_side,
        in_position,
        tuple(dict.fromkeys(setup)),
        tuple(verdicts),
        measurements,
    )


def _worked_side(ctx: Context, spec: StretchSpec, side: str | None) -> str | None:
    if not spec.sided:
        return None
    if side:
        return side
    try:
        return ctx.side_of(Limb.WORKED)
    except (Unmeasurable, DegenerateGeometryError):  # the role's landmarks are not seen
        return None

