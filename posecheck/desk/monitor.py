"""The desk posture monitor over time: poses with timestamps in, a `PostureResult` per frame
out, with alerts only when bad posture persists (hysteresis and a cooldown), time good / bad /
away, a timeline, and a stretch break after long sitting.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecheck.desk.baseline import Baseline
from posecheck.desk.judge import (
    GOOD_CUE,
    Boundary,
    Judgement,
    PostureStatus,
    judge_frame,
    resolve_sensitivity,
)
from posecheck.desk.view import detect_view, same_camera
from posecheck.landmarks import Landmark
from posecheck.pose import Pose
from posecheck.session import PostureTotals, SessionSummary, ShareCounter, Timeline
from posecheck.specs.desk import (
    POSTURE_VIEWS,
    PostureSettings,
    PostureSpec,
    posture_spec,
)
from posecheck.temporal import Alarm, CuePicker, StatusFilter

# --- over time -----------------------------------------------------------------------------


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
    stats: PostureTotals
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


#: A few dropped frames must not break a bad stretch; a longer gap in the stream does. A busy
#: machine drops frames to keep latency low (seen in the browser test: a frame every 1-1.5 s
#: at a load average of 20 on two cores), and a slouch seen on both sides of such a gap is
#: still a slouch: 2 s.
MAX_GAP_S = 2.0
#: The view must hold this long before the monitor switches rules (no flicker near 45 degrees).
VIEW_HOLD_S = 1.0


class PostureMonitor:
    """One user at one desk, one session. Not thread-safe: one monitor per stream.

    `view` forces "side", "front" or "three-quarter" instead of detecting it each frame.
    `sensitivity` is a preset name ("low", "medium", "high"); by default the baseline's, else
    the settings'. Both `baseline` and `sensitivity` may be changed between frames (a new
    calibration, the user moving a slider).
    """

    def __init__(
        self,
        baseline: Baseline | None = None,
        settings: PostureSettings | None = None,
        *,
        spec: PostureSpec | None = None,
        view: str | None = None,
        sensitivity: str | None = None,
    ) -> None:
        if view is not None and view not in POSTURE_VIEWS:
            raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
        self.spec = spec or posture_spec()
        self.settings = settings or self.spec.settings
        self.baseline = baseline
        self.view = view
        self._sensitivity = sensitivity
        resolve_sensitivity(sensitivity, baseline, self.settings)  # a bad name fails here
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
        self._timeline = Timeline()
        self._shares = ShareCounter()
        self._frames = 0
        self._with_baseline = 0  # frames judged against the baseline
        self._other_view: str | None = None  # a view the baseline did not fit

    @property
    def sensitivity(self) -> str:
        """The preset frames are judged with now."""
        return resolve_sensitivity(self._sensitivity, self.baseline, self.settings)

    @sensitivity.setter
    def sensitivity(self, name: str | None) -> None:
        resolve_sensitivity(name, self.baseline, self.settings)
        self._sensitivity = name

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
        if judgement.calibrated and status in (PostureStatus.GOOD, PostureStatus.BAD):
            self._with_baseline += 1
        elif judgement.excluded == "view":
            self._other_view = judgement.view

        absent = pose is None or judgement.excluded == "bystander"
        if absent and self._absent_s >= s.clear_s:
            # The user got up: whatever slouch came before is over.
            self._alarm.end_episode()
        if absent and self._absent_s >= s.break_reset_min * 60:
            self._seated_s, self._break_due = 0.0, False
        if self._seated_s >= s.break_after_min * 60:
            self._break_due = True
        self._last_status, self._last_seated, self._last_absent = status, not absent, absent
        self._timeline.add(status.value, t_s)
        self._frames += 1
        # Per problem, the share of frames judged (good or bad in a known view) without it.
        if status in (PostureStatus.GOOD, PostureStatus.BAD) and judgement.view is not None:
            for rule in self.spec.rules_for(judgement.view):
                self._shares.add(rule.problem, rule.problem not in judgement.problems)

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
            return judge_frame(None, self.baseline, self.spec)
        view = self.view
        if view is None:
            detected = detect_view(pose, self.spec)
            if detected is not None:
                view = self._views.update(detected, t_s)
        reference = None
        if view is not None:
            baseline = self.baseline
            fits = baseline is not None and same_camera(baseline.view, view)
            if baseline is not None and fits and baseline.scale is not None:
                reference = baseline.scale
            else:
                reference = self._scales.get(view)
        return judge_frame(
            pose, self.baseline, self.spec, view=view, active=self._active,
            reference_scale=reference, sensitivity=self.sensitivity,
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

    def _candidates(self, judgement: Judgement) -> list[str]:
        cues = list(judgement.cues)
        if judgement.status is PostureStatus.GOOD:
            cues = [GOOD_CUE, *cues]
        if self._break_due and judgement.status is not PostureStatus.BAD:
            minutes = self.settings.break_after_min
            names = ", ".join(self.settings.break_routine)
            cues.insert(0, f"{minutes:g} minutes seated: time for a stretch break ({names}).")
        return cues

    def _stats(self) -> PostureTotals:
        """Running totals in seconds (each interval between frames counts for the earlier
        frame)."""
        t = self._totals
        return PostureTotals(
            t[PostureStatus.GOOD],
            t[PostureStatus.BAD],
            t[PostureStatus.AWAY],
            t[PostureStatus.UNKNOWN],
            self._alarm.count,
            self._alarm.longest_s,
            self._seated_s,
            self._with_baseline > 0,
        )

    def notes(self) -> tuple[str, ...]:
        """Sentences about the session as a whole: a baseline that never fitted the camera."""
        if self.baseline is None or self._with_baseline or self._other_view is None:
            return ()
        return (
            f"Your baseline ({self.baseline.describe()}) does not fit this camera position "
            f"({self._other_view} view), so those frames were not judged: calibrate for this "
            "camera position, or leave the baseline out to use the general side-view limits.",
        )

    def summary(self) -> SessionSummary:
        """The session so far: totals, a timeline of statuses, the share of judged frames
        free of each problem."""
        duration = 0.0
        if self._first_t is not None and self._last_t is not None:
            duration = self._last_t - self._first_t
        totals = self._stats()
        # Time "in position" is the time judged (sitting in view, good or bad); good form is
        # the good time; posture has no reps.
        return SessionSummary(
            kind="posture",
            frames=self._frames,
            duration_s=duration,
            in_position_s=totals.good_s + totals.bad_s,
            good_form_s=totals.good_s,
            reps=None,
            segments=self._timeline.segments,
            checks=self._shares.shares(),
            posture=totals,
        )

    def take_break(self) -> None:
        """The user took the suggested break: start the seated clock again."""
        self._seated_s, self._break_due = 0.0, False

