"""Tests for posecheck.geometry: worked examples with known answers, then invariance properties.

Property tests also compare against an independent formula so a constant answer cannot pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.typing import NDArray

from posecheck.geometry import (
    DegenerateGeometryError,
    angle_from_horizontal,
    distance,
    elevation,
    facing_from_points,
    hip_flexion_signed,
    incline_from_vertical,
    joint_angle,
    joint_angles,
    line_tilt_from_horizontal_3d,
    midpoint,
    rotation_about_vertical,
    signed_angle_from_horizontal,
    signed_incline,
    signed_segment_angle,
    to_pixels,
)

Arr = NDArray[np.float64]

# Angles go through atan2 of well-conditioned inputs; 1e-6 degrees is far below anything a
# threshold could notice and far above float64 round-off at these scales.
TOL = 1e-6

# --- strategies --------------------------------------------------------------------------------

# Pixel-like coordinates; segments shorter than MIN_SEG (0.1 % of the coordinate range) are
# filtered out because their direction is dominated by round-off, which is not what is tested.
coord = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False, allow_infinity=False)
MIN_SEG = 0.2
point2 = st.tuples(coord, coord).map(lambda p: np.array(p, dtype=np.float64))
point3 = st.tuples(coord, coord, coord).map(lambda p: np.array(p, dtype=np.float64))
angle_deg = st.floats(min_value=-360.0, max_value=360.0, allow_nan=False)
scale_factor = st.floats(min_value=0.01, max_value=100.0)
shift2 = st.tuples(st.floats(-1000.0, 1000.0), st.floats(-1000.0, 1000.0)).map(
    lambda p: np.array(p, dtype=np.float64)
)
facing_st = st.sampled_from([1, -1])


def _long(a: Arr, b: Arr) -> bool:
    return bool(np.linalg.norm(a - b) > MIN_SEG)


def _rot2(points: Arr, degrees: float) -> Arr:
    t = math.radians(degrees)
    r = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    out: Arr = points @ r.T
    return out


def _rot_about_y(points: Arr, degrees: float) -> Arr:
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    r = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    out: Arr = points @ r.T
    return out


def _flex(pts: Arr, facing: int) -> float:
    """hip_flexion_signed on a (3, 2) stack of shoulder, hip, knee."""
    return hip_flexion_signed(pts[0], pts[1], pts[2], facing)


def _twist(a: Arr, b: Arr) -> float:
    """rotation_about_vertical on two (2, 3) stacks of left, right."""
    return rotation_about_vertical(a[0], a[1], b[0], b[1])


def _mirror_x(p: Arr) -> Arr:
    q = p.copy()
    q[..., 0] = -q[..., 0]
    return q


def _angle_diff(a: float, b: float) -> float:
    """Smallest difference between two angles, so that +180 and -180 count as equal."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _reference_angle(a: Arr, b: Arr, c: Arr) -> float:
    # arccos loses precision near 0 and 180, hence the looser tolerance where it is used.
    u, v = a - b, c - b
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _polar(length: float, degrees_from_down: float, facing: int) -> Arr:
    """A vector of `length` swung `degrees_from_down` from image-down toward the person's front."""
    t = math.radians(degrees_from_down)
    return np.array([facing * length * math.sin(t), length * math.cos(t)])


# --- to_pixels, midpoint, distance -------------------------------------------------------------


def test_to_pixels_scales_x_by_width_y_by_height_z_by_width() -> None:
    out = to_pixels([[0.5, 0.25, -0.1], [1.0, 1.0, 0.2]], 640, 480)
    np.testing.assert_allclose(out, [[320.0, 120.0, -64.0], [640.0, 480.0, 128.0]])


def test_to_pixels_keeps_shape_of_2d_stacks() -> None:
    pts = np.random.default_rng(0).random((4, 33, 2))
    out = to_pixels(pts, 1280, 720)
    assert out.shape == pts.shape
    np.testing.assert_allclose(out[..., 0], pts[..., 0] * 1280)
    np.testing.assert_allclose(out[..., 1], pts[..., 1] * 720)


def test_aspect_conversion_is_needed_before_angles() -> None:
    # A 45 degree diagonal in a 1280x720 frame: equal pixel steps right and up.
    width, height = 1280, 720
    lower_px, upper_px = np.array([100.0, 300.0]), np.array([300.0, 100.0])
    lower_n = lower_px / [width, height]
    upper_n = upper_px / [width, height]
    # Measured on normalized coordinates the line looks much steeper than it is ...
    assert incline_from_vertical(lower_n, upper_n) == pytest.approx(
        math.degrees(math.atan(200 / 1280 / (200 / 720)))
    )
    assert abs(incline_from_vertical(lower_n, upper_n) - 45.0) > 15.0
    # ... and only after to_pixels is it the true 45.
    assert incline_from_vertical(
        to_pixels(lower_n, width, height), to_pixels(upper_n, width, height)
    ) == pytest.approx(45.0)


@pytest.mark.parametrize(
    ("width", "height"), [(0, 480), (640, 0), (-640, 480), (math.nan, 480), (640, math.inf)]
)
def test_to_pixels_rejects_bad_frame_sizes(width: float, height: float) -> None:
    with pytest.raises(ValueError, match="width and height must be positive"):
        to_pixels([0.5, 0.5], width, height)


@pytest.mark.parametrize("shape", [(33, 4), (33, 5), (1,), ()])
def test_to_pixels_rejects_wrong_column_count(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\) or \(\.\.\., 3\)"):
        to_pixels(np.zeros(shape), 640, 480)


def test_midpoint_and_distance() -> None:
    np.testing.assert_allclose(midpoint([0.0, 2.0], [4.0, 6.0]), [2.0, 4.0])
    np.testing.assert_allclose(midpoint([[0, 0], [2, 2]], [[2, 0], [4, 4]]), [[1, 0], [3, 3]])
    assert distance([0.0, 0.0], [3.0, 4.0]) == pytest.approx(5.0)
    assert distance([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]) == pytest.approx(2.0)


def test_distance_rejects_mixed_dimensions_and_stacks() -> None:
    with pytest.raises(ValueError, match="all be 2D or all be 3D"):
        distance([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="single point"):
        distance([[0.0, 0.0]], [[1.0, 1.0]])


def test_non_finite_points_are_rejected() -> None:
    with pytest.raises(ValueError, match="must be finite"):
        joint_angle([math.nan, 0.0], [0.0, 0.0], [1.0, 1.0])


# --- joint_angle -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ((1, 0), (0, 0), (0, 1), 90.0),
        ((-1, 0), (0, 0), (1, 0), 180.0),
        ((1, 0), (0, 0), (2, 0), 0.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((1, 0), (0, 0), (-1, math.sqrt(3)), 120.0),
        ((10, 10), (5, 5), (5, 20), 45.0),
        ((1, 0, 0), (0, 0, 0), (0, 0, 1), 90.0),
        ((1, 1, 0), (0, 0, 0), (0, 0, 5), 90.0),
        ((1, 0, 1), (0, 0, 0), (1, 0, 0), 45.0),
    ],
)
def test_joint_angle_known_values(
    a: tuple[float, ...], b: tuple[float, ...], c: tuple[float, ...], expected: float
) -> None:
    assert joint_angle(a, b, c) == pytest.approx(expected, abs=TOL)


def test_joint_angle_uses_depth_when_given_3d_points() -> None:
    # Straight in the image plane but bent 90 degrees toward the camera.
    assert joint_angle((0, -1, 0), (0, 0, 0), (0, 1, 0)) == pytest.approx(180.0)
    assert joint_angle((0, -1, 0), (0, 0, 0), (0, 0, 1)) == pytest.approx(90.0)


def test_joint_angle_raises_on_zero_length_segment() -> None:
    with pytest.raises(DegenerateGeometryError, match="a coincides with the vertex"):
        joint_angle((1, 1), (1, 1), (2, 3))
    with pytest.raises(DegenerateGeometryError, match="c coincides with the vertex"):
        joint_angle((0, 1), (1, 1), (1, 1))
    # Callers catching ValueError for bad input also catch this.
    assert issubclass(DegenerateGeometryError, ValueError)


def test_joint_angle_rejects_stacks_and_mixed_dimensions() -> None:
    with pytest.raises(ValueError, match="single point"):
        joint_angle([[1, 0]], [[0, 0]], [[0, 1]])
    with pytest.raises(ValueError, match="all be 2D or all be 3D"):
        joint_angle((1, 0), (0, 0, 0), (0, 1))


def test_joint_angles_vectorised_with_nan_for_degenerate_rows() -> None:
    a = np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]])
    b = np.zeros((3, 2))
    c = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    out = joint_angles(a, b, c)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(90.0)
    assert math.isnan(out[1])
    assert out[2] == pytest.approx(180.0)


def test_joint_angles_broadcasts_over_frames() -> None:
    # One vertex and one end fixed, the other end swept through a full turn over 8 frames.
    t = np.radians(np.arange(8) * 45.0)
    c = np.stack([np.cos(t), np.sin(t)], axis=-1)
    out = joint_angles(np.array([1.0, 0.0]), np.array([0.0, 0.0]), c)
    np.testing.assert_allclose(out, [0, 45, 90, 135, 180, 135, 90, 45], atol=TOL)


@st.composite
def triangles(draw: st.DrawFn, point: st.SearchStrategy[Arr] = point2) -> tuple[Arr, Arr, Arr]:
    a, b, c = draw(point), draw(point), draw(point)
    assume(_long(a, b) and _long(c, b))
    return a, b, c


@given(triangles())
def test_joint_angle_in_range_and_matches_arccos(tri: tuple[Arr, Arr, Arr]) -> None:
    a, b, c = tri
    angle = joint_angle(a, b, c)
    assert 0.0 <= angle <= 180.0
    assert angle == pytest.approx(_reference_angle(a, b, c), abs=1e-4)


@given(triangles(point3))
def test_joint_angle_3d_matches_arccos(tri: tuple[Arr, Arr, Arr]) -> None:
    a, b, c = tri
    assert joint_angle(a, b, c) == pytest.approx(_reference_angle(a, b, c), abs=1e-4)


@given(triangles())
def test_joint_angle_symmetric_in_a_and_c(tri: tuple[Arr, Arr, Arr]) -> None:
    a, b, c = tri
    assert joint_angle(a, b, c) == pytest.approx(joint_angle(c, b, a), abs=TOL)


@given(triangles(), shift2, scale_factor, angle_deg)
def test_joint_angle_invariant_under_similarity_transforms(
    tri: tuple[Arr, Arr, Arr], shift: Arr, k: float, rot: float
) -> None:
    pts = np.stack(tri)
    expected = joint_angle(*pts)
    moved = _rot2(pts * k, rot) + shift
    assert joint_angle(*moved) == pytest.approx(expected, abs=TOL)
    assert joint_angle(*_mirror_x(pts)) == pytest.approx(expected, abs=TOL)


@given(st.lists(triangles(), min_size=1, max_size=6))
def test_joint_angles_agrees_with_joint_angle(tris: list[tuple[Arr, Arr, Arr]]) -> None:
    a, b, c = (np.stack(col) for col in zip(*tris, strict=True))
    expected = [joint_angle(*t) for t in tris]
    np.testing.assert_allclose(joint_angles(a, b, c), expected, atol=TOL)


# --- inclines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        ((0, 0), (0, -5), 0.0),  # straight up (image y points down)
        ((0, 0), (5, 0), 90.0),
        ((0, 0), (-5, 0), 90.0),
        ((0, 0), (0, 5), 180.0),
        ((0, 0), (3, -3), 45.0),
        ((10, 10), (10 - math.sqrt(3), 9), 60.0),
        ((0, 0, 0), (1, -1, 99), 45.0),  # depth ignored
    ],
)
def test_incline_known_values(
    lower: tuple[float, ...], upper: tuple[float, ...], expected: float
) -> None:
    assert incline_from_vertical(lower, upper) == pytest.approx(expected, abs=TOL)


def test_signed_incline_positive_when_leaning_toward_facing() -> None:
    hip, shoulder_ahead_right = (0, 0), (1, -math.sqrt(3))  # 30 degrees toward +x
    assert signed_incline(hip, shoulder_ahead_right, facing=1) == pytest.approx(30.0)
    assert signed_incline(hip, shoulder_ahead_right, facing=-1) == pytest.approx(-30.0)
    assert signed_incline((0, 0), (-1, -1), facing=-1) == pytest.approx(45.0)
    assert signed_incline((0, 0), (1, 1), facing=1) == pytest.approx(135.0)
    assert signed_incline((0, 0), (-1, 1), facing=1) == pytest.approx(-135.0)


@pytest.mark.parametrize("facing", [0, 2, -2])
def test_signed_functions_reject_unknown_facing(facing: int) -> None:
    with pytest.raises(ValueError, match=r"facing must be \+1"):
        signed_incline((0, 0), (0, -1), facing)
    with pytest.raises(ValueError, match=r"facing must be \+1"):
        hip_flexion_signed((0, -1), (0, 0), (0, 1), facing)


def test_inclines_raise_on_zero_length_segment() -> None:
    with pytest.raises(DegenerateGeometryError):
        incline_from_vertical((3, 4), (3, 4))
    with pytest.raises(DegenerateGeometryError):
        # Same image position, different depth: no direction in the image.
        signed_incline((3, 4, 0), (3, 4, 1), 1)
    with pytest.raises(DegenerateGeometryError):
        angle_from_horizontal((1, 1), (1, 1))


@st.composite
def segments(draw: st.DrawFn) -> tuple[Arr, Arr]:
    lower, upper = draw(point2), draw(point2)
    assume(_long(lower, upper))
    return lower, upper


@given(segments(), shift2, scale_factor)
def test_incline_in_range_invariant_and_matches_angle_to_up(
    seg: tuple[Arr, Arr], shift: Arr, k: float
) -> None:
    lower, upper = seg
    incline = incline_from_vertical(lower, upper)
    assert 0.0 <= incline <= 180.0
    # Independent route: the joint angle between the segment and a point straight above lower.
    above = lower + np.array([0.0, -1.0])
    assert incline == pytest.approx(joint_angle(upper, lower, above), abs=TOL)
    assert incline_from_vertical(lower * k + shift, upper * k + shift) == pytest.approx(
        incline, abs=TOL
    )


@given(segments(), facing_st)
def test_signed_incline_magnitude_sign_and_mirror(seg: tuple[Arr, Arr], facing: int) -> None:
    lower, upper = seg
    signed = signed_incline(lower, upper, facing)
    assert -180.0 <= signed <= 180.0
    assert abs(signed) == pytest.approx(incline_from_vertical(lower, upper), abs=TOL)
    ahead = facing * (upper[0] - lower[0])
    if abs(ahead) > 1e-9 and abs(signed) < 179.0:
        assert math.copysign(1.0, signed) == math.copysign(1.0, ahead)
    # Mirroring the picture alone swaps ahead and behind ...
    mirrored = signed_incline(_mirror_x(lower), _mirror_x(upper), facing)
    assert _angle_diff(mirrored, -signed) < TOL
    # ... and mirroring it together with the person's facing is the same body: same lean.
    both = signed_incline(_mirror_x(lower), _mirror_x(upper), -facing)
    assert _angle_diff(both, signed) < TOL


# --- horizontal angles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "unsigned", "signed"),
    [
        ((0, 0), (5, 0), 0.0, 0.0),
        ((0, 0), (-5, 0), 0.0, 180.0),
        ((0, 0), (1, -1), 45.0, 45.0),  # up-right on screen
        ((0, 0), (1, 1), 45.0, -45.0),  # down-right on screen
        ((0, 0), (0, -2), 90.0, 90.0),
        ((0, 0), (-math.sqrt(3), 1), 30.0, -150.0),
    ],
)
def test_angle_from_horizontal_known_values(
    a: tuple[float, float], b: tuple[float, float], unsigned: float, signed: float
) -> None:
    assert angle_from_horizontal(a, b) == pytest.approx(unsigned, abs=TOL)
    assert angle_from_horizontal(b, a) == pytest.approx(unsigned, abs=TOL)
    assert _angle_diff(signed_angle_from_horizontal(a, b), signed) < TOL


@given(segments(), shift2, scale_factor)
def test_horizontal_angles_consistent(seg: tuple[Arr, Arr], shift: Arr, k: float) -> None:
    a, b = seg
    unsigned = angle_from_horizontal(a, b)
    signed = signed_angle_from_horizontal(a, b)
    assert 0.0 <= unsigned <= 90.0
    assert -180.0 <= signed <= 180.0
    # The acute angle is the signed direction folded into the first quadrant.
    assert unsigned == pytest.approx(min(abs(signed), 180.0 - abs(signed)), abs=TOL)
    # Horizontal and vertical references are complementary for the acute angle.
    incline = incline_from_vertical(a, b)
    assert unsigned == pytest.approx(90.0 - min(incline, 180.0 - incline), abs=TOL)
    assert _angle_diff(signed_angle_from_horizontal(a * k + shift, b * k + shift), signed) < TOL
    assert _angle_diff(signed_angle_from_horizontal(b, a), signed + 180.0) < TOL


# --- signed segment angles and hip flexion -----------------------------------------------------


@pytest.mark.parametrize("facing", [1, -1])
def test_hip_extension_example_from_product_doc(facing: int) -> None:
    # Upright trunk; back thigh 31 degrees behind the trunk line (kneeling hip flexor photo).
    hip = np.array([400.0, 300.0])
    shoulder = hip + np.array([0.0, -250.0])
    back_knee = hip + _polar(200.0, -31.0, facing)
    front_knee = hip + _polar(200.0, 31.0, facing)
    # The unsigned angle cannot tell them apart ...
    assert joint_angle(shoulder, hip, back_knee) == pytest.approx(149.0)
    assert joint_angle(shoulder, hip, front_knee) == pytest.approx(149.0)
    # ... the signed one can.
    assert hip_flexion_signed(shoulder, hip, back_knee, facing) == pytest.approx(-31.0)
    assert hip_flexion_signed(shoulder, hip, front_knee, facing) == pytest.approx(31.0)


@pytest.mark.parametrize("facing", [1, -1])
def test_hip_flexion_known_postures(facing: int) -> None:
    hip = np.array([0.0, 0.0])
    shoulder = np.array([0.0, -50.0])
    standing_knee = np.array([0.0, 45.0])
    sitting_knee = np.array([facing * 45.0, 0.0])
    assert hip_flexion_signed(shoulder, hip, standing_knee, facing) == pytest.approx(0.0)
    assert hip_flexion_signed(shoulder, hip, sitting_knee, facing) == pytest.approx(90.0)
    # Chair stretch: trunk horizontal with the shoulders ahead, legs vertical: still 90.
    ahead_shoulder = np.array([facing * 50.0, 0.0])
    assert hip_flexion_signed(ahead_shoulder, hip, standing_knee, facing) == pytest.approx(90.0)
    # Knee to chest lying on the back, head toward the person's "front" side of the frame...
    # rotate the whole sitting body 90 degrees: flexion is a body angle, not an image angle.
    lying = _rot2(np.stack([shoulder, hip, sitting_knee]), 90.0)
    assert _flex(lying, facing) == pytest.approx(90.0)


def test_signed_segment_angle_with_upper_arm_behind_the_trunk() -> None:
    # Chest opener facing +x: base is the downward trunk line, the upper arm swings back.
    shoulder, hip = np.array([0.0, 0.0]), np.array([0.0, 100.0])
    elbow_behind = shoulder + _polar(60.0, -30.0, 1)
    assert signed_segment_angle(shoulder, hip, shoulder, elbow_behind, 1) == pytest.approx(-30.0)
    elbow_forward = shoulder + _polar(60.0, 100.0, 1)
    assert signed_segment_angle(shoulder, hip, shoulder, elbow_forward, 1) == pytest.approx(100.0)


def test_signed_segment_angle_raises_on_degenerate_segments() -> None:
    with pytest.raises(DegenerateGeometryError, match="base segment"):
        signed_segment_angle((0, 0), (0, 0), (0, 0), (1, 1), 1)
    with pytest.raises(DegenerateGeometryError, match="measured segment"):
        signed_segment_angle((0, 0), (0, 1), (2, 2), (2, 2), 1)


@st.composite
def legs(draw: st.DrawFn) -> tuple[Arr, Arr, Arr]:
    shoulder, hip, knee = draw(point2), draw(point2), draw(point2)
    assume(_long(shoulder, hip) and _long(knee, hip))
    return shoulder, hip, knee


@given(legs(), facing_st)
def test_hip_flexion_magnitude_is_supplement_of_joint_angle(
    leg: tuple[Arr, Arr, Arr], facing: int
) -> None:
    flexion = hip_flexion_signed(*leg, facing)
    assert -180.0 <= flexion <= 180.0
    assert abs(flexion) == pytest.approx(180.0 - joint_angle(*leg), abs=TOL)


@given(legs(), facing_st)
def test_hip_flexion_sign_follows_the_body_not_the_image(
    leg: tuple[Arr, Arr, Arr], facing: int
) -> None:
    pts = np.stack(leg)
    flexion = _flex(pts, facing)
    # Mirrored picture, same facing label: the knee is now on the other side of the trunk line.
    assert _angle_diff(_flex(_mirror_x(pts), facing), -flexion) < TOL
    # Flipping only the facing label has the same effect.
    assert _angle_diff(_flex(pts, -facing), -flexion) < TOL
    # Mirrored picture of a person who really turned round: the same body, the same flexion.
    assert _angle_diff(_flex(_mirror_x(pts), -facing), flexion) < TOL


@given(legs(), facing_st, shift2, scale_factor, angle_deg)
def test_hip_flexion_invariant_under_rigid_motion_and_scale(
    leg: tuple[Arr, Arr, Arr], facing: int, shift: Arr, k: float, rot: float
) -> None:
    pts = np.stack(leg)
    moved = _rot2(pts * k, rot) + shift
    assert _angle_diff(_flex(moved, facing), _flex(pts, facing)) < TOL


@given(st.floats(-179.0, 179.0), st.floats(-179.0, 179.0), facing_st)
def test_signed_segment_angle_recovers_constructed_rotation(
    base_dir: float, turn: float, facing: int
) -> None:
    # Build a base direction and a segment turned `turn` degrees from it in the flexion sense.
    base = _polar(1.0, base_dir, facing)
    seg = _polar(3.0, base_dir + turn, facing)
    origin = np.array([5.0, -7.0])
    assert signed_segment_angle(origin, origin + base, origin, origin + seg, facing) == (
        pytest.approx(turn, abs=TOL)
    )


# --- facing ------------------------------------------------------------------------------------


def test_facing_from_points() -> None:
    assert facing_from_points((420, 200), (380, 205), scale=200) == 1
    assert facing_from_points((340, 200), (380, 205), scale=200) == -1
    # Facing the camera: the nose is between the ears.
    assert facing_from_points((381, 210), (380, 205), scale=200) == 0
    # The threshold is 5 % of the scale.
    assert facing_from_points((391, 0), (380, 0), scale=200) == 1
    assert facing_from_points((389, 0), (380, 0), scale=200) == 0
    assert facing_from_points((0.52, 0.3, -0.1), (0.5, 0.3, 0.0), scale=0.2) == 1


@pytest.mark.parametrize("scale", [0.0, -1.0, math.nan])
def test_facing_rejects_bad_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="scale must be a positive"):
        facing_from_points((1, 0), (0, 0), scale)


# --- 3D world-landmark lines -------------------------------------------------------------------


def test_rotation_about_vertical_known_values() -> None:
    hips_l, hips_r = np.array([-0.15, 0.0, 0.0]), np.array([0.15, 0.0, 0.0])
    # Shoulders turned 30 degrees about the vertical and lifted: the lift is not twist.
    t = math.radians(30.0)
    sh_l = np.array([-0.2 * math.cos(t), -0.5, 0.2 * math.sin(t)])
    sh_r = np.array([0.2 * math.cos(t), -0.45, -0.2 * math.sin(t)])
    assert rotation_about_vertical(sh_l, sh_r, hips_l, hips_r) == pytest.approx(30.0)
    assert rotation_about_vertical(hips_l, hips_r, hips_l, hips_r) == pytest.approx(0.0)
    assert rotation_about_vertical(hips_r, hips_l, hips_l, hips_r) == pytest.approx(180.0)


def test_rotation_about_vertical_rejects_2d_and_vertical_lines() -> None:
    with pytest.raises(ValueError, match="3D world point"):
        rotation_about_vertical((0, 0), (1, 0), (0, 0, 0), (1, 0, 0))
    with pytest.raises(DegenerateGeometryError, match="vertical"):
        rotation_about_vertical((0, 0, 0), (0, 1, 0), (0, 0, 0), (1, 0, 0))


@st.composite
def world_lines(draw: st.DrawFn) -> tuple[Arr, Arr]:
    left, right = draw(point3), draw(point3)
    assume(math.hypot(*(right - left)[[0, 2]]) > MIN_SEG)
    return left, right


@given(world_lines(), world_lines(), angle_deg, st.floats(-50.0, 50.0))
def test_rotation_about_vertical_invariant_to_common_turn(
    a: tuple[Arr, Arr], b: tuple[Arr, Arr], turn: float, lift: float
) -> None:
    expected = _twist(np.stack(a), np.stack(b))
    assert 0.0 <= expected <= 180.0
    pa, pb = (np.stack(line)[:, [0, 2]] for line in (a, b))
    da, db = pa[1] - pa[0], pb[1] - pb[0]
    reference = math.degrees(
        math.acos(np.clip(np.dot(da, db) / np.linalg.norm(da) / np.linalg.norm(db), -1, 1))
    )
    assert expected == pytest.approx(reference, abs=1e-4)
    ra, rb = (_rot_about_y(np.stack(line), turn) for line in (a, b))
    assert _twist(ra, rb) == pytest.approx(expected, abs=TOL)
    # Raising one point of a line changes its tilt, not its direction seen from above.
    raised = np.stack(a).copy()
    raised[1, 1] += lift
    assert _twist(raised, np.stack(b)) == pytest.approx(expected, abs=TOL)


@given(world_lines(), st.floats(-179.0, 179.0))
def test_rotation_about_vertical_measures_a_constructed_turn(
    line: tuple[Arr, Arr], turn: float
) -> None:
    turned = _rot_about_y(np.stack(line), turn)
    assert _twist(turned, np.stack(line)) == pytest.approx(abs(turn), abs=TOL)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ((0, 0, 0), (1, 0, 0), 0.0),
        ((0, 0, 0), (1, 0, 1), 0.0),
        ((0, 0, 0), (1, -1, 0), 45.0),
        ((0, 0, 0), (0, 1, 1), 45.0),
        ((0, 0, 0), (0, 2, 0), 90.0),
        ((0, 0, 0), (1, math.sqrt(3), 0), 60.0),
    ],
)
def test_line_tilt_known_values(
    left: tuple[float, ...], right: tuple[float, ...], expected: float
) -> None:
    assert line_tilt_from_horizontal_3d(left, right) == pytest.approx(expected, abs=TOL)
    assert line_tilt_from_horizontal_3d(right, left) == pytest.approx(expected, abs=TOL)


def test_line_tilt_rejects_coincident_points() -> None:
    with pytest.raises(DegenerateGeometryError):
        line_tilt_from_horizontal_3d((1, 2, 3), (1, 2, 3))


@st.composite
def any_world_lines(draw: st.DrawFn) -> tuple[Arr, Arr]:
    left, right = draw(point3), draw(point3)
    assume(_long(left, right))
    return left, right


@given(any_world_lines(), angle_deg)
def test_line_tilt_range_and_invariance_to_turning(line: tuple[Arr, Arr], turn: float) -> None:
    left, right = line
    tilt = line_tilt_from_horizontal_3d(left, right)
    assert 0.0 <= tilt <= 90.0
    d = right - left
    assert tilt == pytest.approx(
        math.degrees(math.asin(min(1.0, abs(d[1]) / np.linalg.norm(d)))), abs=1e-4
    )
    turned = _rot_about_y(np.stack(line), turn)
    assert line_tilt_from_horizontal_3d(*turned) == pytest.approx(tilt, abs=TOL)


def test_elevation_is_the_angle_above_the_horizontal_whichever_way_it_points() -> None:
    assert elevation((0, 0), (10, -10)) == pytest.approx(45.0)
    assert elevation((0, 0), (-10, -10)) == pytest.approx(45.0)  # mirrored: same
    assert elevation((0, 0), (10, 10)) == pytest.approx(-45.0)  # below: negative
    assert elevation((5, 5), (5, -20)) == pytest.approx(90.0)
    with pytest.raises(DegenerateGeometryError):
        elevation((1, 1), (1, 1))
