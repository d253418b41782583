"""Session summaries: the numbers a session is remembered by, as one typed value for stretches
and desk posture alike, whether it ran live or over a recorded video.

    recorder = StretchRecorder()
    for result in coach_results:
        recorder.add(result)
    summary = recorder.summary()              # a frozen SessionSummary
    summary.good_form_s, summary.segments     # read by the app, the CLI and the history
    summary.to_json()                         # JSON only at the edges (files, database)

Engines make summaries (`StretchRecorder` for the coach, `PostureMonitor.summary()` for the desk
monitor, the routine review one per stretch it found, gathered in a "routine" summary); the
review adds what it learned about the video (`ReviewFacts`); front ends read the attributes;
`to_json`/`from_json` are the one place the summary's JSON shape is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from posecheck.limits import Status

if TYPE_CHECKING:
    from posecheck.coach import FrameResult, RepResult

KINDS = ("stretch", "posture", "routine")


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

    def merge(self, other: ShareCounter) -> None:
        """Add another counter's counts to this one."""
        for check, judged in other._judged.items():
            self._judged[check] = self._judged.get(check, 0) + judged
            self._ok[check] = self._ok.get(check, 0) + other._ok[check]

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
class RepCheck:
    """One check of one rep: the value judged at the rep's end range and its status."""

    id: str
    value: float | None
    status: Status

    def to_json(self) -> dict[str, Any]:
        value = None if self.value is None else round(self.value, 3)
        return {"id": self.id, "value": value, "status": self.status.value}


@dataclass(frozen=True)
class RepDetail:
    """One counted rep of a moving stretch: when it started, the moment it was judged (the
    bottom of a squat, the top of a bridge), when it was back at rest (None: the recording
    ended first), its verdict and each check's value and status there. Seconds from the
    session's start; `held_s` is the part spent holding the end range."""

    number: int
    start_s: float
    bottom_s: float
    end_s: float | None
    form_ok: bool
    checks: tuple[RepCheck, ...]
    held_s: float = 0.0

    @classmethod
    def of(cls, rep: RepResult) -> RepDetail:
        checks = tuple(
            RepCheck(v.check.id, v.measurement.value, v.status) for v in rep.verdicts
        )
        return cls(rep.number, rep.start_s, rep.bottom_s, rep.end_s, rep.form_ok, checks,
                   rep.held_s)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "rep": self.number,
            "start_s": round(self.start_s, 3),
            "bottom_s": round(self.bottom_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "form_ok": self.form_ok,
            "checks": [c.to_json() for c in self.checks],
            "held_s": round(self.held_s, 3),
        }


@dataclass(frozen=True)
class RoutineEntry:
    """One stretch found in a recorded routine: which, from when to when (seconds from the
    video's start), on which side (None: no sides, or both at once), that part's own stretch
    summary (in position, good form, reps and reps_detail, checks), and, where one camera
    angle cannot tell it from another catalog stretch, which and why (`note`)."""

    stretch: str
    start_s: float
    end_s: float
    side: str | None
    summary: SessionSummary
    ambiguous_with: tuple[str, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"a routine part cannot end before it starts: {self.start_s}..")
        if self.summary.stretch != self.stretch:
            raise ValueError("a routine part's summary is that of its own stretch")

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        return {
            "stretch": self.stretch,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "side": self.side,
            "in_position_s": round(s.in_position_s, 3),
            "good_form_s": round(s.good_form_s, 3),
            "reps": s.reps,
            "reps_detail": [r.to_json() for r in s.reps_detail],
            "checks": _checks_json(s.checks),
            "ambiguous_with": list(self.ambiguous_with),
            "note": self.note,
        }


@dataclass(frozen=True)
class SessionSummary:
    """One session in numbers.

    Every session: frames, duration_s, in_position_s (stretch: in position; posture: judged
    sitting time), good_form_s (stretch: held in good form; posture: good posture), reps (None
    for posture), segments (phases or statuses over time), checks (per check or posture
    problem, the share of judged frames it was ok). A stretch session also names its stretch,
    its good-form time per side and whether the goal was reached; a posture session carries
    `posture` totals; a reviewed video carries `review` facts.

    A stretch done as reps also has `reps_detail`, one entry per counted rep; its
    in_position_s is the time spent in its reps' working range (from leaving rest to coming
    back), its good_form_s that of the reps judged in good form (plus any hold at the end range
    on the hold timer), and its check shares are per rep (the share of reps a check was ok at
    their end range; `frames` then counts reps). A routine session (kind "routine", a review
    that found the stretches itself) has `routine`, one entry per stretch found in time order,
    and `unmatched_s`, the time that matched no stretch.
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
    reps_detail: tuple[RepDetail, ...] = ()
    routine: tuple[RoutineEntry, ...] | None = None
    unmatched_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if (self.kind == "stretch") != (self.stretch is not None):
            raise ValueError("a stretch summary names its stretch; the other kinds do not")
        if (self.kind == "posture") != (self.posture is not None):
            raise ValueError("a posture summary carries its posture totals; a stretch one not")
        if (self.kind == "routine") != (self.routine is not None):
            raise ValueError("a routine summary lists the stretches found; the others do not")

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
        if self.routine is not None:
            data = {
                "frames": self.frames,
                "duration_s": round(self.duration_s, 3),
                "in_position_s": round(self.in_position_s, 3),
                "good_form_s": round(self.good_form_s, 3),
                "reps": self.reps,
                "segments": [s.to_json() for s in self.segments],
                "checks": {},
                "routine": [entry.to_json() for entry in self.routine],
                "unmatched_s": round(self.unmatched_s, 3),
            }
        elif self.posture is None:
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
                "reps_detail": [r.to_json() for r in self.reps_detail],
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
    if isinstance(data.get("routine"), list) or kind == "routine":
        entries = tuple(_routine_entry(e) for e in data.get("routine") or ())
        return SessionSummary(
            "routine", frames, duration, _number(data.get("in_position_s")),
            _number(data.get("good_form_s")), int(_number(data.get("reps"))), segments,
            review=review, routine=entries, unmatched_s=_number(data.get("unmatched_s")),
        )  # fmt: skip
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
        reps_detail=tuple(
            _rep_detail(r, i) for i, r in enumerate(data.get("reps_detail") or (), 1)
        ),
    )  # fmt: skip


def _rep_detail(data: Mapping[str, Any], number: int) -> RepDetail:
    end = data.get("end_s")
    checks = tuple(
        RepCheck(str(c["id"]), None if c.get("value") is None else _number(c["value"]),
                 Status(c.get("status", "unknown")))
        for c in data.get("checks", ())
    )  # fmt: skip
    return RepDetail(
        int(_number(data.get("rep"), number)), _number(data.get("start_s")),
        _number(data.get("bottom_s")), None if end is None else _number(end),
        data.get("form_ok") is True, checks, _number(data.get("held_s")),
    )  # fmt: skip


def _routine_entry(data: Mapping[str, Any]) -> RoutineEntry:
    stretch = str(data["stretch"])
    start, end = _number(data.get("start_s")), _number(data.get("end_s"))
    summary = _from_json(
        {**data, "frames": 0, "duration_s": max(0.0, end - start), "segments": []}, None, stretch
    )
    note = data.get("note")
    return RoutineEntry(
        stretch, start, end, None if data.get("side") is None else str(data["side"]), summary,
        tuple(str(a) for a in data.get("ambiguous_with", ())),
        None if note is None else str(note),
    )  # fmt: skip


class StretchRecorder:
    """Accumulates coach `FrameResult`s into a stretch session summary; each frame stands for
    the time until the next one. Live sessions and recorded-video reviews use the same one.

    For a stretch done as reps, the rep numbers come from the reps the coach judged (its last
    result carries them all): time in the reps' working range, good-form time of the good
    reps, and check shares per rep (see `SessionSummary`)."""

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
        if result.in_position and result.rep_stage is None:
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
        in_position, good, checks = self.in_position_s, sum(held.values()), self._shares.shares()
        reps: tuple[RepDetail, ...] = ()
        if last is not None and last.rep_stage is not None:
            reps = tuple(RepDetail.of(rep) for rep in last.rep_log)
            in_position, good, checks = rep_totals(reps, last.t_s, good)
        return SessionSummary(
            kind="stretch",
            frames=self.frames,
            duration_s=self.duration_s,
            in_position_s=in_position,
            good_form_s=good,
            reps=last.reps if last else 0,
            segments=self._timeline.segments,
            checks=checks,
            stretch=self.stretch,
            good_form_by_side={side or "both": v for side, v in held.items()},
            done=bool(last and last.goal_met),
            reps_detail=reps,
        )


def rep_totals(
    reps: tuple[RepDetail, ...], now_s: float, held_s: float
) -> tuple[float, float, dict[str, CheckShare]]:
    """(in position, good form, check shares) of a stretch done as reps: see SessionSummary."""
    shares = ShareCounter()
    in_range = good = 0.0
    for rep in reps:
        length = max(0.0, (rep.end_s if rep.end_s is not None else now_s) - rep.start_s)
        in_range += length
        if rep.form_ok:
            good += max(0.0, length - rep.held_s)
        for check in rep.checks:
            if check.status is not Status.UNKNOWN:
                shares.add(check.id, check.status is Status.OK)
    return in_range, good + held_s, shares.shares()
