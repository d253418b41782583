"""The session history: an SQLite database in the user's data folder holding every stretch and
posture session (summary and phase segments), with listing, deletion and day-by-day trends.

    with open_store() as store:              # $POSECHECK_DATA_DIR/history.sqlite3, or XDG's
        session_id = store.save_session(SessionRecord(summary, started_at=datetime.now(UTC)))
        store.list_sessions(limit=20)        # newest first
        store.trends()                       # hold time per stretch per day, slouch share per day

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from
version n to n + 1 inside one transaction. The database runs in WAL mode, so the app can read
the history while a review writes to it, and every session is written in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from posecheck.errors import PosecheckError
from posecheck.session import Segment, SessionSummary

#: Environment variable naming the folder that holds the history (overrides the default).
DATA_DIR_ENV = "POSECHECK_DATA_DIR"
DB_NAME = "history.sqlite3"
#: How long a write waits for another program's lock before giving up, in seconds.
DEFAULT_BUSY_TIMEOUT_S = 5.0

KINDS = ("stretch", "posture")
SOURCES = ("live", "review")

# started_at is stored as fixed-width UTC text, so that text order is time order and SQLite's
# date functions read it.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class StoreError(PosecheckError):
    """The history database cannot be opened, read or written; nothing was changed.

    `busy`: it failed only because another program held the database locked past the wait
    (worth trying again later)."""

    def __init__(self, message: str, *, busy: bool = False) -> None:
        super().__init__(message)
        self.busy = busy


#: SQLite stores integers in 64 bits: an id or a limit outside these cannot be in a database.
SQLITE_MAX_INT = 2**63 - 1


MIGRATIONS: list[str] = [
    # 1: sessions and their phase segments.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so an old id never means another
        kind TEXT NOT NULL CHECK (kind IN ('stretch', 'posture')),
        stretch_id TEXT,
        side TEXT,
        source TEXT NOT NULL CHECK (source IN ('live', 'review')),
        video TEXT,
        started_at TEXT NOT NULL,  -- ISO-8601 UTC, e.g. 2025-01-31T18:04:05.250000Z
        duration_s REAL NOT NULL CHECK (duration_s >= 0),
        summary_json TEXT NOT NULL,
        CHECK ((kind = 'stretch') = (stretch_id IS NOT NULL))
    );
    CREATE INDEX sessions_by_start ON sessions (started_at);
    CREATE TABLE segments (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL CHECK (end_s >= start_s),
        label TEXT NOT NULL
    );
    CREATE INDEX segments_by_session ON segments (session_id, start_s);
    """,
    # 2: the numbers trends add up, copied out of the summary so a trend is one indexed query
    # instead of parsing every summary. Only JSON numbers count (json_type), as in
    # `_numbers_from_summary`; a stretch summary says good_form_s, a posture summary good_s.
    """
    ALTER TABLE sessions ADD COLUMN good_s REAL;
    ALTER TABLE sessions ADD COLUMN bad_s REAL;
    ALTER TABLE sessions ADD COLUMN reps INTEGER;
    UPDATE sessions SET
        good_s = CASE
            WHEN json_type(summary_json, '$.good_form_s') IN ('integer', 'real')
                THEN json_extract(summary_json, '$.good_form_s')
            WHEN json_type(summary_json, '$.good_s') IN ('integer', 'real')
                THEN json_extract(summary_json, '$.good_s')
        END,
        bad_s = CASE
            WHEN json_type(summary_json, '$.bad_s') IN ('integer', 'real')
                THEN json_extract(summary_json, '$.bad_s')
        END,
        reps = CASE
            WHEN json_type(summary_json, '$.reps') = 'integer'
                THEN json_extract(summary_json, '$.reps')
        END
    WHERE json_valid(summary_json);
    CREATE INDEX sessions_by_kind_start ON sessions (kind, started_at);
    """,
]

#: The schema version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def data_dir() -> Path:
    """Where posecheck keeps its data: $POSECHECK_DATA_DIR, else $XDG_DATA_HOME/posecheck,
    else ~/.local/share/posecheck.

    $POSECHECK_DATA_DIR set but empty is an error (`StoreError`), not "unset": a script that
    meant to point posecheck at a scratch folder and got an empty variable must not write to
    the user's real history.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override is not None:
        if not override.strip():
            raise StoreError(
                f"{DATA_DIR_ENV} is set but empty; set it to a folder, or unset it to use "
                "the default data folder."
            )
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "posecheck"


def default_path() -> Path:
    """The history database used when no path is given."""
    return data_dir() / DB_NAME


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


@dataclass(frozen=True)
class SessionRecord:
    """One session as the history keeps it: its summary and how it came about.

    source: "live" (camera) or "review" (a recorded video, named in `video`).
    started_at: a timezone-aware moment; kept in UTC.
    side: the side the user chose for a sided stretch (None: worked out from the pose).
    id: set on records read from the store; `save_session` ignores it and adds a new session.
    The kind, stretch, duration, segments and the trend numbers (good, bad, reps) are the
    summary's.
    """

    summary: SessionSummary
    started_at: datetime
    source: str = "review"
    side: str | None = None
    video: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.summary, SessionSummary):
            raise ValueError(f"summary must be a SessionSummary, got {type(self.summary).__name__}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {list(SOURCES)}, got {self.source!r}")
        if not isinstance(self.started_at, datetime) or self.started_at.utcoffset() is None:
            raise ValueError(
                f"started_at must be a timezone-aware datetime, got {self.started_at!r} "
                "(use datetime.now(UTC))"
            )
        object.__setattr__(self, "started_at", self.started_at.astimezone(UTC))
        duration = self.summary.duration_s
        if not (math.isfinite(duration) and duration >= 0):
            raise ValueError(f"duration_s must be 0 or more, got {duration}")
        for s in self.summary.segments:
            if not (math.isfinite(s.start_s) and math.isfinite(s.end_s)):
                raise ValueError(f"segment times must be finite, got {s.start_s}..{s.end_s}")
        reps = self.summary.reps
        if reps is not None and not 0 <= reps <= SQLITE_MAX_INT:
            raise ValueError(f"reps must be a whole number from 0 to {SQLITE_MAX_INT}, got {reps}")
        for name, value in (("good_s", self.good_s), ("bad_s", self.bad_s)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be 0 or more seconds, got {value}")

    @property
    def kind(self) -> str:
        return self.summary.kind

    @property
    def stretch_id(self) -> str | None:
        return self.summary.stretch

    @property
    def duration_s(self) -> float:
        return self.summary.duration_s

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.summary.segments

    @property
    def good_s(self) -> float:
        """Time held in good form (stretch) or in good posture (desk)."""
        return self.summary.good_form_s

    @property
    def bad_s(self) -> float | None:
        """Time in bad posture (desk sessions only)."""
        return None if self.summary.posture is None else self.summary.posture.bad_s

    @property
    def reps(self) -> int | None:
        return self.summary.reps


@dataclass(frozen=True)
class StretchDay:
    """Good-form hold time for one stretch on one day, over all its sessions that day."""

    day: date
    stretch_id: str
    hold_s: float
    sessions: int


@dataclass(frozen=True)
class PostureDay:
    """Posture time on one day; slouch_share = bad / (good + bad), None with no time judged."""

    day: date
    good_s: float
    bad_s: float
    slouch_share: float | None
    sessions: int


@dataclass(frozen=True)
class Trends:
    """Per-day totals, oldest day first."""

    stretches: tuple[StretchDay, ...]
    posture: tuple[PostureDay, ...]


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQL script, one at a time.

    `executescript` would commit the migration's transaction before running, so scripts are
    split here; `sqlite3.complete_statement` knows about semicolons inside strings.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


_SESSION_COLUMNS = "id, kind, stretch_id, side, source, video, started_at, summary_json"


class Store:
    """An open history database (use `open_store`). Safe to share between threads."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        if not busy_timeout_s >= 0:
            raise ValueError(f"busy_timeout_s must be 0 or more, got {busy_timeout_s}")
        self.path = Path(path).expanduser()
        self.busy_timeout_s = busy_timeout_s
        # One connection serves every thread (Streamlit reruns on different threads); the lock
        # keeps one transaction at a time on it.
        self._lock = threading.RLock()
        opening = "the history could not be opened"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the folder {self.path.parent} for the history database "
                f"({exc.strerror or exc}); set {DATA_DIR_ENV} to a folder you can write."
            ) from exc
        if self.path.is_dir():
            raise StoreError(f"The history database {self.path} is a folder, not a file.")
        with self._errors(opening):
            # isolation_level=None: transactions are begun and ended here, explicitly.
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
        try:
            with self._errors(opening):
                conn = self._connection()
                conn.execute("PRAGMA foreign_keys = ON")
                # Reading the header first tells a damaged or foreign file from a locked one.
                version = self._user_version()
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"The history database {self.path} was written by a newer posecheck "
                        f"(schema {version}, this one reads up to {SCHEMA_VERSION}); "
                        "upgrade posecheck to use it."
                    )
                # Checked before anything is written: another program's file stays untouched.
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if version == 0 and tables:
                    raise StoreError(
                        f"{self.path} is an SQLite database of another program, not a posecheck "
                        f"history; choose another file or set {DATA_DIR_ENV} to another folder."
                    )
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"The history database {self.path} cannot use write-ahead logging "
                        f"(it is in {mode} mode); keep it on a local disk."
                    )
                self._migrate()
        except BaseException:
            self.close()
            raise

    # --- plumbing ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("this Store is closed")
        return self._conn

    def _user_version(self) -> int:
        return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    @property
    def schema_version(self) -> int:
        with self._lock, self._errors("the history could not be read"):
            return self._user_version()

    def _error(self, exc: sqlite3.Error, outcome: str) -> StoreError:
        """One sentence for the user: what is wrong with the database and what did not happen."""
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        path = self.path
        where = f"set {DATA_DIR_ENV} to a folder you can write"
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"The history database {path} is locked by another program (waited "
                f"{self.busy_timeout_s:g} s), so {outcome}; close other posecheck windows "
                "and try again.",
                busy=True,
            )
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
            return StoreError(
                f"The history database {path} is read-only, so {outcome}; "
                f"make it writable or {where}."
            )
        if primary == sqlite3.SQLITE_CANTOPEN:
            return StoreError(
                f"Cannot open the history database {path}, so {outcome}; "
                f"check that its folder is writable or {where}."
            )
        if primary in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StoreError(
                f"{path} is not a posecheck history database or it is damaged, so {outcome}; "
                "move it aside and posecheck will start a new history."
            )
        if primary == sqlite3.SQLITE_FULL:
            return StoreError(f"The disk holding {path} is full, so {outcome}.")
        return StoreError(f"The history database {path} failed ({exc}), so {outcome}.")

    @contextlib.contextmanager
    def _errors(self, outcome: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc, outcome) from exc

    @contextlib.contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """All or nothing: commit when the block ends, roll back if anything escapes it.

        Writers begin IMMEDIATE: they take the write lock at the start (waiting up to the busy
        timeout) rather than failing halfway through on a lock they cannot upgrade.
        """
        conn = self._connection()
        conn.execute(begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                # The original error is the one worth reporting.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        if self._user_version() == SCHEMA_VERSION:
            return
        with self._transaction() as conn:
            # Another process may have upgraded it while this one waited for the lock.
            version = self._user_version()
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    conn.execute(statement)
                # user_version lives in the database header, inside this same transaction.
                conn.execute(f"PRAGMA user_version = {number:d}")

    # --- sessions ------------------------------------------------------------------------

    def save_session(self, session: SessionRecord) -> int:
        """Add `session` with its segments in one transaction and return its new id.

        Raises `StoreError` (nothing written) when the database is locked past the busy timeout,
        read-only or damaged; the caller still holds the record and can retry or export it.
        """
        try:
            summary_json = json.dumps(session.summary.to_json(), allow_nan=False, sort_keys=True)
        except ValueError as exc:
            raise ValueError(f"the summary cannot be stored ({exc})") from None
        row = (
            session.kind,
            session.stretch_id,
            session.side,
            session.source,
            session.video,
            _utc_text(session.started_at),
            session.duration_s,
            summary_json,
            session.good_s,
            session.bad_s,
            session.reps,
        )
        with self._lock, self._errors("the session was not saved"), self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO sessions (kind, stretch_id, side, source, video, started_at, "
                "duration_s, summary_json, good_s, bad_s, reps) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            session_id = cursor.lastrowid
            assert session_id is not None
            conn.executemany(
                "INSERT INTO segments (session_id, start_s, end_s, label) VALUES (?, ?, ?, ?)",
                [(session_id, s.start_s, s.end_s, s.label) for s in session.segments],
            )
        return session_id

    def find_session(self, session: SessionRecord) -> int | None:
        """The id of a stored session with the same kind, stretch, source, video and start
        time as `session` (the same session imported twice), or None."""
        with self._lock, self._errors("the history could not be read"):
            row = self._connection().execute(
                "SELECT id FROM sessions WHERE kind = ? AND stretch_id IS ? AND source = ? "
                "AND video IS ? AND started_at = ? ORDER BY id LIMIT 1",
                (session.kind, session.stretch_id, session.source, session.video,
                 _utc_text(session.started_at)),
            ).fetchone()  # fmt: skip
        return None if row is None else int(row[0])

    def _records(
        self, where: str, params: Sequence[Any] | Mapping[str, Any]
    ) -> list[SessionRecord]:
        """Sessions matching `where` (newest first), from one snapshot."""
        with self._transaction("BEGIN") as conn:
            rows = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions {where}", params
            ).fetchall()
        return [self._record(row) for row in rows]

    def _record(self, row: Sequence[Any]) -> SessionRecord:
        session_id, kind, stretch_id, side, source, video, started_at, summary_json = row
        try:
            data = json.loads(summary_json)
            if not isinstance(data, dict):
                raise ValueError("the summary is not a JSON object")
            summary = SessionSummary.from_json(data, kind=kind, stretch=stretch_id)
            started = datetime.fromisoformat(started_at)
            if started.utcoffset() is None:
                started = started.replace(tzinfo=UTC)
            return SessionRecord(
                summary, started, source=source, side=side, video=video, id=session_id
            )
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"Session {session_id} in the history database {self.path} is damaged ({exc})."
            ) from exc

    def get_session(self, session_id: int) -> SessionRecord | None:
        """The session with this id, or None if there is none."""
        if not -SQLITE_MAX_INT <= session_id <= SQLITE_MAX_INT:
            return None  # no id outside SQLite's integers can be in the database
        with self._lock, self._errors("the session could not be read"):
            found = self._records("WHERE id = ?", (session_id,))
        return found[0] if found else None

    def list_sessions(self, limit: int | None = None) -> list[SessionRecord]:
        """Sessions newest first (by start time), at most `limit` of them."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be 0 or more, got {limit}")
        if limit is not None and limit > SQLITE_MAX_INT:
            limit = None  # more than any database can hold: all of them
        # LIMIT -1 is SQLite's "no limit".
        with self._lock, self._errors("the history could not be read"):
            return self._records(
                "ORDER BY started_at DESC, id DESC LIMIT ?", (-1 if limit is None else limit,)
            )

    def previous_session(self, session_id: int) -> SessionRecord | None:
        """The latest session before `session_id` that it compares with: the same kind and,
        for a stretch, the same stretch (any side or source); None when there is none (or no
        session `session_id`). "Before" is by start time, ties broken by id."""
        if not -SQLITE_MAX_INT <= session_id <= SQLITE_MAX_INT:
            return None  # no id outside SQLite's integers can be in the database
        with self._lock, self._errors("the history could not be read"):
            return next(
                iter(
                    self._records(
                        "WHERE id != :id AND EXISTS (SELECT 1 FROM sessions AS this "
                        "WHERE this.id = :id AND this.kind = sessions.kind "
                        "AND this.stretch_id IS sessions.stretch_id "
                        "AND (sessions.started_at < this.started_at OR "
                        "(sessions.started_at = this.started_at AND sessions.id < this.id))) "
                        "ORDER BY started_at DESC, id DESC LIMIT 1",
                        {"id": session_id},
                    )
                ),
                None,
            )

    def delete_session(self, session_id: int) -> bool:
        """Remove a session and its segments; False if there was no such session."""
        if not -SQLITE_MAX_INT <= session_id <= SQLITE_MAX_INT:
            return False
        with self._lock, self._errors("the session was not deleted"), self._transaction() as conn:
            # Segments go with it: ON DELETE CASCADE, with foreign keys on for this connection.
            deleted = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
        return deleted > 0

    def trends(self, *, local_days: bool = False) -> Trends:
        """Per-day totals: good-form hold time per stretch, and posture good/bad time.

        Days are calendar days of `started_at` in UTC, or with `local_days` in this computer's
        time zone. A session counts wholly on the day it started.
        """
        day = "date(started_at, 'localtime')" if local_days else "date(started_at)"
        reading = self._errors("the trends could not be read")
        with self._lock, reading, self._transaction("BEGIN") as conn:
            stretch_rows = conn.execute(
                f"SELECT {day} AS day, stretch_id, TOTAL(good_s), COUNT(*) FROM sessions "
                "WHERE kind = 'stretch' GROUP BY day, stretch_id ORDER BY day, stretch_id"
            ).fetchall()
            posture_rows = conn.execute(
                f"SELECT {day} AS day, TOTAL(good_s), TOTAL(bad_s), COUNT(*) FROM sessions "
                "WHERE kind = 'posture' GROUP BY day ORDER BY day"
            ).fetchall()
        stretches = tuple(
            StretchDay(date.fromisoformat(d), stretch_id, hold, count)
            for d, stretch_id, hold, count in stretch_rows
        )
        posture = tuple(
            PostureDay(
                date.fromisoformat(d),
                good,
                bad,
                bad / (good + bad) if good + bad > 0 else None,
                count,
            )
            for d, good, bad, count in posture_rows
        )
        return Trends(stretches, posture)

    # --- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (the WAL is checkpointed into it); safe to call twice."""
        with self._lock:
            conn, self._conn = getattr(self, "_conn", None), None
            if conn is not None:
                conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(
    path: str | Path | None = None, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
) -> Store:
    """Open (creating and upgrading as needed) the history at `path`, default `default_path()`.

    Raises `StoreError` with one sentence when the location is unwritable, the file is locked
    past `busy_timeout_s`, damaged, not a history database, or from a newer posecheck.
    """
    return Store(default_path() if path is None else path, busy_timeout_s=busy_timeout_s)
