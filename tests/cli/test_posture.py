"""`posecheck posture`, `calibrate` and `monitor` as a user runs them: the real console script,
the real model, real desk photos; profiles go to a temporary data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

POSECHECK = Path(sys.executable).parent / "posecheck"
Run = Callable[..., subprocess.CompletedProcess[str]]
CONTRACT = {"person", "view", "calibrated", "status", "problems", "metrics", "cues"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["POSECHECK_DATA_DIR"] = str(data_dir)

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSECHECK), *args], capture_output=True, text=True, timeout=120, check=False,
            env=env,
        )  # fmt: skip

    return _run


def desk(media: Path, name: str) -> str:
    return str(media / "10_desk_sitting" / name)


def one_sentence(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("posecheck: ") and lines[0].endswith(".")
    assert "Traceback" not in stderr


def test_posture_json_is_exactly_the_contract(media: Path, run: Run) -> None:
    result = run("posture", desk(media, "side_hunchback_desk_man.jpg"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert data["person"] is True and data["view"] == "side"
    assert data["calibrated"] is False
    assert data["status"] == "bad"
    assert set(data["problems"]) == {"forward head", "slouched"}
    assert set(data["metrics"]) == {"neck_forward", "trunk_forward"}
    assert all(isinstance(c, str) for c in data["cues"]) and data["cues"]
    assert result.stderr == ""


def test_posture_upright_photo_is_good(media: Path, run: Run) -> None:
    result = run("posture", desk(media, "side_upright_chair_man.jpg"), "--json")
    data = json.loads(result.stdout)
    assert (data["status"], data["problems"], data["cues"]) == ("good", [], [])


def test_posture_with_a_baseline_photo(media: Path, run: Run) -> None:
    result = run(
        "posture", desk(media, "side_recline_man.jpg"),
        "--baseline", desk(media, "side_upright_chair_man.jpg"), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert data["calibrated"] is True
    assert data["status"] == "bad" and data["problems"] == ["reclined"]


def test_front_photo_without_a_baseline_asks_for_calibration(media: Path, run: Run) -> None:
    photo = media / "09_standing_posture" / "business_person_front_upper.png"
    data = json.loads(run("posture", str(photo), "--json").stdout)
    assert data["view"] == "front" and data["status"] == "unknown"
    assert data["calibrated"] is False
    assert any("Calibrate" in cue for cue in data["cues"])


def test_calibrate_photos_into_a_profile_then_judge_with_it(
    media: Path, run: Run, data_dir: Path
) -> None:
    result = run("calibrate", desk(media, "side_upright_chair_man.jpg"), "--profile", "x")
    assert result.returncode == 0, result.stderr
    profile = data_dir / "profiles" / "x.json"
    assert profile.is_file() and "Saved profile 'x'" in result.stdout
    result = run(
        "posture", desk(media, "side_hunchback_desk_man.jpg"), "--baseline", str(profile),
        "--json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["calibrated"] is True and data["status"] == "bad"
    same = run("posture", desk(media, "side_hunchback_desk_man.jpg"), "--profile", "x", "--json")
    assert json.loads(same.stdout) == data


def test_posture_for_a_photo_with_nobody(tmp_path: Path, run: Run) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 180, np.uint8))
    data = json.loads(run("posture", str(blank), "--json").stdout)
    assert set(data) == CONTRACT
    assert data["person"] is False and data["status"] == "unknown"


def test_calibrate_from_a_photo_with_nobody_is_one_sentence(tmp_path: Path, run: Run) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 180, np.uint8))
    result = run("calibrate", str(blank), "--profile", "x")
    assert result.returncode == 1
    one_sentence(result.stderr)
    assert "frames showed a person" in result.stderr


def test_damaged_baseline_file_is_one_sentence(media: Path, tmp_path: Path, run: Run) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = run("posture", desk(media, "side_upright_chair_man.jpg"), "--baseline", str(broken))
    assert result.returncode == 1
    one_sentence(result.stderr)
    assert "damaged" in result.stderr


def test_monitor_without_a_camera_is_one_sentence(run: Run) -> None:
    result = run("monitor", "--camera", "7")
    assert result.returncode == 1
    one_sentence(result.stderr)
    assert "No camera found at index 7" in result.stderr


def test_calibrate_from_a_camera_without_one_is_one_sentence(run: Run) -> None:
    result = run("calibrate", "--camera", "7", "--profile", "x")
    assert result.returncode == 1
    one_sentence(result.stderr)


def test_monitor_with_a_missing_profile_is_one_sentence(run: Run) -> None:
    result = run("monitor", "--profile", "nope")
    assert result.returncode == 1
    one_sentence(result.stderr)
    assert "posecheck calibrate --profile nope" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["calibrate", "--profile", "x"],
        ["calibrate", "a.jpg", "--camera", "0"],
        ["calibrate", "a.jpg", "--profile", "../up"],
        ["monitor", "--alert-after", "0"],
    ],
)
def test_bad_calibrate_and_monitor_arguments_are_one_sentence(args: list[str], run: Run) -> None:
    result = run(*args)
    assert result.returncode == 1
    one_sentence(result.stderr)
