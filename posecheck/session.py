"""Session summaries: the numbers a session is remembered by, as one typed value for stretches
and desk posture alike, whether it ran live or over a recorded video.

    recorder = StretchRecorder()
    for result in coach_results:
        recorder.add(result)
    summary = recorder.summary()              # a frozen SessionSummary
    summary.good_form_s, summary.segments     # read by the app, the CLI and the history
    summary.to_json()                         # JSON only at the edges (files, database)

Engines make summaries (`StretchRecorder` for the coach, `PostureMonitor.summary()` for the desk
monitor); the review adds what it learned about the video (`ReviewFacts`); front ends read the
attributes; `to_json`/`from_json` are the one place the summary's JSON shape is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from posecheck.limits import Status

if TYPE_CHECKING:
    from posecheck.coach import FrameResult

KINDS = ("stretch", "posture")


@dataclass(frozen=True)
class Segment:
    """A stretch of a session with one label: a coach phase ("setting up", "holding", ...) or a
    posture status ("good", "bad", "away", "unknown"). Seconds from the session's start."""

    start_s: float
    end_s: float
    label: str

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"a segment cannot end before it starts: {self.start_s}..{self.end_s}")

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "phase": self.label}  # fmt: skip


class Timeline:
    """Builds segments from one label per frame: a segment runs until the next frame's time."""

    def __init__(self) -> None:
        self._segments: list[Segment] = []

    def add(self, label: str, t_s: float) -> None:
        if self._segments:
            last = self._segments[-1]
            self._segments[-1] = Segment(last.start_s, t_s, last.label)
            if last.label == label:
                return
        self._segments.append(Segment(t_s, t_s, label))

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self._segments)

    def reset(self) -> None:
        self._segments.clear()


@dataclass(frozen=True)
class CheckShare:
    """How often one check (or posture problem) was fine: ok frames / judged frames."""

    ok_fraction: float
    frames: int


class ShareCounter:
    """Counts, per check, the frames it was judged and the frames it was ok."""

    def __init__(self) -> None:
        self._judged: dict[str, int] = {}
        self._ok: dict[str, int] = {}

    def add(self, check: str, ok: bool) -> None:
        self._judged[check] = self._judged.get(check, 0) + 1
        self._ok[check] = self._ok.get(check, 0) + ok

    def shares(self) -> dict[str, CheckShare]:
        return {
            check: CheckShare(self._ok[check] / judged, judged)
            for check, judged in self._judged.items()
        }

    def reset(self) -> None:
        self._judged.clear()
        self._ok.clear()


@dataclass(frozen=True)
class PostureTotals:
    """A desk session's own numbers, in seconds: time per status, alerts, the longest slouch,
    time seated, and whether a calibrated baseline judged it."""

    good_s: float
    bad_s: float
    away_s: float
    unknown_s: float
    alerts: int
    longest_bad_s: float
    seated_s: float
    calibrated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "good_s": round(self.good_s, 2),
            "bad_s": round(self.bad_s, 2),
            "away_s": round(self.away_s, 2),
            "unknown_s": round(self.unknown_s, 2),
            "alerts": self.alerts,
            "longest_bad_s": round(self.longest_bad_s, 2),
            "seated_s": round(self.seated_s, 2),
            "calibrated": self.calibrated,
        }


@dataclass(frozen=True)
class Fault:
    """The worst moment of one fault in a reviewed video."""

    fault: str
    t_s: float
    severity: float


@dataclass(frozen=True)
class VideoSource:
    """The reviewed file as the summary names it."""

    path: str
    width: int
    height: int
    fps: float | None
    rotation: int


@dataclass(frozen=True)
class ReviewFacts:
    """What a review of a recorded video adds to the session's numbers."""

    processing_fps: float
    person_frames: int
    multi_person_frames: int
    video: VideoSource
    faults: tuple[Fault, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Frames whose skeleton took limbs from two people (not judged).
    mixed_person_frames: int = 0

    @property
    def warning(self) -> str | None:
        """The warning sentences joined, or None when all went well."""
        return " ".join(self.warnings) or None


@dataclass(frozen=True)
class SessionSummary:
    """One session in numbers.

    Every session: frames, duration_s, in_position_s (stretch: in position; posture: judged
    sitting time), good_form_s (stretch: held in good form; posture: good posture), reps (None
    for posture), segments (phases or statuses over time), checks (per check or posture
    problem, the share of judged frames it was ok). A stretch session also names its stretch,
    its good-form time per side and whether the goal was reached; a posture session carries
    `posture` totals; a reviewed video carries `review` facts.
    """

    kind: str
    frames: int
    duration_s: float
    in_position_s: float
    good_form_s: float
    reps: int | None
    segments: tuple[Segment, ...] = ()
    checks: Mapping[str, CheckShare] = field(default_factory=dict)
    stretch: str | None = None
    good_form_by_side: Mapping[str, float] = field(default_factory=dict)
    done: bool = False
    posture: PostureTotals | None = None
    review: ReviewFacts | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if (self.kind == "stretch") != (self.stretch is not None):
            raise ValueError("a stretch summary names its stretch; a posture summary does not")
        if (self.kind == "posture") != (self.posture is not None):
            raise ValueError("a posture summary carries its posture totals; a stretch one not")

    def reviewed(self, facts: ReviewFacts) -> SessionSummary:
        """The same summary with what the review of a video learned."""
        return replace(self, review=facts)

    @property
    def warning(self) -> str | None:
        return self.review.warning if self.review is not None else None

    # --- JSON, at the edges ------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The review contract (PRODUCT.md): the keys every summary has, then the stretch's or
        the desk's own, then the review's."""
        data: dict[str, Any]
        if self.posture is None:
            data = {
                "stretch": self.stretch,
                "frames": self.frames,
                "duration_s": round(self.duration_s, 3),
                "in_position_s": round(self.in_position_s, 3),
                "good_form_s": round(self.good_form_s, 3),
                "good_form_by_side": {
                    side: round(v, 3) for side, v in self.good_form_by_side.items()
                },
                "reps": self.reps,
                "segments": [s.to_json() for s in self.segments],
                "checks": _checks_json(self.checks),
                "done": self.done,
            }
        else:
            data = {
                "posture": True,
                "frames": self.frames,
                "duration_s": round(self.duration_s, 2),
                **self.posture.to_json(),
                "segments": [s.to_json() for s in self.segments],
                "in_position_s": round(self.in_position_s, 2),
                "good_form_s": round(self.good_form_s, 2),
                "reps": None,
                "checks": _checks_json(self.checks),
            }
        if self.review is not None:
            r = self.review
            data["processing_fps"] = round(r.processing_fps, 2)
            data["person_frames"] = r.person_frames
            data["multi_person_frames"] = r.multi_person_frames
            data["mixed_person_frames"] = r.mixed_person_frames
            data["video"] = {
                "path": r.video.path, "width": r.video.width, "height": r.video.height,
                "fps": None if r.video.fps is None else round(r.video.fps, 3),
                "rotation": r.video.rotation,
            }  # fmt: skip
            data["faults"] = [
                {"fault": f.fault, "t_s": round(f.t_s, 3), "severity": round(f.severity, 2)}
                for f in r.faults
            ]
            if r.warning:
                data["warning"] = r.warning
            data["warnings"] = list(r.warnings)
        return data

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, kind: str | None = None, stretch: str | None = None
    ) -> SessionSummary:
        """Inverse of `to_json` (summaries read back from the history, where the row also
        says the `kind` and `stretch`); raises ValueError for a summary that is not one."""
        try:
            return _from_json(data, kind, stretch)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a session summary ({type(exc).__name__}: {exc})") from None


def _checks_json(checks: Mapping[str, CheckShare]) -> dict[str, Any]:
    return {
        check: {"ok_fraction": round(share.ok_fraction, 4), "frames": share.frames}
        for check, share in checks.items()
    }


def _number(value: Any, default: float = 0.0) -> float:
    """A JSON number as a float; anything else (text, true/false, null) reads as `default`, so
    one odd value in an old summary does not hide the rest of the session."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _from_json(data: Mapping[str, Any], kind: str | None, stretch: str | None) -> SessionSummary:
    segments = tuple(
        Segment(float(s["start_s"]), float(s["end_s"]), str(s["phase"]))
        for s in data.get("segments", ())
    )
    checks = {
        str(k): CheckShare(float(v["ok_fraction"]), int(v.get("frames", 0)))
        for k, v in dict(data.get("checks") or {}).items()
    }
    review = None
    if "processing_fps" in data and isinstance(data.get("video"), Mapping):
        v = data["video"]
        review = ReviewFacts(
            processing_fps=float(data["processing_fps"]),
            person_frames=int(data.get("person_frames", 0)),
            multi_person_frames=int(data.get("multi_person_frames", 0)),
            video=VideoSource(
                str(v.get("path", "")), int(v.get("width", 0)), int(v.get("height", 0)),
                None if v.get("fps") is None else float(v["fps"]), int(v.get("rotation", 0)),
            ),
            faults=tuple(
                Fault(str(f["fault"]), float(f["t_s"]), float(f["severity"]))
                for f in data.get("faults", ())
            ),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
            mixed_person_frames=int(data.get("mixed_person_frames", 0)),
        )  # fmt: skip
    frames = int(_number(data.get("frames")))
    duration = _number(data.get("duration_s"))
    if data.get("posture") or kind == "posture":
        totals = PostureTotals(
            _number(data.get("good_s")), _number(data.get("bad_s")),
            _number(data.get("away_s")), _number(data.get("unknown_s")),
            int(_number(data.get("alerts"))), _number(data.get("longest_bad_s")),
            _number(data.get("seated_s")), data.get("calibrated") is True,
        )  # fmt: skip
        return SessionSummary(
            "posture", frames, duration,
            _number(data.get("in_position_s"), totals.good_s + totals.bad_s),
            _number(data.get("good_form_s"), totals.good_s), None, segments, checks,
            posture=totals, review=review,
        )  # fmt: skip
    reps = data.get("reps")
    by_side = {str(k): _number(v) for k, v in (data.get("good_form_by_side") or {}).items()}
    return SessionSummary(
        "stretch", frames, duration, _number(data.get("in_position_s")),
        _number(data.get("good_form_s")), int(_number(reps)), segments,
        checks, stretch=str(data.get("stretch") or stretch),
        good_form_by_side=by_side,
        done=bool(data.get("done", False)), review=review,
    )  # fmt: skip


class StretchRecorder:
    """Accumulates coach `FrameResult`s into a stretch session summary; each frame stands for
    the time until the next one. Live sessions and recorded-video reviews use the same one."""

    def __init__(self, stretch: str) -> None:
        self.stretch = stretch
        self.frames = 0
        self.in_position_s = 0.0
        self._timeline = Timeline()
        self._shares = ShareCounter()
        self._first_t: float | None = None
        self._last: FrameResult | None = None

    def add(self, result: FrameResult) -> None:
        if self._last is not None:
            if self._last.in_position:
                self.in_position_s += max(0.0, result.t_s - self._last.t_s)
        else:
            self._first_t = result.t_s
        self._timeline.add(result.phase.value, result.t_s)
        if result.in_position:
            for verdict in result.verdicts:
                if verdict.status is not Status.UNKNOWN:
                    self._shares.add(verdict.check.id, verdict.status is Status.OK)
        self.frames += 1
        self._last = result

    @property
    def duration_s(self) -> float:
        if self._last is None or self._first_t is None:
            return 0.0
        return self._last.t_s - self._first_t

    @property
    def labels(self) -> Iterable[str]:
        """The phases seen so far, in time order."""
        return (s.label for s in self._timeline.segments)

    def summary(self) -> SessionSummary:
        last = self._last
        held = dict(last.hold_by_side) if last else {}
        return SessionSummary(
            kind="stretch",
            frames=self.frames,
            duration_s=self.duration_s,
            in_position_s=self.in_position_s,
            good_form_s=sum(held.values()),
            reps=last.reps if last else 0,
            segments=self._timeline.segments,
            checks=self._shares.shares(),
            stretch=self.stretch,
            good_form_by_side={side or "both": v for side, v in held.items()},
            done=bool(last and last.phase.value == "done"),
        )
