"""One frame judged against the desk posture rules (and the user's baseline): `assess` for a
still photo, `judge_frame` for the monitor, with the boundaries each measure must stay in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from posecheck.desk.baseline import Baseline
from posecheck.desk.view import detect_view
from posecheck.landmarks import Landmark
from posecheck.limits import Range, Status, judge
from posecheck.metrics import Context, Measurement, get_metric, measure
from posecheck.pose import Pose
from posecheck.specs.desk import (
    POSTURE_VIEWS,
    PostureSpec,
    posture_spec,
)

CALIBRATE_CUE = (
    "Calibrate first: sit upright and record your baseline, so slouching can be judged "
    "from the front."
)
NOBODY_CUE = "Nobody in view: sit where the camera can see your head and shoulders."
TURNED_CUE = "Head turned away: posture is judged again when you face your screen."
BYSTANDER_CUE = "The person in view is much smaller than you: someone else, not judged."
MIXED_CUE = "Someone else is close to you in view and the camera mixes you up: not judged."
GOOD_CUE = "Good posture."


class PostureStatus(StrEnum):
    GOOD = "good"
    BAD = "bad"
    AWAY = "away"
    UNKNOWN = "unknown"


# --- one frame -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """The live limits of one metric (for display): from the general rules or the baseline."""

    metric: str
    target: Range
    reference: str  # "absolute" | "baseline"

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {"min": r(self.target.min), "max": r(self.target.max), "reference": self.reference}


@dataclass(frozen=True)
class Judgement:
    """What the rules say about one frame, with no memory of earlier frames."""

    person: bool
    view: str | None
    calibrated: bool
    status: PostureStatus
    problems: tuple[str, ...]
    metrics: dict[str, float | None]
    cues: tuple[str, ...]
    boundaries: dict[str, Boundary] = field(default_factory=dict)
    active: frozenset[str] = frozenset()
    excluded: str | None = None
    scale: float | None = None
    landmarks: dict[str, tuple[Landmark, ...]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The `posecheck posture --json` body (exactly these keys)."""
        status = self.status if self.status is not PostureStatus.AWAY else PostureStatus.UNKNOWN
        return {
            "person": self.person,
            "view": self.view,
            "calibrated": self.calibrated,
            "status": status.value,
            "problems": list(self.problems),
            "metrics": {k: None if v is None else round(v, 4) for k, v in self.metrics.items()},
            "cues": list(self.cues),
        }


def _smaller(scale: float | None, reference: float | None, share: float) -> bool:
    """A body under `share` of the reference size: someone else, further from the camera."""
    return scale is not None and reference is not None and scale < share * reference


def judge_frame(
    pose: Pose | None,
    baseline: Baseline | None,
    spec: PostureSpec,
    *,
    view: str | None = None,
    active: frozenset[str] = frozenset(),
    reference_scale: float | None = None,
) -> Judgement:
    s = spec.settings
    if pose is None:
        return Judgement(False, None, False, PostureStatus.AWAY, (), {}, (NOBODY_CUE,))
    if pose.mixed:  # a skeleton with two people's limbs (see posecheck.estimator): not judged
        return Judgement(
            True, view, False, PostureStatus.UNKNOWN, (), {}, (MIXED_CUE,), excluded="mixed"
        )
    ctx = Context(pose)
    chosen = view or detect_view(pose, spec)
    if chosen is None:
        reason = measure(ctx, "body_scale").reason or "Sit where the camera sees both shoulders."
        return Judgement(True, None, False, PostureStatus.UNKNOWN, (), {}, (reason,))
    calibrated = baseline is not None and baseline.view == chosen
    scale = measure(ctx, "body_scale").value
    measured: dict[str, Measurement] = {m: measure(ctx, m) for m in spec.metrics_for(chosen)}
    metrics = {name: m.value for name, m in measured.items()}
    landmarks = {name: m.landmarks for name, m in measured.items()}

    def excluded(reason: str, cue: str) -> Judgement:
        return Judgement(
            True, chosen, calibrated, PostureStatus.UNKNOWN, (), metrics, (cue,),
            excluded=reason, scale=scale, landmarks=landmarks,
        )  # fmt: skip

    turn = measure(ctx, "head_turn").value
    if turn is not None:
        if chosen == "front":
            ears_seen = sum(ctx.seen(e) for e in (Landmark.LEFT_EAR, Landmark.RIGHT_EAR))
            limit = s.head_turn_front_max * (0.5 if ears_seen == 1 else 1.0)
            if turn > limit:
                return excluded("head turned", TURNED_CUE)
        elif turn < s.head_turn_side_min:
            return excluded("head turned", TURNED_CUE)
    if _smaller(scale, reference_scale, s.bystander_scale):
        return excluded("bystander", BYSTANDER_CUE)

    problems: list[str] = []
    problem_cues: list[str] = []
    reasons: list[str] = []
    out: set[str] = set()
    bounds: dict[str, tuple[Range, str]] = {}
    judged = 0
    needs_calibration = False
    for rule in spec.rules_for(chosen):
        unit = get_metric(rule.metric).unit
        base = baseline.metrics.get(rule.metric) if calibrated and baseline else None
        limits = rule.limits(unit, base)
        if limits is None:
            needs_calibration = True
            continue
        target, reference = limits
        # One metric may have a rule for each direction (face size: leaning in, reclining):
        # its boundary shows both.
        old, _ = bounds.get(rule.metric, (Range(), reference))
        bounds[rule.metric] = (
            Range(
                target.min if target.min is not None else old.min,
                target.max if target.max is not None else old.max,
            ),
            reference,
        )
        m = measured[rule.metric]
        if m.value is None:
            reasons.append(m.reason)
            continue
        judged += 1
        # An active problem clears only once the value is back inside by the margin.
        margin = 0.0
        if rule.key in active:
            relative_to = base if reference == "baseline" and base is not None else 1.0
            margin = -s.margins.of(unit, relative_to)
        verdict, _ = judge(target, m.value, margin)
        if verdict is Status.ADJUST:
            out.add(rule.key)
            if rule.problem not in problems:
                problems.append(rule.problem)
            problem_cues.append(rule.cue)

    if problems:
        status = PostureStatus.BAD
    elif needs_calibration and not calibrated:
        status = PostureStatus.UNKNOWN
    else:
        status = PostureStatus.GOOD if judged else PostureStatus.UNKNOWN
    cues = list(problem_cues)
    if needs_calibration and not calibrated:
        if baseline is not None:
            cues.append(
                f"Your baseline was recorded in the {baseline.view} view and this is the "
                f"{chosen} view: calibrate again for this camera position."
            )
        else:
            cues.append(CALIBRATE_CUE)
    cues += reasons
    boundaries = {k: Boundary(k, target, ref) for k, (target, ref) in bounds.items()}
    return Judgement(
        True,
        chosen,
        calibrated,
        status,
        tuple(problems),
        metrics,
        tuple(dict.fromkeys(c for c in cues if c)),
        boundaries,
        frozenset(out),
        None,
        scale,
        landmarks,
    )


def assess(
    pose: Pose | None,
    baseline: Baseline | None = None,
    *,
    view: str | None = None,
    spec: PostureSpec | None = None,
) -> Judgement:
    """Judge one still frame (the `posecheck posture` command): no timing, no memory.

    With a baseline, a body much smaller than the calibrated user's is reported as a bystander.
    """
    if view is not None and view not in POSTURE_VIEWS:
        raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
    spec = spec or posture_spec()
    reference = baseline.scale if baseline is not None else None
    judgement = judge_frame(pose, baseline, spec, view=view, reference_scale=reference)
    if pose is None:
        # A photo with nobody in it is "unknown", not "away": nothing is being timed.
        return Judgement(False, None, False, PostureStatus.UNKNOWN, (), {}, judgement.cues)
    return judgement


