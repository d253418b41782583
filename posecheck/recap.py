"""The end of a live session at a glance: what was just done (time, reps and their verdicts,
good form per side, the best unbroken hold), saved to the history in one sentence that says
what was saved, and compared with the session before it (stretches) or with the last earlier
day (desk posture).

    runs = HoldRuns()
    for result in coach_results:               # on the stream's thread, frame by frame
        runs.update(result.form_ok, result.t_s, result.side or "")
    recap = finish_stretch(summary, "Deep squat", side=None, best_hold_s=runs.best_s)
    recap.message, recap.previous              # the page only shows these

Pages call `finish_stretch` / `finish_posture` once, when the stream ends; saving or reading
the history may fail, and then the recap still carries every number, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from posecheck.errors import PosecheckError
from posecheck.history import save_session
from posecheck.session import SessionSummary
from posecheck.store import PostureDay, SessionRecord, open_store

#: Good-form frames further apart than this break a run (the hold timer's own default gap:
#: a dropped frame or two does not end a hold, a pause does).
RUN_GAP_S = 0.5


class HoldRuns:
    """The longest unbroken run of good form, per side, from a coach's frames.

    `update(form_ok, t_s, side)` with each frame's verdict; a run grows while good frames
    follow each other within `max_gap_s` on the same side, and ends at the first frame that is
    not in good form."""

    def __init__(self, max_gap_s: float = RUN_GAP_S) -> None:
        if not max_gap_s > 0:
            raise ValueError(f"max_gap_s must be above 0, got {max_gap_s}")
        self.max_gap_s = max_gap_s
        self.best: dict[str, float] = {}
        self._start: float | None = None
        self._last: float | None = None
        self._side = ""

    def update(self, form_ok: bool, t_s: float, side: str = "") -> None:
        continues = (
            form_ok
            and self._last is not None
            and side == self._side
            and 0 < t_s - self._last <= self.max_gap_s
        )
        if not form_ok:
            self._start = self._last = None
            return
        if not continues:
            self._start, self._side = t_s, side
        assert self._start is not None
        self._last = t_s
        self.best[side] = max(self.best.get(side, 0.0), t_s - self._start)

    @property
    def best_s(self) -> float:
        """The longest run on any side, in seconds (0 without good form)."""
        return max(self.best.values(), default=0.0)

    def reset(self) -> None:
        self.best.clear()
        self._start = self._last = None
        self._side = ""


def clock(seconds: float) -> str:
    """A duration as people say it: "45 s" under a minute, "2:05" above."""
    seconds = max(0.0, seconds)
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _reps_text(summary: SessionSummary, target: int) -> str | None:
    if not summary.reps and not target:
        return None
    count = summary.reps or 0
    text = f"{count} of {target} reps" if target else f"{count} rep" + ("s" if count != 1 else "")
    if summary.reps_detail:
        good = sum(r.form_ok for r in summary.reps_detail)
        text += f" ({good} in good form)"
    return text


def stretch_facts(
    summary: SessionSummary, name: str, hold_target_s: float, reps_target: int = 0
) -> str:
    """What a stretch session was, in words: "1:05 of Deep squat, 5 of 10 reps (4 in good
    form), 12 s held in good form (goal 30 s not reached)"."""
    parts = [f"{clock(summary.duration_s)} of {name}"]
    reps = _reps_text(summary, reps_target)
    if reps:
        parts.append(reps)
    held = f"{clock(summary.good_form_s)} held in good form"
    if hold_target_s > 0:
        reached = "reached" if summary.done else "not reached"
        held += f" (goal {hold_target_s:g} s {reached})"
    parts.append(held)
    return ", ".join(parts)


def posture_facts(summary: SessionSummary) -> str:
    """What a desk session was, in words: "12:30 at the desk: 10:05 good, 2:10 slouched,
    1 alert"."""
    totals = summary.posture
    if totals is None:
        raise ValueError("not a desk posture session")
    alerts = f"{totals.alerts} alert" + ("s" if totals.alerts != 1 else "")
    return (
        f"{clock(summary.duration_s)} at the desk: {clock(totals.good_s)} good, "
        f"{clock(totals.bad_s)} slouched, {alerts}"
    )


def slouch_share(summary: SessionSummary) -> float | None:
    """Slouched time as a share of judged time (good + slouched), None with none judged."""
    totals = summary.posture
    if totals is None or totals.good_s + totals.bad_s <= 0:
        return None
    return totals.bad_s / (totals.good_s + totals.bad_s)


@dataclass(frozen=True)
class StretchRecap:
    """A finished stretch session: its numbers, whether and as what it was saved, and the
    previous session of the same stretch (None when there is none or it could not be read)."""

    summary: SessionSummary
    name: str
    hold_target_s: float
    reps_target: int
    best_hold_s: float
    saved: bool
    message: str
    session_id: int | None = None
    previous: SessionRecord | None = None


@dataclass(frozen=True)
class PostureRecap:
    """A finished desk session: its numbers, whether it was saved, and the last earlier day
    with judged desk time in the history's trends (None when there is none)."""

    summary: SessionSummary
    saved: bool
    message: str
    session_id: int | None = None
    earlier: PostureDay | None = None
    today: date | None = None

    @property
    def slouch_share(self) -> float | None:
        return slouch_share(self.summary)

    @property
    def earlier_label(self) -> str | None:
        """"yesterday", or the day's date when the last desk day was longer ago."""
        if self.earlier is None:
            return None
        if self.today is not None and self.earlier.day == self.today - timedelta(days=1):
            return "yesterday"
        return f"on {self.earlier.day:%a %d %b}"


def finish_stretch(
    summary: SessionSummary,
    name: str,
    *,
    hold_target_s: float,
    reps_target: int = 0,
    best_hold_s: float,
    side: str | None = None,
) -> StretchRecap:
    """Save a finished live stretch session and find the one it compares with."""
    facts = stretch_facts(summary, name, hold_target_s, reps_target)

    def recap(saved: bool, message: str, session_id: int | None = None,
              previous: SessionRecord | None = None) -> StretchRecap:  # fmt: skip
        return StretchRecap(summary, name, hold_target_s, reps_target, best_hold_s, saved,
                            message, session_id, previous)  # fmt: skip

    if summary.frames == 0 or all(s.label == "no person" for s in summary.segments):
        return recap(False, "Nobody was in view, so nothing was saved to your history.")
    try:
        store = open_store()
    except PosecheckError as error:
        return recap(False, f"Not saved to your history ({facts}): {error}")
    try:
        try:
            session_id = save_session(summary, side=side, source="live", store=store)
        except PosecheckError as error:
            return recap(False, f"Not saved to your history ({facts}): {error}")
        try:
            previous = store.previous_session(session_id)
        except PosecheckError:
            previous = None  # the comparison is a nicety; the session itself is saved
        return recap(True, f"Saved to your history: {facts}.", session_id, previous)
    finally:
        store.close()


def finish_posture(summary: SessionSummary, *, now: datetime | None = None) -> PostureRecap:
    """Save a finished live desk session and find the last earlier day to compare with."""
    if summary.posture is None:
        raise ValueError("not a desk posture session")
    if summary.in_position_s <= 0:
        message = "No posture was judged in this session, so nothing was saved."
        return PostureRecap(summary, False, message)
    today = (now or datetime.now()).astimezone().date()
    facts = posture_facts(summary)
    try:
        store = open_store()
    except PosecheckError as error:
        return PostureRecap(summary, False, f"Not saved to your history ({facts}): {error}")
    try:
        try:
            session_id = save_session(summary, source="live", store=store)
        except PosecheckError as error:
            return PostureRecap(summary, False, f"Not saved to your history ({facts}): {error}")
        earlier = None
        try:
            days = store.trends(local_days=True).posture
            earlier = next(
                (d for d in reversed(days) if d.day < today and d.slouch_share is not None),
                None,
            )
        except PosecheckError:
            pass  # saved all the same; only the comparison is missing
        message = f"Saved to your history: {facts}."
        return PostureRecap(summary, True, message, session_id, earlier, today)
    finally:
        store.close()
