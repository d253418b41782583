"""The Pose value: shapes checked on entry, immutable, pixel coordinates, JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.landmarks import Landmark
from posecheck.pose import Pose


def _pose(**changes: object) -> Pose:
    rng = np.random.default_rng(0)
    values: dict[str, object] = {
        "normalized": rng.uniform(0, 1, (33, 3)),
        "visibility": np.full(33, 0.9),
        "presence": np.full(33, 0.95),
        "world": rng.normal(0, 0.3, (33, 3)),
        "image_size": (640, 480),
    }
    values.update(changes)
    return Pose(**values)  # type: ignore[arg-type]


def test_pixels_scale_x_by_width_and_y_by_height() -> None:
    normalized = np.zeros((33, 3))
    normalized[Landmark.NOSE] = (0.5, 0.25, 0.1)
    pose = _pose(normalized=normalized, image_size=(640, 480))
    assert pose.pixels[Landmark.NOSE].tolist() == pytest.approx([320.0, 120.0, 64.0])
    assert pose.xy(Landmark.NOSE).tolist() == pytest.approx([320.0, 120.0])


def test_pose_is_immutable() -> None:
    pose = _pose()
    with pytest.raises(ValueError):
        pose.normalized[0, 0] = 5.0
    with pytest.raises(AttributeError):
        pose.people = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("normalized", np.zeros((32, 3)), r"normalized must have shape \(33, 3\)"),
        ("visibility", np.zeros(30), r"visibility must have shape \(33,\)"),
        ("world", np.zeros((33, 2)), r"world must have shape"),
        ("image_size", (0, 480), "image_size must be positive"),
        ("people", 0, "people must be at least 1"),
    ],
)
def test_bad_shapes_and_values_are_refused_with_the_expected_shape(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _pose(**{field: value})


def test_visibility_needs_both_visible_and_present() -> None:
    visibility = np.full(33, 0.9)
    presence = np.full(33, 0.9)
    visibility[Landmark.LEFT_KNEE] = 0.2
    presence[Landmark.RIGHT_KNEE] = 0.2
    pose = _pose(visibility=visibility, presence=presence)
    assert pose.is_visible(Landmark.NOSE)
    assert not pose.is_visible(Landmark.LEFT_KNEE)
    assert not pose.is_visible(Landmark.RIGHT_KNEE)


def test_json_round_trip_keeps_the_numbers() -> None:
    pose = _pose(people=2)
    data = pose.to_json()
    assert data["person"] is True
    assert len(data["landmarks"]) == 33 and all(len(row) == 5 for row in data["landmarks"])
    assert len(data["world_landmarks"]) == 33 and all(len(r) == 3 for r in data["world_landmarks"])
    back = Pose.from_json(data, pose.image_size)
    np.testing.assert_allclose(back.normalized, pose.normalized, atol=1e-6)
    np.testing.assert_allclose(back.visibility, pose.visibility, atol=1e-6)
    assert back.world is not None and pose.world is not None
    np.testing.assert_allclose(back.world, pose.world, atol=1e-6)
    assert pose.others_present and not back.others_present
