"""The user's upright posture for one camera position (`Baseline`), recorded from a few
seconds of sitting upright (`calibrate`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from posecheck.desk.view import detect_view
from posecheck.errors import PosecheckError
from posecheck.limits import Margins
from posecheck.metrics import Context, get_metric, measure
from posecheck.pose import Pose
from posecheck.specs.desk import (
    POSTURE_VIEWS,
    PostureSpec,
    posture_spec,
)

BASELINE_FORMAT = "posecheck-posture-baseline"
BASELINE_VERSION = 1


class CalibrationError(PosecheckError, ValueError):
    """A calibration that cannot be trusted; the message says what to do differently."""


# --- baseline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The user's upright posture for one camera position.

    metrics: the median of each posture metric over the calibration frames.
    spread: each metric's median absolute deviation (how still the user sat).
    scale: the median `body_scale`, to recognise a smaller bystander; None if not measured.
    """

    view: str
    metrics: dict[str, float]
    spread: dict[str, float]
    scale: float | None
    frames: int
    created: str = ""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "view": self.view,
            "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
            "spread": {k: round(v, 6) for k, v in self.spread.items()},
            "scale": None if self.scale is None else round(self.scale, 6),
            "frames": self.frames,
            "created": self.created,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Any) -> Baseline:
        """Inverse of `to_json`; a `ValueError` says what is wrong with the data."""
        if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
            raise ValueError("it is not a posecheck posture baseline")
        if data.get("version") != BASELINE_VERSION:
            raise ValueError(f"baseline version {data.get('version')!r} is not supported")
        view = data.get("view")
        if view not in POSTURE_VIEWS:
            raise ValueError(f"its view {view!r} is not one of {', '.join(POSTURE_VIEWS)}")

        def numbers(key: str) -> dict[str, float]:
            table = data.get(key)
            if not isinstance(table, dict):
                raise ValueError(f"{key!r} must be a table of numbers")
            out = {}
            for name, value in table.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{key}.{name} must be a number, got {value!r}")
                if not math.isfinite(value):
                    raise ValueError(f"{key}.{name} must be finite")
                get_metric(name)  # an unknown metric name is a KeyError listing valid ones
                out[name] = float(value)
            return out

        try:
            metrics, spread = numbers("metrics"), numbers("spread")
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        scale = data.get("scale")
        if scale is not None and (
            isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0
        ):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        frames = data.get("frames")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be a whole number, 1 or more, got {frames!r}")
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings must be a list of sentences")
        return cls(
            view,
            metrics,
            spread,
            None if scale is None else float(scale),
            frames,
            str(data.get("created", "")),
            tuple(warnings),
        )


# --- calibration ---------------------------------------------------------------------------


def _describe(metric: str) -> str:
    return metric.replace("_", " ")


def calibrate(
    poses: Sequence[Pose | None],
    *,
    view: str | None = None,
    spec: PostureSpec | None = None,
    min_frames: int = 1,
) -> Baseline:
    """The user's upright baseline from a few seconds of frames (or a single photo).

    Robust statistics: the median of each metric over the frames, refused with a
    `CalibrationError` when too few frames show a person or the person moved (a median
    absolute deviation above the spec's limits).
    """
    if view is not None and view not in POSTURE_VIEWS:
        raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
    spec = spec or posture_spec()
    cal = spec.calibration
    total = len(poses)
    if total == 0:
        raise CalibrationError("No frames to calibrate from: sit upright in view and try again.")
    present = [p for p in poses if p is not None]
    needed = max(min_frames, math.ceil(cal.min_present_fraction * total))
    if len(present) < needed:
        raise CalibrationError(
            f"Only {len(present)} of {total} frames showed a person: sit upright where the "
            "camera sees your head and shoulders, and calibrate again."
        )
    views = [view or detect_view(p, spec) for p in present]
    counts = Counter(v for v in views if v is not None)
    if not counts:
        raise CalibrationError(
            "The camera could not place your shoulders: sit facing it or side-on, head and "
            "shoulders in view, and calibrate again."
        )
    chosen = counts.most_common(1)[0][0]
    frames = [p for p, v in zip(present, views, strict=True) if v == chosen]
    if len(frames) < needed:
        raise CalibrationError(
            "You turned between side-on and facing the camera while calibrating: keep still "
            "in one position and calibrate again."
        )
    contexts = [Context(p) for p in frames]
    medians: dict[str, float] = {}
    spreads: dict[str, float] = {}
    reasons: list[str] = []
    for name in (*spec.metrics_for(chosen), "body_scale"):
        results = [measure(ctx, name) for ctx in contexts]
        values = np.array([m.value for m in results if m.value is not None], dtype=np.float64)
        if len(values) < max(1, math.ceil(0.5 * len(frames))):
            reasons += [m.reason for m in results if m.reason]
            continue
        median = float(np.median(values))
        spread = float(np.median(np.abs(values - median)))
        unit = get_metric(name).unit
        limit = Margins(cal.max_spread_deg, cal.max_spread_ratio).of(unit, median)
        if spread > limit:
            amount = unit.format_change(spread, median)
            raise CalibrationError(
                f"You moved too much while calibrating ({_describe(name)} varied by {amount}): "
                f"sit still and upright for {cal.seconds:g} seconds and calibrate again."
            )
        medians[name], spreads[name] = median, spread
    scale = medians.pop("body_scale", None)
    spreads.pop("body_scale", None)
    usable = [r for r in spec.rules_for(chosen) if r.relative and r.metric in medians]
    if not usable:
        hint = reasons[0] if reasons else "Sit where the camera sees your head and shoulders."
        raise CalibrationError(f"Could not measure your posture to calibrate: {hint}")
    warnings = []
    for rule in spec.rules_for(chosen):
        value = medians.get(rule.metric)
        if value is None or not rule.absolute:
            continue
        if (rule.max is not None and value > rule.max) or (
            rule.min is not None and value < rule.min
        ):
            warnings.append(
                f"Your upright baseline already measures {_describe(rule.metric)} "
                f"{value:.0f} ({rule.problem} beyond the general limit): make sure you sat "
                "upright, or calibrate again."
            )
    return Baseline(
        chosen,
        medians,
        spreads,
        scale,
        len(frames),
        datetime.now(UTC).isoformat(timespec="seconds"),
        tuple(warnings),
    )


