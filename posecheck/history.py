"""Saving sessions to the history: one function each for a stretch and a posture session, used
by the live pages, the monitor window and the review alike, so every front end stores the same
thing. Failures raise `StoreError` (a locked or unwritable database): callers say so and keep
the results they already have.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posecheck.store import SessionRecord, Store, open_store


def save_stretch(
    summary: dict[str, Any],
    *,
    stretch_id: str,
    side: str | None = None,
    source: str = "live",
    video: str | Path | None = None,
    started_at: datetime | None = None,
    store: Store | None = None,
) -> int:
    """Store a stretch session summary (see posecheck.summary); returns its history id."""
    record = SessionRecord.from_summary(
        summary,
        kind="stretch",
        started_at=started_at or datetime.now(UTC),
        stretch_id=stretch_id,
        side=side,
        source=source,
        video=None if video is None else str(video),
    )
    return _save(record, store)


def save_posture(
    summary: dict[str, Any],
    *,
    source: str = "live",
    video: str | Path | None = None,
    started_at: datetime | None = None,
    store: Store | None = None,
) -> int:
    """Store a posture session summary (segments labelled by status); returns its id."""
    record = SessionRecord.from_summary(
        summary,
        kind="posture",
        started_at=started_at or datetime.now(UTC),
        source=source,
        video=None if video is None else str(video),
    )
    return _save(record, store)


def _save(record: SessionRecord, store: Store | None) -> int:
    if store is not None:
        return store.save_session(record)
    own = open_store()
    try:
        return own.save_session(record)
    finally:
        own.close()
