"""One source of defaults: where the model lives and how the landmarker runs.

Environment variables and command-line flags overlay these values; nothing else holds defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The model file this project builds and commits (see models/README.md and `make model`).
BUNDLED_MODEL = PROJECT_ROOT / "models" / "pose_landmarker_full.task"
BUNDLED_MODEL_SHA256 = "85de13f3d06385f7a799ce6fe1f0cfe1fa1f27f3c30b6469ce0fdd75f6f8e918"

#: Environment variable that points posecheck at another model (an official .task file).
MODEL_ENV = "POSECHECK_MODEL"


def _default_model() -> Path:
    override = os.environ.get(MODEL_ENV)
    return Path(override).expanduser() if override else BUNDLED_MODEL


@dataclass(frozen=True)
class EstimatorSettings:
    """How the pose landmarker is created.

    max_people: how many people posecheck looks for. 2 lets it notice a second person (a
        bystander, a coach) and pick the main one.
    census_interval_ms: in VIDEO mode, how often to count people. MediaPipe's tracker runs its
        person detector on every frame while it tracks fewer people than it was asked for,
        which costs 70 % more per frame (15 -> 26 ms at 640x480 here). So streams track one
        person and a separate still-image pass counts everyone every this many ms
        (about 1 % of the frame budget at the default); 0 turns the count off.
    """

    model_path: Path = field(default_factory=_default_model)
    max_people: int = 2
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    census_interval_ms: int = 2000

    def __post_init__(self) -> None:
        if not 1 <= self.max_people <= 10:
            raise ValueError(f"max_people must be between 1 and 10, got {self.max_people}")
        if self.census_interval_ms < 0:
            raise ValueError(f"census_interval_ms must be 0 or more, got {self.census_interval_ms}")
        for name in (
            "min_detection_confidence",
            "min_presence_confidence",
            "min_tracking_confidence",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")

    def overlay(self, **changes: Any) -> EstimatorSettings:
        """A copy with `changes` applied; None values are ignored, unknown keys are errors."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; valid settings: {sorted(known)}")
        given = {k: v for k, v in changes.items() if v is not None}
        if "model_path" in given:
            given["model_path"] = Path(given["model_path"]).expanduser()
        return replace(self, **given)
