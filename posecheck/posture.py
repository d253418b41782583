"""The desk posture engine: one photo judged (`assess`), a baseline recorded (`calibrate`), and a
stream of poses watched over time (`PostureMonitor`) with alerts that do not cry wolf.

    baseline = calibrate(poses_of_a_few_upright_seconds)
    monitor = PostureMonitor(baseline)
    result = monitor.update(pose, t_s)      # pose may be None (nobody in view)
    if result.alert: beep()
    monitor.summary()                       # good/bad/away time, alerts, timeline

The rules are data (specs/posture.toml). Without a baseline only the side view's absolute rules
judge slouching; the front view says it needs calibration. Frames where the head is turned
away, nobody is there, or the main body is much smaller than the user's (a bystander) neither
count as bad nor move an alert closer.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import numpy as np

from posecheck.errors import PosecheckError
from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Measurement, Unmeasurable, get_metric, measure
from posecheck.pose import Pose
from posecheck.specs.posture import (
    POSTURE_VIEWS,
    PostureRule,
    PostureSettings,
    PostureSpec,
    posture_spec,
)
from posecheck.temporal import Alarm, CuePicker, StatusFilter

__all__ = [
    "BASELINE_FORMAT",
    "Baseline",
    "Boundary",
    "CalibrationError",
    "Judgement",
    "PostureMonitor",
    "PostureResult",
    "PostureStats",
    "PostureStatus",
    "PostureSummary",
    "Segment",
    "assess",
    "calibrate",
    "detect_view",
]

BASELINE_FORMAT = "posecheck-posture-baseline"
BASELINE_VERSION = 1

CALIBRATE_CUE = (
    "Calibrate first: sit upright and record your baseline, so slouching can be judged "
    "from the front."
)
NOBODY_CUE = "Nobody in view: sit where the camera can see your head and shoulders."
TURNED_CUE = "Head turned away: posture is judged again when you face your screen."
BYSTANDER_CUE = "The person in view is much smaller than you: someone else, not judged."
GOOD_CUE = "Good posture."


class PostureStatus(StrEnum):
    GOOD = "good"
    BAD = "bad"
    AWAY = "away"
    UNKNOWN = "unknown"


class CalibrationError(PosecheckError, ValueError):
    """A calibration that cannot be trusted; the message says what to do differently."""


# --- baseline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The user's upright posture for one camera position.

    metrics: the median of each posture metric over the calibration frames.
    spread: each metric's median absolute deviation (how still the user sat).
    scale: the median `body_scale`, to recognise a smaller bystander; None if not measured.
    """

    view: str
    metrics: dict[str, float]
    spread: dict[str, float]
    scale: float | None
    frames: int
    created: str = ""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "view": self.view,
            "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
            "spread": {k: round(v, 6) for k, v in self.spread.items()},
            "scale": None if self.scale is None else round(self.scale, 6),
            "frames": self.frames,
            "created": self.created,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Any) -> Baseline:
        """Inverse of `to_json`; a `ValueError` says what is wrong with the data."""
        if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
            raise ValueError("it is not a posecheck posture baseline")
        if data.get("version") != BASELINE_VERSION:
            raise ValueError(f"baseline version {data.get('version')!r} is not supported")
        view = data.get("view")
        if view not in POSTURE_VIEWS:
            raise ValueError(f"its view {view!r} is not one of {', '.join(POSTURE_VIEWS)}")

        def numbers(key: str) -> dict[str, float]:
            table = data.get(key)
            if not isinstance(table, dict):
                raise ValueError(f"{key!r} must be a table of numbers")
            out = {}
            for name, value in table.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{key}.{name} must be a number, got {value!r}")
                if not math.isfinite(value):
                    raise ValueError(f"{key}.{name} must be finite")
                get_metric(name)  # an unknown metric name is a KeyError listing valid ones
                out[name] = float(value)
            return out

        try:
            metrics, spread = numbers("metrics"), numbers("spread")
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        scale = data.get("scale")
        if scale is not None and (
            isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0
        ):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        frames = data.get("frames")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be a whole number, 1 or more, got {frames!r}")
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings must be a list of sentences")
        return cls(
            view,
            metrics,
            spread,
            None if scale is None else float(scale),
            frames,
            str(data.get("created", "")),
            tuple(warnings),
        )


# --- one frame -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """The live limits of one metric (for display): from the general rules or the baseline."""

    metric: str
    min: float | None
    max: float | None
    reference: str  # "absolute" | "baseline"

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {"min": r(self.min), "max": r(self.max), "reference": self.reference}


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


def _yaw_from_2d(ctx: Context) -> float | None:
    """Shoulder yaw guessed from the shoulder width against the neck (no world landmarks)."""
    pose = ctx.pose
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    if not (ctx.seen(ls) and ctx.seen(rs)):
        return 90.0  # one shoulder hidden behind the other: a profile
    try:
        neck = float(np.linalg.norm(ctx.mid("SHOULDER") - ctx.mid("EAR")))
    except Unmeasurable:
        return None
    width = float(np.linalg.norm(pose.xy(ls) - pose.xy(rs)))
    if neck < 1.0:
        return None
    # A front-on adult's shoulders are about 2.5 neck lengths (shoulder line to ears) wide.
    return float(np.degrees(np.arccos(min(1.0, width / neck / 2.5))))


def detect_view(pose: Pose, spec: PostureSpec | None = None) -> str | None:
    """ "side" or "front" for the posture rules (a three-quarter view takes the nearer one),
    None when the shoulders cannot be placed."""
    settings = (spec or posture_spec()).settings
    ctx = Context(pose)
    yaw = measure(ctx, "shoulder_yaw").value
    if yaw is None:
        yaw = _yaw_from_2d(ctx)
    if yaw is None:
        return None
    return "side" if yaw >= settings.side_yaw_min else "front"


def _smaller(scale: float | None, reference: float | None, share: float) -> bool:
    """A body under `share` of the reference size: someone else, further from the camera."""
    return scale is not None and reference is not None and scale < share * reference


def _limits(
    rule: PostureRule, base: float | None, unit: str
) -> tuple[float | None, float | None, str] | None:
    if base is not None and rule.relative:
        # Angles deviate in degrees; ratios by a share of the user's own value.
        size = 1.0 if unit == "deg" else abs(base)
        low = None if rule.deviation_min is None else base + rule.deviation_min * size
        high = None if rule.deviation_max is None else base + rule.deviation_max * size
        return low, high, "baseline"
    if rule.absolute:
        return rule.min, rule.max, "absolute"
    return None


def _judge(
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
    bounds: dict[str, tuple[float | None, float | None, str]] = {}
    judged = 0
    needs_calibration = False
    for rule in spec.rules_for(chosen):
        unit = get_metric(rule.metric).unit
        base = baseline.metrics.get(rule.metric) if calibrated and baseline else None
        limits = _limits(rule, base, unit)
        if limits is None:
            needs_calibration = True
            continue
        low, high, reference = limits
        old = bounds.get(rule.metric, (None, None, reference))
        bounds[rule.metric] = (
            low if low is not None else old[0],
            high if high is not None else old[1],
            reference,
        )
        m = measured[rule.metric]
        if m.value is None:
            reasons.append(m.reason)
            continue
        judged += 1
        margin = 0.0
        if rule.key in active:
            margin = (
                s.margin_deg
                if unit == "deg"
                else s.margin_ratio
                * (abs(base) if reference == "baseline" and base is not None else 1.0)
            )
        too_low = low is not None and m.value < low + margin
        too_high = high is not None and m.value > high - margin
        if too_low or too_high:
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
    boundaries = {k: Boundary(k, lo, hi, ref) for k, (lo, hi, ref) in bounds.items()}
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
    judgement = _judge(pose, baseline, spec, view=view, reference_scale=reference)
    if pose is None:
        # A photo with nobody in it is "unknown", not "away": nothing is being timed.
        return Judgement(False, None, False, PostureStatus.UNKNOWN, (), {}, judgement.cues)
    return judgement


# --- calibration ---------------------------------------------------------------------------


def _describe(metric: str) -> str:
    return metric.replace("_", " ")


def calibrate(
    poses: Sequence[Pose | None],
    *,
    view: str | None = None,
    spec: PostureSpec | None = None,
    min_frames: int = 1,
) -> Baseline:
    """The user's upright baseline from a few seconds of frames (or a single photo).

    Robust statistics: the median of each metric over the frames, refused with a
    `CalibrationError` when too few frames show a person or the person moved (a median
    absolute deviation above the spec's limits).
    """
    if view is not None and view not in POSTURE_VIEWS:
        raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
    spec = spec or posture_spec()
    cal = spec.calibration
    total = len(poses)
    if total == 0:
        raise CalibrationError("No frames to calibrate from: sit upright in view and try again.")
    present = [p for p in poses if p is not None]
    needed = max(min_frames, math.ceil(cal.min_present_fraction * total))
    if len(present) < needed:
        raise CalibrationError(
            f"Only {len(present)} of {total} frames showed a person: sit upright where the "
            "camera sees your head and shoulders, and calibrate again."
        )
    views = [view or detect_view(p, spec) for p in present]
    counts = Counter(v for v in views if v is not None)
    if not counts:
        raise CalibrationError(
            "The camera could not place your shoulders: sit facing it or side-on, head and "
            "shoulders in view, and calibrate again."
        )
    chosen = counts.most_common(1)[0][0]
    frames = [p for p, v in zip(present, views, strict=True) if v == chosen]
    if len(frames) < needed:
        raise CalibrationError(
            "You turned between side-on and facing the camera while calibrating: keep still "
            "in one position and calibrate again."
        )
    contexts = [Context(p) for p in frames]
    medians: dict[str, float] = {}
    spreads: dict[str, float] = {}
    reasons: list[str] = []
    for name in (*spec.metrics_for(chosen), "body_scale"):
        results = [measure(ctx, name) for ctx in contexts]
        values = np.array([m.value for m in results if m.value is not None], dtype=np.float64)
        if len(values) < max(1, math.ceil(0.5 * len(frames))):
            reasons += [m.reason for m in results if m.reason]
            continue
        median = float(np.median(values))
        spread = float(np.median(np.abs(values - median)))
        unit = get_metric(name).unit
        limit = cal.max_spread_deg if unit == "deg" else cal.max_spread_ratio * abs(median)
        if spread > limit:
            amount = f"{spread:.1f}°" if unit == "deg" else f"{100 * spread / abs(median):.0f} %"
            raise CalibrationError(
                f"You moved too much while calibrating ({_describe(name)} varied by {amount}): "
                f"sit still and upright for {cal.seconds:g} seconds and calibrate again."
            )
        medians[name], spreads[name] = median, spread
    scale = medians.pop("body_scale", None)
    spreads.pop("body_scale", None)
    usable = [r for r in spec.rules_for(chosen) if r.relative and r.metric in medians]
    if not usable:
        hint = reasons[0] if reasons else "Sit where the camera sees your head and shoulders."
        raise CalibrationError(f"Could not measure your posture to calibrate: {hint}")
    warnings = []
    for rule in spec.rules_for(chosen):
        value = medians.get(rule.metric)
        if value is None or not rule.absolute:
            continue
        if (rule.max is not None and value > rule.max) or (
            rule.min is not None and value < rule.min
        ):
            warnings.append(
                f"Your upright baseline already measures {_describe(rule.metric)} "
                f"{value:.0f} ({rule.problem} beyond the general limit): make sure you sat "
                "upright, or calibrate again."
            )
    return Baseline(
        chosen,
        medians,
        spreads,
        scale,
        len(frames),
        datetime.now(UTC).isoformat(timespec="seconds"),
        tuple(warnings),
    )


# --- over time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostureStats:
    """Running totals in seconds (each interval between frames counts for the earlier frame)."""

    good_s: float = 0.0
    bad_s: float = 0.0
    away_s: float = 0.0
    unknown_s: float = 0.0
    alerts: int = 0
    longest_bad_s: float = 0.0
    seated_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "good_s": round(self.good_s, 2),
            "bad_s": round(self.bad_s, 2),
            "away_s": round(self.away_s, 2),
            "unknown_s": round(self.unknown_s, 2),
            "alerts": self.alerts,
            "longest_bad_s": round(self.longest_bad_s, 2),
            "seated_s": round(self.seated_s, 2),
        }


@dataclass(frozen=True)
class PostureResult:
    """What the monitor says about one frame."""

    t_s: float
    status: PostureStatus
    view: str | None
    calibrated: bool
    problems: tuple[str, ...]
    metrics: dict[str, float | None]
    alert: bool
    cue: str | None
    stats: PostureStats
    break_due: bool
    routine: tuple[str, ...]
    boundaries: dict[str, Boundary]
    excluded: str | None = None
    bad_for_s: float = 0.0
    cues: tuple[str, ...] = ()
    pose: Pose | None = field(default=None, repr=False, compare=False)
    landmarks: dict[str, tuple[Landmark, ...]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "t_s": round(self.t_s, 3),
            "status": self.status.value,
            "view": self.view,
            "calibrated": self.calibrated,
            "problems": list(self.problems),
            "metrics": {k: None if v is None else round(v, 4) for k, v in self.metrics.items()},
            "alert": self.alert,
            "cue": self.cue,
            "excluded": self.excluded,
            "bad_for_s": round(self.bad_for_s, 2),
            "stats": self.stats.to_json(),
            "break_due": self.break_due,
            "routine": list(self.routine),
            "boundaries": {k: b.to_json() for k, b in self.boundaries.items()},
        }


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    status: str

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "status": self.status}  # fmt: skip


@dataclass(frozen=True)
class PostureSummary:
    """A session in numbers, for the review and the history."""

    duration_s: float
    good_s: float
    bad_s: float
    away_s: float
    unknown_s: float
    alerts: int
    longest_bad_s: float
    seated_s: float
    calibrated: bool
    timeline: tuple[Segment, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 2),
            "good_s": round(self.good_s, 2),
            "bad_s": round(self.bad_s, 2),
            "away_s": round(self.away_s, 2),
            "unknown_s": round(self.unknown_s, 2),
            "alerts": self.alerts,
            "longest_bad_s": round(self.longest_bad_s, 2),
            "seated_s": round(self.seated_s, 2),
            "calibrated": self.calibrated,
            "timeline": [s.to_json() for s in self.timeline],
        }


class _ReferenceScale:
    """The user's body size per view when there is no baseline: the median of the sizes seen
    on frames that were judged, so a bystander (never judged) cannot drag it down."""

    def __init__(self, window: int = 600, minimum: int = 20) -> None:
        self._values: dict[str, deque[float]] = {}
        self._window, self._minimum = window, minimum

    def add(self, view: str, scale: float) -> None:
        self._values.setdefault(view, deque(maxlen=self._window)).append(scale)

    def get(self, view: str) -> float | None:
        values = self._values.get(view)
        if values is None or len(values) < self._minimum:
            return None
        return float(np.median(np.asarray(values)))

    def reset(self) -> None:
        self._values.clear()


#: A dropped frame or two must not break a bad stretch; a longer gap in the stream does.
MAX_GAP_S = 1.0
#: The view must hold this long before the monitor switches rules (no flicker near 45 degrees).
VIEW_HOLD_S = 1.0


class PostureMonitor:
    """One user at one desk, one session. Not thread-safe: one monitor per stream.

    `view` forces "side" or "front" instead of detecting it each frame.
    """

    def __init__(
        self,
        baseline: Baseline | None = None,
        settings: PostureSettings | None = None,
        *,
        spec: PostureSpec | None = None,
        view: str | None = None,
    ) -> None:
        if view is not None and view not in POSTURE_VIEWS:
            raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
        self.spec = spec or posture_spec()
        self.settings = settings or self.spec.settings
        self.baseline = baseline
        self.view = view
        s = self.settings
        self._alarm = Alarm(s.alert_after_s, s.clear_s, s.cooldown_s, MAX_GAP_S)
        self._views = StatusFilter(VIEW_HOLD_S)
        self._cues = CuePicker()
        self._scales = _ReferenceScale()
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new session with the same baseline and settings."""
        self._alarm.reset()
        self._views.reset()
        self._cues.reset()
        self._scales.reset()
        self._active: frozenset[str] = frozenset()
        self._last_t: float | None = None
        self._first_t: float | None = None
        self._last_status: PostureStatus | None = None
        self._last_seated = False
        self._last_absent = False
        self._totals = dict.fromkeys(PostureStatus, 0.0)
        self._seated_s = 0.0
        self._absent_s = 0.0
        self._break_due = False
        self._segments: list[list[Any]] = []

    # --- the per-frame step ---------------------------------------------------------------

    def update(self, pose: Pose | None, t_s: float) -> PostureResult:
        """Advance to time `t_s` (seconds, increasing) with this frame's main pose (or None)."""
        if self._last_t is not None and t_s <= self._last_t:
            raise ValueError(f"time must increase: got {t_s} s after {self._last_t} s")
        self._account(t_s)
        s = self.settings

        judgement = self._judge(pose, t_s)
        status = judgement.status
        if pose is None or judgement.excluded is not None:
            alert = self._alarm.update(None, t_s)
        elif status in (PostureStatus.GOOD, PostureStatus.BAD):
            alert = self._alarm.update(status is PostureStatus.BAD, t_s)
            if judgement.scale is not None and judgement.view is not None:
                self._scales.add(judgement.view, judgement.scale)
        else:
            alert = self._alarm.update(None, t_s)
        self._active = judgement.active

        absent = pose is None or judgement.excluded == "bystander"
        if absent and self._absent_s >= s.clear_s:
            # The user got up: whatever slouch came before is over.
            self._alarm.end_episode()
        if absent and self._absent_s >= s.break_reset_min * 60:
            self._seated_s, self._break_due = 0.0, False
        if self._seated_s >= s.break_after_min * 60:
            self._break_due = True
        self._last_status, self._last_seated, self._last_absent = status, not absent, absent
        self._extend_timeline(status, t_s)

        cue = self._cues.update(self._candidates(judgement), t_s)
        return PostureResult(
            t_s,
            status,
            judgement.view,
            judgement.calibrated,
            judgement.problems,
            judgement.metrics,
            alert,
            cue,
            self._stats(),
            self._break_due,
            s.break_routine if self._break_due else (),
            judgement.boundaries,
            judgement.excluded,
            self._alarm.on_s,
            judgement.cues,
            pose,
            judgement.landmarks,
        )

    def _judge(self, pose: Pose | None, t_s: float) -> Judgement:
        if pose is None:
            return _judge(None, self.baseline, self.spec)
        view = self.view
        if view is None:
            detected = detect_view(pose, self.spec)
            if detected is not None:
                view = self._views.update(detected, t_s)
        reference = None
        if view is not None:
            baseline = self.baseline
            if baseline is not None and baseline.view == view and baseline.scale is not None:
                reference = baseline.scale
            else:
                reference = self._scales.get(view)
        return _judge(
            pose, self.baseline, self.spec, view=view, active=self._active,
            reference_scale=reference,
        )  # fmt: skip

    def _account(self, t_s: float) -> None:
        """Give the time since the last frame to the last frame's status."""
        if self._last_t is None:
            self._first_t = t_s
        elif self._last_status is not None:
            dt = t_s - self._last_t
            self._totals[self._last_status] += dt
            if self._last_seated:
                self._seated_s += dt
            self._absent_s = self._absent_s + dt if self._last_absent else 0.0
        self._last_t = t_s

    def _extend_timeline(self, status: PostureStatus, t_s: float) -> None:
        if self._segments and self._segments[-1][2] == status.value:
            self._segments[-1][1] = t_s
            return
        if self._segments:
            self._segments[-1][1] = t_s
        self._segments.append([t_s, t_s, status.value])

    def _candidates(self, judgement: Judgement) -> list[str]:
        cues = list(judgement.cues)
        if judgement.status is PostureStatus.GOOD:
            cues = [GOOD_CUE, *cues]
        if self._break_due and judgement.status is not PostureStatus.BAD:
            minutes = self.settings.break_after_min
            names = ", ".join(self.settings.break_routine)
            cues.insert(0, f"{minutes:g} minutes seated: time for a stretch break ({names}).")
        return cues

    def _stats(self) -> PostureStats:
        t = self._totals
        return PostureStats(
            t[PostureStatus.GOOD],
            t[PostureStatus.BAD],
            t[PostureStatus.AWAY],
            t[PostureStatus.UNKNOWN],
            self._alarm.count,
            self._alarm.longest_s,
            self._seated_s,
        )

    def summary(self) -> PostureSummary:
        """The session so far: totals and a timeline of (start_s, end_s, status) segments."""
        stats = self._stats()
        duration = 0.0
        if self._first_t is not None and self._last_t is not None:
            duration = self._last_t - self._first_t
        return PostureSummary(
            duration,
            stats.good_s,
            stats.bad_s,
            stats.away_s,
            stats.unknown_s,
            stats.alerts,
            stats.longest_bad_s,
            stats.seated_s,
            self.baseline is not None,
            tuple(Segment(a, b, c) for a, b, c in self._segments),
        )

    def take_break(self) -> None:
        """The user took the suggested break: start the seated clock again."""
        self._seated_s, self._break_due = 0.0, False
