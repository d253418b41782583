"""The console script as a user runs it: real process, real model, stdout/stderr/exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck import __version__
from tests.conftest import FIXTURES

POSECHECK = Path(sys.executable).parent / "posecheck"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSECHECK), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"posecheck {__version__}"


def test_landmarks_json_is_exactly_the_contract(media: Path) -> None:
    photo = media / "01_hip_flexor_low_lunge" / "kneeling_hip_flexor_side.jpg"
    result = run("landmarks", str(photo), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # stdout holds one JSON object and nothing else
    assert set(data) == {"person", "landmarks", "world_landmarks"}
    assert data["person"] is True
    assert len(data["landmarks"]) == 33 and all(len(row) == 5 for row in data["landmarks"])
    assert len(data["world_landmarks"]) == 33 and all(len(r) == 3 for r in data["world_landmarks"])
    golden = json.loads(
        (FIXTURES / "landmarks/kneeling_hip_flexor_side.json").read_text()
    )
    np.testing.assert_allclose(
        np.array(data["landmarks"])[:, :2], np.array(golden["pose"]["landmarks"])[:, :2], atol=0.01
    )
    assert result.stderr == "", "MediaPipe's start-up chatter should not reach the user"


def test_landmarks_json_for_nobody(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 180, np.uint8))
    result = run("landmarks", str(blank), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"person": False, "landmarks": [], "world_landmarks": []}


def test_landmarks_out_draws_the_skeleton(media: Path, tmp_path: Path) -> None:
    photo = media / "01_hip_flexor_low_lunge" / "kneeling_hip_flexor_side.jpg"
    out = tmp_path / "annotated.png"
    result = run("landmarks", str(photo), "--out", str(out))
    assert result.returncode == 0, result.stderr
    drawn, original = cv2.imread(str(out)), cv2.imread(str(photo))
    assert drawn.shape == original.shape
    changed = np.any(drawn != original, axis=2).mean()
    assert 0.001 < changed < 0.2, f"{changed:.1%} of pixels changed"
    assert "right hip" in result.stdout  # the human summary lists the joint angles


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.jpg", "does not exist."),
        (lambda d: d, "is a folder, not an image file."),
        (lambda d: _write(d / "empty.jpg", b""), "is empty (0 bytes)"),
        (lambda d: _write(d / "notes.jpg", b"hello"), "is not an image posecheck can read"),
        (
            lambda d: _write(d / "cut.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40),
            "is not an image posecheck can read",
        ),
    ],
    ids=["missing", "folder", "empty", "text", "truncated-png"],
)
def test_bad_input_is_one_sentence_on_stderr(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    result = run("landmarks", str(path), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_model_and_bad_output_paths_are_explained(media: Path, tmp_path: Path) -> None:
    photo = media / "01_hip_flexor_low_lunge" / "kneeling_hip_flexor_side.jpg"
    result = run("landmarks", str(photo), "--model", str(tmp_path / "x.task"))
    assert result.returncode == 1
    assert "does not exist; run `make model`" in result.stderr
    result = run("landmarks", str(photo), "--out", str(tmp_path / "no" / "such" / "a.png"))
    assert result.returncode == 1 and "does not exist" in result.stderr
    result = run("landmarks", str(photo), "--out", str(tmp_path / "a.xyz"))
    assert result.returncode == 1 and "use a .png or .jpg" in result.stderr
    assert "Traceback" not in result.stderr
