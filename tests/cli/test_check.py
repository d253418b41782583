"""`posecheck stretches`, `check` and `live` as a user runs them (real process, real model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from posecheck.specs import catalog

POSECHECK = Path(sys.executable).parent / "posecheck"
HIP_PHOTO = "01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(POSECHECK), *args], capture_output=True, text=True, timeout=120,
                          check=False, env=env)


def test_stretches_json_lists_the_whole_catalog() -> None:
    result = run("stretches", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)["stretches"]
    assert [s["id"] for s in data] == list(catalog())
    assert len(data) == 16
    hip = next(s for s in data if s["id"] == "kneeling-hip-flexor")
    assert hip["camera"]["views"][0] == "side" and hip["hold_s"] == 30 and hip["sides"]
    tilt = next(c for c in hip["checks"] if c["id"] == "pelvic-tilt")
    assert tilt["proxy"] and tilt["target"] == {"min": 10.0, "max": None}
    human = run("stretches")
    assert "kneeling-hip-flexor" in human.stdout and "pelvic-tilt" in human.stdout


def test_check_json_is_exactly_the_contract(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "checked.png"
    result = run("check", str(media / HIP_PHOTO), "--stretch", "kneeling-hip-flexor", "--json",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"person", "stretch", "side", "view", "in_position", "form_ok", "checks",
                         "cues"}
    assert data["person"] and data["in_position"] and data["form_ok"]
    assert data["view"] == "side" and data["side"] == "right"
    for check in data["checks"]:
        assert set(check) == {"id", "status", "value", "target", "cue"}
        assert check["status"] == "ok" and check["cue"] is None
    tilt = next(c for c in data["checks"] if c["id"] == "pelvic-tilt")
    assert abs(tilt["value"] - 31.4) < 1.0
    assert cv2.imread(str(out)) is not None


def test_another_pose_gets_setup_guidance_not_form_faults(media: Path) -> None:
    photo = media / "11_yoga_poses" / "tree_02.jpg"
    data = json.loads(run("check", str(photo), "--stretch", "cobra", "--json").stdout)
    assert data["person"] and not data["in_position"] and not data["form_ok"]
    assert all(c["status"] == "unknown" and c["cue"] is None for c in data["checks"])
    assert data["cues"], "setup guidance expected"


def test_nobody_and_bad_arguments(tmp_path: Path) -> None:
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 120, np.uint8))
    data = json.loads(run("check", str(blank), "--stretch", "bridge", "--json").stdout)
    assert data["person"] is False and data["checks"] == [] and data["cues"]
    bad = run("check", str(blank), "--stretch", "splits")
    assert bad.returncode == 1 and "choose one of: kneeling-hip-flexor" in bad.stderr
    sided = run("check", str(blank), "--stretch", "cobra", "--side", "left")
    assert sided.returncode == 1 and "leave out --side" in sided.stderr
    for result in (bad, sided):
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_live_says_clearly_when_there_is_no_camera_or_display() -> None:
    """No camera is the first thing to fix; a missing display (with a camera) is the window
    loop's test (tests/cli/test_window.py)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    for extra in ({}, {"QT_QPA_PLATFORM": "offscreen"}):
        result = run("live", "--stretch", "cobra", "--camera", "7", env={**env, **extra})
        assert result.returncode == 1
        assert "No camera found at index 7" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
