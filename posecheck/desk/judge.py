"""One frame judged against the desk posture rules (and the user's baseline): `assess` for a
still photo, `judge_frame` for the monitor, with the boundaries each measure must stay in.

With a front or three-quarter baseline the calibration decides the view: a frame is judged in
the calibrated view while the shoulders stay near the calibrated camera angle. Frames that
cannot be judged fairly are excluded (neither good nor bad, no alert comes closer): the head
turned past the user's own calibrated yaw range, the body swivelled away, someone else in
view, or a camera position the baseline was not made for (that one says to recalibrate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from posecheck.desk.baseline import Baseline
from posecheck.desk.view import detect_view, same_camera
from posecheck.landmarks import Landmark
from posecheck.limits import Range, Status, judge
from posecheck.metrics import Context, Measurement, get_metric, measure
from posecheck.pose import Pose
from posecheck.specs.desk import (
    POSTURE_VIEWS,
    PostureSettings,
    PostureSpec,
    check_sensitivity,
    posture_spec,
    rule_view,
)

CALIBRATE_CUE = (
    "Calibrate first: sit upright and record your baseline, so slouching can be judged "
    "from the front."
)
NOBODY_CUE = "Nobody in view: sit where the camera can see your head and shoulders."
TURNED_CUE = "Head turned away: posture is judged again when you face your screen."
BODY_TURNED_CUE = "You turned away from your screen: posture is judged again when you face it."
BYSTANDER_CUE = "The person in view is much smaller than you: someone else, not judged."
ELSEWHERE_CUE = "Someone else is in view, away from where you sat to calibrate: not judged."
MIXED_CUE = "Someone else is close to you in view and the camera mixes you up: not judged."
GOOD_CUE = "Good posture."


def view_cue(view: str, baseline: Baseline) -> str:
    """Why a baseline does not fit this frame, and what to do."""
    return (
        f"This is a {view} view, not the camera position your profile was calibrated for "
        f"({baseline.describe()}): face your screen, or calibrate again for this camera "
        "position."
    )


def resolve_sensitivity(
    explicit: str | None, baseline: Baseline | None, settings: PostureSettings
) -> str:
    """The sensitivity preset to judge with: the one asked for, else the profile's, else the
    settings' default; a `ValueError` lists the valid names."""
    chosen = explicit or (baseline.sensitivity if baseline is not None else None)
    return check_sensitivity(chosen or settings.sensitivity)


class PostureStatus(StrEnum):
    GOOD = "good"
    BAD = "bad"
    AWAY = "away"
    UNKNOWN = "unknown"


# --- one frame -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """The live limits of one metric (for display): from the general rules or the baseline.

    target: the range a value must stay in (beyond it the problem is named).
    band: with a baseline, the range the user moved through while calibrating; between it and
        the target lies the dead zone the sensitivity allows. None without a baseline.
    """

    metric: str
    target: Range
    reference: str  # "absolute" | "baseline"
    band: Range | None = None

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        out: dict[str, Any] = {
            "min": r(self.target.min), "max": r(self.target.max), "reference": self.reference,
        }  # fmt: skip
        if self.band is not None:
            out["range"] = [r(self.band.min), r(self.band.max)]
        return out


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


def _match(
    ctx: Context, detected: str, baseline: Baseline | None, settings: PostureSettings
) -> tuple[str, Baseline | None, str | None]:
    """The view to judge in, the baseline to judge against (None: judged without one), and
    why the frame is excluded instead ("body turned", "view"), if it is.

    A side baseline judges side frames. A front or three-quarter baseline judges frames whose
    shoulders are within `body_yaw_margin_deg` of the calibrated camera angle, in the calibrated
    view whatever a single frame looks like (world yaw is noisy); shoulders turned further are
    the user swivelled away, or, when the frame looks like another kind of view, another camera
    position. Without world landmarks the detected view must be the same kind.
    """
    if baseline is None:
        return detected, None, None
    if rule_view(baseline.view) == "side":
        return (detected, baseline, None) if detected == "side" else (detected, None, "view")
    yaw = measure(ctx, "shoulder_yaw").value
    body = baseline.bands.get("shoulder_yaw")
    if yaw is not None and body is not None:
        if body.contains(yaw, settings.body_yaw_margin_deg):
            return baseline.view, baseline, None
        return detected, None, "body turned" if same_camera(detected, baseline.view) else "view"
    if same_camera(detected, baseline.view):
        return baseline.view, baseline, None
    return detected, None, "view"


def _someone_else(
    ctx: Context, baseline: Baseline, settings: PostureSettings
) -> str | None:
    """With a front baseline: a face much smaller than the user's, or a body well away from
    where the user sat while calibrating, is someone else. Returns the cue, or None."""
    bands = baseline.bands
    face = measure(ctx, "face_size").value
    if face is not None and "face_size" in bands:
        if face < settings.bystander_scale * bands["face_size"].low:
            return BYSTANDER_CUE
        place = bands.get("body_x")
        x = measure(ctx, "body_x").value
        if place is not None and x is not None:
            width, height = ctx.pose.image_size
            # The calibrated face size is a share of the diagonal; body_x of the width.
            face_widths = bands["face_size"].median * (width**2 + height**2) ** 0.5 / width
            if not place.contains(x, settings.bystander_shift_faces * face_widths):
                return ELSEWHERE_CUE
    return None


def judge_frame(
    pose: Pose | None,
    baseline: Baseline | None,
    spec: PostureSpec,
    *,
    view: str | None = None,
    active: frozenset[str] = frozenset(),
    reference_scale: float | None = None,
    sensitivity: str | None = None,
) -> Judgement:
    """One frame against the rules of its view (and the baseline, when it fits this camera
    position). `view` replaces detection; `active` are the rule keys that were out last frame
    (they clear only once back inside by the margin); `reference_scale` is the user's body size
    for recognising a smaller bystander without a front baseline; `sensitivity` a preset name
    (default: the baseline's, else the settings')."""
    s = spec.settings
    preset = resolve_sensitivity(sensitivity, baseline, s)
    if pose is None:
        return Judgement(False, None, False, PostureStatus.AWAY, (), {}, (NOBODY_CUE,))
    if pose.mixed:  # a skeleton with two people's limbs (see posecheck.estimator): not judged
        return Judgement(
            True, view, False, PostureStatus.UNKNOWN, (), {}, (MIXED_CUE,), excluded="mixed"
        )
    ctx = Context(pose)
    detected = view or detect_view(pose, spec)
    if detected is None:
        reason = measure(ctx, "body_scale").reason or "Sit where the camera sees both shoulders."
        return Judgement(True, None, False, PostureStatus.UNKNOWN, (), {}, (reason,))
    chosen, use, refused = _match(ctx, detected, baseline, s)
    calibrated = use is not None
    front = rule_view(chosen) == "front"
    scale = measure(ctx, "body_scale").value
    names = spec.metrics_for(chosen) + (("head_yaw",) if front else ())
    measured: dict[str, Measurement] = {m: measure(ctx, m) for m in names}
    metrics = {name: m.value for name, m in measured.items()}
    landmarks = {name: m.landmarks for name, m in measured.items()}

    def excluded(reason: str, cue: str) -> Judgement:
        return Judgement(
            True, chosen, calibrated, PostureStatus.UNKNOWN, (), metrics, (cue,),
            excluded=reason, scale=scale, landmarks=landmarks,
        )  # fmt: skip

    if refused == "view" and baseline is not None:
        return excluded("view", view_cue(detected, baseline))
    if refused == "body turned":
        return excluded("body turned", BODY_TURNED_CUE)
    if use is not None and front:
        other = _someone_else(ctx, use, s)
        if other is not None:
            return excluded("bystander", other)
        yaw, turn = metrics.get("head_yaw"), use.bands.get("head_yaw")
        if yaw is not None and turn is not None and not turn.contains(yaw, s.head_yaw_margin_deg):
            return excluded("head turned", TURNED_CUE)
    else:
        turn_ratio = measure(ctx, "head_turn").value
        if turn_ratio is not None:
            if front:
                ears_seen = sum(ctx.seen(e) for e in (Landmark.LEFT_EAR, Landmark.RIGHT_EAR))
                limit = s.head_turn_front_max * (0.5 if ears_seen == 1 else 1.0)
                if turn_ratio > limit:
                    return excluded("head turned", TURNED_CUE)
            elif turn_ratio < s.head_turn_side_min:
                return excluded("head turned", TURNED_CUE)
        if _smaller(scale, reference_scale, s.bystander_scale):
            return excluded("bystander", BYSTANDER_CUE)

    bands = use.bands if use is not None else {}
    problems: list[str] = []
    problem_cues: list[str] = []
    reasons: list[str] = []
    out: set[str] = set()
    bounds: dict[str, Boundary] = {}
    judged = 0
    needs_calibration = False
    for rule in spec.rules_for(chosen):
        name = rule.metric
        if measured[name].value is None and rule.fallback is not None and rule.fallback in bands:
            name = rule.fallback  # the face alone when the shoulders are out of frame
        unit = get_metric(name).unit
        band = bands.get(name)
        limits = rule.limits(unit, None if band is None else band.triple, preset)
        if limits is None:
            needs_calibration = True
            continue
        target, reference = limits
        # One metric may have a rule for each direction (leaning in, reclining): its
        # boundary shows both.
        both = target
        old = bounds.get(name)
        if old is not None:
            both = Range(
                target.min if target.min is not None else old.target.min,
                target.max if target.max is not None else old.target.max,
            )
        shown = None if band is None else Range(band.low, band.high)
        bounds[name] = Boundary(name, both, reference, shown)
        m = measured[name]
        if m.value is None:
            reasons.append(m.reason)
            continue
        judged += 1
        # An active problem clears only once the value is back inside by the margin.
        margin = 0.0
        if rule.key in active:
            relative_to = band.median if reference == "baseline" and band is not None else 1.0
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
        cues.append(CALIBRATE_CUE)
    cues += reasons
    return Judgement(
        True,
        chosen,
        calibrated,
        status,
        tuple(problems),
        metrics,
        tuple(dict.fromkeys(c for c in cues if c)),
        bounds,
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
    sensitivity: str | None = None,
) -> Judgement:
    """Judge one still frame (the `posecheck posture` command): no timing, no memory.

    With a baseline, a body much smaller than the calibrated user's is reported as a bystander.
    """
    if view is not None and view not in POSTURE_VIEWS:
        raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
    spec = spec or posture_spec()
    reference = baseline.scale if baseline is not None else None
    judgement = judge_frame(
        pose, baseline, spec, view=view, reference_scale=reference, sensitivity=sensitivity
    )
    if pose is None:
        # A photo with nobody in it is "unknown", not "away": nothing is being timed.
        return Judgement(False, None, False, PostureStatus.UNKNOWN, (), {}, judgement.cues)
    return judgement
