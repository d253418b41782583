"""Spec + pose -> verdicts. Pure functions, no state: the same frame always gives the same answer.

`evaluate` says whether the person is in position for the stretch (view and entry conditions)
with the setup guidance when not, and judges every check on the frame as it is. What to make of
a check while the person is not (yet) in position is the coach's policy (posecheck.coach): it
shows setup guidance, never form faults. A check that cannot be judged from the current view
(its spec names the views it can) is unknown without a cue: the coach says once which checks
the view can judge instead of asking for another view in the middle of a set.

`judge_rep` judges one repetition of a moving stretch on the frames near its end range, and
`entries` says for many stretches at once whether a frame is in position for each (what a
routine review needs on every frame), sharing the measurements they have in common.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
    "RepJudgement",
    "Status",
    "Verdict",
    "entries",
    "evaluate",
    "judge",
    "judge_rep",
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


def other_view(check: Check) -> Verdict:
    """A check this camera view cannot judge: unknown, and no cue of its own (the coach says
    once which checks the view can judge, rather than asking to turn in the middle of a set)."""
    return Verdict(check, Status.UNKNOWN, Measurement(check.metric, None, ""))


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
        if check.judged_from(view)
        else other_view(check)
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



# --- repetitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RepJudgement:
    """One repetition judged at its end range: a verdict per check (with the value judged),
    and whether the person was recognisably doing the stretch there (`in_position`: the entry
    conditions and the view held on at least one frame near each end of the range)."""

    verdicts: tuple[Verdict, ...]
    in_position: bool

    @property
    def form_ok(self) -> bool:
        """Every required check ok (an unknown required check is not ok, as for holds)."""
        return all(v.status is Status.OK for v in self.verdicts if v.check.required)


def judge_rep(
    spec: StretchSpec,
    frames: Sequence[Evaluation],
    extreme: float | None = None,
    ends: tuple[float, float] | None = None,
) -> RepJudgement:
    """Judge a rep on `frames`, the evaluations of the frames near its end range.

    The check on the rep's own metric is judged on `extreme`, how far the rep went (given for
    out-and-back reps); every other check on its median over the frames that could judge it,
    so a single glitchy frame does not decide and the value shown is the value judged. A
    check's `rep_margin` widens its range: a value just outside passes (and is shown as at
    the limit, never as plainly ok). For a
    cycle, `ends` (low, high) splits the frames into its two ends, and each must have a frame
    in position. A check measured on none of the frames is unknown with the commonest reason.
    """
    reps = spec.reps
    rep_key = None if reps is None else measurement_key(reps.metric, reps.limb)
    verdicts = []
    for check in spec.checks:
        key = measurement_key(check.metric, check.limb)
        judged = [f for f in frames if check.judged_from(f.view)]
        if extreme is not None and key == rep_key:
            verdicts.append(judge(check, Measurement(check.metric, extreme), check.rep_margin))
            continue
        if not judged:
            verdicts.append(other_view(check))
            continue
        values = [m.value for f in judged if (m := f.measurements.get(key)) is not None]
        known = [v for v in values if v is not None]
        if known:
            value = statistics.median(known)
            verdicts.append(judge(check, Measurement(check.metric, value), check.rep_margin))
            continue
        reasons = Counter(
            m.reason for f in judged if (m := f.measurements.get(key)) is not None and m.reason
        )
        reason = reasons.most_common(1)[0][0] if reasons else "Not seen at the end of the rep."
        verdicts.append(judge(check, Measurement(check.metric, None, reason)))
    if ends is None:
        placed = any(f.in_position for f in frames)
    else:
        middle = (ends[0] + ends[1]) / 2
        sides = [
            any(f.in_position for f in frames if _rep_value(f, rep_key, middle) is high)
            for high in (False, True)
        ]
        placed = all(sides)
    return RepJudgement(tuple(verdicts), placed)


def _rep_value(frame: Evaluation, key: str | None, middle: float) -> bool | None:
    """Whether the frame's rep metric lies on the high side of `middle` (None: not measured)."""
    m = frame.measurements.get(key) if key is not None else None
    if m is None or m.value is None:
        return None
    return m.value >= middle


# --- many stretches at once ----------------------------------------------------------------

#: Metrics many specs' entry conditions share, tested first so that most specs are ruled out
#: by a measurement another spec already paid for.
_SHARED_FIRST = ("trunk_from_horizontal", "trunk_lean", "face_up", "knee_angle", "shin_incline")


def _rank(metric: str) -> int:
    return _SHARED_FIRST.index(metric) if metric in _SHARED_FIRST else len(_SHARED_FIRST)


def entries(specs: Iterable[StretchSpec], pose: Pose | None) -> dict[str, bool]:
    """stretch id -> whether `pose` is in position for it (the view and every entry
    condition, as `evaluate` says), for many specs at once; all False with nobody in view.

    Each spec stops at its first failing condition, and a measurement is taken once per frame
    for every spec that uses it (those on the worked/other side once per spec's worked role),
    so asking all 16 catalog stretches costs about as much as evaluating one of them."""
    if pose is None:
        return {spec.id: False for spec in specs}
    shared = Context(pose)
    cache: dict[str, Measurement] = {}
    contexts: dict[object, Context] = {}
    out = {}
    for spec in specs:
        ok = "any" in spec.views or shared.view in spec.views
        for condition in sorted(spec.entry, key=lambda c: _rank(c.metric)) if ok else ():
            if condition.limb in (Limb.WORKED, Limb.OTHER):
                ctx = contexts.get(spec.worked)
                if ctx is None:
                    ctx = contexts[spec.worked] = Context(pose, worked=spec.worked)
                key = f"{spec.worked}/{measurement_key(condition.metric, condition.limb)}"
            else:
                ctx, key = shared, measurement_key(condition.metric, condition.limb)
            m = cache.get(key)
            if m is None:
                m = cache[key] = measure(ctx, condition.metric, condition.limb)
            if m.value is None or not condition.target.contains(m.value):
                ok = False
                break
        out[spec.id] = ok
    return out
