"""The `Pose` value: one person's 33 landmarks in one frame, as the rest of posecheck sees them.

Built by `estimator.py` from MediaPipe's result (the only place that knows MediaPipe's types)
and by tests from committed fixtures; immutable once made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posecheck.landmarks import NUM_LANDMARKS, Landmark

FloatArray = NDArray[np.float64]

#: Below this visibility a landmark is treated as not seen (MediaPipe's own drawing uses 0.5).
DEFAULT_VISIBILITY = 0.5


def _frozen(value: Any, shape: tuple[int, ...], name: str) -> FloatArray:
    array = np.array(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"Pose.{name} must have shape {shape}, got {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Pose:
    """One detected person.

    Attributes:
        normalized: (33, 3) x, y in [0, 1] of the image width and height (may fall outside
            when a landmark is predicted out of frame), z relative depth in roughly x's scale.
        visibility: (33,) likelihood that the landmark is visible (not occluded), 0..1.
        presence: (33,) likelihood that the landmark is inside the frame, 0..1.
        world: (33, 3) metres, origin between the hips, y pointing down; None if unavailable.
        image_size: (width, height) in pixels of the frame the pose was found in.
        timestamp_ms: the frame's time in VIDEO mode, None for a still image.
        people: how many people the landmarker found (this pose is the main one).
        mixed: the skeleton's limbs appear to belong to more than one person (it shares a limb
            with another person's skeleton while its trunk is elsewhere, or its proportions
            are impossible for one body; see `posecheck.estimator`). Such a pose is never
            judged: its angles would mix two people.
    """

    normalized: FloatArray
    visibility: FloatArray
    presence: FloatArray
    world: FloatArray | None
    image_size: tuple[int, int]
    timestamp_ms: int | None = None
    people: int = 1
    mixed: bool = False
    _pixels: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = NUM_LANDMARKS
        set_ = object.__setattr__
        set_(self, "normalized", _frozen(self.normalized, (n, 3), "normalized"))
        set_(self, "visibility", _frozen(self.visibility, (n,), "visibility"))
        set_(self, "presence", _frozen(self.presence, (n,), "presence"))
        if self.world is not None:
            set_(self, "world", _frozen(self.world, (n, 3), "world"))
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"Pose.image_size must be positive, got {self.image_size}")
        set_(self, "image_size", (int(width), int(height)))
        if self.people < 1:
            raise ValueError(f"Pose.people must be at least 1, got {self.people}")
        # Pixel coordinates are needed by every angle; compute them once, here.
        # z is scaled by the width as MediaPipe scales it like x.
        pixels = self.normalized * np.array([width, height, width], dtype=np.float64)
        pixels.setflags(write=False)
        set_(self, "_pixels", pixels)

    @property
    def pixels(self) -> FloatArray:
        """(33, 3) landmarks in pixel units: safe for angles (x and y share one scale)."""
        return self._pixels

    @property
    def others_present(self) -> bool:
        """True when more than one person was found; this pose is the chosen main person."""
        return self.people > 1 or self.mixed

    def xy(self, landmark: Landmark) -> FloatArray:
        """The landmark's (x, y) in pixels."""
        return self._pixels[int(landmark), :2]

    def is_visible(self, landmark: Landmark, threshold: float = DEFAULT_VISIBILITY) -> bool:
        """Seen (not occluded) and inside the frame, both with at least `threshold` likelihood."""
        i = int(landmark)
        return bool(self.visibility[i] >= threshold and self.presence[i] >= threshold)

    def to_json(self) -> dict[str, Any]:
        """The `posecheck landmarks --json` body for this pose (normalized coordinates)."""
        rows = np.column_stack([self.normalized, self.visibility, self.presence])
        world = self.world if self.world is not None else np.zeros((NUM_LANDMARKS, 3))
        return {
            "person": True,
            "landmarks": [[round(float(v), 6) for v in row] for row in rows],
            "world_landmarks": [[round(float(v), 6) for v in row] for row in world],
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], image_size: tuple[int, int], timestamp_ms: int | None = None
    ) -> Pose:
        """Inverse of `to_json` (used for committed fixtures)."""
        rows = np.asarray(data["landmarks"], dtype=np.float64)
        if rows.shape != (NUM_LANDMARKS, 5):
            raise ValueError(f"'landmarks' must be 33 rows of 5 numbers, got shape {rows.shape}")
        world = data.get("world_landmarks")
        return cls(
            normalized=rows[:, :3],
            visibility=rows[:, 3],
            presence=rows[:, 4],
            world=None if world is None else np.asarray(world, dtype=np.float64),
            image_size=image_size,
            timestamp_ms=timestamp_ms,
        )


NO_PERSON_JSON: dict[str, Any] = {"person": False, "landmarks": [], "world_landmarks": []}
