"""A recorded routine reviewed without naming the stretch: which catalog stretch is done when,
found from the specs' own entry conditions and reps, then each part judged by that stretch's
coach (checks, hold, reps, per side).

    engine = RoutineReview()                       # every catalog stretch
    result = review("session.mp4", engine, outputs)
    for part in result.summary.routine: ...        # stretch, start_s, end_s, side, summary

`RoutineSegmenter` decides causally, frame by frame, with hysteresis in time: a stretch held
starts a segment once its entry condition has held `enter_s` without a break longer than
`bridge_s` (a lunge's bottom, a tabletop on the way into child's pose never last that long); a
stretch done as reps starts one after `reps_to_start` counted reps; a segment ends once its
evidence has been missing `exit_s` (`rep_gap_s` with reps), and its start and end are dated
back to where the evidence began and ended. Segments shorter than `min_segment_s` are not
reported. Where another stretch's entry held through much of a segment (or both qualified at
once), the segment says it could be either (`ambiguous_with`, with the spec's `looks_like`
sentence) instead of guessing.

`RoutineReview` runs the landmarker once (the review pipeline's), asks every spec's entry
condition about every frame cheaply (`posecheck.rules.entries`, the hold stretches ten times a
second), follows the rep stretches' metrics with light rep trackers, and keeps a few seconds of
poses, so that a segment's own coach can be replayed from its dated-back start. Memory stays
flat: the poses of the last `replay_s` seconds and the frames since the segment's last
evidence.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posecheck.coach import Coach, FrameResult, Phase
from posecheck.limits import Status
from posecheck.metrics import Context, Limb, measure
from posecheck.overlay import CoachAnnotator, SkeletonAnnotator, draw_tag
from posecheck.pose import Pose
from posecheck.review.engines import rep_number
from posecheck.rules import entries
from posecheck.session import (
    CheckShare,
    RepDetail,
    RoutineEntry,
    Segment,
    SessionSummary,
    ShareCounter,
    rep_totals,
)
from posecheck.specs import StretchSpec, catalog
from posecheck.temporal import CycleTracker, RepPhases

Image = NDArray[np.uint8]

#: The label of time that matched no stretch, in the routine's timeline.
NO_STRETCH = "no stretch"


@dataclass(frozen=True)
class SegmenterSettings:
    """Tuning, in one place; times in seconds (see the module docstring for what each does).

    tie_wait_s: when several stretches qualify at once, wait up to this long for all but one
        to drop out; the one whose evidence began first is chosen, the others are named in
        `ambiguous_with`. switch_idle_s: another stretch that qualifies takes over once the
        active one has had no evidence this long. away_s: nobody in view this long ends a
        segment. overlap_share / looks_like_share: another stretch whose entry held on this
        share of a segment's frames makes it ambiguous (a lower share for the pairs a spec
        lists in `looks_like`). main_check_share: a stretch whose first required check (the
        one that makes it that stretch: the knee drawn to the chest) was ok on less than this
        share of its judged frames is also named ambiguous with the stretches it looks like:
        recognised by its entry, it never looked like itself. side_confirm_s: the other side
        must hold this long to start a part of its own; side_min_s: a side shorter than this
        stays with its neighbour. replay_s: poses kept to replay a segment from its start.
        entry_every_s: how often the hold stretches' entry conditions are asked (the rep
        stretches': every frame).
    """

    enter_s: float = 2.0
    bridge_s: float = 0.4
    exit_s: float = 2.0
    reps_to_start: int = 2
    rep_window_s: float = 10.0
    rep_gap_s: float = 5.0
    switch_idle_s: float = 0.5
    tie_wait_s: float = 2.0
    min_segment_s: float = 3.0
    away_s: float = 2.0
    overlap_share: float = 0.5
    looks_like_share: float = 0.1
    main_check_share: float = 0.5
    side_min_s: float = 2.0
    side_confirm_s: float = 1.0
    replay_s: float = 15.0
    entry_every_s: float = 0.09

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}")


@dataclass
class StretchSegment:
    """A segment under way or closed: one stretch from `start_s` to `end_s`."""

    stretch: str
    start_s: float
    end_s: float
    last_evidence_s: float
    reps: list[tuple[float, float]] = field(default_factory=list)
    ambiguous_with: set[str] = field(default_factory=set)
    frames: int = 0
    overlap: dict[str, int] = field(default_factory=dict)
    reported: bool = False
    #: Frames (and other stretches' entries on them) since the last evidence: they count
    #: toward `overlap` only if the segment's evidence goes on past them.
    pending_frames: int = 0
    pending_overlap: dict[str, int] = field(default_factory=dict)

    def count(self, others: Mapping[str, bool], evidence: bool) -> None:
        self.pending_frames += 1
        for k, on in others.items():
            if on and k != self.stretch:
                self.pending_overlap[k] = self.pending_overlap.get(k, 0) + 1
        if evidence:
            self.frames += self.pending_frames
            for k, n in self.pending_overlap.items():
                self.overlap[k] = self.overlap.get(k, 0) + n
            self.pending_frames, self.pending_overlap = 0, {}


@dataclass
class _Run:
    """The current run of one stretch's hold evidence (gaps up to bridge_s joined)."""

    start: float
    last: float


class RoutineSegmenter:
    """Which stretch is done when, decided frame by frame (see the module docstring).

    `update(t, person, holding, reps, entries)`: `holding` says, per stretch, whether this
    frame is evidence of holding it (its entry condition; for a stretch also done as reps,
    with the rep metric at its end range: a bridge's lying start is not a bridge); `reps`
    lists reps completed on this frame as (start_s, end_s); `entries` (optional) every
    stretch's raw entry on this frame, for `ambiguous_with`. Returns the segments closed on
    this frame (`reported` says whether each is long enough to report).
    """

    def __init__(
        self,
        modes: Mapping[str, str],
        settings: SegmenterSettings | None = None,
        looks_like: frozenset[frozenset[str]] = frozenset(),
    ) -> None:
        self.modes = dict(modes)
        self.settings = settings or SegmenterSettings()
        self.looks_like = looks_like
        self.active: StretchSegment | None = None
        self._runs: dict[str, _Run] = {}
        self._reps: dict[str, deque[tuple[float, float]]] = {}
        self._pending_since: float | None = None
        self._last_person: float | None = None
        self._floor = float("-inf")  # evidence before this (a closed segment's end) is spent

    def _qualifies(self, stretch: str, t: float) -> bool:
        s = self.settings
        run = self._runs.get(stretch)
        if run is not None and run.last >= t and run.last - run.start >= s.enter_s:
            return True
        recent = [r for r in self._reps.get(stretch, ()) if r[1] > t - s.rep_window_s]
        return len(recent) >= s.reps_to_start

    def _start_of(self, stretch: str, t: float) -> float:
        starts = []
        run = self._runs.get(stretch)
        if run is not None and run.last >= t - self.settings.bridge_s:
            starts.append(run.start)
        recent = [r for r in self._reps.get(stretch, ()) if r[1] > t - self.settings.rep_window_s]
        if recent:
            starts.append(recent[0][0])
        return max(self._floor, min(starts)) if starts else t

    def update(
        self,
        t: float,
        person: bool,
        holding: Mapping[str, bool],
        reps: Mapping[str, Sequence[tuple[float, float]]] | None = None,
        entries: Mapping[str, bool] | None = None,
    ) -> list[StretchSegment]:
        s = self.settings
        closed: list[StretchSegment] = []
        reps = reps or {}
        a = self.active
        if a is not None and entries is not None and person:
            a.count(entries, bool(holding.get(a.stretch) or reps.get(a.stretch)))
        if not person:
            if self._last_person is not None and t - self._last_person >= s.away_s:
                closed += self._close()
                self._runs.clear()
            return closed
        self._last_person = t
        for k, on in holding.items():
            if not on:
                continue
            run = self._runs.get(k)
            if run is None or t - run.last > s.bridge_s + 1e-6 or run.start < self._floor:
                self._runs[k] = _Run(max(t, self._floor), t)
            else:
                run.last = t
        for k, done in reps.items():
            queue = self._reps.setdefault(k, deque())
            queue.extend(r for r in done if r[0] >= self._floor)
            while queue and queue[0][1] < t - s.rep_window_s:
                queue.popleft()

        if a is not None:
            if holding.get(a.stretch) or reps.get(a.stretch):
                a.last_evidence_s = t
                a.end_s = max(a.end_s, t)
                a.reps.extend(reps.get(a.stretch, ()))
            idle = t - a.last_evidence_s
            limit = s.rep_gap_s if a.reps else s.exit_s
            rivals = [k for k in self.modes if k != a.stretch and self._qualifies(k, t)]
            if idle >= limit or (rivals and idle >= s.switch_idle_s):
                closed += self._close()
            else:
                a.ambiguous_with.update(rivals)
                return closed
        candidates = {k for k in self.modes if self._qualifies(k, t)}
        if not candidates:
            self._pending_since = None
            return closed
        if self._pending_since is None:
            self._pending_since = t
        if len(candidates) > 1 and t - self._pending_since < s.tie_wait_s:
            return closed  # wait for all but one to drop out
        best = min(candidates, key=lambda k: (self._start_of(k, t), k))
        start = self._start_of(best, t)
        seg = StretchSegment(best, start, t, t, ambiguous_with=set(candidates - {best}))
        seg.reps = [r for r in self._reps.get(best, ()) if r[0] >= start - 1e-6]
        if seg.reps:
            seg.end_s = max(seg.end_s, seg.reps[-1][1])
        self.active, self._pending_since = seg, None
        return closed

    def _close(self) -> list[StretchSegment]:
        a = self.active
        if a is None:
            return []
        s = self.settings
        a.end_s = max(a.reps[-1][1], a.last_evidence_s) if a.reps else a.last_evidence_s
        if a.frames:
            for k, n in a.overlap.items():
                listed = frozenset({k, a.stretch}) in self.looks_like
                if n / a.frames >= (s.looks_like_share if listed else s.overlap_share):
                    a.ambiguous_with.add(k)
        a.reported = a.end_s - a.start_s >= s.min_segment_s or len(a.reps) >= s.reps_to_start
        self.active = None
        self._floor = a.end_s
        # Evidence up to the end of a segment is spent; what ran on past it stays.
        for k in list(self._runs):
            run = self._runs[k]
            if run.last <= self._floor:
                del self._runs[k]
            else:
                run.start = max(run.start, self._floor)
        for queue in self._reps.values():
            while queue and queue[0][0] < self._floor:
                queue.popleft()
        return [a]

    def finish(self) -> list[StretchSegment]:
        """The end of the video: close what is open."""
        return self._close()


# --- judging each segment ------------------------------------------------------------------


@dataclass
class _Tally:
    """One side's share of a segment: what its frames added up to."""

    side: str | None
    first_t: float
    last_t: float
    frames: int = 0
    in_position_s: float = 0.0
    good_s: float = 0.0
    first_in_position: float | None = None
    last_in_position: float | None = None
    shares: ShareCounter = field(default_factory=ShareCounter)
    phases: list[Segment] = field(default_factory=list)

    def add_phase(self, label: str, t: float) -> None:
        if self.phases:
            last = self.phases[-1]
            self.phases[-1] = Segment(last.start_s, t, last.label)
            if last.label == label:
                return
        self.phases.append(Segment(t, t, label))

    def absorb(self, other: _Tally) -> None:
        self.last_t = max(self.last_t, other.last_t)
        self.first_t = min(self.first_t, other.first_t)
        self.frames += other.frames
        self.in_position_s += other.in_position_s
        self.good_s += other.good_s
        if self.first_in_position is None:
            self.first_in_position = other.first_in_position
        if other.last_in_position is not None:
            self.last_in_position = other.last_in_position
        self.shares.merge(other.shares)
        self.phases += other.phases


@dataclass(frozen=True)
class _Frame:
    """What a segment's coach said about one frame, kept until the frame is known to belong
    to the segment (its evidence went on past it)."""

    t: float
    dt: float
    side: str | None
    in_position: bool
    good_dt: float
    phase: str
    checks: tuple[tuple[str, bool], ...]


class _Judge:
    """A segment's own coach and what it has said, split by side at the end."""

    def __init__(
        self, segment: StretchSegment, spec: StretchSpec, settings: SegmenterSettings
    ) -> None:
        self.segment, self.spec, self.settings = segment, spec, settings
        self.coach = Coach(spec)
        self.last: FrameResult | None = None
        self._held = 0.0
        self._prev_t: float | None = None
        self._pending: list[_Frame] = []
        self._tallies: list[_Tally] = []
        self._switch: list[_Frame] = []
        self._since: float | None = None
        self._switch_side: str | None = None

    def update(self, pose: Pose | None, t: float) -> FrameResult:
        result = self.coach.update(pose, t)
        held = sum(result.hold_by_side.values())
        dt = 0.0 if self._prev_t is None else t - self._prev_t
        checks: tuple[tuple[str, bool], ...] = ()
        if result.in_position and result.rep_stage is None:
            checks = tuple(
                (v.check.id, v.status is Status.OK)
                for v in result.verdicts
                if v.status is not Status.UNKNOWN
            )
        side = result.side if self.spec.sided and result.in_position else None
        self._pending.append(
            _Frame(t, dt, side, result.in_position, held - self._held, result.phase.value, checks)
        )
        self._held, self._prev_t, self.last = held, t, result
        return result

    def commit(self, until: float) -> None:
        """The frames up to `until` belong to the segment: add them to the side tallies."""
        keep = []
        for frame in self._pending:
            if frame.t <= until:
                self._add(frame)
            else:
                keep.append(frame)
        self._pending = keep

    def _add(self, f: _Frame) -> None:
        """Add a frame to the current side's tally. Another side must hold, in position and
        without a break, for `side_confirm_s` before it starts a tally of its own (a knee let
        go reads as the other leg drawn for a moment); the frames before that stay with the
        side before."""
        cur = self._tallies[-1] if self._tallies else None
        if cur is None:
            self._tallies.append(_Tally(f.side, f.t, f.t))
        elif self._switch:
            self._switch.append(f)
            if not f.in_position:
                self._since = None
            elif f.side == cur.side:
                self._flush()
            elif f.side is not None:
                if self._since is None or f.side != self._switch_side:
                    self._since, self._switch_side = f.t, f.side
                elif f.t - self._since >= self.settings.side_confirm_s:
                    since = self._since
                    before = [x for x in self._switch if x.t < since]
                    after = [x for x in self._switch if x.t >= since]
                    for frame in before:
                        self._count(frame)
                    self._tallies.append(_Tally(f.side, since, since))
                    self._switch = after
                    self._flush()
            return
        elif f.in_position and f.side is not None and f.side != cur.side:
            self._switch, self._since, self._switch_side = [f], f.t, f.side
            return
        self._count(f)

    def _flush(self) -> None:
        switch, self._switch, self._since = self._switch, [], None
        for frame in switch:
            self._count(frame)

    def _count(self, f: _Frame) -> None:
        cur = self._tallies[-1]
        cur.last_t = f.t
        cur.frames += 1
        if f.in_position:
            cur.in_position_s += f.dt
            if cur.first_in_position is None:
                cur.first_in_position = f.t
            cur.last_in_position = f.t
        cur.good_s += f.good_dt
        for check, ok in f.checks:
            cur.shares.add(check, ok)
        cur.add_phase(f.phase, f.t)

    def entries(self) -> list[RoutineEntry]:
        """The segment as one entry per side (a side shorter than side_min_s joins the one
        before it, or after it when first), each with its own summary."""
        self._flush()
        seg, spec = self.segment, self.spec
        tallies = [t for t in self._tallies if t.frames]
        merged: list[_Tally] = []
        for tally in tallies:
            short = tally.last_t - tally.first_t < self.settings.side_min_s
            if merged and (short or tally.side == merged[-1].side or tally.side is None):
                merged[-1].absorb(tally)
            else:
                merged.append(tally)
        if len(merged) > 1 and merged[0].last_t - merged[0].first_t < self.settings.side_min_s:
            merged[1].absorb(merged[0])
            merged[1].first_t = merged[0].first_t
            merged.pop(0)
        if not merged:
            merged = [_Tally(None, seg.start_s, seg.end_s)]
        rep_log = self.last.rep_log if self.last is not None else ()
        out = []
        for i, tally in enumerate(merged):
            # Between two sides, each part runs from its first to its last frame in position.
            start = seg.start_s if i == 0 else (tally.first_in_position or tally.first_t)
            end = seg.end_s if i == len(merged) - 1 else (tally.last_in_position or tally.last_t)
            reps = tuple(
                RepDetail.of(r) for r in rep_log if start - 1e-6 <= r.bottom_s <= end + 1e-6
            )
            reps = tuple(
                RepDetail(n, r.start_s, r.bottom_s, r.end_s, r.form_ok, r.checks, r.held_s)
                for n, r in enumerate(reps, 1)
            )
            in_position, good = tally.in_position_s, tally.good_s
            checks: dict[str, CheckShare] = tally.shares.shares()
            if spec.has_reps:
                in_position, good, checks = rep_totals(reps, end, tally.good_s)
            side = tally.side if spec.sided else None
            summary = SessionSummary(
                kind="stretch",
                frames=tally.frames,
                duration_s=max(0.0, end - start),
                in_position_s=in_position,
                good_form_s=good,
                reps=len(reps),
                segments=tuple(tally.phases),
                checks=checks,
                stretch=spec.id,
                good_form_by_side={side or "both": tally.good_s} if tally.good_s else {},
                done=spec.done(tally.good_s, len(reps)),
                reps_detail=reps,
            )
            out.append(RoutineEntry(spec.id, start, end, side, summary))
        return out


@dataclass(frozen=True)
class RoutineFrame:
    """What the routine review says about one frame: the stretch being judged (from the
    moment it was recognised; None while none is) and its coach's result."""

    t_s: float
    stretch: str | None
    result: FrameResult | None
    pose: Pose | None


class _RepEvidence:
    """A light rep tracker for one rep stretch: counts reps done in position (no judging)."""

    def __init__(self, spec: StretchSpec) -> None:
        assert spec.reps is not None
        r = spec.reps
        self.spec = spec
        self.tracker: RepPhases[bool] | CycleTracker[bool]
        if r.cycle is not None:
            self.tracker = CycleTracker(r.cycle[0], r.cycle[1], r.turn, r.min_dwell_s,
                                        r.min_rep_s, r.settle_s)  # fmt: skip
        else:
            self.tracker = RepPhases(r.toward, r.rest, r.reach, r.turn, r.min_dwell_s,
                                     r.min_rep_s, r.settle_s, r.hold_after_s)  # fmt: skip

    def update(
        self, t: float, value: float | None, in_position: bool
    ) -> tuple[float, float] | None:
        event = self.tracker.update(t, value, in_position)
        if event is None or event.kind != "rep" or not any(n[2] for n in event.window.near):
            return None
        return (event.window.start_s, event.window.end_s or t)

    def at_end(self, value: float | None) -> bool:
        """The metric is at the end range (past reach) on this frame."""
        r = self.spec.reps
        if value is None or r is None or r.cycle is not None:
            return False
        return value >= r.reach if r.toward == "high" else value <= r.reach


class RoutineReview:
    """The routine as a review engine (see the module docstring): per-frame rows naming the
    stretch, the annotated video naming it, and a "routine" summary with one entry per
    stretch found (and per side)."""

    kind = "routine"

    def __init__(
        self,
        specs: Mapping[str, StretchSpec] | None = None,
        settings: SegmenterSettings | None = None,
    ) -> None:
        self.specs = dict(specs if specs is not None else catalog())
        self.settings = settings or SegmenterSettings()
        pairs = frozenset(
            frozenset({spec.id, other.stretch})
            for spec in self.specs.values()
            for other in spec.looks_like
        )
        self._notes = {
            frozenset({spec.id, other.stretch}): other.note
            for spec in self.specs.values()
            for other in spec.looks_like
        }
        self.segmenter = RoutineSegmenter(
            {k: s.mode for k, s in self.specs.items()}, self.settings, pairs
        )
        self._hold_specs = [s for s in self.specs.values() if not s.has_reps]
        self._rep_specs = [s for s in self.specs.values() if s.has_reps]
        self._evidence = {s.id: _RepEvidence(s) for s in self._rep_specs}
        self._hold_entries: dict[str, bool] = {}
        self._entry_t: float | None = None
        self._buffer: deque[tuple[float, Pose | None]] = deque()
        self._judge: _Judge | None = None
        self._entries: list[RoutineEntry] = []
        self._frames = 0
        self._seen_person = False
        self._first_t: float | None = None
        self._last_t = 0.0
        self.annotator = CoachAnnotator()

    # --- the engine --------------------------------------------------------------------------

    def update(self, pose: Pose | None, t_s: float) -> RoutineFrame:
        self._frames += 1
        self._seen_person = self._seen_person or pose is not None
        if self._first_t is None:
            self._first_t = t_s
        self._last_t = t_s
        self._buffer.append((t_s, pose))
        while self._buffer and self._buffer[0][0] < t_s - self.settings.replay_s:
            self._buffer.popleft()
        holding: dict[str, bool] = {}
        done: dict[str, list[tuple[float, float]]] = {}
        raw: dict[str, bool] | None = None
        if pose is not None:
            if self._entry_t is None or t_s - self._entry_t >= self.settings.entry_every_s:
                self._hold_entries = entries(self._hold_specs, pose)
                self._entry_t = t_s
                raw = dict(self._hold_entries)
            rep_entries = entries(self._rep_specs, pose)
            if raw is not None:
                raw.update(rep_entries)
            holding.update(self._hold_entries)
            contexts: dict[object, Context] = {}
            for spec in self._rep_specs:
                r = spec.reps
                assert r is not None
                role = spec.worked if r.limb in (Limb.WORKED, Limb.OTHER) else None
                ctx = contexts.get(role) or contexts.setdefault(role, Context(pose, worked=role))
                value = measure(ctx, r.metric, r.limb).value
                rep = self._evidence[spec.id].update(t_s, value, rep_entries[spec.id])
                if rep is not None:
                    done[spec.id] = [rep]
                holding[spec.id] = spec.has_hold and (
                    rep_entries[spec.id] and self._evidence[spec.id].at_end(value)
                )
        for segment in self.segmenter.update(t_s, pose is not None, holding, done, raw):
            self._close(segment)
        active = self.segmenter.active
        if active is not None and (self._judge is None or self._judge.segment is not active):
            self._judge = _Judge(active, self.specs[active.stretch], self.settings)
            for t, earlier in self._buffer:
                if active.start_s - 1e-6 <= t < t_s:
                    self._judge.update(earlier, t)
        result = None
        if active is not None and self._judge is not None:
            result = self._judge.update(pose, t_s)
            self._judge.commit(active.last_evidence_s)
        return RoutineFrame(t_s, active.stretch if active else None, result, pose)

    def _close(self, segment: StretchSegment) -> None:
        judge = self._judge
        if judge is None or judge.segment is not segment:
            return
        judge.commit(segment.end_s)
        self._judge = None
        if not segment.reported:
            return
        entries = judge.entries()
        ambiguous = set(segment.ambiguous_with)
        if self._main_check_share(self.specs[segment.stretch], entries) < (
            self.settings.main_check_share
        ):
            ambiguous |= {k for pair in self._notes if segment.stretch in pair for k in pair}
        ambiguous.discard(segment.stretch)
        notes = [self._notes.get(frozenset({segment.stretch, k})) for k in sorted(ambiguous)]
        generic = [
            f"Its entry condition also matched {self.specs[k].name} (the camera angle may not "
            "tell them apart)."
            for k, note in zip(sorted(ambiguous), notes, strict=True)
            if note is None
        ]
        note = " ".join([n for n in notes if n] + generic) or None
        for entry in entries:
            self._entries.append(replace(entry, ambiguous_with=tuple(sorted(ambiguous)), note=note))

    @staticmethod
    def _main_check_share(spec: StretchSpec, entries: Sequence[RoutineEntry]) -> float:
        """The share of judged frames (or reps) on which the spec's first required check was
        ok, over all the parts of a segment (1.0 when it was never judged)."""
        main = next((c.id for c in spec.checks if c.required), "")
        shares = [e.summary.checks[main] for e in entries if main in e.summary.checks]
        judged = sum(s.frames for s in shares)
        return sum(s.ok_fraction * s.frames for s in shares) / judged if judged else 1.0

    def notes(self) -> tuple[str, ...]:
        """Warnings about the routine as a whole: none found (with someone in view)."""
        self._finish()
        if self._entries or not self._seen_person:
            return ()
        return (
            "No catalog stretch was held (or repeated) for a few seconds in this video, so "
            "nothing was judged; to judge one stretch anyway, review the video as that stretch.",
        )

    def _finish(self) -> None:
        for segment in self.segmenter.finish():
            self._close(segment)

    def summary(self) -> SessionSummary:
        self._finish()
        entries = tuple(sorted(self._entries, key=lambda e: e.start_s))
        start = self._first_t or 0.0
        duration = self._last_t - start
        timeline: list[Segment] = []
        cursor = start
        for entry in entries:
            if entry.start_s > cursor:
                timeline.append(Segment(cursor, entry.start_s, NO_STRETCH))
            timeline.append(Segment(entry.start_s, entry.end_s, entry.stretch))
            cursor = max(cursor, entry.end_s)
        if self._last_t > cursor:
            timeline.append(Segment(cursor, self._last_t, NO_STRETCH))
        matched = sum(e.end_s - e.start_s for e in entries)
        return SessionSummary(
            kind="routine",
            frames=self._frames,
            duration_s=duration,
            in_position_s=sum(e.summary.in_position_s for e in entries),
            good_form_s=sum(e.summary.good_form_s for e in entries),
            reps=sum(e.summary.reps or 0 for e in entries),
            segments=tuple(timeline),
            routine=entries,
            unmatched_s=max(0.0, duration - matched),
        )

    # --- outputs -----------------------------------------------------------------------------

    def fieldnames(self) -> list[str]:
        return ["t_s", "stretch", "phase", "side", "in_position", "form_ok", "hold_s", "reps",
                "rep", "rep_phase", "cue", "checks"]  # fmt: skip

    def row(self, result: RoutineFrame) -> dict[str, Any]:
        frame = result
        r = frame.result
        if r is None:
            phase = Phase.NO_PERSON.value if frame.pose is None else NO_STRETCH
            return {"t_s": round(frame.t_s, 3), "stretch": "", "phase": phase}
        checks = ";".join(
            f"{v.check.id}={'' if v.measurement.value is None else round(v.measurement.value, 2)}"
            f":{v.status.value}"
            for v in r.verdicts
        )
        return {
            "t_s": round(frame.t_s, 3), "stretch": frame.stretch, "phase": r.phase.value,
            "side": r.side or "", "in_position": int(r.in_position), "form_ok": int(r.form_ok),
            "hold_s": round(r.hold_s, 2), "reps": r.reps, "rep": rep_number(r),
            "rep_phase": r.rep_stage.value if r.rep_stage else "", "cue": r.cue or "",
            "checks": checks,
        }  # fmt: skip

    def faults(self, result: RoutineFrame) -> dict[str, float]:
        frame = result
        r = frame.result
        if r is None:
            return {}
        out = {}
        for v in r.verdicts:
            value = v.measurement.value
            if v.status is Status.ADJUST and value is not None:
                bound = v.check.target.min if v.direction == "low" else v.check.target.max
                out[f"{frame.stretch}-{v.check.id}"] = abs(value - bound) if bound else 0.0
        return out

    def series(self, result: RoutineFrame) -> dict[str, float | None]:
        return {}

    def annotate(self, frame: Image, result: RoutineFrame) -> Image:
        if result.result is not None and result.stretch is not None:
            out = self.annotator.annotate(frame, result.result)
            return draw_tag(out, self.specs[result.stretch].name)
        out = SkeletonAnnotator().annotate(frame, result.pose)
        return draw_tag(out, "Looking for a stretch")
