"""The user's upright posture for one camera position (`Baseline`), recorded from a few
seconds of sitting upright while looking at the corners and the middle of the screen
(`calibrate`), and the prompts that guide that look-around (`look_prompt`).

A baseline keeps, for each measure, its median and the range the user moved through (`Band`):
the normal motion of reading a screen is inside that range, and the front rules judge how far
past it a frame goes. It also records the view and the camera angle it was made in, so a frame
from another camera position is refused rather than misjudged.
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
from posecheck.metrics import Context, Measurement, get_metric, measure
from posecheck.pose import Pose
from posecheck.specs.desk import (
    POSTURE_VIEWS,
    SENSITIVITIES,
    CalibrationSettings,
    PostureSpec,
    posture_spec,
    rule_view,
)

BASELINE_FORMAT = "posecheck-posture-baseline"
#: 2: each measure's look-around range, the camera angle and the sensitivity (issue 10).
BASELINE_VERSION = 2

#: Measured during a front or three-quarter calibration besides the rules' metrics: the head's
#: yaw (turns are judged against the user's own), the camera angle, where the user sits and how
#: big they are (to tell someone else apart).
FRONT_CONTEXT = ("head_yaw", "shoulder_yaw", "body_x", "body_scale")
SIDE_CONTEXT = ("body_scale",)


class CalibrationError(PosecheckError, ValueError):
    """A calibration that cannot be trusted; the message says what to do differently."""


# --- baseline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One measure over a calibration: its median and the range the user moved through while
    looking around the screen (`low`..`high`, after a short running median)."""

    median: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.median <= self.high:
            raise ValueError(
                f"a band needs low <= median <= high, got {self.low}, {self.median}, {self.high}"
            )

    def contains(self, value: float, margin: float = 0.0) -> bool:
        return self.low - margin <= value <= self.high + margin

    @property
    def triple(self) -> tuple[float, float, float]:
        return self.median, self.low, self.high


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    half = window // 2
    windows = (values[max(0, i - half) : i + half + 1] for i in range(len(values)))
    return np.array([np.median(w) for w in windows])


def band(values: Sequence[float] | np.ndarray, window: int = 5) -> Band:
    """Median and look-around range of one measure's calibration values (in time order). The
    range is taken after a `window`-frame running median, so one odd frame does not widen it;
    fewer values than the window (a few photos) keep their full range."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        raise ValueError("no values")
    smooth = _running_median(array, window)
    median = float(np.median(array))
    return Band(median, min(float(smooth.min()), median), max(float(smooth.max()), median))


@dataclass(frozen=True)
class Baseline:
    """The user's upright posture for one camera position.

    view: "side", "front" or "three-quarter", the view the calibration saw.
    bands: per measure, the median and the look-around range over the calibration frames.
    scale: the median `body_scale`, to recognise a smaller bystander; None if not measured.
    camera_yaw: the median shoulder yaw (degrees, signed; see the `shoulder_yaw` metric): the
        camera's angle to the user, None without world landmarks.
    sensitivity: the preset chosen with this profile (None: the settings' default).
    """

    view: str
    bands: dict[str, Band]
    scale: float | None
    frames: int
    camera_yaw: float | None = None
    created: str = ""
    warnings: tuple[str, ...] = ()
    sensitivity: str | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """The median of each measure."""
        return {name: b.median for name, b in self.bands.items()}

    def describe(self) -> str:
        """ "front view, camera 6° to your left" as a person reads it."""
        if self.camera_yaw is None or self.view == "side":
            return f"{self.view} view"
        if abs(self.camera_yaw) < 5:
            return f"{self.view} view, camera straight ahead"
        # Positive yaw: the person's left shoulder is nearer the camera.
        side = "left" if self.camera_yaw > 0 else "right"
        return f"{self.view} view, camera {abs(self.camera_yaw):.0f}° to your {side}"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "view": self.view,
            "camera_yaw": None if self.camera_yaw is None else round(self.camera_yaw, 3),
            "sensitivity": self.sensitivity,
            "metrics": {k: round(b.median, 6) for k, b in self.bands.items()},
            "ranges": {k: [round(b.low, 6), round(b.high, 6)] for k, b in self.bands.items()},
            "scale": None if self.scale is None else round(self.scale, 6),
            "frames": self.frames,
            "created": self.created,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Any) -> Baseline:
        """Inverse of `to_json`; a `ValueError` says what is wrong with the data (an older
        version's is `OldBaselineError`)."""
        if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
            raise ValueError("it is not a posecheck posture baseline")
        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and (
            version < BASELINE_VERSION
        ):
            raise OldBaselineError(
                f"was recorded by an older posecheck (baseline version {version}), which did "
                "not keep the range you move through while reading"
            )
        if version != BASELINE_VERSION:
            raise ValueError(f"baseline version {version!r} is not supported")
        view = data.get("view")
        if view not in POSTURE_VIEWS:
            raise ValueError(f"its view {view!r} is not one of {', '.join(POSTURE_VIEWS)}")

        def number(value: Any, where: str) -> float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{where} must be finite")
            return float(value)

        medians = data.get("metrics")
        ranges = data.get("ranges")
        if not isinstance(medians, dict):
            raise ValueError("'metrics' must be a table of numbers")
        if not isinstance(ranges, dict):
            raise ValueError("'ranges' must give a [low, high] pair for each of the metrics")
        bands = {}
        for name, value in medians.items():
            try:
                get_metric(name)
            except KeyError as exc:  # the message lists the valid names
                raise ValueError(str(exc.args[0])) from None
            median = number(value, f"metrics.{name}")
            pair = ranges.get(name)
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"ranges.{name} must be a [low, high] pair")
            low, high = (number(v, f"ranges.{name}") for v in pair)
            if not low <= median <= high:
                raise ValueError(f"ranges.{name} must hold its median {median:g}")
            bands[name] = Band(median, low, high)
        scale = data.get("scale")
        if scale is not None and (
            isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0
        ):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        camera_yaw = data.get("camera_yaw")
        if camera_yaw is not None:
            camera_yaw = number(camera_yaw, "camera_yaw")
        sensitivity = data.get("sensitivity")
        if sensitivity is not None and sensitivity not in SENSITIVITIES:
            raise ValueError(
                f"its sensitivity {sensitivity!r} is not one of {', '.join(SENSITIVITIES)}"
            )
        frames = data.get("frames")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be a whole number, 1 or more, got {frames!r}")
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings must be a list of sentences")
        return cls(
            view,
            bands,
            None if scale is None else float(scale),
            frames,
            camera_yaw,
            str(data.get("created", "")),
            tuple(warnings),
            sensitivity,
        )


class OldBaselineError(ValueError):
    """A baseline written by an older posecheck: it must be recorded again."""


# --- calibration ---------------------------------------------------------------------------


def look_prompt(elapsed_s: float, calibration: CalibrationSettings) -> tuple[int, str]:
    """Where to look `elapsed_s` into a calibration: the step's index in `look_at` and the
    sentence to show ("Look at its top left corner.")."""
    places = calibration.look_at
    share = calibration.seconds / len(places)
    index = min(len(places) - 1, max(0, int(elapsed_s // share)))
    return index, f"Sit upright and look at {places[index]}."


def _describe(metric: str) -> str:
    return metric.replace("_", " ")


def _values(results: Sequence[Measurement]) -> np.ndarray:
    return np.array([m.value for m in results if m.value is not None], dtype=np.float64)


def calibrate(
    poses: Sequence[Pose | None],
    *,
    view: str | None = None,
    spec: PostureSpec | None = None,
    min_frames: int = 1,
) -> Baseline:
    """The user's upright baseline from a few seconds of frames in time order (or photos).

    The most common view wins and frames of another view are dropped. Each measure keeps its
    median and look-around range (`band`). Refused with a `CalibrationError` sentence when too
    few frames show a person; from the side, when the person moved (a median absolute deviation
    above the spec's limits); from the front, when the head went up and down or turned away
    more than looking around a screen explains.
    """
    if view is not None and view not in POSTURE_VIEWS:
        raise ValueError(f"view must be one of {', '.join(POSTURE_VIEWS)}, got {view!r}")
    spec = spec or posture_spec()
    cal = spec.calibration
    total = len(poses)
    if total == 0:
        raise CalibrationError("No frames to calibrate from: sit upright in view and try again.")
    if total < min_frames:
        raise CalibrationError(
            f"Only {total} frame(s) could be analysed while calibrating, too few to trust: "
            "close other busy programs and calibrate again."
        )
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
    # Front and three-quarter frames are the same webcam: the family with the most frames
    # wins, and its most common view names it.
    family = Counter(rule_view(v) for v in counts.elements()).most_common(1)[0][0]
    chosen = Counter(v for v in counts.elements() if rule_view(v) == family).most_common(1)[0][0]
    frames = [p for p, v in zip(present, views, strict=True) if v and rule_view(v) == family]
    if len(frames) < needed:
        raise CalibrationError(
            "You turned between side-on and facing the camera while calibrating: keep still "
            "in one position and calibrate again."
        )
    front = rule_view(chosen) == "front"
    contexts = [Context(p) for p in frames]
    extra = FRONT_CONTEXT if front else SIDE_CONTEXT
    bands: dict[str, Band] = {}
    reasons: list[str] = []
    for name in (*spec.metrics_for(chosen), *extra):
        results = [measure(ctx, name) for ctx in contexts]
        values = _values(results)
        if len(values) < max(1, math.ceil(0.5 * len(frames))):
            reasons += [m.reason for m in results if m.reason]
            continue
        bands[name] = band(values, cal.smooth_frames)
        if not front:
            _check_still(name, values, cal)
    if front:
        _check_look_around(bands, cal)
    scale_band = bands.pop("body_scale", None)
    usable = [r for r in spec.rules_for(chosen) if r.relative and r.metric in bands]
    if not usable:
        hint = reasons[0] if reasons else "Sit where the camera sees your head and shoulders."
        raise CalibrationError(f"Could not measure your posture to calibrate: {hint}")
    yaw = bands.get("shoulder_yaw")
    return Baseline(
        chosen,
        bands,
        None if scale_band is None else scale_band.median,
        len(frames),
        None if yaw is None else yaw.median,
        datetime.now(UTC).isoformat(timespec="seconds"),
        tuple(_warnings(spec, chosen, bands, frames)),
    )


def _check_still(name: str, values: np.ndarray, cal: CalibrationSettings) -> None:
    """Side view: the median absolute deviation of each measure stays under the limits."""
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median)))
    unit = get_metric(name).unit
    if spread > Margins(cal.max_spread_deg, cal.max_spread_ratio).of(unit, median):
        amount = unit.format_change(spread, median)
        raise CalibrationError(
            f"You moved too much while calibrating ({_describe(name)} varied by {amount}): "
            f"sit still and upright for {cal.seconds:g} seconds and calibrate again."
        )


def _check_look_around(bands: dict[str, Band], cal: CalibrationSettings) -> None:
    """Front views: looking around a screen moves the head a little, not a slouch's worth."""
    if "face_size" not in bands:
        raise CalibrationError(
            "The camera did not see your face well enough to calibrate: face the screen with "
            "your whole face in view, and calibrate again."
        )
    gap = bands.get("head_gap")
    if gap is not None and gap.high - gap.low > cal.max_gap_range * abs(gap.median):
        raise CalibrationError(
            "Your head moved up and down a lot while calibrating: sit upright, look around the "
            "screen with your eyes and a little head movement, and calibrate again."
        )
    yaw = bands.get("head_yaw")
    if yaw is not None and yaw.high - yaw.low > cal.max_yaw_range_deg:
        raise CalibrationError(
            "You turned your head far away while calibrating: look only at the corners and the "
            "middle of your screen, and calibrate again."
        )


#: Warn about a second person when they were in view in at least this share of the frames.
OTHERS_SHARE = 0.2


def _warnings(
    spec: PostureSpec, view: str, bands: dict[str, Band], frames: Sequence[Pose]
) -> list[str]:
    warnings = []
    crowded = sum(p.others_present for p in frames)
    if crowded >= max(1, OTHERS_SHARE * len(frames)):
        warnings.append(
            "Someone else was in view while you calibrated: make sure the camera followed you, "
            "or calibrate again alone."
        )
    for rule in spec.rules_for(view):
        b = bands.get(rule.metric)
        if b is None or not rule.absolute:
            continue
        value = b.median
        if (rule.max is not None and value > rule.max) or (
            rule.min is not None and value < rule.min
        ):
            warnings.append(
                f"Your upright baseline already measures {_describe(rule.metric)} "
                f"{value:.0f} ({rule.problem} beyond the general limit): make sure you sat "
                "upright, or calibrate again."
            )
    return warnings
