"""Shared test helpers: the media folder (skip with a reason when absent) and landmark fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posecheck.estimator import Estimator, RunningMode
from posecheck.media import MEDIA_ENV, media_dir
from posecheck.pose import Pose

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def media() -> Path:
    """The shared media folder; tests that need it are skipped where it is absent."""
    folder = media_dir()
    if not folder.is_dir():
        pytest.skip(f"shared media not found at {folder} (set {MEDIA_ENV} to its location)")
    return folder


def load_landmark_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "landmarks" / f"{name}.json").read_text())
    return data


def fixture_pose(name: str) -> Pose:
    """The committed pose for fixture `name` (fails the test if the fixture has no person)."""
    data = load_landmark_fixture(name)
    assert data["pose"] is not None, f"fixture {name} has no person"
    width, height = data["image_size"]
    return Pose.from_json(data["pose"], (width, height))


@pytest.fixture(scope="session")
def image_estimator() -> Iterator[Estimator]:
    with Estimator(RunningMode.IMAGE) as estimator:
        yield estimator
