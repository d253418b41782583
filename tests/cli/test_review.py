"""`posecheck review` as a user runs it: a real process, real clips (trimmed copies in tmp
folders), stdout holding exactly the JSON contract, one-sentence errors, the history."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import pytest

from posecheck.cli.common import ProgressBar

POSECHECK = Path(sys.executable).parent / "posecheck"

CONTRACT = {"frames", "duration_s", "processing_fps", "in_position_s", "good_form_s", "reps",
            "segments", "checks"}  # fmt: skip


def run(
    *args: str | Path, data: Path, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSECHECK_DATA_DIR": str(data), **(env or {})}
    return subprocess.run(
        [str(POSECHECK), *map(str, args)], capture_output=True, text=True, timeout=timeout,
        env=env, check=False,
    )  # fmt: skip


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


def trimmed(source: Path, seconds: float, out: Path, *vf: str) -> Path:
    filters = ["-vf", ",".join(vf)] if vf else []
    ffmpeg("-i", source, "-t", seconds, *filters, "-c:v", "libx264", "-preset", "ultrafast",
           "-an", out)  # fmt: skip
    return out


def one_sentence_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posecheck: "), result.stderr
    return lines[0]


def frame_size(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    return len(frames), frames[0].width, frames[0].height


# --- the posture clip, reviewed once with --json - ----------------------------------------------


@pytest.fixture(scope="module")
def posture(media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("posture")
    clip = media / "10_desk_sitting" / "side_desk_woman_video.mp4"
    result = run("review", clip, "--posture", "--json", "-", "--csv", folder / "frames.csv",
                 data=folder / "data")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {"result": result, "folder": folder}


def test_json_dash_prints_exactly_one_json_object(posture: dict[str, Any]) -> None:
    stdout = posture["result"].stdout
    summary = json.loads(stdout)  # fails on anything before or after the object
    assert isinstance(summary, dict)
    assert stdout.count("\n") == 1 and stdout.endswith("}\n")
    assert set(summary) >= CONTRACT | {"good_s", "bad_s", "away_s", "alerts"}
    assert "Traceback" not in posture["result"].stderr


def test_posture_good_bad_and_away_add_up_to_the_duration(posture: dict[str, Any]) -> None:
    summary = json.loads(posture["result"].stdout)
    assert summary["frames"] == 333
    total = summary["good_s"] + summary["bad_s"] + summary["away_s"] + summary["unknown_s"]
    assert summary["unknown_s"] == 0  # a clear side view: every frame judged
    assert abs(total - summary["duration_s"]) <= 1 / 23.976
    assert summary["good_s"] > summary["bad_s"] > 0
    assert all(s["phase"] in ("good", "bad", "away", "unknown") for s in summary["segments"])


def test_csv_has_a_row_per_frame_and_no_thumbnails_unless_asked(posture: dict[str, Any]) -> None:
    folder: Path = posture["folder"]
    summary = json.loads(posture["result"].stdout)
    rows = (folder / "frames.csv").read_text().splitlines()
    assert len(rows) == summary["frames"] + 1
    # Faults were found, but frames reach the disk only when --thumbnails asks for them.
    assert summary["faults"] and summary["thumbnails"] == []
    assert sorted(p.name for p in folder.iterdir()) == ["data", "frames.csv"]
    assert summary["outputs"] == {"csv": str(folder / "frames.csv")}


def test_the_review_is_in_the_history(posture: dict[str, Any]) -> None:
    summary = json.loads(posture["result"].stdout)
    shown = run("history", "show", str(summary["history_id"]), "--json",
                data=posture["folder"] / "data")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    session = json.loads(shown.stdout)
    assert session["kind"] == "posture" and session["source"] == "review"
    assert session["video"].endswith("side_desk_woman_video.mp4")
    assert session["good_s"] == summary["good_s"] and session["bad_s"] == summary["bad_s"]


# --- a stretch clip with every output, then the history round trip -----------------------------


def test_stretch_review_outputs_and_history_round_trip(media: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    clip = media / "12_exercise_videos" / "bridge_side_physio.mp4"
    video = tmp_path / "annotated.mp4"
    result = run("review", clip, "--stretch", "bridge", "--video", video,
                 "--json", tmp_path / "summary.json", data=data)  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Without --json -, a short human summary.
    assert "bridge_side_physio.mp4: Bridge, 91 frames" in result.stdout
    assert "saved to the history as session 1" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["reps"] == 1 and summary["history_id"] == 1
    frames, width, height = frame_size(video)
    assert frames == summary["frames"] == 91 and (width, height) == (640, 480)
    assert not (tmp_path / "annotated_thumbnails").exists()  # none unless asked

    listed = json.loads(run("history", "--json", data=data).stdout)["sessions"]
    assert [(s["id"], s["stretch_id"], s["reps"]) for s in listed] == [(1, "bridge", 1)]
    shown = json.loads(run("history", "show", "1", "--json", data=data).stdout)
    assert shown["summary"]["segments"] == summary["segments"]
    assert shown["segments"] == summary["segments"]
    deleted = run("history", "delete", "1", data=data)
    assert deleted.returncode == 0 and deleted.stdout.strip() == "Deleted session 1."
    assert json.loads(run("history", "--json", data=data).stdout) == {"sessions": []}


# --- bad input: one sentence, never a traceback ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.mp4", b"shopping list", "is not a video posecheck can read"),
        ("zero.mp4", b"", "is empty (0 bytes), not a video."),
        ("photo.mp4", None, "is a single still image, not a video."),
        ("missing.mp4", "missing", "does not exist."),
    ],
)
def test_not_a_video_is_one_sentence(
    tmp_path: Path, name: str, content: bytes | str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is None:
        import cv2
        import numpy as np

        cv2.imwrite(str(tmp_path / "photo.png"), np.zeros((40, 40, 3), np.uint8))
        (tmp_path / "photo.png").rename(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = run("review", path, "--stretch", "cobra", "--json", "-", data=tmp_path / "data")
    assert result.stdout == ""
    assert expected in one_sentence_error(result)
    assert not (tmp_path / "data").exists()  # nothing saved, nothing created


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--posture", "--side", "left"], "--side is for stretches"),
        (["--stretch", "cobra", "--view", "side"], "--view is for --posture reviews"),
        (["--stretch", "no-such-stretch"], "no-such-stretch"),
        (["--stretch", "cobra", "--video", "out.avi"], "use a .mp4 file name"),
        (["--stretch", "cobra", "--csv", "no/such/folder/a.csv"], "does not exist"),
        (["--stretch", "cobra", "--workers", "0"], "--workers must be 1 or more"),
    ],
)
def test_bad_options_are_one_sentence(tmp_path: Path, args: list[str], expected: str) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"never opened")
    result = run("review", clip, *args, data=tmp_path / "data")
    assert expected in one_sentence_error(result)


def test_truncated_file_is_analysed_as_far_as_it_goes(media: Path, tmp_path: Path) -> None:
    source = media / "03_childs_pose" / "childs_pose_side.mp4"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(source.read_bytes()[:150_000])
    result = run("review", cut, "--stretch", "childs-pose", "--json", "-", "--no-history",
                 data=tmp_path / "data")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert 10 < summary["frames"] < 297
    assert "cut short" in summary["warning"]
    assert "posecheck: The video was cut short" in result.stderr
    # Not saved to the history (the landmarks are kept: see tests/review/test_scale_cli.py).
    assert summary["history_id"] is None
    assert not (tmp_path / "data" / "history.sqlite3").exists()


def test_4k_clip_is_reviewed_at_a_workable_size(media: Path, tmp_path: Path) -> None:
    clip = trimmed(media / "12_exercise_videos" / "bridge_side_physio.mp4", 2,
                   tmp_path / "4k.mp4", "scale=3840:2160")  # fmt: skip
    video = tmp_path / "out.mp4"
    result = run("review", clip, "--stretch", "bridge", "--json", "-", "--video", video,
                 "--no-history", data=tmp_path / "data")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["video"]["width"] == 3840 and summary["person_frames"] > 0.9 * 60
    frames, width, height = frame_size(video)
    assert frames == summary["frames"] == 60 and (width, height) == (1280, 720)


def test_portrait_phone_clip_stays_upright(media: Path, tmp_path: Path) -> None:
    clip = trimmed(media / "02_deep_squat" / "squat_front_phone.mp4", 2, tmp_path / "phone.mp4")
    video = tmp_path / "out.mp4"
    result = run("review", clip, "--stretch", "deep-squat", "--json", "-", "--video", video,
                 "--no-history", data=tmp_path / "data")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["video"]["width"], summary["video"]["height"]) == (480, 848)
    assert summary["person_frames"] > 0.8 * summary["frames"]
    assert frame_size(video)[1:] == (480, 848)


def test_locked_history_still_writes_the_outputs(media: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    assert run("history", data=data).returncode == 0  # creates the database
    locker = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        clip = media / "12_exercise_videos" / "bridge_side_physio.mp4"
        # A review waits up to 60 s for a locked history; 1 s here, for a quicker test.
        result = run("review", clip, "--stretch", "bridge", "--json", "-",
                     "--csv", tmp_path / "frames.csv", data=data,
                     env={"POSECHECK_HISTORY_WAIT_S": "1"})  # fmt: skip
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.returncode == 3
    summary = json.loads(result.stdout)
    assert summary["history_id"] is None and summary["reps"] == 1
    assert len((tmp_path / "frames.csv").read_text().splitlines()) == 92
    # (On a slow machine a progress line comes every 10 s; it is not a message.)
    lines = [line for line in result.stderr.strip().splitlines() if " frames " not in line]
    assert len(lines) == 1 and "not saved to the history" in lines[0] and "locked" in lines[0]


def test_several_videos_make_a_table_and_a_bad_one_does_not_stop_them(
    media: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "clients"
    folder.mkdir()
    trimmed(media / "02_deep_squat" / "squats_gym_side.mp4", 3, folder / "anna.mp4")
    (folder / "ben.mp4").write_bytes(b"")
    extra = media / "12_exercise_videos" / "bridge_side_physio.mp4"
    out = tmp_path / "reports"
    result = run("review", folder, extra, "--stretch", "deep-squat", "--workers", "2",
                 "--out-dir", out, data=data)  # fmt: skip
    assert result.returncode == 1  # one file failed
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["file", "frames", "duration"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"anna.mp4", "ben.mp4", "bridge_side_physio.mp4"}
    assert "error: " in rows["ben.mp4"] and "is empty (0 bytes)" in rows["ben.mp4"]
    assert rows["anna.mp4"].split()[1] == "75"
    assert sorted(p.name for p in out.iterdir()) == [
        "anna.csv", "anna.json", "bridge_side_physio.csv", "bridge_side_physio.json"
    ]
    assert json.loads((out / "anna.json").read_text())["frames"] == 75
    sessions = json.loads(run("history", "--json", data=data).stdout)["sessions"]
    assert len(sessions) == 2


def test_several_videos_refuse_single_file_outputs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    result = run("review", a, b, "--stretch", "cobra", "--csv", tmp_path / "x.csv",
                 data=tmp_path / "data")  # fmt: skip
    assert "--csv names one file" in one_sentence_error(result)


# --- the progress bar ---------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    stream = _Terminal()
    bar = ProgressBar("clip.mp4", stream)
    for done in range(1, 101):
        bar(done, 100)
    bar.close()
    text = stream.getvalue()
    assert "\n" not in text and text.count("\r") >= 2
    assert "100/100 frames" in text and "fps" in text
    assert text.endswith("\r\033[K")  # the line is cleared for what comes next


def test_progress_is_quiet_in_a_log_for_short_reviews() -> None:
    stream = io.StringIO()
    bar = ProgressBar("clip.mp4", stream)
    for done in range(1, 101):
        bar(done, None)
    bar.close()
    assert stream.getvalue() == ""

