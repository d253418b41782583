"""Saving sessions to the history: one function for every session, stretch or desk posture,
used by the live pages, the monitor window and the review alike, so every front end stores the
same thing. Failures raise `StoreError` (a locked or unwritable database): callers say so and
keep the results they already have.

A review's JSON summary can be added later (`import_summary`), for a review whose history was
locked or that ran with --no-history.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from posecheck.errors import InputError
from posecheck.session import SessionSummary
from posecheck.store import DEFAULT_BUSY_TIMEOUT_S, SessionRecord, Store, open_store

#: How long a review waits for a history another program holds locked, in seconds: a review
#: may have taken minutes, so its result is worth a longer wait than a live page's save.
HISTORY_WAIT_ENV = "POSECHECK_HISTORY_WAIT_S"
DEFAULT_REVIEW_WAIT_S = 60.0


def review_wait_s() -> float:
    """The review's wait for a locked history: $POSECHECK_HISTORY_WAIT_S, else 60 s."""
    value = os.environ.get(HISTORY_WAIT_ENV)
    if value is None:
        return DEFAULT_REVIEW_WAIT_S
    try:
        wait = float(value)
    except ValueError:
        wait = math.nan
    if not (math.isfinite(wait) and 0 <= wait <= 3600):
        raise InputError(
            f"{HISTORY_WAIT_ENV} must be a number of seconds from 0 to 3600, got {value!r}."
        )
    return wait


def save_session(
    summary: SessionSummary,
    *,
    side: str | None = None,
    source: str = "live",
    video: str | Path | None = None,
    started_at: datetime | None = None,
    store: Store | None = None,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
) -> int:
    """Store a session summary; returns its history id. `side` is the side the user chose
    for a sided stretch (None: worked out from the pose); `video` names a reviewed file;
    `busy_timeout_s` is how long to wait for a locked database (when no `store` is given)."""
    record = SessionRecord(
        summary,
        started_at or datetime.now(UTC),
        source=source,
        side=side,
        video=None if video is None else str(video),
    )
    if store is not None:
        return store.save_session(record)
    own = open_store(busy_timeout_s=busy_timeout_s)
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
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
) -> list[int]:
    """Store a routine review (a summary of kind "routine") as one session per stretch found,
    each starting when that part started in the video; returns their history ids in time
    order (none when no stretch was found)."""
    if summary.routine is None:
        raise ValueError("save_routine takes a routine summary; use save_session")
    start = started_at or datetime.now(UTC)
    own = store or open_store(busy_timeout_s=busy_timeout_s)
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


# --- importing a saved review summary ------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """One summary of an imported file: its history id, and whether it was already there."""

    session_id: int
    added: bool
    record: SessionRecord


def summaries_in(data: Any, origin: str) -> list[Mapping[str, Any]]:
    """The review summaries in a parsed JSON file: `review --json OUT` (one summary), a batch's
    DIR/NAME.json (one summary), or `review ... --json -` for several videos ({"reviews": [..]},
    the reviews that succeeded); a routine review's summary gives one per stretch found."""
    return [part for summary in _summaries_in(data, origin) for part in _routine_parts(summary)]


def _routine_parts(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A routine review's summary as one stretch summary per stretch found (each starting
    when its part of the video started, as `save_routine` stores them); others as they are."""
    parts = summary.get("routine")
    if not isinstance(parts, list):
        return [summary]
    out: list[Mapping[str, Any]] = []
    start = summary.get("started_at")
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        times = (part.get("start_s"), part.get("end_s"))
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in times):
            continue
        begin, end = float(times[0]), float(times[1])  # type: ignore[arg-type]
        data: dict[str, Any] = {**part, "frames": 0, "duration_s": max(0.0, end - begin),
                                "segments": [], "video": summary.get("video")}  # fmt: skip
        if isinstance(start, str):
            try:
                data["started_at"] = (
                    datetime.fromisoformat(start) + timedelta(seconds=begin)
                ).isoformat()
            except (ValueError, OverflowError):
                data["started_at"] = start  # reported as it is by record_from_summary
        out.append(data)
    return out


def _summaries_in(data: Any, origin: str) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("reviews"), list):
        found: list[Mapping[str, Any]] = []
        for item in data["reviews"]:
            if isinstance(item, Mapping) and isinstance(item.get("summary"), Mapping):
                summary = dict(item["summary"])
                video = summary.get("video")
                if not isinstance(video, Mapping) and isinstance(item.get("file"), str):
                    summary["video"] = {"path": item["file"]}
                found.append(summary)
        if not found:
            raise InputError(f"{origin} holds no finished review to import.")
        return found
    if not isinstance(data, Mapping):
        raise InputError(f"{origin} is not a review summary (expected a JSON object).")
    return [data]


def record_from_summary(
    data: Mapping[str, Any], origin: str, *, started_at: datetime
) -> SessionRecord:
    """The history record for one review summary; `started_at` is used when the summary does
    not say when the review started (a batch's summaries do not). Raises `InputError`."""
    def bad(reason: str) -> InputError:
        return InputError(f"{origin} is not a posecheck review summary: {reason}.")

    posture = data.get("posture") is True
    stretch = data.get("stretch")
    if not posture and not (isinstance(stretch, str) and stretch.strip()):
        raise bad("it names no stretch and is not a posture summary")
    if not isinstance(data.get("frames"), int) or isinstance(data.get("frames"), bool):
        raise bad("it has no frame count")
    try:
        summary = SessionSummary.from_json(data, kind="posture" if posture else "stretch")
    except (ValueError, OverflowError, RecursionError) as exc:
        raise bad(str(exc)) from None
    given = data.get("started_at")
    if given is not None:
        try:
            started_at = datetime.fromisoformat(str(given))
        except ValueError:
            raise bad(f"its started_at {given!r} is not a date and time") from None
        if started_at.utcoffset() is None:
            started_at = started_at.replace(tzinfo=UTC)
    side = data.get("side")
    if side not in (None, "left", "right"):
        raise bad(f"its side {side!r} is not left or right")
    video = data.get("video")
    path = video.get("path") if isinstance(video, Mapping) else None
    try:
        return SessionRecord(
            summary,
            started_at,
            source="review",
            side=side,
            video=path if isinstance(path, str) and path else None,
        )
    except (ValueError, OverflowError) as exc:
        raise bad(str(exc)) from None


def import_summary(
    data: Any, origin: str, *, started_at: datetime, store: Store | None = None
) -> list[Imported]:
    """Add the review summaries in `data` (parsed JSON from `origin`) to the history; one
    already there (same kind, stretch, video and start) is not added twice. Every summary is
    checked before any is added. Raises `InputError` or `StoreError`."""
    records = [
        record_from_summary(summary, origin, started_at=started_at)
        for summary in summaries_in(data, origin)
    ]
    own = store is None
    store = store or open_store()
    try:
        done = []
        for record in records:
            existing = store.find_session(record)
            if existing is not None:
                done.append(Imported(existing, False, record))
            else:
                done.append(Imported(store.save_session(record), True, record))
        return done
    finally:
        if own:
            store.close()
