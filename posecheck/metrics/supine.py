"""Metrics used mainly by the supine stretches (registered on import; see body.py for conventions).

Lying on the back, the person's front faces the ceiling, not the head end: `Context.facing`
(which takes the head end as the front for bodies more horizontal than 45 degrees, right for
all fours and lying face down) gives the opposite sign there. The signed angles below therefore
take image up as the person's front and need no facing at all. Pixel coordinates, y down,
degrees; world landmarks are MediaPipe's (metres, hip-centred, camera-aligned, y down).
"""

from __future__ import annotations

import math

import numpy as np

from posecheck import geometry
from posecheck.landmarks import Landmark as L
from posecheck.metrics.context import Context, Limb, Unmeasurable, _other, _part
from posecheck.metrics.registry import Measured, metric

FloatArray = np.ndarray

_SIDES = ("left", "right")


def _toward_ceiling(base: FloatArray, segment: FloatArray) -> float:
    """Signed rotation (deg) from direction `base` to `segment`, positive when the turn swings
    `base` toward image up (the ceiling, for a person lying on the back). Pixel vectors."""
    if abs(float(base[0])) < 1e-9:
        raise Unmeasurable("Lie down side-on to the camera so it sees your body lengthwise.")
    # Turning `base` toward up (0, -1) has the sign of cross(base, up) = -base.x.
    sign = -1.0 if base[0] > 0 else 1.0
    cross = float(base[0] * segment[1] - base[1] * segment[0])
    dot = float(base[0] * segment[0] + base[1] * segment[1])
    if math.hypot(cross, dot) < 1e-9:
        raise geometry.DegenerateGeometryError("zero-length segment")
    return math.degrees(math.atan2(sign * cross, dot))


@metric(
    "head_lift",
    "Lying on the back, side view: the neck (shoulder to ear midpoints) against the trunk line "
    "(hip to shoulder midpoints), positive with the head lifted off the floor toward the "
    "chest, negative with it dropped back.",
)
def head_lift(ctx: Context, limb: Limb) -> Measured:
    hips, shoulders, ears = ctx.mid("HIP"), ctx.mid("SHOULDER"), ctx.mid("EAR")
    value = _toward_ceiling(shoulders - hips, ears - shoulders)
    return Measured(value, (L.LEFT_SHOULDER, L.LEFT_EAR, L.RIGHT_SHOULDER, L.RIGHT_EAR))


@metric(
    "thigh_line_rotation",
    "Lying on the back with the feet planted: how far the hip-knee-ankle triangle, and so the "
    "thigh line, has turned about the ankle from where it lies with the hip level with the "
    "ankle; measured as the ankle-to-hip line above the horizontal (positive: hips lifted).",
    limb=True,
    proxy="Pelvic tilt proxy: the pelvis is not a landmark. Curling the tailbone up lifts the "
    "hips a little and turns the thigh line by a few degrees; flattening the lower back "
    "without any hip movement cannot be seen. Approximate.",
)
def thigh_line_rotation(ctx: Context, limb: Limb) -> Measured:
    side = ctx.side_of(limb)
    hip, knee, ankle = (_part(side, p) for p in ("HIP", "KNEE", "ANKLE"))
    h, a = ctx.xy(hip), ctx.xy(ankle)
    ctx.xy(knee)  # the triangle needs the knee in view too
    dx, dy = float(h[0] - a[0]), float(a[1] - h[1])
    if math.hypot(dx, dy) < 1.0:
        raise Unmeasurable("Your hip and ankle overlap in the image: lie side-on to the camera.")
    return Measured(math.degrees(math.atan2(dy, abs(dx))), (hip, knee, ankle), hip)


@metric(
    "bridge_hip_angle",
    "Lying on the back, side view: the shoulder-hip-knee angle measured on the floor side of "
    "the hip: 180 with shoulders, hips and knees in one line, less with the hips sagging "
    "toward the floor, more than 180 with them pushed above the line. Unlike the unsigned hip "
    "angle, hips pushed too high never read as hips too low.",
    limb=True,
)
def bridge_hip_angle(ctx: Context, limb: Limb) -> Measured:
    side = ctx.side_of(limb)
    shoulder, hip, knee = (_part(side, p) for p in ("SHOULDER", "HIP", "KNEE"))
    s, h, k = ctx.xy(shoulder), ctx.xy(hip), ctx.xy(knee)
    angle = geometry.joint_angle(s, h, k)
    above = geometry.elevation(s, h) - geometry.elevation(s, k) > 0
    return Measured(360.0 - angle if above else angle, (shoulder, hip, knee), hip)


@metric(
    "leg_from_trunk_line",
    "Lying on the back, side view: the leg (hip to ankle) against the trunk line continued "
    "past the hip toward the feet, unsigned 0..180: 0 with the leg long in line with the body, "
    "90 pointing straight up when lying flat, more than 90 once it passes vertical toward the "
    "head (which an angle from the image horizontal cannot tell from less than 90).",
    limb=True,
)
def leg_from_trunk_line(ctx: Context, limb: Limb) -> Measured:
    side = ctx.side_of(limb)
    hip, knee, ankle = (_part(side, p) for p in ("HIP", "KNEE", "ANKLE"))
    h = ctx.xy(hip)
    feetward = h - ctx.mid("SHOULDER")
    value = geometry.joint_angle(h + feetward, h, ctx.xy(ankle))
    return Measured(value, (hip, knee, ankle), hip)


def _drawn_angle(ctx: Context, limb: Limb, parts: tuple[str, str, str]) -> Measured:
    """The joint angle on the side `limb` resolves to; when the role cannot be resolved because
    one knee is hidden, the smallest angle among the legs the camera sees. In a side view a knee
    drawn in leaves the far leg visible unless that one is drawn in behind it too, so the hidden
    leg is taken to be where the seen one is (both knees to the chest)."""
    try:
        sides: tuple[str, ...] = (ctx.side_of(limb),)
    except Unmeasurable:
        sides = _SIDES
    best: Measured | None = None
    reason = ""
    for side in sides:
        a, b, c = (_part(side, p) for p in parts)
        try:
            angle = geometry.joint_angle(ctx.xy(a), ctx.xy(b), ctx.xy(c))
        except Unmeasurable as missing:
            reason = reason or missing.reason
            continue
        if best is None or angle < best.value:
            best = Measured(angle, (a, b, c), b)
    if best is None:
        raise Unmeasurable(reason)
    return best


@metric(
    "drawn_hip_angle",
    "Hip angle shoulder-hip-knee of the leg drawn in (small with the knee at the chest); with "
    "both knees drawn in and the far one hidden, the seen one.",
    limb=True,
)
def drawn_hip_angle(ctx: Context, limb: Limb) -> Measured:
    return _drawn_angle(ctx, limb, ("SHOULDER", "HIP", "KNEE"))


@metric(
    "drawn_knee_angle",
    "Knee angle hip-knee-ankle of the leg drawn in; with both knees drawn in and the far one "
    "hidden, the seen one.",
    limb=True,
)
def drawn_knee_angle(ctx: Context, limb: Limb) -> Measured:
    return _drawn_angle(ctx, limb, ("HIP", "KNEE", "ANKLE"))


@metric(
    "highest_foot",
    "Lying on the back: the higher ankle's elevation above its own hip, as the hip-ankle line's "
    "angle above the horizontal (about 0 with both feet on the floor). A leg the camera cannot "
    "see is taken to be hidden behind the other one, i.e. where that one is.",
)
def highest_foot(ctx: Context, limb: Limb) -> Measured:
    best: tuple[float, L, L] | None = None
    for side in _SIDES:
        hip, ankle = _part(side, "HIP"), _part(side, "ANKLE")
        if not (ctx.seen(hip) and ctx.seen(ankle)):
            continue
        h, a = ctx.xy(hip), ctx.xy(ankle)
        dx, dy = float(a[0] - h[0]), float(h[1] - a[1])
        if math.hypot(dx, dy) < 1.0:
            continue
        value = math.degrees(math.atan2(dy, abs(dx)))
        if best is None or value > best[0]:
            best = (value, hip, ankle)
    if best is None:
        raise Unmeasurable(
            "Step back or lower the camera so your hips and feet are in view."
            if ctx.pose.presence[L.LEFT_ANKLE] < 0.5 and ctx.pose.presence[L.RIGHT_ANKLE] < 0.5
            else "Turn so the camera can see your hips and feet: they are hidden."
        )
    return Measured(best[0], (best[1], best[2]), best[1])


@metric(
    "figure_four_gap",
    "Figure four: the crossing ankle's distance from the other knee, in shin lengths (about "
    "0.2 with the ankle resting on the thigh just below the knee): across the image from the "
    "pixels, in depth from the world landmarks (see `Context.crossing`). The crossing leg is "
    "the one whose ankle is nearer the other knee, whichever label MediaPipe gives it.",
    unit="ratio",
)
def figure_four_gap(ctx: Context, limb: Limb) -> Measured:
    side, gap = ctx.crossing
    ankle, knee = _part(side, "ANKLE"), _part(_other(side), "KNEE")
    return Measured(gap, (ankle, knee), ankle)


@metric(
    "figure_four_support_hip",
    "Figure four: the supporting leg's hip angle shoulder-hip-knee (90 with the thigh "
    "vertical, smaller drawn further in). The supporting leg is the one the other ankle "
    "rests on.",
)
def figure_four_support_hip(ctx: Context, limb: Limb) -> Measured:
    support = _other(ctx.crossing[0])
    a, b, c = (_part(support, p) for p in ("SHOULDER", "HIP", "KNEE"))
    return Measured(geometry.joint_angle(ctx.xy(a), ctx.xy(b), ctx.xy(c)), (a, b, c), b)


# --- world landmarks (3D) -------------------------------------------------------------------


@metric(
    "trunk_from_level_3d",
    "World landmarks: the trunk (hip to shoulder midpoints) out of the camera's horizontal "
    "plane, unsigned 0..90: small lying down whichever way the camera looks along the body, "
    "near 90 sitting or standing. A camera tilted down adds its tilt.",
)
def trunk_from_level_3d(ctx: Context, limb: Limb) -> Measured:
    hips = (ctx.world(L.LEFT_HIP) + ctx.world(L.RIGHT_HIP)) / 2
    shoulders = (ctx.world(L.LEFT_SHOULDER) + ctx.world(L.RIGHT_SHOULDER)) / 2
    d = shoulders - hips
    length = float(np.linalg.norm(d))
    if length < 1e-6:
        raise Unmeasurable("Your shoulders and hips overlap for the camera: move it.")
    value = math.degrees(math.asin(min(1.0, abs(float(d[1])) / length)))
    return Measured(value, (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER))


@metric(
    "arm_out_3d",
    "World landmarks: the angle at this shoulder between the other shoulder and this wrist: "
    "about 180 with the arm straight out in line with the shoulders (a T), about 90 with it "
    "along the body or overhead.",
    limb=True,
)
def arm_out_3d(ctx: Context, limb: Limb) -> Measured:
    side = ctx.side_of(limb)
    shoulder, wrist = _part(side, "SHOULDER"), _part(side, "WRIST")
    other = _part(_other(side), "SHOULDER")
    s, w, o = ctx.world(shoulder), ctx.world(wrist), ctx.world(other)
    u, v = o - s, w - s
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu < 1e-6 or nv < 1e-6:
        raise Unmeasurable("Stretch your arms out to the sides so the camera can see them.")
    cos = float(np.dot(u, v)) / (nu * nv)
    return Measured(math.degrees(math.acos(max(-1.0, min(1.0, cos)))), (other, shoulder, wrist),
                    shoulder)
