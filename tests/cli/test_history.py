"""`posecheck history`: list, show, delete and trends over a history seeded in a tmp folder
(no media needed), JSON on stdout and nothing else, one-sentence errors."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import posecheck.store
from posecheck.cli import main
from posecheck.history import save_session
from tests.sessions import posture_summary, stretch_summary

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


@pytest.fixture(autouse=True)
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(folder))
    # Trend days are local days: pin the zone so the seeded mornings stay on their dates.
    monkeypatch.setenv("TZ", "UTC")
    return folder


@pytest.fixture
def seeded() -> list[int]:
    return [
        save_session(stretch_summary("bridge", 6.0, reps=2, checks={"hips-lifted": 0.9}),
                     source="review", video="/clips/a.mp4", started_at=DAY1),
        save_session(stretch_summary("bridge", 4.0), started_at=DAY1 + timedelta(hours=1)),
        save_session(posture_summary(30.0, 10.0), started_at=DAY1 + timedelta(hours=2)),
        save_session(stretch_summary("cobra", 9.5), started_at=DAY2),
        save_session(posture_summary(45.0, 15.0), started_at=DAY2),
    ]  # fmt: skip


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(list(args)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_list_is_newest_first_with_a_limit(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = run_json(capsys, "history", "--json")["sessions"]
    assert len(sessions) == 5
    assert sessions[0]["started_at"] >= sessions[-1]["started_at"]
    assert {s["id"] for s in sessions} == set(seeded)
    first = next(s for s in sessions if s["id"] == seeded[0])
    assert first == {
        "id": seeded[0], "kind": "stretch", "stretch_id": "bridge", "side": None,
        "source": "review", "video": "/clips/a.mp4", "started_at": DAY1.isoformat(),
        "duration_s": 10.0, "good_s": 6.0, "bad_s": None, "reps": 2,
    }  # fmt: skip
    assert len(run_json(capsys, "history", "--json", "--limit", "2")["sessions"]) == 2


def test_list_as_text(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "started", "what"]
    assert len(lines) == 6
    assert any("desk posture" in line and "bad 15.0 s" in line for line in lines)
    assert any("bridge" in line and "reps 2" in line and "a.mp4" in line for line in lines)


def test_show_gives_the_whole_session(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    session = run_json(capsys, "history", "show", str(seeded[0]), "--json")
    saved = stretch_summary("bridge", 6.0, reps=2, checks={"hips-lifted": 0.9})
    assert session["summary"] == saved.to_json()
    assert session["segments"] == saved.to_json()["segments"]
    assert main(["history", "show", str(seeded[0])]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Session {seeded[0]}: bridge stretch, review of /clips/a.mp4")
    assert "held in good form 6.0 s, reps 2" in text


def test_delete_removes_only_that_session(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "delete", str(seeded[1])]) == 0
    assert capsys.readouterr().out == f"Deleted session {seeded[1]}.\n"
    ids = [s["id"] for s in run_json(capsys, "history", "--json")["sessions"]]
    assert sorted(ids) == sorted(set(seeded) - {seeded[1]})


@pytest.mark.parametrize("action", ["show", "delete"])
def test_unknown_id_is_one_sentence(
    seeded: list[int], capsys: pytest.CaptureFixture[str], action: str
) -> None:
    assert main(["history", action, "999"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "posecheck: There is no session 999 in the history; `posecheck history` lists them.\n"
    )


def test_trends_per_day(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    trends = run_json(capsys, "history", "trends", "--json")
    assert trends["stretches"] == [
        {"day": "2026-03-02", "stretch_id": "bridge", "hold_s": 10.0, "sessions": 2},
        {"day": "2026-03-03", "stretch_id": "cobra", "hold_s": 9.5, "sessions": 1},
    ]
    assert trends["posture"] == [
        {"day": "2026-03-02", "good_s": 30.0, "bad_s": 10.0, "slouch_share": 0.25, "sessions": 1},
        {"day": "2026-03-03", "good_s": 45.0, "bad_s": 15.0, "slouch_share": 0.25, "sessions": 1},
    ]
    assert main(["history", "trends"]) == 0
    text = capsys.readouterr().out
    assert "2026-03-02  bridge" in text and "25%" in text


def test_empty_history_says_so(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    assert run_json(capsys, "history", "--json") == {"sessions": []}
    assert main(["history"]) == 0
    assert "The history is empty" in capsys.readouterr().out
    assert run_json(capsys, "history", "trends", "--json") == {"stretches": [], "posture": []}
    assert (data / "history.sqlite3").is_file()  # under POSECHECK_DATA_DIR, nowhere else


def test_locked_database_is_one_sentence_and_loses_nothing(
    seeded: list[int], capsys: pytest.CaptureFixture[str], data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Wait 0.2 s for the lock instead of the default 5 s: same path, a quicker test.
    monkeypatch.setattr(posecheck.store, "open_store",
                        partial(posecheck.store.open_store, busy_timeout_s=0.2))
    locker = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        status = main(["history", "delete", str(seeded[0])])
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert status == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "is locked by another program (waited 0.2 s)" in err and "was not deleted" in err
    assert len(run_json(capsys, "history", "--json")["sessions"]) == 5


def test_damaged_database_is_one_sentence(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    data.mkdir()
    (data / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a posecheck history database" in err
    assert (data / "history.sqlite3").read_bytes() == b"this is not a database" * 100
