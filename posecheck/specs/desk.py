"""The desk posture rules as typed, validated data (`desk.toml` beside this file).

    spec = posture_spec()                       # the shipped rules
    spec = load_posture_spec("my_rules.toml")   # a user's own file, validated the same way

Errors name the file, the key and the valid choices, as for the stretch specs.

Three views: "side", "front" and "three-quarter" (a webcam off to one side that the user still
faces). The front and three-quarter views share the `[[front]]` rules: what differs between
them is the camera angle, which a calibration records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from posecheck.limits import Margins, Range, Unit
from posecheck.metrics import METRICS
from posecheck.specs.reader import SpecReader, read_toml

POSTURE_SPEC = Path(__file__).parent / "desk.toml"

#: The views a desk camera can have.
POSTURE_VIEWS = ("side", "front", "three-quarter")
#: The views the rules are written for: a three-quarter webcam takes the front rules.
RULE_VIEWS = ("side", "front")
PROBLEMS = ("forward head", "slouched", "reclined", "leaning sideways", "head tilted")
#: How far past the user's calibration counts as bad: the names of the presets.
SENSITIVITIES = ("low", "medium", "high")

__all__ = [
    "POSTURE_SPEC",
    "POSTURE_VIEWS",
    "PROBLEMS",
    "RULE_VIEWS",
    "SENSITIVITIES",
    "CalibrationSettings",
    "PostureRule",
    "PostureSettings",
    "PostureSpec",
    "Tolerance",
    "check_sensitivity",
    "load_posture_spec",
    "parse_posture_spec",
    "posture_spec",
    "rule_view",
]


def rule_view(view: str) -> str:
    """The view whose rules judge `view`: a three-quarter webcam is judged by the front rules."""
    return "front" if view == "three-quarter" else view


def check_sensitivity(name: str) -> str:
    """`name` if it is a sensitivity preset, else a `ValueError` listing the valid ones."""
    if name not in SENSITIVITIES:
        raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITIES)}, got {name!r}")
    return name


@dataclass(frozen=True)
class Tolerance:
    """How far past the calibration a value may go, per sensitivity preset: degrees for angle
    metrics, a share of the calibrated value for ratio metrics. A number in the rules file gives
    every preset the same value."""

    low: float
    medium: float
    high: float

    def of(self, sensitivity: str) -> float:
        value: float = getattr(self, check_sensitivity(sensitivity))
        return value


@dataclass(frozen=True)
class PostureRule:
    """One way to sit badly in one view.

    Without a baseline: `min`/`max`, absolute limits (a rule with none cannot judge anyone who
    has not calibrated). With the user's baseline, one of two kinds of limit:

    - `deviation_min`/`deviation_max` (side view): the change allowed from the calibrated
      median value;
    - `below_range`/`above_range` (front view): how far below the low end or above the high end
      of the calibrated range (the look-around the user showed while calibrating) a value may
      go. For a ratio metric that is a share of the range's end (0.06: 6 % below its low).

    Each is a `Tolerance`: one value per sensitivity preset. `fallback` names a metric judged
    the same way against its own calibrated range when `metric` cannot be measured (the face
    alone when the shoulders are out of frame).
    """

    view: str
    problem: str
    metric: str
    cue: str
    min: float | None = None
    max: float | None = None
    deviation_min: Tolerance | None = None
    deviation_max: Tolerance | None = None
    below_range: Tolerance | None = None
    above_range: Tolerance | None = None
    fallback: str | None = None

    @property
    def key(self) -> str:
        return f"{self.view}:{self.problem}:{self.metric}"

    @property
    def absolute(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def ranged(self) -> bool:
        return self.below_range is not None or self.above_range is not None

    @property
    def relative(self) -> bool:
        return self.ranged or self.deviation_min is not None or self.deviation_max is not None

    def limits(
        self, unit: Unit, band: tuple[float, float, float] | None, sensitivity: str
    ) -> tuple[Range, str] | None:
        """The range a value must stay in, and where it comes from ("baseline" or "absolute").

        `band` is the user's calibrated (median, low, high) of this metric, or None. With it,
        the deviation limits around the median or the range limits beyond the low and high
        ends (at `sensitivity`); without it the absolute limits; None when the rule cannot
        judge (relative limits only, and no baseline).
        """
        if band is not None and self.relative:
            median, low, high = band
            if self.ranged:
                below = None if self.below_range is None else self.below_range.of(sensitivity)
                above = None if self.above_range is None else self.above_range.of(sensitivity)
                return Range(
                    None if below is None else low - below * unit.scale(low),
                    None if above is None else high + above * unit.scale(high),
                ), "baseline"
            size = unit.scale(median)
            dmin, dmax = self.deviation_min, self.deviation_max
            return Range(
                None if dmin is None else median + dmin.of(sensitivity) * size,
                None if dmax is None else median + dmax.of(sensitivity) * size,
            ), "baseline"
        if self.absolute:
            return Range(self.min, self.max), "absolute"
        return None


@dataclass(frozen=True)
class PostureSettings:
    """Timing and tolerance of the monitor; the defaults are the [settings] table of
    desk.toml (one source), `overlay` changes some of them with validation.

    alert_after_s: how long bad posture must last before an alert.
    clear_fraction: good posture must then hold this share of alert_after_s to clear it.
    cooldown_s: the least time between two alerts.
    break_after_min: seated minutes before a break is suggested.
    break_reset_min: an absence this long counts as a break (resets the seated clock).
    break_routine: catalog stretch ids suggested for the break.
    sensitivity: the default preset ("low", "medium" or "high") for judging against a baseline.
    bystander_scale: a body (front view with a baseline: a face) smaller than this share of the
        user's is someone else: ignored.
    bystander_shift_faces: front view with a baseline: a body this many calibrated face widths
        outside the place the user sat while calibrating is someone else.
    head_turn_front_max / head_turn_side_min: without a front baseline, `head_turn` beyond which
        the head counts as turned away (front view: nose past the ears; side view: face turned
        to the camera).
    head_yaw_margin_deg: with a front baseline, a head turned this far past the calibrated yaw
        range is looking elsewhere: not judged.
    body_yaw_margin_deg: with a front baseline, shoulders turned this far past the calibrated
        camera angle: the user swivelled away (or the camera moved): not judged.
    front_yaw_max / three_quarter_yaw_max / profile_yaw_min / face_to_camera_max: the view from
        the shoulders' yaw (see `posecheck.desk.view`).
    margin_deg / margin_ratio: how far back inside a limit a problem must come to clear.
    """

    alert_after_s: float
    clear_fraction: float
    cooldown_s: float
    break_after_min: float
    break_reset_min: float
    break_routine: tuple[str, ...]
    sensitivity: str
    bystander_scale: float
    bystander_shift_faces: float
    head_turn_front_max: float
    head_turn_side_min: float
    head_yaw_margin_deg: float
    body_yaw_margin_deg: float
    front_yaw_max: float
    three_quarter_yaw_max: float
    profile_yaw_min: float
    face_to_camera_max: float
    margin_deg: float
    margin_ratio: float

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("break_routine", "sensitivity"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{f.name} must be a number, 0 or more, got {value!r}")
        check_sensitivity(self.sensitivity)
        if self.alert_after_s <= 0:
            raise ValueError(f"alert_after_s must be above 0, got {self.alert_after_s}")
        if not 0 < self.clear_fraction <= 1:
            raise ValueError(f"clear_fraction must be in (0, 1], got {self.clear_fraction}")
        if not 0 < self.bystander_scale < 1:
            raise ValueError(f"bystander_scale must be in (0, 1), got {self.bystander_scale}")
        views = (self.front_yaw_max, self.three_quarter_yaw_max, self.profile_yaw_min)
        if not 0 < views[0] <= views[1] <= views[2] < 90:
            raise ValueError(
                "front_yaw_max, three_quarter_yaw_max and profile_yaw_min must rise in that "
                f"order between 0 and 90, got {', '.join(f'{v:g}' for v in views)}"
            )

    @property
    def clear_s(self) -> float:
        return self.alert_after_s * self.clear_fraction

    @property
    def margins(self) -> Margins:
        return Margins(self.margin_deg, self.margin_ratio)

    def overlay(self, **changes: Any) -> PostureSettings:
        """A copy with `changes` applied; None values are ignored, unknown keys are errors."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; valid settings: {sorted(known)}")
        given = {k: v for k, v in changes.items() if v is not None}
        if "break_routine" in given:
            given["break_routine"] = tuple(given["break_routine"])
        return replace(self, **given)


@dataclass(frozen=True)
class CalibrationSettings:
    """What a calibration records and what makes it usable.

    seconds / look_at: how long to record, and where to look meanwhile (in order, an equal
        share of the time each): the corners and middle of the screen, so the normal motion of
        reading a screen is inside the calibrated range.
    min_present_fraction: the share of the frames that must show the user.
    smooth_frames: each measure is median-filtered over this many frames before its range is
        taken, so a single mis-detected frame cannot widen it.
    max_spread_deg / max_spread_ratio (side view): the most each measure's median absolute
        deviation may be (degrees, or a share of the median); more means the user moved.
    max_gap_range (front views): the most the head-to-shoulder gap may range over, as a share
        of its median; more means the user slouched or stood up while calibrating.
    max_yaw_range_deg (front views): the most the head's yaw may range over; more means the
        user looked away from the screen.
    """

    seconds: float
    look_at: tuple[str, ...]
    min_present_fraction: float
    smooth_frames: int
    max_spread_deg: float
    max_spread_ratio: float
    max_gap_range: float
    max_yaw_range_deg: float


@dataclass(frozen=True)
class PostureSpec:
    rules: tuple[PostureRule, ...]
    settings: PostureSettings
    calibration: CalibrationSettings
    notes: str = ""

    def rules_for(self, view: str) -> tuple[PostureRule, ...]:
        """The rules that judge `view` (a three-quarter view takes the front rules)."""
        target = rule_view(view)
        return tuple(r for r in self.rules if r.view == target)

    def metrics_for(self, view: str) -> tuple[str, ...]:
        """Every metric the rules of `view` may judge, fallbacks included."""
        names: list[str] = []
        for rule in self.rules_for(view):
            names.append(rule.metric)
            if rule.fallback is not None:
                names.append(rule.fallback)
        return tuple(dict.fromkeys(names))


_TOP = {"notes": False, "settings": True, "calibration": True, "side": True, "front": True}
_SETTINGS = {f.name: True for f in fields(PostureSettings)}
_CALIBRATION = {f.name: True for f in fields(CalibrationSettings)}
_TOLERANCES = ("deviation_min", "deviation_max", "below_range", "above_range")
_RULE = {
    "problem": True,
    "metric": True,
    "cue": True,
    "min": False,
    "max": False,
    "fallback": False,
    **dict.fromkeys(_TOLERANCES, False),
}
_STRETCH_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _bounds(
    r: SpecReader, table: dict[str, Any], low: str, high: str, where: str
) -> tuple[float | None, float | None]:
    lo = r.number(table[low], f"{where}.{low}") if low in table else None
    hi = r.number(table[high], f"{where}.{high}") if high in table else None
    if lo is not None and hi is not None and lo >= hi:
        raise r.fail(where, f"{low} ({lo:g}) must be below {high} ({hi:g})")
    return lo, hi


def _tolerance(r: SpecReader, value: Any, where: str, sign: int) -> Tolerance:
    """A number (every preset) or a table {low, medium, high}; `sign` says which way the
    values must point (-1: 0 or below, +1: 0 or above, 0: either)."""
    if isinstance(value, dict):
        table = r.keys(value, dict.fromkeys(SENSITIVITIES, True), where)
        numbers = {name: r.number(table[name], f"{where}.{name}") for name in SENSITIVITIES}
    else:
        number = r.number(value, where)
        numbers = dict.fromkeys(SENSITIVITIES, number)
    for name, number in numbers.items():
        if sign * number < 0:
            want = "0 or below" if sign < 0 else "0 or more"
            raise r.fail(f"{where}.{name}", f"expected {want}, got {number:g}")
    # A more sensitive preset never allows more than a less sensitive one.
    low, medium, high = (abs(numbers[n]) for n in SENSITIVITIES)
    if not low >= medium >= high:
        raise r.fail(where, "low must allow at least as much as medium, and medium as high")
    return Tolerance(numbers["low"], numbers["medium"], numbers["high"])


def _settings(r: SpecReader, data: dict[str, Any]) -> PostureSettings:
    table = r.keys(data["settings"], _SETTINGS, "settings")
    values: dict[str, Any] = {}
    for name in _SETTINGS:
        if name == "break_routine":
            routine = table[name]
            if not isinstance(routine, list) or not routine:
                raise r.fail("settings.break_routine", "expected a list of catalog stretch ids")
            for item in routine:
                if not isinstance(item, str) or not _STRETCH_ID.match(item):
                    raise r.fail(
                        "settings.break_routine",
                        f"{item!r} is not a stretch id (lower-case words joined by '-', as "
                        "listed by `posecheck stretches`)",
                    )
            values[name] = tuple(routine)
        elif name == "sensitivity":
            values[name] = r.text(table[name], "settings.sensitivity")
            if values[name] not in SENSITIVITIES:
                raise r.fail(
                    "settings.sensitivity",
                    f"unknown preset {values[name]!r}; valid presets: {', '.join(SENSITIVITIES)}",
                )
        else:
            values[name] = r.number(table[name], f"settings.{name}")
    try:
        return PostureSettings(**values)
    except ValueError as exc:
        raise r.fail("settings", str(exc)) from None


def _calibration(r: SpecReader, data: dict[str, Any]) -> CalibrationSettings:
    cal = r.keys(data["calibration"], _CALIBRATION, "calibration")
    look = cal["look_at"]
    if not isinstance(look, list) or not look or not all(isinstance(x, str) and x for x in look):
        raise r.fail("calibration.look_at", "expected a list of places to look at (text)")
    numbers = {
        name: r.number(cal[name], f"calibration.{name}")
        for name in _CALIBRATION
        if name != "look_at"
    }
    if not 0 < numbers["min_present_fraction"] <= 1:
        raise r.fail("calibration.min_present_fraction", "expected a share in (0, 1]")
    for name in ("seconds", "max_spread_deg", "max_spread_ratio", "max_gap_range",
                 "max_yaw_range_deg"):  # fmt: skip
        if numbers[name] <= 0:
            raise r.fail(f"calibration.{name}", "expected a number above 0")
    smooth = numbers.pop("smooth_frames")
    if smooth != int(smooth) or not 1 <= smooth <= 31 or smooth % 2 == 0:
        raise r.fail("calibration.smooth_frames", "expected an odd whole number from 1 to 31")
    return CalibrationSettings(look_at=tuple(look), smooth_frames=int(smooth), **numbers)


def _rule(r: SpecReader, view: str, entry: Any, where: str) -> PostureRule:
    r.keys(entry, _RULE, where)
    problem = r.text(entry["problem"], f"{where}.problem")
    if problem not in PROBLEMS:
        raise r.fail(
            f"{where}.problem",
            f"unknown problem {problem!r}; valid problems: {', '.join(PROBLEMS)}",
        )
    name = r.metric(entry["metric"], f"{where}.metric")
    if METRICS[name].limb:
        raise r.fail(f"{where}.metric", f"metric {name!r} is measured on one side")
    low, high = _bounds(r, entry, "min", "max", where)
    signs = {"deviation_min": -1, "deviation_max": 1, "below_range": 1, "above_range": 1}
    tolerances = {
        key: _tolerance(r, entry[key], f"{where}.{key}", signs[key])
        for key in _TOLERANCES
        if key in entry
    }
    if low is None and high is None and not tolerances:
        raise r.fail(
            where, "give min/max (absolute), deviation_min/deviation_max or below_range/above_range"
        )
    deviation = {"deviation_min", "deviation_max"} & set(tolerances)
    ranged = {"below_range", "above_range"} & set(tolerances)
    if deviation and ranged:
        raise r.fail(
            where,
            "judge against the calibrated median (deviation_*) or beyond the calibrated range "
            "(below_range/above_range), not both",
        )
    fallback = None
    if "fallback" in entry:
        fallback = r.metric(entry["fallback"], f"{where}.fallback")
        if METRICS[fallback].limb or METRICS[fallback].unit is not METRICS[name].unit:
            raise r.fail(f"{where}.fallback", f"{fallback!r} is not measured like {name!r}")
        if not ranged:
            raise r.fail(f"{where}.fallback", "a fallback needs below_range or above_range")
    return PostureRule(
        view, problem, name, r.text(entry["cue"], f"{where}.cue"), low, high,
        tolerances.get("deviation_min"), tolerances.get("deviation_max"),
        tolerances.get("below_range"), tolerances.get("above_range"), fallback,
    )  # fmt: skip


def parse_posture_spec(data: dict[str, Any], origin: str) -> PostureSpec:
    """Validate parsed TOML into a `PostureSpec`; errors name `origin` and the key at fault."""
    r = SpecReader(origin)
    r.keys(data, _TOP, "posture spec")
    settings = _settings(r, data)
    calibration = _calibration(r, data)
    rules: list[PostureRule] = []
    for view in RULE_VIEWS:
        entries = data[view]
        if not isinstance(entries, list) or not entries:
            raise r.fail(view, f"expected [[{view}]] rule tables")
        for i, entry in enumerate(entries):
            rule = _rule(r, view, entry, f"{view}[{i}]")
            if any(other.key == rule.key for other in rules):
                raise r.fail(
                    f"{view}[{i}]",
                    f"a second rule for {rule.problem!r} on {rule.metric!r} in the {view} view",
                )
            rules.append(rule)
    return PostureSpec(tuple(rules), settings, calibration, str(data.get("notes", "")).strip())


def load_posture_spec(path: str | Path) -> PostureSpec:
    """Load and validate a posture rules file; any problem is a `SpecError` naming file and key."""
    return parse_posture_spec(read_toml(path, "posture rules file"), str(path))


@cache
def posture_spec() -> PostureSpec:
    """The shipped posture rules."""
    return load_posture_spec(POSTURE_SPEC)
