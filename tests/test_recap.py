"""The end-of-session recap: the best unbroken hold, the sentence saying what was saved, rep
verdicts from the reps detail, and the comparison with the session (or day) before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from posecheck.history import save_session
from posecheck.recap import (
    HoldRuns,
    PostureRecap,
    clock,
    finish_posture,
    finish_stretch,
    stretch_facts,
)
from posecheck.session import RepDetail
from posecheck.store import PostureDay, open_store
from tests.sessions import posture_summary, stretch_summary


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _run(runs: HoldRuns, frames: list[tuple[float, bool, str]]) -> None:
    for t, ok, side in frames:
        runs.update(ok, t, side)


def test_the_best_hold_is_the_longest_unbroken_good_form_run() -> None:
    runs = HoldRuns()
    good = [(i / 10, True, "") for i in range(0, 31)]  # 0..3 s
    bad = [(3.1, False, "")]
    again = [(3.2 + i / 10, True, "") for i in range(0, 11)]  # 3.2..4.2 s
    _run(runs, good + bad + again)
    assert runs.best_s == pytest.approx(3.0)


def test_a_gap_longer_than_a_dropped_frame_or_a_side_change_ends_a_run() -> None:
    runs = HoldRuns(max_gap_s=0.5)
    _run(runs, [(0.0, True, "left"), (0.4, True, "left"), (0.8, True, "left"),
                (2.0, True, "left"), (2.3, True, "left"),  # 1.2 s gap: a new run
                (2.6, True, "right"), (3.5, True, "right")])  # fmt: skip
    assert runs.best == {"left": pytest.approx(0.8), "right": pytest.approx(0.0)}
    assert runs.best_s == pytest.approx(0.8)
    runs.reset()
    assert runs.best_s == 0.0


def test_clock_reads_like_a_person_would_say_it() -> None:
    assert [clock(s) for s in (0, 4.4, 59.4, 59.6, 65, 3600)] == [
        "0 s", "4 s", "59 s", "1:00", "1:05", "60:00",
    ]  # fmt: skip


def test_the_facts_name_reps_and_the_hold_goal() -> None:
    reps = stretch_summary("deep-squat", 12.0, reps=5, duration=65.0)
    assert stretch_facts(reps, "Deep squat", 30.0, 10) == (
        "1:05 of Deep squat, 5 of 10 reps, 12 s held in good form (goal 30 s not reached)"
    )
    hold = stretch_summary("childs-pose", 31.0, duration=40.0)
    hold = type(hold)(**{**hold.__dict__, "done": True})
    assert stretch_facts(hold, "Child's pose", 30.0) == (
        "40 s of Child's pose, 31 s held in good form (goal 30 s reached)"
    )


def test_the_facts_count_reps_in_good_form_from_the_reps_detail() -> None:
    plain = stretch_summary("deep-squat", 0.0, reps=2)
    assert stretch_facts(plain, "Deep squat", 0, 10) == (
        "10 s of Deep squat, 2 of 10 reps, 0 s held in good form"
    )
    detailed = replace(plain, reps_detail=(
        RepDetail(1, 0.0, 1.0, 2.0, True, ()),
        RepDetail(2, 2.0, 3.0, 4.5, False, ()),
    ))  # fmt: skip
    assert stretch_facts(detailed, "Deep squat", 0, 10) == (
        "10 s of Deep squat, 2 of 10 reps (1 in good form), 0 s held in good form"
    )


def test_finishing_saves_and_finds_the_last_session_of_the_same_stretch() -> None:
    last = save_session(stretch_summary("bridge", 4.0), started_at=datetime.now(UTC) - timedelta(1))
    save_session(stretch_summary("cobra", 9.0), started_at=datetime.now(UTC) - timedelta(hours=1))
    recap = finish_stretch(stretch_summary("bridge", 6.0), "Bridge", hold_target_s=20,
                           best_hold_s=5.0)  # fmt: skip
    assert recap.saved and recap.session_id is not None
    assert recap.message == (
        "Saved to your history: 10 s of Bridge, 6 s held in good form (goal 20 s not reached)."
    )
    assert recap.previous is not None and recap.previous.id == last
    first = finish_stretch(stretch_summary("sphinx", 1.0), "Sphinx", hold_target_s=30,
                           best_hold_s=1.0)  # fmt: skip
    assert first.saved and first.previous is None


def test_a_session_that_cannot_be_saved_keeps_its_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(blocker / "data"))
    recap = finish_stretch(stretch_summary("bridge", 6.0), "Bridge", hold_target_s=20,
                           best_hold_s=5.0)  # fmt: skip
    assert not recap.saved and recap.session_id is None
    assert recap.message.startswith("Not saved to your history (10 s of Bridge, 6 s held in good")
    assert recap.best_hold_s == 5.0 and recap.summary.good_form_s == 6.0
    desk = finish_posture(posture_summary(60.0, 30.0))
    assert not desk.saved
    assert desk.message.startswith("Not saved to your history (1:30 at the desk: 1:00 good, ")


def test_nobody_in_view_is_not_saved() -> None:
    nobody = stretch_summary("bridge", 0.0)
    nobody = type(nobody)(**{**nobody.__dict__, "segments": ()})
    empty = type(nobody)(**{**nobody.__dict__, "frames": 0})
    recap = finish_stretch(empty, "Bridge", hold_target_s=20, best_hold_s=0.0)
    assert not recap.saved and recap.message.startswith("Nobody was in view")
    with open_store() as store:
        assert store.list_sessions() == []


def test_a_desk_session_compares_with_the_last_earlier_day() -> None:
    now = datetime.now(UTC)
    save_session(posture_summary(100.0, 100.0), started_at=now - timedelta(days=3))
    save_session(posture_summary(300.0, 100.0), started_at=now - timedelta(days=1))
    save_session(posture_summary(10.0, 90.0), started_at=now - timedelta(minutes=5))  # today
    recap = finish_posture(posture_summary(90.0, 10.0, alerts=0), now=now)
    assert recap.saved and recap.message == (
        "Saved to your history: 1:40 at the desk: 1:30 good, 10 s slouched, 0 alerts."
    )
    assert recap.earlier is not None and recap.earlier.slouch_share == pytest.approx(0.25)
    assert recap.earlier_label == "yesterday"
    assert recap.slouch_share == pytest.approx(0.1)


def test_an_older_desk_day_is_named_by_its_date() -> None:
    day = PostureDay(date(2025, 3, 3), 10.0, 10.0, 0.5, 1)
    recap = PostureRecap(posture_summary(1.0, 1.0), True, "", 1, day, date(2025, 3, 10))
    assert recap.earlier_label == "on Mon 03 Mar"


def test_a_desk_session_with_nothing_judged_is_not_saved() -> None:
    recap = finish_posture(posture_summary(0.0, 0.0, away=30.0))
    assert not recap.saved
    assert recap.message == "No posture was judged in this session, so nothing was saved."
