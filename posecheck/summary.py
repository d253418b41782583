"""Session summaries: a stream of coach frame results in, the numbers a session is remembered
by out (time in position, time held in good form, reps, phases over time, share of frames each
check was ok). Live sessions and recorded-video reviews use the same recorder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from posecheck.coach import FrameResult, Phase
from posecheck.rules import Status


@dataclass
class Segment:
    start_s: float
    end_s: float
    phase: str

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "phase": self.phase}


@dataclass
class CoachRecorder:
    """Accumulates `FrameResult`s; each frame stands for the time until the next one."""

    frames: int = 0
    in_position_s: float = 0.0
    segments: list[Segment] = field(default_factory=list)
    _ok: dict[str, int] = field(default_factory=dict)
    _judged: dict[str, int] = field(default_factory=dict)
    _first_t: float | None = None
    _last: FrameResult | None = None

    def add(self, result: FrameResult) -> None:
        if self._last is not None:
            dt = max(0.0, result.t_s - self._last.t_s)
            if self._last.in_position:
                self.in_position_s += dt
            self.segments[-1].end_s = result.t_s
        else:
            self._first_t = result.t_s
        phase = result.phase.value
        if not self.segments or self.segments[-1].phase != phase:
            self.segments.append(Segment(result.t_s, result.t_s, phase))
        if result.in_position:
            for verdict in result.verdicts:
                if verdict.status is Status.UNKNOWN:
                    continue
                check = verdict.check.id
                self._judged[check] = self._judged.get(check, 0) + 1
                self._ok[check] = self._ok.get(check, 0) + (verdict.status is Status.OK)
        self.frames += 1
        self._last = result

    @property
    def duration_s(self) -> float:
        if self._last is None or self._first_t is None:
            return 0.0
        return self._last.t_s - self._first_t

    def summary(self) -> dict[str, Any]:
        last = self._last
        held = dict(last.hold_by_side) if last else {}
        return {
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "in_position_s": round(self.in_position_s, 3),
            "good_form_s": round(sum(held.values()), 3),
            "good_form_by_side": {side or "both": round(v, 3) for side, v in held.items()},
            "reps": last.reps if last else 0,
            "segments": [s.to_json() for s in self.segments],
            "checks": {
                check: {"ok_fraction": round(self._ok[check] / judged, 4), "frames": judged}
                for check, judged in self._judged.items()
            },
            "done": bool(last and last.phase is Phase.DONE),
        }
