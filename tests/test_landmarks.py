"""The landmark enum, skeleton edges and mirror map."""

from __future__ import annotations

import pytest

from posecheck.landmarks import (
    MIRROR,
    MIRROR_INDEX,
    NUM_LANDMARKS,
    SKELETON_EDGES,
    Landmark,
    side_landmark,
)


def test_there_are_33_landmarks_in_mediapipe_order() -> None:
    assert NUM_LANDMARKS == 33
    assert [int(lm) for lm in Landmark] == list(range(33))
    assert Landmark.NOSE == 0 and Landmark.LEFT_SHOULDER == 11 and Landmark.RIGHT_FOOT_INDEX == 32


def test_mirror_swaps_sides_and_is_an_involution() -> None:
    for lm in Landmark:
        assert MIRROR[MIRROR[lm]] is lm
        if "LEFT" in lm.name:
            assert MIRROR[lm].name == lm.name.replace("LEFT", "RIGHT")
        elif "RIGHT" not in lm.name:
            assert MIRROR[lm] is lm
    assert MIRROR[Landmark.NOSE] is Landmark.NOSE
    assert MIRROR_INDEX[Landmark.LEFT_KNEE] == Landmark.RIGHT_KNEE


def test_skeleton_is_symmetric_and_covers_the_limbs() -> None:
    edges = {frozenset(edge) for edge in SKELETON_EDGES}
    assert len(edges) == len(SKELETON_EDGES), "duplicate edge"
    for a, b in SKELETON_EDGES:
        assert frozenset((MIRROR[a], MIRROR[b])) in edges, f"{a.name}-{b.name} has no mirror"
    for joint in ("SHOULDER", "ELBOW", "HIP", "KNEE", "ANKLE"):
        assert any(Landmark[f"LEFT_{joint}"] in edge for edge in SKELETON_EDGES)


def test_parse_accepts_friendly_names_and_lists_valid_ones_on_error() -> None:
    assert Landmark.parse("left-knee") is Landmark.LEFT_KNEE
    assert Landmark.parse("Right Hip") is Landmark.RIGHT_HIP
    with pytest.raises(ValueError, match="left_knee"):
        Landmark.parse("left_kneee")
    assert side_landmark("right", "ankle") is Landmark.RIGHT_ANKLE
    with pytest.raises(ValueError, match="'left' or 'right'"):
        side_landmark("middle", "ankle")
