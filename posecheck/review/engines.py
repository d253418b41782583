"""The engines a review runs over every frame of a video: the stretch coach (`StretchReview`)
and the desk posture monitor (`PostureReview`), each with its CSV row, its faults per frame, its
drawing and its session summary. Live pages drive the same classes frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from posecheck.coach import Coach, FrameResult
from posecheck.desk import Baseline, Boundary, PostureMonitor, PostureResult
from posecheck.limits import Status
from posecheck.overlay import CoachAnnotator, PostureAnnotator
from posecheck.pose import Pose
from posecheck.session import SessionSummary, StretchRecorder
from posecheck.specs import StretchSpec
from posecheck.specs.desk import POSTURE_VIEWS
from posecheck.temporal import RepStage

Image = NDArray[np.uint8]


class ReviewEngine(Protocol):
    """What the review needs from an engine (stretch coach or posture monitor)."""

    kind: str

    def fieldnames(self) -> list[str]: ...
    def update(self, pose: Pose | None, t_s: float) -> Any: ...
    def annotate(self, frame: Image, result: Any) -> Image: ...
    def row(self, result: Any) -> dict[str, Any]: ...
    def faults(self, result: Any) -> dict[str, float]: ...
    def series(self, result: Any) -> dict[str, float | None]: ...
    def summary(self) -> SessionSummary: ...
    def notes(self) -> tuple[str, ...]: ...


@dataclass
class StretchReview:
    """The stretch coach as a review engine: per-frame rows, fault severity, the summary."""

    spec: StretchSpec
    side: str | None = None
    kind: str = "stretch"
    coach: Coach = field(init=False)
    recorder: StretchRecorder = field(init=False)
    annotator: CoachAnnotator = field(default_factory=CoachAnnotator)

    def __post_init__(self) -> None:
        self.coach = Coach(self.spec, self.side)
        self.recorder = StretchRecorder(self.spec.id)

    def fieldnames(self) -> list[str]:
        """The CSV columns: the same for every frame, one value and one status per check."""
        base = ["t_s", "phase", "side", "in_position", "form_ok", "hold_s", "reps", "rep",
                "rep_phase", "cue"]  # fmt: skip
        return base + [f"{c.id}{end}" for c in self.spec.checks for end in ("", "_status")]

    def update(self, pose: Pose | None, t_s: float) -> FrameResult:
        result = self.coach.update(pose, t_s)
        self.recorder.add(result)
        return result

    def annotate(self, frame: Image, result: FrameResult) -> Image:
        return self.annotator.annotate(frame, result)

    def row(self, result: FrameResult) -> dict[str, Any]:
        row: dict[str, Any] = {
            "t_s": round(result.t_s, 3), "phase": result.phase.value, "side": result.side or "",
            "in_position": int(result.in_position), "form_ok": int(result.form_ok),
            "hold_s": round(result.hold_s, 2), "reps": result.reps, "rep": rep_number(result),
            "rep_phase": result.rep_stage.value if result.rep_stage else "",
            "cue": result.cue or "",
        }
        for verdict in result.verdicts:
            value = verdict.measurement.value
            row[f"{verdict.check.id}"] = "" if value is None else round(value, 2)
            row[f"{verdict.check.id}_status"] = verdict.status.value
        return row

    def faults(self, result: FrameResult) -> dict[str, float]:
        """check id -> how far out of range, for checks needing adjustment on this frame."""
        out = {}
        for verdict in result.verdicts:
            value = verdict.measurement.value
            if verdict.status is Status.ADJUST and value is not None:
                target = verdict.check.target
                bound = target.min if verdict.direction == "low" else target.max
                out[verdict.check.id] = abs(value - bound) if bound is not None else 0.0
        return out

    def series(self, result: FrameResult) -> dict[str, float | None]:
        """check id -> the value measured on this frame (None where it was not seen)."""
        return {v.check.id: v.measurement.value for v in result.verdicts}

    def summary(self) -> SessionSummary:
        return self.recorder.summary()

    def notes(self) -> tuple[str, ...]:
        """Warnings about the session as a whole (none for stretches)."""
        return ()


def rep_number(result: FrameResult) -> int | str:
    """The number of the rep a frame belongs to ("" between reps, and for holds)."""
    if result.rep_stage is None or result.rep_stage is RepStage.REST:
        return ""
    last = result.last_rep
    if last is not None and last.end_s is None:
        return last.number
    return result.reps + 1


@dataclass
class PostureReview:
    """The desk posture monitor as a review engine. It also keeps each measure's latest live
    boundaries (`bounds`), so charts can draw the band the monitor judged against."""

    baseline: Baseline | None = None
    view: str | None = None
    sensitivity: str | None = None
    kind: str = "posture"
    monitor: PostureMonitor = field(init=False)
    annotator: PostureAnnotator = field(default_factory=PostureAnnotator)
    bounds: dict[str, Boundary] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.monitor = PostureMonitor(self.baseline, view=self.view, sensitivity=self.sensitivity)

    def fieldnames(self) -> list[str]:
        base = ["t_s", "status", "view", "problems", "alert", "excluded", "cue"]
        spec = self.monitor.spec
        measures = {m for view in POSTURE_VIEWS for m in spec.metrics_for(view)}
        return base + sorted(measures | {"head_yaw"})  # head_yaw: why a front frame is excluded

    def update(self, pose: Pose | None, t_s: float) -> PostureResult:
        result = self.monitor.update(pose, t_s)
        self.bounds.update(result.boundaries)
        return result

    def annotate(self, frame: Image, result: PostureResult) -> Image:
        return self.annotator.annotate(frame, result)

    def row(self, result: PostureResult) -> dict[str, Any]:
        row: dict[str, Any] = {
            "t_s": round(result.t_s, 3), "status": result.status.value,
            "view": result.view or "", "problems": ";".join(result.problems),
            "alert": int(result.alert), "excluded": result.excluded or "",
            "cue": result.cue or "",
        }
        for name, value in sorted(result.metrics.items()):
            row[name] = "" if value is None else round(value, 3)
        return row

    def faults(self, result: PostureResult) -> dict[str, float]:
        """problem -> how long the current bad stretch has lasted (the worst is the longest)."""
        return {problem: result.bad_for_s for problem in result.problems}

    def series(self, result: PostureResult) -> dict[str, float | None]:
        """measure -> its value on this frame (None where it was not measured)."""
        return dict(result.metrics)

    def summary(self) -> SessionSummary:
        return self.monitor.summary()

    def notes(self) -> tuple[str, ...]:
        """Warnings about the session as a whole: a baseline that never fitted the camera."""
        return self.monitor.notes()
