"""Camera profiles on disk: round trip, overwrite, damaged and missing files, where they live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecheck.desk import calibrate
from posecheck.profiles import (
    DATA_DIR_ENV,
    ProfileError,
    data_dir,
    list_profiles,
    load_baseline_file,
    load_profile,
    profile_path,
    save_profile,
)
from tests.conftest import fixture_pose


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the real home: every test writes under tmp_path."""
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    baseline = calibrate([fixture_pose("side_upright_chair_man")])
    path = save_profile("laptop", baseline, camera=1)
    assert path == tmp_path / "data" / "profiles" / "laptop.json"
    stored = json.loads(path.read_text())
    assert stored["profile"] == "laptop" and stored["camera"] == 1
    loaded = load_profile("laptop")
    assert loaded.view == baseline.view
    assert loaded.metrics == pytest.approx(baseline.metrics, abs=1e-5)
    assert loaded.scale == pytest.approx(baseline.scale, abs=1e-5)
    assert list_profiles() == ["laptop"]
    assert load_baseline_file(path).frames == 1


def test_recalibrating_overwrites_the_profile() -> None:
    save_profile("desk", calibrate([fixture_pose("side_upright_chair_man")]))
    save_profile("desk", calibrate([fixture_pose("business_person_front_upper")]))
    assert load_profile("desk").view == "front"
    assert list_profiles() == ["desk"]  # no temporary files left behind


def test_missing_profile_is_one_sentence() -> None:
    with pytest.raises(ProfileError) as error:
        load_profile("nowhere")
    message = str(error.value)
    assert "no camera profile 'nowhere'" in message
    assert "posecheck calibrate --profile nowhere" in message
    assert message.count(". ") == 0 and message.endswith(".")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "damaged (not valid JSON)"),
        ('{"format": "something else"}', "not a posecheck posture baseline"),
        ("[1, 2]", "not a posecheck posture baseline"),
    ],
)
def test_damaged_profile_is_one_sentence(content: str, reason: str) -> None:
    path = profile_path("broken")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(
        ProfileError, match="recalibrate with `posecheck calibrate --profile broken`"
    ) as error:
        load_profile("broken")
    assert reason in str(error.value)


def test_bad_values_inside_a_profile_are_named() -> None:
    path = save_profile("odd", calibrate([fixture_pose("side_upright_chair_man")]))
    data = json.loads(path.read_text())
    data["metrics"]["neck_forward"] = "upright"
    path.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match=r"metrics.neck_forward must be a number"):
        load_profile("odd")


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "x.json", "-dash", "a" * 65])
def test_bad_profile_names_are_refused(name: str) -> None:
    with pytest.raises(ProfileError, match="not a usable profile name"):
        profile_path(name)


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert data_dir() == tmp_path / "data"
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "posecheck"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "posecheck"


def test_unwritable_data_dir_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocker))
    with pytest.raises(ProfileError, match="Cannot save the profile"):
        save_profile("x", calibrate([fixture_pose("side_upright_chair_man")]))


def test_a_profile_from_an_older_posecheck_is_refused_with_a_sentence_to_recalibrate() -> None:
    # Version 1 kept one median per measure, without the range a user moves through while
    # reading a screen (issue 10): it cannot judge a front webcam the new way.
    path = profile_path("laptop")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "profile": "laptop", "camera": 0, "format": "posecheck-posture-baseline", "version": 1,
        "view": "front", "metrics": {"head_height": 0.75}, "spread": {"head_height": 0.01},
        "scale": 0.3, "frames": 30, "created": "", "warnings": [],
    }))  # fmt: skip
    with pytest.raises(ProfileError) as error:
        load_profile("laptop")
    message = str(error.value)
    assert "older posecheck (baseline version 1)" in message
    assert message.endswith("recalibrate with `posecheck calibrate --profile laptop`.")
    assert message.count(". ") == 0
