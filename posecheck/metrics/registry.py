"""The registry of named metrics: specs refer to measurements by these names.

A metric is a function of a `Context` (and, for limb metrics, a `Limb`) that returns a
`Measured` value, or raises `Unmeasurable` with guidance. `measure` turns either into a
`Measurement`, the value the rules see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from posecheck.geometry import DegenerateGeometryError
from posecheck.landmarks import Landmark
from posecheck.limits import Unit
from posecheck.metrics.context import Context, Limb, Unmeasurable


@dataclass(frozen=True)
class Measured:
    """What a metric function returns: the value and the landmarks it was measured on.

    `landmarks` lets the overlay colour the bones a check depends on; `vertex` is where the
    value is written on the frame (None: not drawn).
    """

    value: float
    landmarks: tuple[Landmark, ...] = ()
    vertex: Landmark | None = None


@dataclass(frozen=True)
class Measurement:
    """A metric's result for one frame: a value, or the reason there is none."""

    metric: str
    value: float | None
    reason: str = ""
    landmarks: tuple[Landmark, ...] = ()
    vertex: Landmark | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


MetricFn = Callable[[Context, Limb], Measured]


#: The values a metric can take, (lowest, highest), None for no bound: a spec limit outside
#: them can never be met, or is always met, so it is a mistake (min 250 on a 0-180 angle).
#: Checked against every metric on random poses by tests/test_metrics.py.
Bounds = tuple[float | None, float | None]

_JOINT = (0.0, 180.0)  # a three-point angle or an unsigned direction from vertical
_SIGNED = (-180.0, 180.0)  # a signed angle between two directions
_ELEVATION = (-90.0, 90.0)  # above (+) or below (-) the horizontal
_QUARTER = (0.0, 90.0)  # an unsigned angle from a plane or a line
_SHARE = (-1.0, 1.0)  # one side of a triangle over another, or over the path through it
_SIZE = (0.0, None)  # a distance over a length

VALUE_RANGES: dict[str, Bounds] = {
    **dict.fromkeys(
        (
            "knee_angle", "hip_angle", "elbow_angle", "shoulder_angle", "arm_line_angle",
            "trunk_lean", "upper_arm_incline", "arm_incline", "thigh_incline", "shin_incline",
            "trunk_rotation", "knee_drop", "leg_from_trunk_line", "drawn_hip_angle",
            "drawn_knee_angle", "figure_four_support_hip", "arm_out_3d", "knee_bend_3d",
        ),
        _JOINT,
    ),
    **dict.fromkeys(
        (
            "hip_flexion", "hip_extension", "arm_behind_trunk", "trunk_incline",
            "neck_incline", "head_pitch", "bridge_arch", "neck_forward", "trunk_forward",
            "head_lift", "side_trunk_incline",
        ),
        _SIGNED,
    ),
    **dict.fromkeys(
        (
            "thigh_elevation", "leg_raise", "hip_lift", "chest_lift", "shoulder_tilt",
            "head_tilt", "forearm_lift", "thigh_line_rotation", "highest_foot", "shoulder_yaw",
            "head_yaw",
        ),
        _ELEVATION,
    ),
    **dict.fromkeys(
        ("trunk_from_horizontal", "shoulder_line_tilt", "trunk_from_level_3d"),
        _QUARTER,
    ),
    # Measured on the floor side of the hip, so a hip pushed past the line reads above 180.
    "bridge_hip_angle": (0.0, 360.0),
    **dict.fromkeys(
        (
            "hip_below_knee", "hip_over_heel", "hip_ahead_of_knee", "heel_lift",
            "side_heel_lift", "squat_depth",
        ),
        _SHARE,
    ),
    **dict.fromkeys(
        (
            "hip_to_ankle", "knee_ankle_gap_ratio", "shoulder_ear_gap", "head_to_arm_line",
            "ankle_to_other_knee", "face_size", "body_scale", "figure_four_gap",
            "front_knee_track", "head_shoulder_size", "wrist_gap",
        ),
        _SIZE,
    ),
    # Signed, or a position that may fall outside the picture: any value.
    **dict.fromkeys(("face_up", "wrist_behind_back", "head_gap", "body_x"), (None, None)),
    "head_turn": (0.0, 10.0),  # capped at 10 in profile
}  # fmt: skip

#: Metrics not in VALUE_RANGES: any angle lies within a full turn; a ratio is unbounded.
_UNIT_BOUNDS: dict[Unit, Bounds] = {Unit.DEG: (-360.0, 360.0), Unit.RATIO: (None, None)}


@dataclass(frozen=True)
class Metric:
    """A named measurement. `limb` says whether it is taken on one side (then it takes a Limb);
    `bounds` are the values it can take (see `VALUE_RANGES`)."""

    name: str
    description: str
    unit: Unit
    limb: bool
    fn: MetricFn
    proxy: str = ""
    bounds: Bounds = (None, None)

    def describe_bounds(self) -> str:
        """The possible values as text: "0 to 180°", "0 or more"."""
        low, high = self.bounds
        if low is not None and high is not None:
            return f"{low:g} to {high:g}{self.unit.symbol}"
        if low is not None:
            return f"{low:g}{self.unit.symbol} or more"
        if high is not None:
            return f"{high:g}{self.unit.symbol} or less"
        return "any value"


METRICS: dict[str, Metric] = {}


def metric(
    name: str,
    description: str,
    *,
    unit: str = "deg",
    limb: bool = False,
    proxy: str = "",
    bounds: Bounds | None = None,
) -> Callable[[MetricFn], MetricFn]:
    """Register a metric function under `name` (used by the spec files). `bounds` defaults to
    its entry in `VALUE_RANGES`, else to what any value of its unit can be."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} is registered twice")
        kind = Unit(unit)
        valid = bounds or VALUE_RANGES.get(name, _UNIT_BOUNDS[kind])
        METRICS[name] = Metric(name, description, kind, limb, fn, proxy, valid)
        return fn

    return register


def get_metric(name: str) -> Metric:
    """The metric called `name`; the error lists every valid name."""
    try:
        return METRICS[name]
    except KeyError:
        valid = ", ".join(sorted(METRICS))
        raise KeyError(f"unknown metric {name!r}; valid metrics: {valid}") from None


def measure(ctx: Context, name: str, limb: Limb | None = None) -> Measurement:
    """Measure metric `name` on the frame in `ctx`; never raises for an unseen landmark."""
    spec = get_metric(name)
    try:
        result = spec.fn(ctx, limb if limb is not None else Limb.NEAR)
    except Unmeasurable as missing:
        return Measurement(name, None, missing.reason)
    except DegenerateGeometryError:
        return Measurement(name, None, "Two joints overlap in the image: turn side-on.")
    return Measurement(name, float(result.value), "", result.landmarks, result.vertex)
