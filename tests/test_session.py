"""Session summaries: made by a recorder from coach results, written to JSON only at the edges
and read back the same (the history's round trip), for stretches and desk posture alike."""

from __future__ import annotations

import dataclasses

import pytest

from posecheck.coach import Coach, CoachSettings, Phase
from posecheck.limits import Status
from posecheck.session import (
    Fault,
    ReviewFacts,
    RoutineEntry,
    Segment,
    SessionSummary,
    StretchRecorder,
    Timeline,
    VideoSource,
)
from posecheck.specs import get_stretch
from tests.conftest import fixture_pose
from tests.sessions import posture_summary, stretch_summary
from tests.stretches.sequences import sequence


def test_the_timeline_joins_frames_with_one_label_into_a_segment() -> None:
    timeline = Timeline()
    for t, label in [(0.0, "a"), (0.5, "a"), (1.0, "b"), (1.5, "b"), (2.0, "a")]:
        timeline.add(label, t)
    assert timeline.segments == (Segment(0.0, 1.0, "a"), Segment(1.0, 2.0, "b"),
                                 Segment(2.0, 2.0, "a"))  # fmt: skip


def test_a_recorder_turns_coach_results_into_a_summary() -> None:
    spec = get_stretch("childs-pose")
    coach = Coach(spec, settings=CoachSettings(smoothing=False))
    recorder = StretchRecorder(spec.id)
    pose = fixture_pose("childs_pose_side")
    for i in range(31):
        recorder.add(coach.update(None if i < 5 else pose, i / 10))
    summary = recorder.summary()
    assert summary.kind == "stretch" and summary.stretch == "childs-pose"
    assert summary.frames == 31 and summary.duration_s == pytest.approx(3.0)
    assert [s.label for s in summary.segments] == [
        Phase.NO_PERSON.value, Phase.SETTING_UP.value, Phase.HOLDING.value
    ]
    assert summary.in_position_s == pytest.approx(2.0)  # settled at 1.0 s
    assert summary.good_form_s == pytest.approx(2.0)
    assert all(share.ok_fraction == 1.0 for share in summary.checks.values())


def test_json_round_trips_for_both_kinds_with_review_facts() -> None:
    facts = ReviewFacts(
        processing_fps=55.5, person_frames=90, multi_person_frames=3,
        video=VideoSource("/clips/a.mp4", 640, 480, 30.0, 90),
        faults=(Fault("hips-back", 2.5, 7.0),), warnings=("The file was cut short.",),
    )  # fmt: skip
    for summary in (stretch_summary("bridge", 6.0, reps=2, checks={"hips": 0.5}),
                    posture_summary(30.0, 10.0, away=5.0)):  # fmt: skip
        reviewed = summary.reviewed(facts)
        data = reviewed.to_json()
        assert data["warning"] == "The file was cut short."
        assert SessionSummary.from_json(data) == reviewed
        assert SessionSummary.from_json(summary.to_json()) == summary


def test_the_posture_json_keeps_the_desk_contract() -> None:
    data = posture_summary(30.0, 10.0).to_json()
    assert {"good_s", "bad_s", "away_s", "alerts", "in_position_s", "good_form_s"} <= set(data)
    assert data["posture"] is True and data["reps"] is None
    assert data["in_position_s"] == 40.0 and data["good_form_s"] == 30.0


def test_a_summary_knows_what_kind_it_is() -> None:
    with pytest.raises(ValueError, match="names its stretch"):
        dataclasses.replace(stretch_summary(), stretch=None)
    with pytest.raises(ValueError, match="posture totals"):
        dataclasses.replace(stretch_summary(), posture=posture_summary(1, 1).posture)


def squat_summary() -> SessionSummary:
    """A real summary of the gym squat clip: six reps, each judged at its bottom."""
    spec = get_stretch("deep-squat")
    coach, recorder = Coach(spec), StretchRecorder(spec.id)
    for t, pose in sequence("squats_gym_side_seq"):
        recorder.add(coach.update(pose, t))
    return recorder.summary()


def test_reps_detail_is_written_per_rep_and_read_back() -> None:
    summary = squat_summary()
    data = summary.to_json()
    assert [r["rep"] for r in data["reps_detail"]] == [1, 2, 3, 4, 5, 6]
    for rep in data["reps_detail"]:
        assert rep["start_s"] < rep["bottom_s"] < rep["end_s"] and rep["form_ok"] is True
        assert {c["id"] for c in rep["checks"]} == {
            "hips-below-knees", "heels-down", "chest-up", "knees-over-toes"
        }
    back = SessionSummary.from_json(data)
    assert len(back.reps_detail) == 6
    assert back.reps_detail[0].checks[0].status is Status.OK
    assert back.to_json() == data


def test_a_routine_summary_lists_each_stretch_found_and_round_trips() -> None:
    squats = squat_summary()
    part = RoutineEntry("deep-squat", 0.3, 13.1, None, squats)
    hold = RoutineEntry(
        "knee-to-chest", 20.0, 31.5, "right", stretch_summary("knee-to-chest", 9.0),
        ("supine-twist",), "From the side, both knees drawn up look alike.",
    )  # fmt: skip
    summary = SessionSummary(
        "routine", 900, 40.0, squats.in_position_s + 9.0, squats.good_form_s + 9.0, 6,
        routine=(part, hold), unmatched_s=15.6,
    )  # fmt: skip
    data = summary.to_json()
    assert [e["stretch"] for e in data["routine"]] == ["deep-squat", "knee-to-chest"]
    first = data["routine"][0]
    assert {"stretch", "start_s", "end_s", "side", "in_position_s", "good_form_s", "reps",
            "reps_detail"} <= set(first)  # fmt: skip
    assert first["reps"] == 6 and len(first["reps_detail"]) == 6
    assert data["routine"][1]["ambiguous_with"] == ["supine-twist"]
    assert data["unmatched_s"] == 15.6
    back = SessionSummary.from_json(data)
    assert back.kind == "routine" and back.routine is not None
    assert [e.stretch for e in back.routine] == ["deep-squat", "knee-to-chest"]
    assert back.routine[1].note == hold.note and back.routine[1].side == "right"
    with pytest.raises(ValueError, match="lists the stretches"):
        dataclasses.replace(summary, routine=None)
    with pytest.raises(ValueError, match="its own stretch"):
        RoutineEntry("bridge", 0.0, 1.0, None, squats)
