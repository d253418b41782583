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


@dataclass(frozen=True)
class Metric:
    """A named measurement. `limb` says whether it is taken on one side (then it takes a Limb)."""

    name: str
    description: str
    unit: Unit
    limb: bool
    fn: MetricFn
    proxy: str = ""


METRICS: dict[str, Metric] = {}


def metric(
    name: str, description: str, *, unit: str = "deg", limb: bool = False, proxy: str = ""
) -> Callable[[MetricFn], MetricFn]:
    """Register a metric function under `name` (used by the spec files)."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} is registered twice")
        METRICS[name] = Metric(name, description, Unit(unit), limb, fn, proxy)
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
