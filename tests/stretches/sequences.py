"""Real landmark sequences (tests/fixtures/sequences, VIDEO-mode runs of shared clips) played
through the coach, and what was seen in them by eye (tests/fixtures/examples.toml)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache

from posecheck.coach import Coach, CoachSettings, FrameResult
from posecheck.pose import Pose
from posecheck.specs import StretchSpec
from tests.conftest import FIXTURES


@cache
def sequence(name: str) -> tuple[tuple[float, Pose | None], ...]:
    """(time in s, pose or None) for every frame of a committed sequence."""
    data = json.loads((FIXTURES / "sequences" / f"{name}.json").read_text())
    size = (int(data["image_size"][0]), int(data["image_size"][1]))
    return tuple(
        (f["t_ms"] / 1000, f["pose"] and Pose.from_json(f["pose"], size, f["t_ms"]))
        for f in data["frames"]
    )


@dataclass(frozen=True)
class ByEye:
    """A rep as read from the clip's frames: first movement, the end range (the bottom of a
    squat, the top of a bridge) from..to, back at rest (None: the clip ended first)."""

    start: float
    end_from: float
    end_to: float
    end: float | None


@cache
def _examples() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = tomllib.loads(
        (FIXTURES / "examples.toml").read_text(encoding="utf-8")
    )
    return data


def reps_by_eye(name: str) -> list[ByEye]:
    rows = _examples()[name]["reps_by_eye"]
    assert isinstance(rows, list)
    return [ByEye(a, b, c, d or None) for a, b, c, d in rows]


def holds_by_eye(name: str) -> list[tuple[str | None, float, float]]:
    """Held parts as (side or None for both, from, to), in clip time."""
    rows = _examples()[name]["holds_by_eye"]
    assert isinstance(rows, list)
    return [(side or None, a, b) for side, a, b in rows]


def play(
    spec: StretchSpec, name: str, settings: CoachSettings | None = None
) -> list[FrameResult]:
    """Every frame of the sequence through a fresh coach."""
    coach = Coach(spec, settings=settings)
    return [coach.update(pose, t) for t, pose in sequence(name)]
