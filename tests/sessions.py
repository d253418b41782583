"""Session summaries for tests that need a history: typed values built the way the engines
build them (no media, no model)."""

from __future__ import annotations

from posecheck.session import CheckShare, PostureTotals, Segment, SessionSummary


def stretch_summary(
    stretch: str = "bridge",
    good: float = 6.0,
    *,
    reps: int = 0,
    duration: float = 10.0,
    in_position: float = 8.0,
    frames: int = 300,
    setting_up: float = 2.0,
    checks: dict[str, float] | None = None,
) -> SessionSummary:
    """A stretch session: setting up for `setting_up` seconds, then holding."""
    return SessionSummary(
        kind="stretch",
        frames=frames,
        duration_s=duration,
        in_position_s=in_position,
        good_form_s=good,
        reps=reps,
        segments=(
            Segment(0.0, setting_up, "setting up"),
            Segment(setting_up, duration, "holding"),
        ),
        checks={k: CheckShare(v, frames) for k, v in (checks or {}).items()},
        stretch=stretch,
        good_form_by_side={"both": good},
    )


def posture_summary(
    good: float, bad: float, *, away: float = 0.0, alerts: int = 1, frames: int = 100
) -> SessionSummary:
    """A desk session: good posture, then bad, then away."""
    duration = good + bad + away
    segments = [Segment(0.0, good, "good"), Segment(good, good + bad, "bad")]
    if away:
        segments.append(Segment(good + bad, duration, "away"))
    return SessionSummary(
        kind="posture",
        frames=frames,
        duration_s=duration,
        in_position_s=good + bad,
        good_form_s=good,
        reps=None,
        segments=tuple(segments),
        posture=PostureTotals(good, bad, away, 0.0, alerts, bad, good + bad, False),
    )
