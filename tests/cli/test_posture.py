"""`posecheck posture`, `calibrate` and `monitor` as a user runs them: the real console script,
the real model, real desk photos; profiles go to a temporary data directory."""

from __future__ import annotations

import json
import os
import re
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


# --- front and three-quarter webcams (issue 10) -------------------------------------------------


def webcam(media: Path, name: str) -> str:
    folder = media / "13_front_webcam"
    return str(next(folder.glob(f"{name}.*")))


def test_the_sunk_down_man_from_the_issue_is_bad_against_his_upright_photo(
    media: Path, run: Run
) -> None:
    result = run("posture", webcam(media, "hcpg_bad_posture"),
                 "--baseline", webcam(media, "hcpg_good_posture"), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert (data["view"], data["calibrated"], data["status"]) == ("front", True, "bad")
    assert data["problems"] == ["slouched"]
    assert {"head_gap", "head_shoulder_size", "head_yaw"} <= set(data["metrics"])


@pytest.mark.parametrize(("sensitivity", "status"), [("low", "good"), ("high", "bad")])
def test_the_sensitivity_option_changes_the_verdict(
    media: Path, run: Run, sensitivity: str, status: str
) -> None:
    result = run("posture", webcam(media, "hcpg_bad_posture"),
                 "--baseline", webcam(media, "hcpg_good_posture"),
                 "--sensitivity", sensitivity, "--json")  # fmt: skip
    assert json.loads(result.stdout)["status"] == status


def test_calibrate_from_several_photos_then_judge_and_read_the_ranges(
    media: Path, run: Run, data_dir: Path
) -> None:
    result = run("calibrate", webcam(media, "hcpg_good_posture"), webcam(media, "hcpg_setup"),
                 "--profile", "laptop", "--sensitivity", "high")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Saved profile 'laptop' \(front view, camera \d+° to your (left|right); 2 photo\(s\); "
        r"high sensitivity\)", result.stdout
    ), result.stdout
    assert "head gap" in result.stdout and "while looking around" in result.stdout
    stored = json.loads((data_dir / "profiles" / "laptop.json").read_text())
    assert stored["version"] == 2 and stored["sensitivity"] == "high" and stored["frames"] == 2
    low, high = stored["ranges"]["head_gap"]
    assert low < stored["metrics"]["head_gap"] < high
    text = run("posture", webcam(media, "hcpg_bad_posture"), "--profile", "laptop")
    assert "bad: slouched (front view, calibrated, high sensitivity)" in text.stdout
    assert "head gap" in text.stdout and "your range" in text.stdout


def test_a_front_profile_on_a_side_photo_says_to_calibrate_again(
    media: Path, run: Run, data_dir: Path
) -> None:
    calibrated = run("calibrate", webcam(media, "hcpg_good_posture"), "--profile", "laptop")
    assert calibrated.returncode == 0, calibrated.stderr
    result = run("posture", desk(media, "side_hunchback_desk_man.jpg"), "--profile", "laptop",
                 "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert (data["view"], data["calibrated"], data["status"]) == ("side", False, "unknown")
    (cue,) = data["cues"]
    assert "calibrate again for this camera position" in cue
    assert "someone" not in cue.lower() and "smaller" not in cue


def test_an_old_profile_is_refused_with_a_sentence(run: Run, data_dir: Path) -> None:
    folder = data_dir / "profiles"
    folder.mkdir(parents=True)
    (folder / "old.json").write_text(json.dumps({
        "format": "posecheck-posture-baseline", "version": 1, "view": "front",
        "metrics": {"head_height": 0.7}, "spread": {"head_height": 0.01}, "scale": 0.3,
        "frames": 30,
    }))  # fmt: skip
    result = run("monitor", "--profile", "old")
    assert result.returncode == 1
    one_sentence(result.stderr)
    assert "older posecheck" in result.stderr
    assert "posecheck calibrate --profile old" in result.stderr


def test_review_of_a_side_clip_with_a_front_baseline_says_so(
    media: Path, run: Run, tmp_path: Path
) -> None:
    calibrated = run("calibrate", webcam(media, "hcpg_good_posture"), "--profile", "front")
    assert calibrated.returncode == 0, calibrated.stderr
    profile = tmp_path / "data" / "profiles" / "front.json"
    result = run("review", str(media / "10_desk_sitting" / "side_desk_woman_video.mp4"),
                 "--posture", "--baseline", str(profile), "--json", "-",
                 "--no-history")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["calibrated"] is False
    assert "does not fit this camera position (side view)" in summary["warning"]
    assert "does not fit this camera position" in result.stderr


def test_the_option_choices_are_the_rules_own() -> None:
    from posecheck.cli.common import POSTURE_VIEW_CHOICES, SENSITIVITY_CHOICES
    from posecheck.specs.desk import POSTURE_VIEWS, SENSITIVITIES

    assert POSTURE_VIEW_CHOICES == POSTURE_VIEWS and SENSITIVITY_CHOICES == SENSITIVITIES
