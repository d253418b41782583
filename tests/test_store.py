"""Tests for posecheck.store: round trips, order, cascade deletes, trends, WAL, schema upgrades,
atomic saves, and one clear sentence for locked, unwritable, damaged or foreign databases.

Every database lives under tmp_path; the user's real data folder is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import posecheck.store as store_module
from posecheck.errors import PosecheckError
from posecheck.session import CheckShare, Segment, SessionSummary
from posecheck.store import (
    DATA_DIR_ENV,
    DB_NAME,
    SCHEMA_VERSION,
    SessionRecord,
    Store,
    StoreError,
    default_path,
    open_store,
)
from tests.sessions import posture_summary

T0 = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every default location at tmp_path, so no test can write to the real home."""
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with open_store(db) as opened:
        yield opened


def stretch(
    started_at: datetime = T0,
    stretch_id: str = "kneeling-hip-flexor",
    good_form_s: float = 25.0,
    reps: int = 0,
) -> SessionRecord:
    summary = SessionSummary(
        kind="stretch",
        frames=900,
        duration_s=40.0,
        in_position_s=31.5,
        good_form_s=good_form_s,
        reps=reps,
        segments=(Segment(0.0, 6.2, "setting up"), Segment(6.2, 40.0, "holding")),
        checks={"front-knee": CheckShare(0.91, 700)},
        stretch=stretch_id,
    )
    return SessionRecord(summary, started_at, side="left", source="review", video="clip.mp4")


def posture(started_at: datetime, good_s: float, bad_s: float) -> SessionRecord:
    return SessionRecord(posture_summary(good_s, bad_s, away=5.0), started_at, source="live")


@contextlib.contextmanager
def sql(db: Path) -> Iterator[sqlite3.Connection]:
    """A second, independent connection (another program's view), committed and closed after."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def count(db: Path, table: str) -> int:
    with sql(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- round trip, order, delete -------------------------------------------------------------


def test_a_session_comes_back_as_it_was_saved(store: Store) -> None:
    record = stretch()
    session_id = store.save_session(record)
    back = store.get_session(session_id)
    assert back is not None
    assert back.id == session_id
    assert back == dataclasses.replace(record, id=session_id)
    assert back.started_at == T0 and back.started_at.tzinfo is not None
    assert back.segments == (
        Segment(0.0, 6.2, "setting up"),
        Segment(6.2, 40.0, "holding"),
    )
    assert (back.good_s, back.bad_s, back.reps) == (25.0, None, 0)
    assert back.summary.checks["front-knee"] == CheckShare(0.91, 700)
    assert store.get_session(session_id + 100) is None


def test_started_at_is_kept_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    session_id = store.save_session(stretch(datetime(2025, 3, 10, 10, 30, tzinfo=paris)))
    back = store.get_session(session_id)
    assert back is not None and back.started_at == T0
    assert back.started_at.utcoffset() == timedelta(0)


def test_records_are_validated_where_they_are_made() -> None:
    summary = posture_summary(10.0, 5.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        dataclasses.replace(summary, kind="yoga")
    with pytest.raises(ValueError, match="names its stretch"):
        dataclasses.replace(stretch().summary, stretch=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        SessionRecord(summary, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="source must be one of"):
        SessionRecord(summary, T0, source="phone")
    with pytest.raises(ValueError, match="must be a SessionSummary"):
        SessionRecord({"duration_s": 1}, T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="end before it starts"):
        Segment(5.0, 4.0, "holding")


def test_list_is_newest_first_and_limited(store: Store) -> None:
    ids = {
        store.save_session(stretch(T0 + timedelta(hours=hours), stretch_id=f"s{hours}")): hours
        for hours in (2, 0, 5, 1)
    }
    listed = store.list_sessions()
    assert [ids[s.id] for s in listed if s.id is not None] == [5, 2, 1, 0]
    assert all(len(s.segments) == 2 for s in listed)
    assert [s.stretch_id for s in store.list_sessions(limit=2)] == ["s5", "s2"]
    assert store.list_sessions(limit=0) == []


def test_delete_removes_the_session_and_its_segments(store: Store, db: Path) -> None:
    keep = store.save_session(stretch())
    gone = store.save_session(stretch(T0 + timedelta(days=1)))
    assert count(db, "segments") == 4
    assert store.delete_session(gone) is True
    assert store.get_session(gone) is None
    assert count(db, "segments") == 2
    assert store.delete_session(gone) is False
    assert [s.id for s in store.list_sessions()] == [keep]
    # Ids are never reused, so an old reference cannot point at a newer session.
    assert store.save_session(stretch()) > gone


# --- trends --------------------------------------------------------------------------------


def test_trends_add_hold_time_per_stretch_per_day_and_slouch_share(store: Store) -> None:
    day1 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    day2 = datetime(2025, 3, 11, 23, 59, tzinfo=UTC)
    store.save_session(stretch(day1, "bridge", good_form_s=20.0))
    store.save_session(stretch(day1 + timedelta(hours=3), "bridge", good_form_s=12.5))
    store.save_session(stretch(day1, "cat-cow", good_form_s=30.0, reps=8))
    store.save_session(stretch(day2, "bridge", good_form_s=40.0))
    store.save_session(posture(day1, good_s=1500.0, bad_s=300.0))
    store.save_session(posture(day1 + timedelta(hours=5), good_s=900.0, bad_s=300.0))
    store.save_session(posture(day2, good_s=600.0, bad_s=0.0))

    trends = store.trends()
    assert [(d.day, d.stretch_id, d.hold_s, d.sessions) for d in trends.stretches] == [
        (date(2025, 3, 10), "bridge", 32.5, 2),
        (date(2025, 3, 10), "cat-cow", 30.0, 1),
        (date(2025, 3, 11), "bridge", 40.0, 1),  # 23:59 UTC: days are UTC days by default
    ]
    first, second = trends.posture
    assert (first.day, first.good_s, first.bad_s) == (date(2025, 3, 10), 2400.0, 600.0)
    assert first.sessions == 2
    assert first.slouch_share == pytest.approx(600 / 3000)
    assert (second.day, second.slouch_share, second.sessions) == (date(2025, 3, 11), 0.0, 1)


def test_a_posture_day_with_no_judged_time_has_no_slouch_share(store: Store) -> None:
    store.save_session(posture(T0, good_s=0.0, bad_s=0.0))
    (day,) = store.trends().posture
    assert day.slouch_share is None


def test_trends_can_use_local_days(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    try:
        with open_store(db) as store:
            store.save_session(stretch(datetime(2025, 3, 10, 20, 0, tzinfo=UTC)))
            assert store.trends().stretches[0].day == date(2025, 3, 10)
            assert store.trends(local_days=True).stretches[0].day == date(2025, 3, 11)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# --- schema --------------------------------------------------------------------------------


def test_new_database_is_in_wal_mode_at_the_current_version(store: Store, db: Path) -> None:
    store.save_session(stretch())
    assert store.schema_version == SCHEMA_VERSION == 2
    with sql(db) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_foreign_keys_are_enforced(store: Store) -> None:
    # Through the store's own connection: without the pragma the cascade would silently fail.
    assert store._connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1


# The schema as posecheck's first release wrote it (kept here on purpose: it must not follow
# later changes to MIGRATIONS).
V1_SCHEMA = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('stretch', 'posture')),
    stretch_id TEXT,
    side TEXT,
    source TEXT NOT NULL CHECK (source IN ('live', 'review')),
    video TEXT,
    started_at TEXT NOT NULL,
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
PRAGMA user_version = 1;
"""


def make_v1_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    rows = [
        ("stretch", "bridge", "review", '{"good_form_s": 42.5, "reps": 6, "duration_s": 60}'),
        ("posture", None, "live", '{"good_s": 1200, "bad_s": 300.5, "alerts": 2}'),
        ("posture", None, "live", '{"good_s": "n/a", "bad_s": true}'),  # not numbers: NULL
    ]
    for kind, stretch_id, source, summary in rows:
        conn.execute(
            "INSERT INTO sessions (kind, stretch_id, source, started_at, duration_s, "
            "summary_json) VALUES (?, ?, ?, '2024-12-01T07:00:00.000000Z', 60, ?)",
            (kind, stretch_id, source, summary),
        )
    conn.execute("INSERT INTO segments VALUES (1, 0, 60, 'holding')")
    conn.commit()
    conn.close()


def test_version_1_database_is_upgraded_and_keeps_its_rows(db: Path) -> None:
    make_v1_database(db)
    with open_store(db) as store:
        assert store.schema_version == 2
        old_stretch, old_posture, odd = (store.get_session(i) for i in (1, 2, 3))
        assert old_stretch is not None and old_posture is not None and odd is not None
        assert (old_stretch.good_s, old_stretch.bad_s, old_stretch.reps) == (42.5, None, 6)
        assert old_stretch.summary.stretch == "bridge" and old_stretch.duration_s == 60
        assert (old_posture.good_s, old_posture.bad_s, old_posture.reps) == (1200.0, 300.5, None)
        assert old_posture.summary.posture is not None
        assert old_posture.summary.posture.alerts == 2
        # Values that are not numbers read as nothing (0 s), and the trends leave them out.
        assert (odd.good_s, odd.bad_s) == (0.0, 0.0)
        day = store.trends().posture[0]
        assert day.slouch_share == pytest.approx(300.5 / 1500.5)
        assert store.save_session(stretch()) == 4
    with sql(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_python_rule_matches_the_migration_backfill(db: Path) -> None:
    """A session saved now stores the trend numbers migration 2 derived from old summaries."""
    make_v1_database(db)
    with open_store(db) as store:
        for session in store.list_sessions()[1:]:  # the odd row's numbers were not numbers
            fresh = SessionRecord(session.summary, session.started_at, source=session.source)
            session_id = store.save_session(fresh)
            with sql(db) as conn:
                stored = conn.execute(
                    "SELECT good_s, bad_s, reps FROM sessions WHERE id IN (?, ?) ORDER BY id",
                    (session.id, session_id),
                ).fetchall()
            assert stored[0] == stored[1]


def test_a_failing_migration_changes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_v1_database(db)
    broken = "ALTER TABLE sessions ADD COLUMN half_done REAL;\nSELECT no_such_function();\n"
    monkeypatch.setattr(store_module, "MIGRATIONS", [store_module.MIGRATIONS[0], broken])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    with pytest.raises(StoreError, match="could not be opened"):
        open_store(db)
    with sql(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert "half_done" not in columns
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3


def test_a_database_from_a_newer_posecheck_is_refused(db: Path) -> None:
    with sql(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer posecheck"):
        open_store(db)


def test_another_programs_database_is_left_alone(db: Path) -> None:
    with sql(db) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="another program"):
        open_store(db)
    with sql(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


# --- atomic writes and failures ------------------------------------------------------------


def test_a_save_that_fails_halfway_leaves_no_partial_session(store: Store, db: Path) -> None:
    store.save_session(stretch())
    with sql(db) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_segments BEFORE INSERT ON segments "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    with pytest.raises(StoreError, match="the session was not saved"):
        store.save_session(stretch(T0 + timedelta(days=1)))
    assert count(db, "sessions") == 1
    assert count(db, "segments") == 2
    with sql(db) as conn:
        conn.execute("DROP TRIGGER refuse_segments")
    assert store.save_session(stretch(T0 + timedelta(days=1))) > 0
    assert count(db, "sessions") == 2


def test_a_locked_database_raises_after_the_busy_timeout(db: Path) -> None:
    store = open_store(db, busy_timeout_s=0.2)
    store.save_session(stretch())
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        record = stretch(T0 + timedelta(hours=1))
        with pytest.raises(StoreError) as caught:
            store.save_session(record)
        message = str(caught.value)
        assert isinstance(caught.value, PosecheckError) and caught.value.busy
        assert "is locked by another program (waited 0.2 s), so the session was not saved" in (
            message
        )
        assert "\n" not in message
        # WAL: the history can still be read while another program writes.
        assert len(store.list_sessions()) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The caller still has the record; saving it again works once the lock is gone.
    assert store.save_session(record) == 2
    store.close()


def test_opening_a_database_locked_before_it_has_a_schema(db: Path) -> None:
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked by another program"):
            open_store(db, busy_timeout_s=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_garbage_bytes_are_not_a_history(db: Path) -> None:
    db.write_bytes(b"\x00\x13 definitely not SQLite \xff" * 200)
    with pytest.raises(StoreError, match="not a posecheck history database or it is damaged"):
        open_store(db)


def test_an_unwritable_location_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match=f"Cannot create the folder .*{DATA_DIR_ENV}") as caught:
        open_store(blocker / "history.sqlite3")
    assert "\n" not in str(caught.value)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="file permissions do not bind root, which these machines run tests as",
)
def test_a_read_only_database_cannot_be_saved_to(db: Path, tmp_path: Path) -> None:
    open_store(db).close()
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|Cannot open"):
            open_store(db).save_session(stretch())
    finally:
        tmp_path.chmod(0o755)
        db.chmod(0o644)


# --- where the database lives ---------------------------------------------------------------


def test_the_environment_variable_chooses_the_folder(private_data_dir: Path) -> None:
    assert default_path() == private_data_dir / DB_NAME
    with open_store() as store:
        assert store.path == private_data_dir / DB_NAME
        store.save_session(stretch())
    assert (private_data_dir / DB_NAME).is_file()


def test_without_the_variable_the_xdg_then_home_data_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    assert default_path() == tmp_path / "xdg" / "posecheck" / DB_NAME
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_path() == tmp_path / "home" / ".local" / "share" / "posecheck" / DB_NAME


# --- the session a new one is compared with -------------------------------------------------


def test_the_previous_session_is_the_latest_earlier_one_of_the_same_stretch(store: Store) -> None:
    older = store.save_session(stretch(T0 - timedelta(days=2), good_form_s=10.0))
    last = store.save_session(stretch(T0 - timedelta(days=1), good_form_s=20.0))
    store.save_session(stretch(T0 - timedelta(hours=1), stretch_id="cobra"))
    store.save_session(posture(T0 - timedelta(hours=2), 100.0, 20.0))
    now = store.save_session(stretch(T0))
    store.save_session(stretch(T0 + timedelta(days=1)))  # later sessions never count
    previous = store.previous_session(now)
    assert previous is not None and previous.id == last and previous.good_s == 20.0
    assert store.previous_session(last) is not None
    assert store.previous_session(older) is None
    assert store.previous_session(10_000) is None


def test_the_previous_desk_session_is_any_earlier_desk_session(store: Store) -> None:
    first = store.save_session(posture(T0 - timedelta(days=1), 100.0, 20.0))
    store.save_session(stretch(T0 - timedelta(hours=1)))
    now = store.save_session(posture(T0, 50.0, 5.0))
    previous = store.previous_session(now)
    assert previous is not None and previous.id == first
    assert store.previous_session(2**63) is None


# --- hostile values (issue 13) -----------------------------------------------------------------


def test_an_empty_data_dir_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Taken as unset, it would send a script's scratch sessions into the real history.
    for empty in ("", "  "):
        monkeypatch.setenv(DATA_DIR_ENV, empty)
        with pytest.raises(StoreError, match=f"^{DATA_DIR_ENV} is set but empty; set it to a"):
            default_path()


def test_ids_and_limits_beyond_sqlite_integers(store: Store) -> None:
    saved = store.save_session(stretch())
    for huge in (2**63, -(2**63) - 1, 10**30):
        assert store.get_session(huge) is None
        assert store.delete_session(huge) is False
    assert [r.id for r in store.list_sessions(limit=10**30)] == [saved]


def test_a_record_with_numbers_sqlite_cannot_hold_is_refused_before_writing() -> None:
    summary = dataclasses.replace(stretch().summary, reps=2**64)
    with pytest.raises(ValueError, match="reps must be a whole number from 0 to"):
        SessionRecord(summary, T0)


def test_the_same_session_is_found_again(store: Store) -> None:
    record = dataclasses.replace(stretch(), source="review", video="/clips/a.mp4")
    assert store.find_session(record) is None
    saved = store.save_session(record)
    assert store.find_session(record) == saved
    assert store.find_session(dataclasses.replace(record, video="/clips/b.mp4")) is None
