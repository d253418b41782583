"""A recorded routine reviewed without naming the stretch: the segmenter on made-up evidence,
the engine on the committed sequences played one after another (no media needed), and real
routines built in a temporary folder by joining shared clips with ffmpeg (skipped without the
media), whose parts are known by construction and by eye, checked within a second at each
boundary, with look-alike clips that must not start a part of their own."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from posecheck.cli import main
from posecheck.review import RoutineReview, review
from posecheck.review.routine import NO_STRETCH, RoutineSegmenter, SegmenterSettings
from posecheck.session import RoutineEntry, SessionSummary
from tests.stretches.sequences import holds_by_eye, reps_by_eye, sequence

POSECHECK = Path(sys.executable).parent / "posecheck"


@pytest.fixture(autouse=True)
def _private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))


# --- the segmenter on made-up evidence ---------------------------------------------------------

MODES = {"childs-pose": "hold", "lat-stretch": "hold", "deep-squat": "reps-then-hold"}


def segment(
    timeline: list[tuple[float, dict[str, bool]]],
    reps: dict[float, dict[str, list[tuple[float, float]]]] | None = None,
    dt: float = 0.1,
) -> list[Any]:
    """Feed `timeline` ((seconds, holding) runs) at `dt`; every segment closed, in order."""
    seg = RoutineSegmenter(MODES, looks_like=frozenset({frozenset({"childs-pose",
                                                                  "lat-stretch"})}))  # fmt: skip
    closed = []
    t = 0.0
    for seconds, holding in timeline:
        for _ in range(round(seconds / dt)):
            t = round(t + dt, 3)
            done = (reps or {}).get(t, {})
            closed += seg.update(t, True, holding, done, {k: v for k, v in holding.items()})
    return closed + seg.finish()


def test_a_hold_starts_after_its_entry_has_held_and_is_dated_back() -> None:
    found = segment([(3.0, {}), (6.0, {"childs-pose": True}), (4.0, {})])
    (part,) = found
    assert part.stretch == "childs-pose" and part.reported
    assert part.start_s == pytest.approx(3.1) and part.end_s == pytest.approx(9.0)


def test_a_short_look_alike_moment_never_starts_a_segment() -> None:
    # A lunge bottom's second of "in position", a few times: never 2 s in a row.
    runs: list[tuple[float, dict[str, bool]]] = []
    for _ in range(5):
        runs += [(1.0, {"childs-pose": True}), (1.5, {})]
    assert segment(runs) == []


def test_gaps_shorter_than_the_bridge_do_not_break_a_hold() -> None:
    runs: list[tuple[float, dict[str, bool]]] = []
    for _ in range(8):
        runs += [(0.7, {"childs-pose": True}), (0.3, {})]  # a flickering entry
    (part,) = segment(runs)
    assert part.start_s == pytest.approx(0.1) and part.end_s == pytest.approx(7.7)


def test_a_segment_shorter_than_the_minimum_is_not_reported() -> None:
    (part,) = segment([(2.5, {"childs-pose": True}), (5.0, {})])
    assert not part.reported  # 2.5 s < 3 s


def test_reps_start_a_segment_dated_back_to_the_first_rep() -> None:
    reps = {2.0: {"deep-squat": [(0.5, 2.0)]}, 4.5: {"deep-squat": [(3.0, 4.5)]},
            7.0: {"deep-squat": [(5.5, 7.0)]}}  # fmt: skip
    (part,) = segment([(15.0, {})], reps)
    assert part.stretch == "deep-squat" and part.start_s == 0.5 and part.end_s == 7.0
    assert len(part.reps) == 3


def test_a_look_alike_holding_at_the_same_time_is_named_ambiguous() -> None:
    both = {"childs-pose": True, "lat-stretch": True}
    (part,) = segment([(1.0, {"childs-pose": True}), (5.0, both), (1.0, {"childs-pose": True})])
    assert part.stretch == "childs-pose"
    assert part.ambiguous_with == {"lat-stretch"}


def test_settings_refuse_negative_times() -> None:
    with pytest.raises(ValueError, match="enter_s must be 0 or more"):
        SegmenterSettings(enter_s=-1)


# --- the engine on the committed sequences, one after another -------------------------------

#: Five sequences joined in this order (clip times shifted to follow each other).
SEQUENCES = ["squats_gym_side_seq", "lunges_side_seq", "childs_pose_clip_seq",
             "fire_hydrant_allfours_seq", "knee_to_chest_bench_side_seq"]  # fmt: skip


@pytest.fixture(scope="module")
def joined() -> tuple[SessionSummary, dict[str, float]]:
    engine = RoutineReview()
    offsets: dict[str, float] = {}
    offset = 0.0
    for name in SEQUENCES:
        frames = sequence(name)
        first = frames[0][0]
        offsets[name] = offset - first  # clip time + this = routine time
        for t, pose in frames:
            last = t - first + offset
            engine.update(pose, last)
        offset = last + 0.1
    return engine.summary(), offsets


def test_each_stretch_in_the_sequences_is_found_in_time_order(
    joined: tuple[SessionSummary, dict[str, float]],
) -> None:
    summary, at = joined
    assert summary.kind == "routine" and summary.routine is not None
    found = [(e.stretch, e.side) for e in summary.routine]
    assert found == [("deep-squat", None), ("childs-pose", None), ("knee-to-chest", "right"),
                     ("knee-to-chest", "left"), ("knee-to-chest", None)]  # fmt: skip
    squats, childs, right, left, both = summary.routine
    eye = reps_by_eye("squats_gym_side_seq")
    assert abs(squats.start_s - eye[0].start) <= 1 and abs(squats.end_s - (eye[-1].end or 0)) <= 1
    assert squats.summary.reps == 6 and all(r.form_ok for r in squats.summary.reps_detail)
    # Child's pose: from all fours, folded back by about 3 s into its clip, held to the end.
    start = at["childs_pose_clip_seq"]
    assert start <= childs.start_s <= start + 3.1
    k2c = at["knee_to_chest_bench_side_seq"]
    seen = holds_by_eye("knee_to_chest_bench_side_seq")
    for part, (side, a, b) in zip((right, left, both), seen, strict=True):
        assert part.side == side
        assert abs(part.start_s - (a + k2c)) <= 1 and abs(part.end_s - (b + k2c)) <= 1, part


def test_the_look_alikes_in_the_sequences_start_nothing(
    joined: tuple[SessionSummary, dict[str, float]],
) -> None:
    summary, at = joined
    assert summary.routine is not None
    lunges = (at["lunges_side_seq"] + 3.0, at["lunges_side_seq"] + 9.0)
    hydrant = (at["fire_hydrant_allfours_seq"], at["fire_hydrant_allfours_seq"] + 22.8)
    for entry in summary.routine:
        for a, b in (lunges, hydrant):
            overlap = min(entry.end_s, b) - max(entry.start_s, a)
            assert overlap < 1.0, (entry.stretch, entry.start_s, entry.end_s)
    matched = sum(e.end_s - e.start_s for e in summary.routine)
    assert summary.unmatched_s == pytest.approx(summary.duration_s - matched)
    assert {s.label for s in summary.segments} == {NO_STRETCH, "deep-squat", "childs-pose",
                                                   "knee-to-chest"}  # fmt: skip


# --- real routines, joined from shared clips in a temporary folder ---------------------------


def join(parts: list[tuple[Path, float, float]], out: Path, size: str, fps: int) -> Path:
    """The parts ((clip, start s, seconds)) one after another: each trimmed, scaled to `size`,
    resampled to `fps` and re-timed from 0, then joined, so each part begins where the ones
    before it end."""
    inputs: list[str] = []
    chains = []
    for i, (clip, start, seconds) in enumerate(parts):
        inputs += ["-ss", str(start), "-t", str(seconds), "-i", str(clip)]
        chains.append(f"[{i}:v]fps={fps},scale={size},setsar=1,setpts=PTS-STARTPTS[v{i}]")
    joined = "".join(f"[v{i}]" for i in range(len(parts)))
    graph = ";".join(chains) + f";{joined}concat=n={len(parts)}:v=1:a=0,format=yuv420p[v]"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]", "-an",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", str(out)],
        check=True, timeout=300,
    )  # fmt: skip
    return out


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout)


@pytest.fixture(scope="module")
def standing_routine(media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Squats, a chest opener and a child's pose, whole clips, reviewed once by the console
    script with every output (`--routine --json - --csv --video`)."""
    folder = tmp_path_factory.mktemp("routine")
    parts = [(media / "02_deep_squat" / "squats_gym_side.mp4", 0.0, 13.52),
             (media / "07_chest_opener" / "chest_opener_hands_behind_back.mp4", 0.0, 16.08),
             (media / "03_childs_pose" / "childs_pose_side.mp4", 0.0, 9.91)]  # fmt: skip
    video = join(parts, folder / "standing.mp4", "768:432", 25)
    env = {**os.environ, "POSECHECK_DATA_DIR": str(folder / "data")}
    run = subprocess.run(
        [str(POSECHECK), "review", str(video), "--routine", "--json", "-",
         "--csv", str(folder / "frames.csv"), "--video", str(folder / "annotated.mp4")],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    history = subprocess.run([str(POSECHECK), "history", "--json"], capture_output=True,
                             text=True, env=env, check=True)  # fmt: skip
    return {"summary": json.loads(run.stdout), "folder": folder, "video": video,
            "history": json.loads(history.stdout)}  # fmt: skip


#: By construction: each clip's place in the joined video; by eye (frames read every 0.1 s):
#: squats from 0.15 to 13.3 s, the chest opener's hands clasped 0.5-14.6 s into its clip,
#: the child's pose folded back between its first frame and 1.5 s in, held to the end.
SQUAT_AT, OPENER_AT, CHILD_AT, END = 0.0, 13.52, 29.60, 39.51


def test_the_standing_routine_finds_each_stretch_within_a_second(
    standing_routine: dict[str, Any],
) -> None:
    data = standing_routine["summary"]
    routine = data["routine"]
    assert [p["stretch"] for p in routine] == ["deep-squat", "chest-opener", "childs-pose"]
    squats, opener, child = routine
    assert abs(squats["start_s"] - (SQUAT_AT + 0.15)) <= 1
    assert abs(squats["end_s"] - (SQUAT_AT + 13.3)) <= 1
    assert abs(opener["start_s"] - (OPENER_AT + 0.5)) <= 1
    assert abs(opener["end_s"] - (OPENER_AT + 14.6)) <= 1
    assert CHILD_AT - 0.5 <= child["start_s"] <= CHILD_AT + 1.5 + 1
    assert abs(child["end_s"] - END) <= 1
    assert {p["side"] for p in routine} == {None}
    assert data["unmatched_s"] == pytest.approx(
        data["duration_s"] - sum(p["end_s"] - p["start_s"] for p in routine), abs=0.01
    )


def test_the_squats_in_the_routine_are_judged_rep_by_rep(
    standing_routine: dict[str, Any],
) -> None:
    squats = standing_routine["summary"]["routine"][0]
    assert squats["reps"] == 6
    eye = reps_by_eye("squats_gym_side_seq")
    for rep, seen in zip(squats["reps_detail"], eye, strict=True):
        assert seen.end_from - 0.1 <= rep["bottom_s"] - SQUAT_AT <= seen.end_to + 0.1
        assert rep["form_ok"] is True
    assert squats["in_position_s"] == pytest.approx(squats["good_form_s"])
    assert 6.0 < squats["in_position_s"] < 8.5


def test_the_routine_outputs_name_the_stretch(standing_routine: dict[str, Any]) -> None:
    folder = standing_routine["folder"]
    with (folder / "frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert "stretch" in rows[0]
    named = {r["stretch"] for r in rows}
    assert {"deep-squat", "chest-opener", "childs-pose", ""} <= named
    assert len(rows) == standing_routine["summary"]["frames"]
    assert (folder / "annotated.mp4").stat().st_size > 10_000


def test_the_history_keeps_one_session_per_stretch_found(standing_routine: dict[str, Any]) -> None:
    data = standing_routine["summary"]
    sessions = standing_routine["history"]["sessions"]
    assert data["history_ids"] == sorted(s["id"] for s in sessions)
    assert sorted(s["stretch_id"] for s in sessions) == [
        "chest-opener", "childs-pose", "deep-squat"
    ]
    squats = next(s for s in sessions if s["stretch_id"] == "deep-squat")
    assert squats["reps"] == 6


def test_look_alike_clips_joined_with_real_stretches_start_no_part(
    media: Path, tmp_path: Path
) -> None:
    """Lunges (the kneeling hip flexor's look-alike bottoms), the fire-hydrant all fours (in
    position for cat-cow, never a cat or a cow) and a standing quad stretch holding the foot
    behind the back (the chest opener's) between a knee-to-chest and a cobra."""
    parts = [(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", 0.0, 16.0),
             (media / "05_knee_to_chest_twist" / "knee_to_chest_bench_side.mp4", 6.0, 32.0),
             (media / "04_cat_cow_all_fours" / "fire_hydrant_allfours.mp4", 0.0, 20.0),
             (media / "06_cobra_sphinx" / "cobra_female_side.mp4", 0.0, 17.0),
             (media / "12_exercise_videos" / "standing_quad_stretch_wall.mp4", 15.0, 16.0)]
    video = join(parts, tmp_path / "floor.mp4", "640:360", 25)
    starts = [0.0]
    for _, _, seconds in parts:
        starts.append(starts[-1] + seconds)
    assert duration(video) == pytest.approx(starts[-1], abs=0.2)
    summary = review(video, RoutineReview()).summary
    assert summary.routine is not None
    found = [(e.stretch, e.side, round(e.start_s, 1), round(e.end_s, 1)) for e in summary.routine]
    assert [(s, side) for s, side, _, _ in found] == [
        ("knee-to-chest", "right"), ("knee-to-chest", "left"), ("knee-to-chest", None),
        ("cobra", None),
    ], found
    # By eye: the knee-to-chest clip's holds (examples.toml); the cobra is up from 3.9 s to
    # 16.5 s into its clip.
    k2c, cobra = starts[1] - 6.0, starts[3]
    holds = holds_by_eye("knee_to_chest_bench_side_seq")
    expected = [(a + k2c, b + k2c) for _, a, b in holds] + [(3.9 + cobra, 16.5 + cobra)]
    for entry, (a, b) in zip(summary.routine, expected, strict=True):
        assert abs(entry.start_s - a) <= 1 and abs(entry.end_s - b) <= 1, (entry.stretch, a, b)
    for a, b in ((starts[0], starts[1]), (starts[2], starts[3]), (starts[4], starts[5])):
        assert all(min(e.end_s, b) - max(e.start_s, a) < 1.0 for e in summary.routine), (a, b)


def test_a_routine_entry_keeps_its_own_stretch_summary() -> None:
    spec_summary = SessionSummary("stretch", 10, 1.0, 1.0, 1.0, 0, stretch="cobra")
    entry = RoutineEntry("cobra", 1.0, 2.0, None, spec_summary)
    assert entry.to_json()["stretch"] == "cobra" and entry.to_json()["reps_detail"] == []


def test_a_saved_routine_summary_is_imported_as_one_session_per_stretch(
    joined: tuple[SessionSummary, dict[str, float]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A routine reviewed with --no-history (or a locked history) can be added later: each
    stretch found becomes its own session, starting where it started in the video."""
    summary, _ = joined
    data = {**summary.to_json(), "started_at": "2026-03-04T10:00:00+00:00", "side": None,
            "video": {"path": "/clips/routine.mp4"}}  # fmt: skip
    path = tmp_path / "routine.json"
    path.write_text(json.dumps(data))
    assert main(["history", "import", str(path)]) == 0
    assert main(["history", "import", str(path)]) == 0  # the second time adds nothing
    capsys.readouterr()
    assert main(["history", "--json"]) == 0
    sessions = json.loads(capsys.readouterr().out)["sessions"]
    assert summary.routine is not None and len(sessions) == len(summary.routine) == 5
    found = sorted((s["started_at"], s["stretch_id"], s["side"]) for s in sessions)
    assert [(stretch, side) for _, stretch, side in found] == [
        (e.stretch, e.side) for e in summary.routine
    ]
    start = datetime.fromisoformat(found[0][0])
    assert start - datetime(2026, 3, 4, 10, 0, tzinfo=UTC) == pytest.approx(
        timedelta(seconds=summary.routine[0].start_s), abs=timedelta(milliseconds=2)
    )
    squats = next(s for s in sessions if s["stretch_id"] == "deep-squat")
    assert squats["reps"] == 6
