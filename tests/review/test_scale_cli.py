"""The command line of review at scale, as a user runs it (a real `posecheck` process): the
stored landmarks (`posecheck cache`, `--no-cache`, a second review that skips the model) and
one-sentence errors for the cluster options."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.review.test_review import blank_video, trimmed

POSECHECK = Path(sys.executable).parent / "posecheck"


def run(*args: str | Path, data: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSECHECK_DATA_DIR": str(data)}
    env.pop("POSECHECK_DASK_SCHEDULER", None)
    return subprocess.run([str(POSECHECK), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)  # fmt: skip


def one_sentence_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posecheck: "), result.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--send-files"], "--send-files is for a Dask cluster"),
        (["--chunk-seconds", "1"], "--chunk-seconds must be between 2 and 3600"),
        (["--scheduler", f"tcp://127.0.0.1:{closed_port()}"], "Cannot reach the Dask scheduler"),
    ],
)
def test_cluster_options_are_one_sentence(tmp_path: Path, args: list[str], expected: str) -> None:
    clip = blank_video(tmp_path / "clip.mp4")  # a video: the cluster is the only problem
    result = run("review", clip, "--stretch", "cobra", *args, data=tmp_path / "data")
    assert expected in one_sentence_error(result)
    assert result.stdout == ""


def test_an_empty_cache_lists_nothing(tmp_path: Path) -> None:
    listed = run("cache", "list", "--json", data=tmp_path / "data")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)["entries"] == []
    assert "No stored landmarks" in run("cache", data=tmp_path / "data").stdout


@pytest.mark.media
def test_a_second_review_uses_the_stored_landmarks_until_cleared(
    media: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    clip = tmp_path / "bridge.mp4"
    shutil.copy(media / "12_exercise_videos" / "bridge_side_physio.mp4", clip)

    def review(*extra: str) -> dict[str, object]:
        result = run("review", clip, "--json", "-", "--no-history", *extra, data=data)
        assert result.returncode == 0, result.stderr
        summary: dict[str, object] = json.loads(result.stdout)
        return summary

    first = review("--stretch", "bridge", "--no-cache")
    assert first["route"] == "pipeline" and not (data / "landmarks").exists()
    assert review("--stretch", "bridge")["route"] == "pipeline"
    again = review("--stretch", "bridge")
    assert again["route"] == "cache"
    for key in ("frames", "reps", "in_position_s", "good_form_s", "segments", "checks"):
        assert again[key] == first[key], key
    assert review("--posture")["route"] == "cache"  # another engine: still no model
    # No stretch named: the routine is found from the stored landmarks as from the model.
    routine, fresh = review("--routine"), review("--routine", "--no-cache")
    assert (routine["route"], fresh["route"]) == ("cache", "pipeline")
    for key in ("frames", "routine", "unmatched_s", "segments"):
        assert routine[key] == fresh[key], key

    listed = json.loads(run("cache", "list", "--json", data=data).stdout)
    assert [(e["source"], e["frames"]) for e in listed["entries"]] == [(str(clip), 91)]
    assert listed["cap_bytes"] == 500 << 20
    table = run("cache", "list", data=data).stdout
    assert "bridge.mp4" in table and "1 stream(s)" in table
    cleared = run("cache", "clear", data=data)
    assert cleared.returncode == 0 and "Removed 1 stored landmark stream(s)" in cleared.stdout
    assert review("--stretch", "bridge")["route"] == "pipeline"


@pytest.mark.media
def test_one_video_on_a_local_cluster_equals_the_review_with_one_worker(
    media: Path, tmp_path: Path
) -> None:
    """`--workers 2` starts a local Dask cluster and finds the landmarks in chunks (2 s here,
    so a 5 s clip has three); one worker reviews on the same grid: the same verdicts."""
    clip = trimmed(media / "03_childs_pose" / "childs_pose_side.mp4", 5, tmp_path / "c.mp4")

    def review(workers: str) -> dict[str, object]:
        result = run("review", clip, "--stretch", "childs-pose", "--json", "-", "--no-history",
                     "--no-cache", "--chunk-seconds", "2", "--workers", workers,
                     "--csv", tmp_path / f"{workers}.csv", data=tmp_path / "data")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "INFO" not in result.stderr
        summary: dict[str, object] = json.loads(result.stdout)
        return summary

    chunked, alone = review("2"), review("1")
    assert (chunked["route"], alone["route"]) == ("chunks", "pipeline")
    for key in ("frames", "reps", "in_position_s", "good_form_s", "segments", "checks"):
        assert chunked[key] == alone[key], key
    assert (tmp_path / "2.csv").read_bytes() == (tmp_path / "1.csv").read_bytes()
