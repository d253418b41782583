"""Metrics used mainly by the upright stretches (registered on import; see body.py for conventions).

Two kinds live here: view-independent squat measures from world landmarks (a deep squat is
checked from the side or from the front, and a thigh pointing at the camera has no usable 2D
length), and view-gated versions of 2D metrics that only mean something in one view, so the
wrong view gives "cannot judge" with a reason instead of a confident wrong number.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.landmarks import Landmark as L
from posecheck.metrics.body import heel_lift, knee_ankle_gap_ratio, trunk_incline
from posecheck.metrics.context import Context, Limb, Unmeasurable, _part, guidance_for
from posecheck.metrics.registry import Measured, metric

_LEGS = (
    (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
)


def _seen_legs(ctx: Context, *, ankle: bool) -> list[tuple[L, L, L]]:
    """The legs whose hip and knee (and ankle, if asked) the camera sees; `Unmeasurable` if none."""
    legs = [leg for leg in _LEGS if all(ctx.seen(p) for p in (leg if ankle else leg[:2]))]
    if not legs:
        missing = next(p for p in _LEGS[0] if not ctx.seen(p))
        raise Unmeasurable(guidance_for(ctx.pose, missing))
    return legs


def _require_view(ctx: Context, *, not_view: str, reason: str) -> None:
    if ctx.view == not_view:
        raise Unmeasurable(reason)


# --- squat depth from world landmarks (side or front view) -----------------------------------


@metric(
    "squat_depth",
    "World landmarks: how far the hips are below the knees, in thigh lengths (mean over the "
    "legs the camera sees): positive below, about -1 standing. The same in side and front "
    "views, where a 2D thigh pointing at the camera would be foreshortened.",
    unit="ratio",
)
def squat_depth(ctx: Context, limb: Limb) -> Measured:
    values = []
    for hip, knee, _ in _seen_legs(ctx, ankle=False):
        h, k = ctx.world(hip), ctx.world(knee)
        thigh = float(np.linalg.norm(h - k))
        if thigh < 1e-3:
            continue
        values.append(float(h[1] - k[1]) / thigh)  # world y points down
    if not values:
        raise Unmeasurable("Your hips and knees overlap for the camera: step back.")
    return Measured(
        float(np.mean(values)), (L.LEFT_HIP, L.LEFT_KNEE, L.RIGHT_HIP, L.RIGHT_KNEE), None
    )


@metric(
    "knee_bend_3d",
    "World landmarks: hip-knee-ankle angle of the more bent of the knees the camera sees, "
    "in 3D (180 straight). Squatting takes the knees well past a right angle; sitting on a "
    "chair keeps them near it.",
)
def knee_bend_3d(ctx: Context, limb: Limb) -> Measured:
    best: tuple[float, tuple[L, L, L]] | None = None
    for leg in _seen_legs(ctx, ankle=True):
        a, b, c = (ctx.world(p) for p in leg)
        u, v = a - b, c - b
        norms = float(np.linalg.norm(u) * np.linalg.norm(v))
        if norms < 1e-9:
            continue
        angle = math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / norms))))
        if best is None or angle < best[0]:
            best = (angle, leg)
    if best is None:
        raise Unmeasurable("Your hips, knees and ankles overlap for the camera: step back.")
    return Measured(best[0], best[1], best[1][1])


# --- checks that only one view can make ------------------------------------------------------


@metric(
    "front_knee_track",
    "Front view only: the gap between the knees over the gap between the ankles; below about "
    "0.9 the knees cave inward. Cannot be judged side-on, where the knees hide each other.",
    unit="ratio",
)
def front_knee_track(ctx: Context, limb: Limb) -> Measured:
    reason = "Face the camera to check that your knees track over your toes."
    _require_view(ctx, not_view="side", reason=reason)
    return knee_ankle_gap_ratio(ctx, limb)


@metric(
    "side_heel_lift",
    "Side view only: heel above the toes, in foot lengths, about 0 to 0.35 with the heel down. "
    "From the front the foot points at the camera and its length cannot be seen.",
    unit="ratio",
    limb=True,
)
def side_heel_lift(ctx: Context, limb: Limb) -> Measured:
    _require_view(ctx, not_view="front", reason="Turn side-on so the camera can see your heels.")
    return heel_lift(ctx, limb)


@metric(
    "side_trunk_incline",
    "Side view only: trunk (hip to shoulder midpoints) from vertical, signed, positive leaning "
    "forward. From the front a forward lean points at the camera and does not show.",
)
def side_trunk_incline(ctx: Context, limb: Limb) -> Measured:
    _require_view(
        ctx, not_view="front", reason="Turn side-on so the camera can see how far you lean."
    )
    return trunk_incline(ctx, limb)


# --- hands behind the back -------------------------------------------------------------------


@metric(
    "wrist_behind_back",
    "Side view: how far the wrist is behind the trunk line (hip to shoulder midpoints), "
    "measured square to that line, in trunk lengths; about 0 with the arms hanging at the "
    "sides, negative with the hands in front. Uses shoulders, hips, this wrist and the facing "
    "direction.",
    unit="ratio",
    limb=True,
)
def wrist_behind_back(ctx: Context, limb: Limb) -> Measured:
    wrist = _part(ctx.side_of(limb), "WRIST")
    hips, shoulders = ctx.mid("HIP"), ctx.mid("SHOULDER")
    axis = (shoulders - hips) / ctx.trunk_length
    # The trunk's forward normal: the perpendicular that points the way the person faces.
    forward = np.array([-axis[1], axis[0]])
    if forward[0] * ctx.facing < 0:
        forward = -forward
    offset = float(np.dot(ctx.xy(wrist) - hips, forward)) / ctx.trunk_length
    shoulder = _part(ctx.side_of(limb), "SHOULDER")
    return Measured(-offset, (shoulder, wrist), wrist)


@metric(
    "wrist_gap",
    "The distance between the two wrists in the image, in trunk lengths: under about 0.4 with "
    "the hands clasped, 1 or more with one hand on a wall and the other behind. In a side view "
    "the far wrist is often hidden behind the body and this uses MediaPipe's estimate of where "
    "it is (it must be inside the frame): fit to tell hands together from hands apart, not to "
    "judge form.",
    unit="ratio",
)
def wrist_gap(ctx: Context, limb: Limb) -> Measured:
    pose = ctx.pose
    for wrist in (L.LEFT_WRIST, L.RIGHT_WRIST):
        if pose.presence[wrist] < 0.5:
            raise Unmeasurable(guidance_for(pose, wrist))
    gap = float(np.linalg.norm(pose.pixels[L.LEFT_WRIST, :2] - pose.pixels[L.RIGHT_WRIST, :2]))
    return Measured(gap / ctx.trunk_length, (L.LEFT_WRIST, L.RIGHT_WRIST))


__all__ = [
    "front_knee_track",
    "knee_bend_3d",
    "side_heel_lift",
    "side_trunk_incline",
    "squat_depth",
    "wrist_behind_back",
    "wrist_gap",
]
