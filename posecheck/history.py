"""Saving sessions to the history: one function for every session, stretch or desk posture,
used by the live pages, the monitor window and the review alike, so every front end stores the
same thing. Failures raise `StoreError` (a locked or unwritable database): callers say so and
keep the results they already have.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from posecheck.session import SessionSummary
from posecheck.store import SessionRecord, Store, open_store


def save_session(
    summary: SessionSummary,
    *,
    side: str | None = None,
    source: str = "live",
    video: str | Path | None = None,
    started_at: datetime | None = None,
    store: Store | None = None,
) -> int:
    """Store a session summary; returns its history id. `side` is the side the user chose
    for a sided stretch (None: worked out from the pose); `video` names a reviewed file."""
    record = SessionRecord(
        summary,
        started_at or datetime.now(UTC),
        source=source,
        side=side,
        video=None if video is None else str(video),
    )
    if store is not None:
        return store.save_session(record)
    own = open_store()
    try:
        return own.save_session(record)
    finally:
        own.close()


def save_routine(
    summary: SessionSummary,
    *,
    source: str = "review",
    video: str | Path | None = None,
    started_at: datetime | None = None,
    store: Store | None = None,
) -> list[int]:
    """Store a routine review (a summary of kind "routine") as one session per stretch found,
    each starting when that part started in the video; returns their history ids in time
    order (none when no stretch was found)."""
    if summary.routine is None:
        raise ValueError("save_routine takes a routine summary; use save_session")
    start = started_at or datetime.now(UTC)
    own = store or open_store()
    try:
        return [
            save_session(
                entry.summary,
                side=entry.side,
                source=source,
                video=video,
                started_at=start + timedelta(seconds=entry.start_s),
                store=own,
            )
            for entry in summary.routine
        ]
    finally:
        if store is None:
            own.close()
