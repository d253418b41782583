"""Metrics for the desk posture monitor (registered on import; see body.py for conventions).

A desk camera often sees only the head and shoulders, and a seated person's face may be turned
to the screen rather than along the body, so these metrics do not lean on the hips or on the
nose for the facing direction the way the stretch metrics do: `seated_facing` takes the body's
facing from the thighs when the person sits, and the front-view metrics use the head and
shoulders only. Degrees, pixel coordinates, image y pointing down.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck import geometry
from posecheck.landmarks import Landmark as L
from posecheck.metrics.context import Context, Limb, Unmeasurable
from posecheck.metrics.registry import Measured, metric

#: A thigh counts as "seated" (its knee marks the front) when it is at least this much longer
#: across the image than down it, and this long against the shoulder width or neck.
_SEATED_THIGH_SLOPE = 1.2
_MIN_THIGH_FRACTION = 0.25
#: Nose-to-ear offsets below this share of the ear-to-shoulder distance give no facing.
_NOSE_FACING_FRACTION = 0.15


def _neck_length(ctx: Context) -> float:
    length = geometry.distance(ctx.mid("SHOULDER"), ctx.mid("EAR"))
    if length < 1.0:
        raise Unmeasurable("Your head and shoulders overlap in the image: sit up in view.")
    return length


def seated_facing(ctx: Context) -> int:
    """+1 when the person's front faces image +x, -1 for -x, for a sitting or standing person.

    Sitting: the knees are in front of the hips, which holds when the face is turned to the
    camera or tipped back (where the nose says little). Otherwise (standing, or legs out of
    view) the nose ahead of the ears, against the ear-to-shoulder distance rather than the
    trunk, so it works with the hips hidden by a desk. `Unmeasurable` when neither tells.
    """
    key = "posture:facing"
    cached = ctx._cache.get(key)
    if isinstance(cached, int):
        return cached
    facing = _thigh_facing(ctx) or _nose_facing(ctx)
    if facing == 0:
        raise Unmeasurable("Turn side-on to the camera so it sees you in profile.")
    ctx._cache[key] = facing
    return facing


def _thigh_facing(ctx: Context) -> int:
    directions = []
    for side in ("LEFT", "RIGHT"):
        hip, knee = L[f"{side}_HIP"], L[f"{side}_KNEE"]
        if not (ctx.seen(hip) and ctx.seen(knee)):
            continue
        dx, dy = (ctx.xy(knee) - ctx.xy(hip)).tolist()
        scale = max(_neck_length(ctx), 1.0)
        if abs(dx) >= _SEATED_THIGH_SLOPE * abs(dy) and abs(dx) >= _MIN_THIGH_FRACTION * scale:
            directions.append(1 if dx > 0 else -1)
    if directions and all(d == directions[0] for d in directions):
        return directions[0]
    return 0


def _nose_facing(ctx: Context) -> int:
    if not ctx.seen(L.NOSE):
        return 0
    offset = float(ctx.xy(L.NOSE)[0] - ctx.mid("EAR")[0])
    if abs(offset) < _NOSE_FACING_FRACTION * _neck_length(ctx):
        return 0
    return 1 if offset > 0 else -1


_SHOULDERS_EARS = (L.LEFT_SHOULDER, L.LEFT_EAR, L.RIGHT_SHOULDER, L.RIGHT_EAR)
_TRUNK = (L.LEFT_HIP, L.LEFT_SHOULDER, L.RIGHT_HIP, L.RIGHT_SHOULDER)


@metric(
    "neck_forward",
    "Side view: neck (shoulder to ear midpoints) from vertical, signed by the body's facing "
    "(from the thighs when seated): positive with the head forward of the shoulders. "
    "Needs no hips, so a desk may hide them.",
    proxy="Stands in for forward head posture: the ear ahead of the shoulder; the neck's "
    "vertebrae are not among the landmarks.",
)
def neck_forward(ctx: Context, limb: Limb) -> Measured:
    value = geometry.signed_incline(ctx.mid("SHOULDER"), ctx.mid("EAR"), seated_facing(ctx))
    return Measured(value, _SHOULDERS_EARS)


@metric(
    "trunk_forward",
    "Side view: trunk (hip to shoulder midpoints) from vertical, signed by the body's facing "
    "(from the thighs when seated): positive leaning forward, negative reclined.",
    proxy="A straight hip-to-shoulder line: a rounded back shows only as the shoulders "
    "moving forward of the hips.",
)
def trunk_forward(ctx: Context, limb: Limb) -> Measured:
    value = geometry.signed_incline(ctx.mid("HIP"), ctx.mid("SHOULDER"), seated_facing(ctx))
    return Measured(value, _TRUNK)


def _shoulder_width(ctx: Context) -> float:
    width = geometry.distance(ctx.xy(L.LEFT_SHOULDER), ctx.xy(L.RIGHT_SHOULDER))
    if width < 1.0:
        raise Unmeasurable("Face the camera so it sees both shoulders.")
    return width


def _eyes(ctx: Context) -> np.ndarray:
    return np.asarray(geometry.midpoint(ctx.xy(L.LEFT_EYE), ctx.xy(L.RIGHT_EYE)))


def _diagonal(ctx: Context) -> float:
    width, height = ctx.pose.image_size
    return math.hypot(width, height)


_FACE = (L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.MOUTH_RIGHT, L.LEFT_EAR, L.RIGHT_EAR)


def face_scale(ctx: Context) -> float:
    """The head's apparent size in pixels: the geometric mean of the ear-to-ear distance, the
    outer-eye span and the eye-to-mouth distance.

    The three lengths distort in different ways: the two spans shrink with a head turn (as the
    cosine of the yaw), the eye-to-mouth distance with a nod, and a tilt changes none of them.
    Each bad length then moves the mean by a third as much. On the real upright-versus-upright
    webcam pair the ear span alone changed by 3.4 % with no change in distance; that jitter is
    why no single length is used. The ears and outer eyes are used where MediaPipe predicts
    them even when hidden (a turned head hides one ear; that is what the spans measure).
    """
    key = "desk:face"
    cached = ctx._cache.get(key)
    if isinstance(cached, float):
        return cached
    pose = ctx.pose
    eyes = _eyes(ctx)
    mouth = geometry.midpoint(ctx.xy(L.MOUTH_LEFT), ctx.xy(L.MOUTH_RIGHT))
    ears = geometry.distance(pose.xy(L.LEFT_EAR), pose.xy(L.RIGHT_EAR))
    outer = geometry.distance(pose.xy(L.LEFT_EYE_OUTER), pose.xy(L.RIGHT_EYE_OUTER))
    height = geometry.distance(eyes, mouth)
    if min(ears, outer, height) < 1.0:
        raise Unmeasurable("Face the camera so it sees your face.")
    value = float((ears * outer * height) ** (1 / 3))
    ctx._cache[key] = value
    return value


@metric(
    "face_size",
    "Front view: the face's apparent size (the geometric mean of the ear span, the outer-eye "
    "span and the eye-to-mouth distance) as a share of the image diagonal.",
    unit="ratio",
    proxy="Apparent size stands in for distance from the camera.",
)
def face_size(ctx: Context, limb: Limb) -> Measured:
    return Measured(face_scale(ctx) / _diagonal(ctx), _FACE)


@metric(
    "head_gap",
    "Front view: the height of the shoulder line above the head (the mean of the eye line and "
    "the nose), over the geometric mean of the face size and the shoulder width. It shrinks "
    "when the user sinks into the chair or the head drops toward the shoulders. Two scales, "
    "because each distorts alone: the face with a nod or a turn, the shoulders with a swivel "
    "of the chair (most at a three-quarter camera).",
    unit="ratio",
)
def head_gap(ctx: Context, limb: Limb) -> Measured:
    shoulders = geometry.midpoint(ctx.xy(L.LEFT_SHOULDER), ctx.xy(L.RIGHT_SHOULDER))
    head_y = (float(_eyes(ctx)[1]) + float(ctx.xy(L.NOSE)[1])) / 2
    scale = math.sqrt(face_scale(ctx) * _shoulder_width(ctx))
    value = (float(shoulders[1]) - head_y) / scale
    return Measured(value, (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_EYE, L.RIGHT_EYE, L.NOSE))


@metric(
    "head_shoulder_size",
    "Front view: the geometric mean of the face size and the shoulder width, as a share of the "
    "image diagonal: it grows when the user leans in toward the screen (face and shoulders "
    "grow together; a craned neck grows the face alone and still counts half) and shrinks "
    "when they slump back.",
    unit="ratio",
    proxy="Apparent size stands in for distance from the camera.",
)
def head_shoulder_size(ctx: Context, limb: Limb) -> Measured:
    value = math.sqrt(face_scale(ctx) * _shoulder_width(ctx)) / _diagonal(ctx)
    return Measured(value, (*_FACE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER))


def _line_tilt(a: np.ndarray, b: np.ndarray) -> float:
    """Tilt of the line through a and b from the image horizontal, -90..90, positive when the
    point on the right of the image is the higher one (counter-clockwise on screen)."""
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    dx, dy = float(right[0] - left[0]), float(left[1] - right[1])
    if math.hypot(dx, dy) < 1e-9:
        raise geometry.DegenerateGeometryError("zero-length line")
    return math.degrees(math.atan2(dy, dx))


@metric(
    "shoulder_tilt",
    "Front view: the shoulder line from the image horizontal, signed: positive when the "
    "shoulder on the right of the image is higher. Leaning sideways tips it.",
)
def shoulder_tilt(ctx: Context, limb: Limb) -> Measured:
    value = _line_tilt(ctx.xy(L.LEFT_SHOULDER), ctx.xy(L.RIGHT_SHOULDER))
    return Measured(value, (L.LEFT_SHOULDER, L.RIGHT_SHOULDER))


@metric(
    "head_tilt",
    "Front view: the eye line from the image horizontal, signed: positive when the eye on the "
    "right of the image is higher (the head tipped toward the left of the image).",
)
def head_tilt(ctx: Context, limb: Limb) -> Measured:
    value = _line_tilt(ctx.xy(L.LEFT_EYE), ctx.xy(L.RIGHT_EYE))
    return Measured(value, (L.LEFT_EYE, L.RIGHT_EYE))


@metric(
    "head_turn",
    "The nose's offset from the ear midpoint across the image, in half ear-to-ear distances: "
    "about 0 facing the camera, 1 with the nose in line with an ear, large in profile. Uses "
    "the predicted ear positions even when one is hidden (it is hidden because the head "
    "turned).",
    unit="ratio",
)
def head_turn(ctx: Context, limb: Limb) -> Measured:
    pose = ctx.pose
    if not ctx.seen(L.NOSE):
        raise Unmeasurable("Face the camera so it sees your face.")
    left, right = pose.xy(L.LEFT_EAR), pose.xy(L.RIGHT_EAR)
    half_span = abs(float(left[0] - right[0])) / 2
    ears = geometry.midpoint(left, right)
    offset = abs(float(ctx.xy(L.NOSE)[0] - ears[0]))
    # In profile the ears nearly coincide: cap the ratio rather than divide by ~0.
    value = min(offset / max(half_span, 1e-6), 10.0)
    return Measured(value, (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR))


@metric(
    "body_scale",
    "How big the person appears: the larger of the shoulder width and the shoulder-to-ear "
    "distance, as a share of the image diagonal. A second person further back is smaller.",
    unit="ratio",
)
def body_scale(ctx: Context, limb: Limb) -> Measured:
    lengths = []
    if ctx.seen(L.LEFT_SHOULDER) and ctx.seen(L.RIGHT_SHOULDER):
        lengths.append(_shoulder_width(ctx))
    try:
        lengths.append(_neck_length(ctx))
    except Unmeasurable:
        if not lengths:
            raise
    return Measured(max(lengths) / _diagonal(ctx), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER))


#: The nose's offset from the ear midpoint, in half ear spans, is about this times tan(yaw).
#: Fitted on still fixtures whose world landmarks give the head's yaw (a goblet squat at 15
#: degrees, MediaPipe's test image at 25, lunges at 34, a squat at 48): 1.2 to 1.8, median 1.7.
HEAD_YAW_GAIN = 1.7


@metric(
    "head_yaw",
    "The head's turn from facing the camera, signed: positive with the nose toward the image's "
    "right. From the nose's offset from the ear midpoint, measured along the ear line (so a "
    "tilted head reads the same) over half the ear span; needs no world landmarks. Uses the "
    "predicted ear positions even when one is hidden (it is hidden because the head turned).",
)
def head_yaw(ctx: Context, limb: Limb) -> Measured:
    pose = ctx.pose
    nose = ctx.xy(L.NOSE)
    left, right = pose.xy(L.LEFT_EAR), pose.xy(L.RIGHT_EAR)
    axis = right - left
    span = float(np.hypot(axis[0], axis[1]))
    if span < 1.0:
        value = 90.0 if nose[0] >= left[0] else -90.0  # the ears on top of each other: a profile
    else:
        unit = axis / span
        if unit[0] < 0:
            unit = -unit  # measure along image +x whichever ear is on the left
        offset = float(np.dot(nose - (left + right) / 2, unit))
        value = math.degrees(math.atan2(offset / HEAD_YAW_GAIN, span / 2))
    return Measured(value, (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR))


@metric(
    "body_x",
    "Where the user sits across the image: the shoulder midpoint (else the eye midpoint) as a "
    "share of the image width, 0 at the left edge. A calibrated user stays near their place; a "
    "second person beside them does not.",
    unit="ratio",
)
def body_x(ctx: Context, limb: Limb) -> Measured:
    if ctx.seen(L.LEFT_SHOULDER) and ctx.seen(L.RIGHT_SHOULDER):
        x = float(geometry.midpoint(ctx.xy(L.LEFT_SHOULDER), ctx.xy(L.RIGHT_SHOULDER))[0])
        used: tuple[L, ...] = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    else:
        x, used = float(_eyes(ctx)[0]), (L.LEFT_EYE, L.RIGHT_EYE)
    return Measured(x / ctx.pose.image_size[0], used)


@metric(
    "shoulder_yaw",
    "World landmarks: the shoulder line's angle out of the image plane, signed: 0 facing the "
    "camera, positive when the person's left shoulder is nearer the camera, +-90 in profile. "
    "How the desk monitor tells a front, three-quarter and side view apart, and the camera "
    "angle a calibration records. Uses the predicted shoulders even when one is hidden.",
)
def shoulder_yaw(ctx: Context, limb: Limb) -> Measured:
    world = ctx.pose.world
    if world is None:
        raise Unmeasurable("This model gives no 3D landmarks, so the view cannot be measured.")
    # The predicted position of a hidden far shoulder still gives the line's direction: in
    # profile that shoulder is usually hidden, which is exactly the case to recognise.
    d = world[L.RIGHT_SHOULDER] - world[L.LEFT_SHOULDER]
    value = math.degrees(math.atan2(float(d[2]), math.hypot(float(d[0]), float(d[1]))))
    return Measured(value, (L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
