"""Pure-numpy geometry on pose landmarks: joint angles, inclines, signed flexion, 3D line angles.

Every measurement in posecheck is built from these few functions, so their conventions live here.

Conventions
-----------
- Angles are in **degrees**, everywhere.
- Image coordinates: x points right and y points **down** (row order), so "up" in the image is
  the direction (0, -1). A third column, when present, is MediaPipe's depth and is ignored by
  the 2D functions (inclines, horizontal angles, signed angles), which use x and y only.
- Angles are only meaningful on **pixel-aspect** coordinates. MediaPipe's normalized landmarks
  divide x by the frame width and y by the frame height, so on a 16:9 frame a true 45 degree
  line would measure about 29 degrees. Convert with `to_pixels` before measuring anything.
- `facing` is +1 when the person faces image +x (their front is toward the right of the frame)
  and -1 when they face -x. It comes from `facing_from_points`, never from MediaPipe's
  left/right labels, which swap when a person turns.
- World landmarks (metres, hip-centred, y pointing down like the image) are the input of the
  `*_3d` / `rotation_about_vertical` functions; their vertical axis is y and their horizontal
  plane is x-z.

Degenerate input
----------------
A zero-length segment has no direction. The single-point functions raise
`DegenerateGeometryError` (a `ValueError`): the caller decides what "cannot measure" means for
its metric. `joint_angles`, the only vectorised angle function, returns NaN in those positions
instead, because one bad frame must not abort a whole timeline; callers mask with `np.isnan`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DegenerateGeometryError",
    "angle_from_horizontal",
    "distance",
    "elevation",
    "facing_from_points",
    "hip_flexion_signed",
    "incline_from_vertical",
    "joint_angle",
    "joint_angles",
    "line_tilt_from_horizontal_3d",
    "midpoint",
    "rotation_about_vertical",
    "signed_angle_from_horizontal",
    "signed_incline",
    "signed_segment_angle",
    "to_pixels",
]

FloatArray = NDArray[np.float64]

# Landmarks are pixels or metres: anything shorter than this is two coincident points, not a
# segment whose direction could be trusted.
_MIN_LENGTH = 1e-9

# Nose-to-ears offsets below this share of the caller's scale are within landmark jitter,
# e.g. a person facing the camera.
_FACING_MIN_FRACTION = 0.05


class DegenerateGeometryError(ValueError):
    """A segment needed for an angle has zero length, so the angle does not exist."""


# --- input handling ----------------------------------------------------------------------------


def _point(value: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape not in ((2,), (3,)):
        raise ValueError(
            f"{name} must be a single point of shape (2,) or (3,), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr


def _point_3d(value: ArrayLike, name: str) -> FloatArray:
    arr = _point(value, name)
    if arr.shape != (3,):
        raise ValueError(f"{name} must be a 3D world point of shape (3,), got shape {arr.shape}")
    return arr


def _same_dims(points: dict[str, FloatArray]) -> None:
    dims = {p.shape[-1] for p in points.values()}
    if len(dims) > 1:
        shapes = ", ".join(f"{k}={v.shape}" for k, v in points.items())
        raise ValueError(f"points must all be 2D or all be 3D, got {shapes}")


def _direction_2d(start: FloatArray, end: FloatArray, what: str) -> FloatArray:
    d = end[:2] - start[:2]
    if math.hypot(d[0], d[1]) <= _MIN_LENGTH:
        raise DegenerateGeometryError(
            f"{what}: the two points coincide in the image at {start[:2].tolist()}, "
            "so the segment has no direction"
        )
    return d


def _check_facing(facing: int) -> int:
    if facing not in (1, -1):
        raise ValueError(
            f"facing must be +1 (person faces image +x) or -1 (faces -x), got {facing!r}; "
            "0 from facing_from_points means the side is unknown and no signed angle applies"
        )
    return int(facing)


def _deg(radians: float) -> float:
    return math.degrees(radians)


# --- conversions and basic measures ------------------------------------------------------------


def to_pixels(normalized: ArrayLike, width: float, height: float) -> FloatArray:
    """Normalized landmark coordinates (..., 2 or 3) -> pixel-aspect coordinates.

    x is multiplied by `width` and y by `height`; a z column is multiplied by `width` because
    MediaPipe scales z roughly like x. Returns a new float64 array of the same shape.
    """
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise ValueError(
            f"width and height must be positive finite pixel sizes, got {width!r} x {height!r}"
        )
    arr = np.asarray(normalized, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] not in (2, 3):
        raise ValueError(
            "normalized must have shape (..., 2) or (..., 3) (x, y[, z]); "
            f"got shape {arr.shape} (slice off visibility/presence columns first)"
        )
    scale = np.array([width, height, width][: arr.shape[-1]], dtype=np.float64)
    return arr * scale


def midpoint(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """The point halfway between `a` and `b` (any matching or broadcastable shapes)."""
    return (np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)) / 2.0


def distance(a: ArrayLike, b: ArrayLike) -> float:
    """Euclidean distance between two single points (both 2D or both 3D)."""
    pa, pb = _point(a, "a"), _point(b, "b")
    _same_dims({"a": pa, "b": pb})
    return float(np.linalg.norm(pb - pa))


# --- three-point joint angles ------------------------------------------------------------------


def joint_angles(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """Angle at vertex `b` of a-b-c, 0..180, for stacks of points shaped (..., 2) or (..., 3).

    Inputs broadcast against each other. Positions where a or c coincides with b are NaN
    (see the module docstring); everything else is finite.
    """
    pa, pb, pc = (np.asarray(p, dtype=np.float64) for p in (a, b, c))
    pa, pb, pc = np.broadcast_arrays(pa, pb, pc)
    if pa.ndim == 0 or pa.shape[-1] not in (2, 3):
        raise ValueError(f"points must have shape (..., 2) or (..., 3), got {pa.shape}")
    u = pa - pb
    v = pc - pb
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.sum(u * v, axis=-1)
    # atan2 of |u x v| and u.v stays accurate near 0 and 180, where arccos of the cosine loses
    # half its digits: exactly where "knee straight" thresholds sit.
    angles = np.degrees(np.arctan2(cross, dot))
    degenerate = (np.linalg.norm(u, axis=-1) <= _MIN_LENGTH) | (
        np.linalg.norm(v, axis=-1) <= _MIN_LENGTH
    )
    result: FloatArray = np.where(degenerate, np.nan, angles).astype(np.float64)
    return result


def joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> float:
    """Angle at vertex `b` of a-b-c in degrees, 0 (folded) .. 180 (straight), in 2D or 3D.

    Single points only; raises `DegenerateGeometryError` when a or c coincides with b.
    Use `joint_angles` for stacks.
    """
    pa, pb, pc = _point(a, "a"), _point(b, "b"), _point(c, "c")
    _same_dims({"a": pa, "b": pb, "c": pc})
    angle = float(joint_angles(pa, pb, pc))
    if math.isnan(angle):
        which = "a" if np.linalg.norm(pa - pb) <= _MIN_LENGTH else "c"
        raise DegenerateGeometryError(
            f"joint_angle: {which} coincides with the vertex b at {pb.tolist()}, "
            "so the angle at b does not exist"
        )
    return angle


# --- 2D angles against the image axes ----------------------------------------------------------


def incline_from_vertical(lower: ArrayLike, upper: ArrayLike) -> float:
    """Unsigned angle between the segment lower->upper and image up (0, -1), in 0..180.

    0 = upright (upper point straight above), 90 = horizontal, 180 = upside down.
    Uses x and y only.
    """
    dx, dy = _direction_2d(_point(lower, "lower"), _point(upper, "upper"), "incline")
    # Image y points down, so "how far up" the segment goes is -dy.
    return _deg(math.atan2(abs(dx), -dy))


def signed_incline(lower: ArrayLike, upper: ArrayLike, facing: int) -> float:
    """Incline of lower->upper from image up, signed -180..180 by the person's facing direction.

    Positive when the upper point is ahead of the lower one (a trunk hip->shoulder leaning
    forward), negative when behind (leaning back). Its magnitude equals `incline_from_vertical`.
    """
    sign = _check_facing(facing)
    dx, dy = _direction_2d(_point(lower, "lower"), _point(upper, "upper"), "signed_incline")
    return _deg(math.atan2(sign * dx, -dy))


def angle_from_horizontal(a: ArrayLike, b: ArrayLike) -> float:
    """Acute angle between the segment a-b and the image horizontal, 0..90 (for lying poses).

    Direction-free: swapping a and b gives the same value. Uses x and y only.
    """
    dx, dy = _direction_2d(_point(a, "a"), _point(b, "b"), "angle_from_horizontal")
    return _deg(math.atan2(abs(dy), abs(dx)))


def elevation(low: ArrayLike, high: ArrayLike) -> float:
    """Angle of low->high above the image horizontal, -90..90, whichever way it points along
    x: positive when `high` is higher on screen (a raised leg, a lifted chest)."""
    dx, dy = _direction_2d(_point(low, "low"), _point(high, "high"), "elevation")
    return _deg(math.atan2(-dy, abs(dx)))


def signed_angle_from_horizontal(a: ArrayLike, b: ArrayLike) -> float:
    """Direction of a->b from image +x, -180..180, counter-clockwise as seen on screen.

    y is flipped so that "up on screen" is positive: a->b pointing up-right is +45,
    down-right is -45, straight left is 180.
    """
    dx, dy = _direction_2d(_point(a, "a"), _point(b, "b"), "signed_angle_from_horizontal")
    return _deg(math.atan2(-dy, dx))


def signed_segment_angle(
    base_a: ArrayLike, base_b: ArrayLike, seg_a: ArrayLike, seg_b: ArrayLike, facing: int
) -> float:
    """Signed rotation from direction base_a->base_b to direction seg_a->seg_b, -180..180.

    Positive is the flexion sense: the sense of rotation that swings a downward direction
    toward the person's front (counter-clockwise on screen for a person facing +x). So with the
    base pointing down the body, a segment swung forward of it is positive and one swung behind
    it is negative; the sign follows the body, not the image, and a mirrored image with the
    opposite `facing` gives the same value. Uses x and y only.
    """
    sign = _check_facing(facing)
    u = _direction_2d(_point(base_a, "base_a"), _point(base_b, "base_b"), "base segment")
    v = _direction_2d(_point(seg_a, "seg_a"), _point(seg_b, "seg_b"), "measured segment")
    # In y-down image coordinates a positive cross product is a clockwise turn on screen; the
    # flexion sense for a person facing +x is counter-clockwise, hence the minus.
    cross = u[0] * v[1] - u[1] * v[0]
    dot = u[0] * v[0] + u[1] * v[1]
    return _deg(math.atan2(-sign * cross, dot))


def hip_flexion_signed(shoulder: ArrayLike, hip: ArrayLike, knee: ArrayLike, facing: int) -> float:
    """Signed hip flexion from a side view, -180..180: the thigh against the trunk line.

    0 when hip->knee continues the shoulder->hip line; positive when the knee is in front of
    that line (flexion: sitting upright is about +90), negative when behind it (extension).
    Unlike the unsigned shoulder-hip-knee angle, which reads 149 for a thigh 31 degrees behind
    the trunk line and for one 31 degrees in front, this gives -31 and +31.
    """
    return signed_segment_angle(shoulder, hip, hip, knee, facing)


def facing_from_points(nose: ArrayLike, ears_mid: ArrayLike, scale: float) -> int:
    """Which way a side-on person faces: +1 toward image +x, -1 toward -x, 0 when unclear.

    The nose sits ahead of the ears, so the sign of nose_x - ears_x is the facing direction.
    `scale` is a body length in the same units (e.g. shoulder-to-hip distance in pixels);
    offsets under 5 % of it give 0, e.g. when the person faces the camera.
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite length, got {scale!r}")
    offset = float(_point(nose, "nose")[0] - _point(ears_mid, "ears_mid")[0])
    if abs(offset) < _FACING_MIN_FRACTION * scale:
        return 0
    return 1 if offset > 0 else -1


# --- 3D world-landmark angles ------------------------------------------------------------------


def _horizontal_projection(left: FloatArray, right: FloatArray, what: str) -> FloatArray:
    d = right - left
    proj = np.array([d[0], d[2]])
    if float(np.linalg.norm(proj)) <= _MIN_LENGTH:
        raise DegenerateGeometryError(
            f"{what}: the line is vertical or has zero length, so it has no horizontal direction"
        )
    return proj


def rotation_about_vertical(
    left_a: ArrayLike, right_a: ArrayLike, left_b: ArrayLike, right_b: ArrayLike
) -> float:
    """Angle 0..180 between two world-landmark lines seen from above, e.g. shoulders vs hips.

    Both lines are projected onto the horizontal x-z plane (y is vertical in MediaPipe's world
    frame) and the angle between the directed projections left->right is returned, so tilting
    a line up or down does not count as twist.
    """
    pa = _horizontal_projection(
        _point_3d(left_a, "left_a"), _point_3d(right_a, "right_a"), "line a"
    )
    pb = _horizontal_projection(
        _point_3d(left_b, "left_b"), _point_3d(right_b, "right_b"), "line b"
    )
    cross = pa[0] * pb[1] - pa[1] * pb[0]
    dot = pa[0] * pb[0] + pa[1] * pb[1]
    return _deg(math.atan2(abs(cross), dot))


def line_tilt_from_horizontal_3d(left: ArrayLike, right: ArrayLike) -> float:
    """How far a world-landmark line tilts out of the horizontal x-z plane, 0..90.

    0 = level (e.g. both shoulders flat on the floor seen from above), 90 = vertical.
    """
    pl, pr = _point_3d(left, "left"), _point_3d(right, "right")
    d = pr - pl
    length = float(np.linalg.norm(d))
    if length <= _MIN_LENGTH:
        raise DegenerateGeometryError(
            f"line_tilt_from_horizontal_3d: the points coincide at {pl.tolist()}"
        )
    return _deg(math.atan2(abs(d[1]), math.hypot(d[0], d[2])))
