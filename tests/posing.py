"""Tools for synthetic variants of real poses: move joints by known angles, then check that the
rules notice exactly that change.

Rotations happen in pixel space (where angles are measured) and are converted back to
normalized coordinates, so a pose's other landmarks stay exactly where they were.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from posecheck.coach import Coach, FrameResult, judge_still
from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Limb
from posecheck.pose import Pose
from posecheck.rules import Evaluation, Status, Verdict, evaluate
from posecheck.specs import StretchSpec


def side_of(pose: Pose, limb: Limb, worked: str | Limb | None = None) -> str:
    """Which label side ("left"/"right") a limb role resolves to on this pose."""
    return Context(pose, worked=worked).side_of(limb)


def part(side: str, name: str) -> Landmark:
    return Landmark[f"{side.upper()}_{name.upper()}"]


def rotate(pose: Pose, pivot: Landmark, moving: Iterable[Landmark], degrees: float) -> Pose:
    """Rotate `moving` landmarks about `pivot` by `degrees`, counter-clockwise on screen.

    World landmarks are rotated the same way about the pivot in the x-y plane, so 3D metrics
    see the same change.
    """
    width, height = pose.image_size
    px = pose.pixels.copy()
    theta = math.radians(degrees)
    # Screen counter-clockwise with y pointing down is a negative angle in array maths.
    c, s = math.cos(-theta), math.sin(-theta)
    centre = px[pivot, :2].copy()
    world = None if pose.world is None else pose.world.copy()
    for lm in moving:
        dx, dy = px[lm, 0] - centre[0], px[lm, 1] - centre[1]
        px[lm, 0], px[lm, 1] = centre[0] + c * dx - s * dy, centre[1] + s * dx + c * dy
        if world is not None:
            wc = pose.world[pivot] if pose.world is not None else None
            assert wc is not None
            wdx, wdy = world[lm, 0] - wc[0], world[lm, 1] - wc[1]
            world[lm, 0], world[lm, 1] = wc[0] + c * wdx - s * wdy, wc[1] + s * wdx + c * wdy
    normalized = pose.normalized.copy()
    normalized[:, 0] = px[:, 0] / width
    normalized[:, 1] = px[:, 1] / height
    return replace(pose, normalized=normalized, world=world)


def shift(pose: Pose, moving: Iterable[Landmark], dx_px: float, dy_px: float) -> Pose:
    """Move landmarks by a pixel offset (world landmarks untouched)."""
    width, height = pose.image_size
    normalized = pose.normalized.copy()
    for lm in moving:
        normalized[lm, 0] += dx_px / width
        normalized[lm, 1] += dy_px / height
    return replace(pose, normalized=normalized)


def hide(pose: Pose, landmarks: Iterable[Landmark], *, out_of_frame: bool = False) -> Pose:
    """Make landmarks unseen: occluded (low visibility) or outside the frame (low presence)."""
    visibility, presence = pose.visibility.copy(), pose.presence.copy()
    for lm in landmarks:
        visibility[lm] = 0.05
        if out_of_frame:
            presence[lm] = 0.05
    return replace(pose, visibility=visibility, presence=presence)


def mirror(pose: Pose) -> Pose:
    """The same pose seen in a mirror (x flipped); labels are kept, as MediaPipe would not swap
    them for a mirrored person reliably either."""
    normalized = pose.normalized.copy()
    normalized[:, 0] = 1.0 - normalized[:, 0]
    world = None
    if pose.world is not None:
        world = pose.world.copy()
        world[:, 0] = -world[:, 0]
    return replace(pose, normalized=normalized, world=world)


#: The face and ears: rotating these about a shoulder tips the head.
HEAD = [Landmark(i) for i in range(11)]


def play(
    coach: Coach, timeline: Iterable[tuple[Pose | None, int]], dt: float = 0.1
) -> list[list[FrameResult]]:
    """Feed the coach each pose of `timeline` `count` frames in a row, `dt` seconds apart
    (from dt on); the results, one list per timeline entry."""
    t = 0.0
    out = []
    for frame, count in timeline:
        results = []
        for _ in range(count):
            t = round(t + dt, 3)
            results.append(coach.update(frame, t))
        out.append(results)
    return out


def verdict(spec: StretchSpec, pose: Pose, check_id: str, side: str | None = None) -> Verdict:
    """One check's verdict on one frame."""
    return next(v for v in evaluate(spec, pose, side).verdicts if v.check.id == check_id)


def assert_not_in_position(spec: StretchSpec, pose: Pose) -> None:
    """Another pose: the rules say not in position with setup guidance, and the coach (the
    one path a still photo is judged by) judges no check: no form faults, no form cues."""
    evaluation = evaluate(spec, pose)
    assert not evaluation.in_position
    assert evaluation.setup_cues
    result = judge_still(spec, pose)
    assert not result.in_position
    assert result.cues == evaluation.setup_cues
    assert all(v.status is Status.UNKNOWN and v.cue is None for v in result.verdicts)


def adjusting(evaluation: Evaluation) -> dict[str, str | None]:
    """check id -> direction for every check out of range."""
    return {v.check.id: v.direction for v in evaluation.verdicts if v.status is Status.ADJUST}


def assert_only(
    spec: StretchSpec, pose: Pose, check_id: str, direction: str, side: str | None = None
) -> None:
    """The pose is in position and exactly `check_id` is out of range, in `direction`, with
    its cue among the cues."""
    evaluation = evaluate(spec, pose, side)
    assert evaluation.in_position, f"not in position: {evaluation.setup_cues}"
    assert adjusting(evaluation) == {check_id: direction}, adjusting(evaluation)
    cue = spec.check(check_id).cue_for(direction)
    assert cue in evaluation.cues


def assert_good(spec: StretchSpec, pose: Pose, side: str | None = None) -> None:
    evaluation = evaluate(spec, pose, side)
    assert evaluation.in_position, f"not in position: {evaluation.setup_cues}"
    assert adjusting(evaluation) == {}, adjusting(evaluation)


def value_of(spec: StretchSpec, pose: Pose, check_id: str, side: str | None = None) -> float:
    evaluation = evaluate(spec, pose, side)
    for verdict in evaluation.verdicts:
        if verdict.check.id == check_id:
            assert verdict.measurement.value is not None, verdict.measurement.reason
            return verdict.measurement.value
    raise KeyError(check_id)


__all__ = [
    "HEAD",
    "adjusting",
    "assert_good",
    "assert_not_in_position",
    "assert_only",
    "hide",
    "mirror",
    "np",
    "part",
    "play",
    "rotate",
    "shift",
    "side_of",
    "value_of",
    "verdict",
]
