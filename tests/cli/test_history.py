"""`posecheck history`: list, show, delete and trends over a history seeded in a tmp folder
(no media needed), JSON on stdout and nothing else, one-sentence errors."""

from __future__ import annotations

import json
import os
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


# --- hostile input (issue 13) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "delete", "9223372036854775808"],
        ["history", "show", "9223372036854775808"],
        ["history", "show", "-99999999999999999999999"],
    ],
)
def test_ids_beyond_sqlites_integers_are_no_session(
    seeded: list[int], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"posecheck: There is no session {argv[-1]} in the history")
    assert len(run_json(capsys, "history", "--json")["sessions"]) == 5  # nothing deleted


def test_a_huge_limit_is_one_sentence(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--limit", "99999999999999999999999"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "--limit must be a whole number from 0 to 9223372036854775807" in err
    assert len(run_json(capsys, "history", "--limit", "9223372036854775807", "--json")[
        "sessions"]) == 5  # fmt: skip


def test_the_parent_json_flag_applies_to_every_action(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    trends = run_json(capsys, "history", "--json", "trends")
    assert set(trends) == {"stretches", "posture"}
    shown = run_json(capsys, "history", "--json", "show", str(seeded[0]))
    assert shown["id"] == seeded[0] and "summary" in shown
    assert run_json(capsys, "history", "show", str(seeded[0]), "--json") == shown
    assert run_json(capsys, "history", "--json", "delete", str(seeded[1])) == {
        "deleted": seeded[1]
    }


def test_control_characters_in_file_names_keep_one_row_per_session(
    capsys: pytest.CaptureFixture[str],
) -> None:
    save_session(stretch_summary("bridge"), source="review", video="/clips/a\nb\x1b[2Jc.mp4",
                 started_at=DAY1)  # fmt: skip
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # the header and one session
    assert lines[1].endswith("a\\nb\\x1b[2Jc.mp4")
    assert main(["history", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "a\\nb\\x1b[2Jc.mp4" in shown and "\x1b" not in shown
    # JSON keeps the name exactly (JSON escapes it itself).
    listed = run_json(capsys, "history", "--json")["sessions"]
    assert listed[0]["video"] == "/clips/a\nb\x1b[2Jc.mp4"


def test_an_empty_data_dir_variable_is_an_error_not_the_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSECHECK_DATA_DIR", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert main(["history", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "posecheck: POSECHECK_DATA_DIR is set but empty; set it to a folder, or unset it to use "
        "the default data folder.\n"
    )
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


# --- importing a saved review summary ------------------------------------------------------


def _summary_file(tmp_path: Path, **extra: Any) -> Path:
    summary = stretch_summary("bridge", 5.0, reps=1).to_json()
    summary.update({"video": {"path": "/clips/b.mp4", "width": 640, "height": 480, "fps": 30.0,
                              "rotation": 0},
                    "processing_fps": 40.0, "person_frames": 300, "multi_person_frames": 0,
                    "faults": [], "warnings": [], "outputs": {}, "thumbnails": [],
                    "history_id": None, **extra})  # fmt: skip
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    return path


def test_a_saved_review_summary_is_imported_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _summary_file(tmp_path, started_at="2026-03-04T10:00:00+00:00", side=None)
    assert main(["history", "import", str(path)]) == 0
    assert capsys.readouterr().out == "Added session 1: bridge of b.mp4.\n"
    assert main(["history", "import", str(path)]) == 0
    assert "Already in the history as session 1" in capsys.readouterr().out
    sessions = run_json(capsys, "history", "--json")["sessions"]
    assert len(sessions) == 1
    assert sessions[0] | {"id": 1} == {
        "id": 1, "kind": "stretch", "stretch_id": "bridge", "side": None, "source": "review",
        "video": "/clips/b.mp4", "started_at": "2026-03-04T10:00:00+00:00", "duration_s": 10.0,
        "good_s": 5.0, "bad_s": None, "reps": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
        ("{not json", "is not valid JSON"),
        ('{"frames": 3}', "names no stretch and is not a posture summary"),
        ('{"stretch": "bridge"}', "has no frame count"),
        ('{"stretch": "bridge", "frames": 3, "reps": 1e300}', "reps must be a whole number"),
        ('{"stretch": "bridge", "frames": 3, "started_at": "yesterday"}', "is not a date"),
        ("[1, 2]", "is not a review summary"),
    ],
    ids=["nested", "not-json", "no-stretch", "no-frames", "huge-reps", "bad-date", "a-list"],
)
def test_a_bad_summary_file_is_one_sentence_and_adds_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "summary.json"
    path.write_text(content)
    assert main(["history", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err, err
    assert run_json(capsys, "history", "--json") == {"sessions": []}


def test_a_folder_or_a_fifo_is_not_a_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["history", "import", str(tmp_path)]) == 1
    assert "is a folder, not a review summary" in capsys.readouterr().err
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert main(["history", "import", str(fifo)]) == 1  # refused at once, never waits
    assert "is a FIFO (named pipe), not a review summary" in capsys.readouterr().err
