"""Annotators draw where the landmarks are, skip unseen ones and never touch the input frame."""

from __future__ import annotations

import numpy as np

from posecheck.landmarks import Landmark
from posecheck.overlay import ADJUST, LabelAnnotator, SkeletonAnnotator
from posecheck.pose import Pose


def _pose(seen: float = 0.9, size: tuple[int, int] = (200, 100)) -> Pose:
    normalized = np.zeros((33, 3))
    normalized[:, 0] = 0.5
    normalized[:, 1] = np.linspace(0.1, 0.9, 33)
    normalized[Landmark.LEFT_HIP] = (0.3, 0.5, 0)
    normalized[Landmark.LEFT_KNEE] = (0.3, 0.8, 0)
    visibility = np.full(33, seen)
    return Pose(normalized, visibility, np.full(33, 0.9), None, size)


def test_skeleton_is_drawn_on_a_copy_along_the_bones() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    out = SkeletonAnnotator().annotate(frame, _pose())
    assert not frame.any(), "the input frame must stay untouched"
    assert out.shape == frame.shape and out.dtype == np.uint8
    # The left thigh runs from (60, 50) to (60, 80): its midpoint is drawn, a far corner is not.
    assert out[65, 60].any()
    assert not out[5, 190].any()


def test_unseen_landmarks_are_not_drawn() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    assert not SkeletonAnnotator().annotate(frame, _pose(seen=0.1)).any()
    assert not SkeletonAnnotator().annotate(frame, None).any()


def test_edge_colours_override_the_default() -> None:
    frame = np.zeros((320, 640, 3), np.uint8)
    edge = (Landmark.LEFT_KNEE, Landmark.LEFT_HIP)  # given in either order
    out = SkeletonAnnotator(edge_colors={edge: ADJUST}).annotate(frame, _pose(size=(640, 320)))
    # The thigh runs from (192, 160) to (192, 256).
    assert tuple(int(v) for v in out[208, 192]) == ADJUST


def test_labels_are_written_near_their_landmark() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    out = LabelAnnotator().annotate(frame, _pose(), {Landmark.LEFT_KNEE: "92°"})
    ys, xs = np.nonzero(out.any(axis=2))
    assert len(xs) > 20
    assert abs(np.median(xs) - 60) < 40 and abs(np.median(ys) - 80) < 25


def test_labels_that_would_overlap_move_or_are_left_out() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    pose = _pose()
    one = LabelAnnotator().annotate(frame, pose, {Landmark.LEFT_KNEE: "92°"})
    # Two labels on the same spot: the second moves instead of covering the first.
    normalized = pose.normalized.copy()
    normalized[Landmark.RIGHT_KNEE] = normalized[Landmark.LEFT_KNEE]
    stacked = Pose(normalized, pose.visibility, pose.presence, None, pose.image_size)
    two = LabelAnnotator().annotate(
        frame, stacked, {Landmark.LEFT_KNEE: "92°", Landmark.RIGHT_KNEE: "150°"}
    )
    assert np.array_equal(two.any(axis=2) & one.any(axis=2), one.any(axis=2))
    assert two.any(axis=2).sum() > one.any(axis=2).sum() * 1.5
