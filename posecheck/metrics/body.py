"""The body measurements the stretch and posture specs are built from.

Conventions (see geometry.py): degrees; pixel coordinates, y down; "forward" is the person's
facing direction from `Context.facing`. Ratios are divided by a body length so they do not
depend on distance from the camera. Each docstring says which landmarks it uses and, where a
measurement stands in for something the 33 landmarks cannot see, that it is a proxy.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck import geometry
from posecheck.landmarks import Landmark as L
from posecheck.metrics.context import Context, Limb, Unmeasurable, _part
from posecheck.metrics.registry import Measured, metric


def _limb(ctx: Context, limb: Limb, *parts: str) -> tuple[L, ...]:
    side = ctx.side_of(limb)
    return tuple(_part(side, p) for p in parts)


def _angle3(ctx: Context, a: L, b: L, c: L) -> Measured:
    value = geometry.joint_angle(ctx.xy(a), ctx.xy(b), ctx.xy(c))
    return Measured(value, (a, b, c), b)


# --- joint angles on one side --------------------------------------------------------------


@metric("knee_angle", "Knee angle hip-knee-ankle: 180 straight, 90 a right angle.", limb=True)
def knee_angle(ctx: Context, limb: Limb) -> Measured:
    return _angle3(ctx, *_limb(ctx, limb, "HIP", "KNEE", "ANKLE"))


@metric(
    "hip_angle",
    "Hip angle shoulder-hip-knee, unsigned: 180 when trunk and thigh are in "
    "line, small when folded.",
    limb=True,
)
def hip_angle(ctx: Context, limb: Limb) -> Measured:
    return _angle3(ctx, *_limb(ctx, limb, "SHOULDER", "HIP", "KNEE"))


@metric("elbow_angle", "Elbow angle shoulder-elbow-wrist: 180 straight.", limb=True)
def elbow_angle(ctx: Context, limb: Limb) -> Measured:
    return _angle3(ctx, *_limb(ctx, limb, "SHOULDER", "ELBOW", "WRIST"))


@metric(
    "shoulder_angle",
    "Shoulder flexion hip-shoulder-elbow, unsigned: 180 with the arm "
    "overhead in line with the trunk.",
    limb=True,
)
def shoulder_angle(ctx: Context, limb: Limb) -> Measured:
    return _angle3(ctx, *_limb(ctx, limb, "HIP", "SHOULDER", "ELBOW"))


@metric(
    "arm_line_angle",
    "Hip-shoulder-wrist angle: 180 when the arm reaches straight on from the trunk.",
    limb=True,
)
def arm_line_angle(ctx: Context, limb: Limb) -> Measured:
    return _angle3(ctx, *_limb(ctx, limb, "HIP", "SHOULDER", "WRIST"))


# --- signed angles in a side view ----------------------------------------------------------


@metric(
    "hip_flexion",
    "Signed hip flexion in a side view: the thigh against the trunk line, "
    "positive in front (flexion), negative behind (extension).",
    limb=True,
)
def hip_flexion(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    value = geometry.hip_flexion_signed(ctx.mid("SHOULDER"), ctx.xy(hip), ctx.xy(knee), ctx.facing)
    shoulder = _limb(ctx, limb, "SHOULDER")[0]
    return Measured(value, (shoulder, hip, knee), hip)


@metric(
    "hip_extension",
    "How far the thigh is behind the trunk line in a side view (signed "
    "hip extension; negative when the thigh is in front).",
    limb=True,
    proxy="With an upright trunk, growing hip extension is how a backward pelvic tilt shows "
    "in landmarks; the pelvis itself is not among the 33 landmarks.",
)
def hip_extension(ctx: Context, limb: Limb) -> Measured:
    flexion = hip_flexion(ctx, limb)
    return Measured(-flexion.value, flexion.landmarks, flexion.vertex)


@metric(
    "arm_behind_trunk",
    "How far the upper arm points behind the trunk line in a side view "
    "(signed shoulder extension; negative when the arm is in front).",
    limb=True,
)
def arm_behind_trunk(ctx: Context, limb: Limb) -> Measured:
    shoulder, elbow = _limb(ctx, limb, "SHOULDER", "ELBOW")
    flexion = geometry.signed_segment_angle(
        ctx.mid("SHOULDER"), ctx.mid("HIP"), ctx.xy(shoulder), ctx.xy(elbow), ctx.facing
    )
    hip = _limb(ctx, limb, "HIP")[0]
    return Measured(-flexion, (hip, shoulder, elbow), shoulder)


@metric(
    "trunk_incline",
    "Trunk (hip to shoulder midpoints) from vertical, signed: positive "
    "leaning forward, negative leaning back.",
)
def trunk_incline(ctx: Context, limb: Limb) -> Measured:
    value = geometry.signed_incline(ctx.mid("HIP"), ctx.mid("SHOULDER"), ctx.facing)
    return Measured(value, (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER))


@metric(
    "trunk_lean",
    "Trunk (hip to shoulder midpoints) from vertical, unsigned: 0 upright, 90 horizontal.",
)
def trunk_lean(ctx: Context, limb: Limb) -> Measured:
    value = geometry.incline_from_vertical(ctx.mid("HIP"), ctx.mid("SHOULDER"))
    return Measured(value, (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER))


@metric(
    "neck_incline",
    "Neck (shoulder to ear midpoints) from vertical, signed: positive with "
    "the head forward of the shoulders.",
)
def neck_incline(ctx: Context, limb: Limb) -> Measured:
    value = geometry.signed_incline(ctx.mid("SHOULDER"), ctx.mid("EAR"), ctx.facing)
    return Measured(value, (L.LEFT_SHOULDER, L.LEFT_EAR, L.RIGHT_SHOULDER, L.RIGHT_EAR))


@metric(
    "head_pitch",
    "Head against the trunk line (hip-shoulder extended), signed: positive "
    "with the head lifted back, negative with it dropped forward or down.",
    proxy="Stands in for the curve of the upper spine, which has no landmarks.",
)
def head_pitch(ctx: Context, limb: Limb) -> Measured:
    shoulders = ctx.mid("SHOULDER")
    flexion = geometry.signed_segment_angle(
        ctx.mid("HIP"), shoulders, shoulders, ctx.mid("EAR"), ctx.facing
    )
    return Measured(flexion, (L.LEFT_SHOULDER, L.LEFT_EAR, L.RIGHT_SHOULDER, L.RIGHT_EAR))


# --- segment orientation -------------------------------------------------------------------


@metric(
    "upper_arm_incline",
    "Upper arm (elbow to shoulder) from vertical: 0 with the elbow straight under the shoulder.",
    limb=True,
)
def upper_arm_incline(ctx: Context, limb: Limb) -> Measured:
    shoulder, elbow = _limb(ctx, limb, "SHOULDER", "ELBOW")
    value = geometry.incline_from_vertical(ctx.xy(elbow), ctx.xy(shoulder))
    return Measured(value, (shoulder, elbow), elbow)


@metric(
    "arm_incline",
    "Whole arm (wrist to shoulder) from vertical: 0 with the hand straight under the shoulder.",
    limb=True,
)
def arm_incline(ctx: Context, limb: Limb) -> Measured:
    shoulder, elbow, wrist = _limb(ctx, limb, "SHOULDER", "ELBOW", "WRIST")
    value = geometry.incline_from_vertical(ctx.xy(wrist), ctx.xy(shoulder))
    return Measured(value, (shoulder, elbow, wrist), shoulder)


@metric(
    "thigh_incline",
    "Thigh (knee to hip) from vertical: 0 with the knee straight under the hip.",
    limb=True,
)
def thigh_incline(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    value = geometry.incline_from_vertical(ctx.xy(knee), ctx.xy(hip))
    return Measured(value, (hip, knee), hip)


@metric(
    "shin_incline",
    "Shin (ankle to knee) from vertical: 0 upright, 90 lying flat on the floor as when kneeling.",
    limb=True,
)
def shin_incline(ctx: Context, limb: Limb) -> Measured:
    knee, ankle = _limb(ctx, limb, "KNEE", "ANKLE")
    value = geometry.incline_from_vertical(ctx.xy(ankle), ctx.xy(knee))
    return Measured(value, (knee, ankle), knee)


@metric(
    "thigh_elevation",
    "Thigh (hip to knee) above the horizontal, signed: positive with the knee higher than the hip.",
    limb=True,
)
def thigh_elevation(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    return Measured(geometry.elevation(ctx.xy(hip), ctx.xy(knee)), (hip, knee), hip)


@metric(
    "leg_raise",
    "Whole leg (hip to ankle) above the horizontal: 90 pointing straight up.",
    limb=True,
)
def leg_raise(ctx: Context, limb: Limb) -> Measured:
    hip, knee, ankle = _limb(ctx, limb, "HIP", "KNEE", "ANKLE")
    return Measured(geometry.elevation(ctx.xy(hip), ctx.xy(ankle)), (hip, knee, ankle), hip)


@metric(
    "hip_lift",
    "Hip above the knee, as the angle of knee to hip above the horizontal: "
    "about 0 with the hips on the floor when lying face down.",
    limb=True,
)
def hip_lift(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    return Measured(geometry.elevation(ctx.xy(knee), ctx.xy(hip)), (hip, knee), hip)


@metric(
    "chest_lift",
    "Trunk (hip to shoulder midpoints) above the horizontal: 0 lying flat, 90 upright.",
)
def chest_lift(ctx: Context, limb: Limb) -> Measured:
    value = geometry.elevation(ctx.mid("HIP"), ctx.mid("SHOULDER"))
    return Measured(value, (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER))


@metric(
    "trunk_from_horizontal",
    "Trunk (shoulder to hip midpoints) from the horizontal, "
    "unsigned: 0 lying or on all fours, 90 upright.",
)
def trunk_from_horizontal(ctx: Context, limb: Limb) -> Measured:
    value = geometry.angle_from_horizontal(ctx.mid("SHOULDER"), ctx.mid("HIP"))
    return Measured(value, (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER))


# --- ratios --------------------------------------------------------------------------------


def _thigh_length(ctx: Context, limb: Limb) -> float:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    length = geometry.distance(ctx.xy(hip), ctx.xy(knee))
    if length < 1.0:
        raise Unmeasurable("Your hip and knee overlap in the image: turn side-on.")
    return length


@metric(
    "hip_below_knee",
    "How far the hip is below the knee, in thigh lengths: positive below, negative above.",
    unit="ratio",
    limb=True,
)
def hip_below_knee(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    value = float(ctx.xy(hip)[1] - ctx.xy(knee)[1]) / _thigh_length(ctx, limb)
    return Measured(value, (hip, knee), hip)


@metric(
    "hip_to_ankle",
    "Distance from hip to ankle, in thigh lengths: small when sitting back on the heels.",
    unit="ratio",
    limb=True,
)
def hip_to_ankle(ctx: Context, limb: Limb) -> Measured:
    hip, knee, ankle = _limb(ctx, limb, "HIP", "KNEE", "ANKLE")
    value = geometry.distance(ctx.xy(hip), ctx.xy(ankle)) / _thigh_length(ctx, limb)
    return Measured(value, (hip, knee, ankle), hip)


@metric(
    "hip_over_heel",
    "Horizontal offset of the hip from the heel, in leg lengths: "
    "positive with the hip ahead of the heel, negative behind it.",
    unit="ratio",
    limb=True,
)
def hip_over_heel(ctx: Context, limb: Limb) -> Measured:
    hip, knee, heel = _limb(ctx, limb, "HIP", "KNEE", "HEEL")
    leg = geometry.distance(ctx.xy(hip), ctx.xy(knee)) + geometry.distance(
        ctx.xy(knee), ctx.xy(heel)
    )
    value = float(ctx.xy(hip)[0] - ctx.xy(heel)[0]) * ctx.facing / max(leg, 1.0)
    return Measured(value, (hip, knee, heel), hip)


@metric(
    "hip_ahead_of_knee",
    "Horizontal distance of the hip ahead of this knee in the facing "
    "direction, in thigh lengths (the hips travelling forward over a kneeling knee).",
    unit="ratio",
    limb=True,
)
def hip_ahead_of_knee(ctx: Context, limb: Limb) -> Measured:
    hip, knee = _limb(ctx, limb, "HIP", "KNEE")
    value = float(ctx.xy(hip)[0] - ctx.xy(knee)[0]) * ctx.facing / _thigh_length(ctx, limb)
    return Measured(value, (hip, knee), hip)


@metric(
    "heel_lift",
    "Heel above the toes, in foot lengths: about 0 with the heel down.",
    unit="ratio",
    limb=True,
)
def heel_lift(ctx: Context, limb: Limb) -> Measured:
    heel, toe = _limb(ctx, limb, "HEEL", "FOOT_INDEX")
    foot = geometry.distance(ctx.xy(heel), ctx.xy(toe))
    if foot < 1.0:
        raise Unmeasurable("Turn side-on so the camera sees the length of your feet.")
    value = float(ctx.xy(toe)[1] - ctx.xy(heel)[1]) / foot
    return Measured(value, (heel, toe), heel)


@metric(
    "knee_ankle_gap_ratio",
    "Front view: the gap between the knees over the gap between "
    "the ankles; below about 0.9 the knees cave inward.",
    unit="ratio",
)
def knee_ankle_gap_ratio(ctx: Context, limb: Limb) -> Measured:
    knees = abs(float(ctx.xy(L.LEFT_KNEE)[0] - ctx.xy(L.RIGHT_KNEE)[0]))
    ankles = abs(float(ctx.xy(L.LEFT_ANKLE)[0] - ctx.xy(L.RIGHT_ANKLE)[0]))
    if ankles < 0.05 * ctx.trunk_length:
        raise Unmeasurable("Face the camera with your feet apart so it can see both knees.")
    return Measured(knees / ankles, (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE))


@metric(
    "shoulder_ear_gap",
    "Distance from shoulder to ear, in trunk lengths: it shrinks when "
    "the shoulders creep up toward the ears.",
    unit="ratio",
    limb=True,
)
def shoulder_ear_gap(ctx: Context, limb: Limb) -> Measured:
    shoulder, ear = _limb(ctx, limb, "SHOULDER", "EAR")
    value = geometry.distance(ctx.xy(shoulder), ctx.xy(ear)) / ctx.trunk_length
    return Measured(value, (shoulder, ear), shoulder)


@metric(
    "head_to_arm_line",
    "Distance of the ear from the shoulder-wrist line, in trunk "
    "lengths: about 0 with the head relaxed between the arms.",
    unit="ratio",
    limb=True,
)
def head_to_arm_line(ctx: Context, limb: Limb) -> Measured:
    shoulder, wrist, ear = _limb(ctx, limb, "SHOULDER", "WRIST", "EAR")
    a, b, p = ctx.xy(shoulder), ctx.xy(wrist), ctx.xy(ear)
    d = b - a
    length = float(np.hypot(*d))
    if length < 1.0:
        raise Unmeasurable("Reach your arms forward so the camera can see them.")
    offset = abs(float(d[0] * (p[1] - a[1]) - d[1] * (p[0] - a[0]))) / length
    return Measured(offset / ctx.trunk_length, (shoulder, wrist, ear), ear)


@metric(
    "bridge_arch",
    "Angle at the shoulder between the shoulder-knee line and the hip, "
    "signed: positive with the hip lifted above that line (over-arching), negative below.",
    limb=True,
)
def bridge_arch(ctx: Context, limb: Limb) -> Measured:
    shoulder, hip, knee = _limb(ctx, limb, "SHOULDER", "HIP", "KNEE")
    s, h, k = ctx.xy(shoulder), ctx.xy(hip), ctx.xy(knee)
    above = geometry.elevation(s, h) - geometry.elevation(s, k)
    return Measured(above, (shoulder, hip, knee), hip)


@metric(
    "face_up",
    "Nose above the ears, in trunk lengths: positive lying on the back with the "
    "face to the ceiling, about 0 looking ahead, negative face down.",
    unit="ratio",
)
def face_up(ctx: Context, limb: Limb) -> Measured:
    value = float(ctx.mid("EAR")[1] - ctx.xy(L.NOSE)[1]) / ctx.trunk_length
    return Measured(value, (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR))


@metric(
    "ankle_to_other_knee",
    "Distance from this ankle to the other knee, in shin lengths: "
    "about 0 with the ankle crossed over the knee (figure four).",
    unit="ratio",
    limb=True,
)
def ankle_to_other_knee(ctx: Context, limb: Limb) -> Measured:
    side = ctx.side_of(limb)
    knee, ankle = _part(side, "KNEE"), _part(side, "ANKLE")
    other = _part("right" if side == "left" else "left", "KNEE")
    shin = geometry.distance(ctx.xy(knee), ctx.xy(ankle))
    value = geometry.distance(ctx.xy(ankle), ctx.xy(other)) / max(shin, 1.0)
    return Measured(value, (ankle, other), ankle)


# --- world-landmark rotation (3D) ----------------------------------------------------------


@metric(
    "trunk_rotation",
    "World landmarks: shoulder line turned against the hip line about "
    "the vertical, 0 facing straight.",
)
def trunk_rotation(ctx: Context, limb: Limb) -> Measured:
    value = geometry.rotation_about_vertical(
        ctx.world(L.LEFT_SHOULDER),
        ctx.world(L.RIGHT_SHOULDER),
        ctx.world(L.LEFT_HIP),
        ctx.world(L.RIGHT_HIP),
    )
    return Measured(value, (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP))


@metric(
    "shoulder_line_tilt",
    "World landmarks: how far the shoulder line tilts out of the "
    "horizontal plane; lying on the back with both shoulders down it is about 0.",
)
def shoulder_line_tilt(ctx: Context, limb: Limb) -> Measured:
    value = geometry.line_tilt_from_horizontal_3d(
        ctx.world(L.LEFT_SHOULDER), ctx.world(L.RIGHT_SHOULDER)
    )
    return Measured(value, (L.LEFT_SHOULDER, L.RIGHT_SHOULDER))


@metric(
    "knee_drop",
    "World landmarks, lying on the back: the knees' direction from the hips "
    "against straight up: 0 with the knees pointing at the ceiling, 90 lowered to the floor.",
)
def knee_drop(ctx: Context, limb: Limb) -> Measured:
    hips = (ctx.world(L.LEFT_HIP) + ctx.world(L.RIGHT_HIP)) / 2
    knees = (ctx.world(L.LEFT_KNEE) + ctx.world(L.RIGHT_KNEE)) / 2
    v = knees - hips
    norm = float(np.linalg.norm(v))
    if norm < 1e-6:
        raise Unmeasurable("Your knees and hips overlap for the camera: move it toward your feet.")
    # World y points down, so "up" is -y.
    value = math.degrees(math.acos(max(-1.0, min(1.0, float(-v[1]) / norm))))
    return Measured(value, (L.LEFT_HIP, L.LEFT_KNEE, L.RIGHT_HIP, L.RIGHT_KNEE))
