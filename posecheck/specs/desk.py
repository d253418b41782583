"""The desk posture rules as typed, validated data (`desk.toml` beside this file).

    spec = posture_spec()                       # the shipped rules
    spec = load_posture_spec("my_rules.toml")   # a user's own file, validated the same way

Errors name the file, the key and the valid choices, as for the stretch specs.
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

#: The views the posture rules are written for (three-quarter views take the side rules when
#: the shoulders are turned more than `side_yaw_min`, else the front rules).
POSTURE_VIEWS = ("side", "front")
PROBLEMS = ("forward head", "slouched", "reclined", "leaning sideways", "head tilted")

__all__ = [
    "POSTURE_SPEC",
    "POSTURE_VIEWS",
    "PROBLEMS",
    "CalibrationSettings",
    "PostureRule",
    "PostureSettings",
    "PostureSpec",
    "load_posture_spec",
    "parse_posture_spec",
    "posture_spec",
]


@dataclass(frozen=True)
class PostureRule:
    """One way to sit badly in one view.

    `min`/`max` are absolute limits (used without a baseline); `deviation_min`/`deviation_max`
    are limits on the change from the user's calibrated value: degrees for angle metrics, a
    fraction of the baseline value for ratio metrics (0.2 = 20 % larger). A rule with only
    deviation limits cannot judge anyone who has not calibrated.
    """

    view: str
    problem: str
    metric: str
    cue: str
    min: float | None = None
    max: float | None = None
    deviation_min: float | None = None
    deviation_max: float | None = None

    @property
    def key(self) -> str:
        return f"{self.view}:{self.problem}:{self.metric}"

    @property
    def absolute(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def relative(self) -> bool:
        return self.deviation_min is not None or self.deviation_max is not None

    def limits(self, unit: Unit, baseline: float | None) -> tuple[Range, str] | None:
        """The range a value must stay in, and where it comes from ("baseline" or "absolute"):
        with the user's calibrated `baseline` value the deviation limits around it (degrees,
        or a share of the baseline for ratios), else the absolute limits; None when the rule
        cannot judge (deviation limits only, and no baseline)."""
        if baseline is not None and self.relative:
            size = unit.scale(baseline)
            low = None if self.deviation_min is None else baseline + self.deviation_min * size
            high = None if self.deviation_max is None else baseline + self.deviation_max * size
            return Range(low, high), "baseline"
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
    bystander_scale: a body smaller than this share of the user's is someone else: ignored.
    head_turn_front_max / head_turn_side_min: `head_turn` beyond which the head counts as
        turned away (front view: nose past the ears; side view: face turned to the camera).
    side_yaw_min: shoulder-line yaw (degrees) from which the side rules apply.
    margin_deg / margin_ratio: how far back inside a limit a problem must come to clear.
    """

    alert_after_s: float
    clear_fraction: float
    cooldown_s: float
    break_after_min: float
    break_reset_min: float
    break_routine: tuple[str, ...]
    bystander_scale: float
    head_turn_front_max: float
    head_turn_side_min: float
    side_yaw_min: float
    margin_deg: float
    margin_ratio: float

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "break_routine":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{f.name} must be a number, 0 or more, got {value!r}")
        if self.alert_after_s <= 0:
            raise ValueError(f"alert_after_s must be above 0, got {self.alert_after_s}")
        if not 0 < self.clear_fraction <= 1:
            raise ValueError(f"clear_fraction must be in (0, 1], got {self.clear_fraction}")
        if not 0 < self.bystander_scale < 1:
            raise ValueError(f"bystander_scale must be in (0, 1), got {self.bystander_scale}")
        if not 0 < self.side_yaw_min < 90:
            raise ValueError(f"side_yaw_min must be in (0, 90), got {self.side_yaw_min}")

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
    """What a usable calibration needs: enough frames with the user in view (a share of all
    frames) and a steady posture (median absolute deviation per metric below the limits)."""

    seconds: float
    min_present_fraction: float
    max_spread_deg: float
    max_spread_ratio: float


@dataclass(frozen=True)
class PostureSpec:
    rules: tuple[PostureRule, ...]
    settings: PostureSettings
    calibration: CalibrationSettings
    notes: str = ""

    def rules_for(self, view: str) -> tuple[PostureRule, ...]:
        return tuple(r for r in self.rules if r.view == view)

    def metrics_for(self, view: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.metric for r in self.rules_for(view)))


_TOP = {"notes": False, "settings": True, "calibration": True, "side": True, "front": True}
_SETTINGS = {f.name: True for f in fields(PostureSettings)}
_CALIBRATION = {f.name: True for f in fields(CalibrationSettings)}
_RULE = {
    "problem": True,
    "metric": True,
    "cue": True,
    "min": False,
    "max": False,
    "deviation_min": False,
    "deviation_max": False,
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


def parse_posture_spec(data: dict[str, Any], origin: str) -> PostureSpec:
    """Validate parsed TOML into a `PostureSpec`; errors name `origin` and the key at fault."""
    r = SpecReader(origin)
    r.keys(data, _TOP, "posture spec")

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
        else:
            values[name] = r.number(table[name], f"settings.{name}")
    try:
        settings = PostureSettings(**values)
    except ValueError as exc:
        raise r.fail("settings", str(exc)) from None

    cal = r.keys(data["calibration"], _CALIBRATION, "calibration")
    numbers = {name: r.number(cal[name], f"calibration.{name}") for name in _CALIBRATION}
    if not 0 < numbers["min_present_fraction"] <= 1:
        raise r.fail("calibration.min_present_fraction", "expected a share in (0, 1]")
    for name in ("seconds", "max_spread_deg", "max_spread_ratio"):
        if numbers[name] <= 0:
            raise r.fail(f"calibration.{name}", "expected a number above 0")
    calibration = CalibrationSettings(**numbers)

    rules: list[PostureRule] = []
    for view in POSTURE_VIEWS:
        entries = data[view]
        if not isinstance(entries, list) or not entries:
            raise r.fail(view, f"expected [[{view}]] rule tables")
        for i, entry in enumerate(entries):
            where = f"{view}[{i}]"
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
            dlow, dhigh = _bounds(r, entry, "deviation_min", "deviation_max", where)
            if low is None and high is None and dlow is None and dhigh is None:
                raise r.fail(where, "give min/max (absolute) or deviation_min/deviation_max")
            rule = PostureRule(
                view, problem, name, r.text(entry["cue"], f"{where}.cue"), low, high, dlow, dhigh
            )
            if any(other.key == rule.key for other in rules):
                raise r.fail(where, f"a second rule for {problem!r} on {name!r} in the {view} view")
            rules.append(rule)
    return PostureSpec(tuple(rules), settings, calibration, str(data.get("notes", "")).strip())


def load_posture_spec(path: str | Path) -> PostureSpec:
    """Load and validate a posture rules file; any problem is a `SpecError` naming file and key."""
    return parse_posture_spec(read_toml(path, "posture rules file"), str(path))


@cache
def posture_spec() -> PostureSpec:
    """The shipped posture rules."""
    return load_posture_spec(POSTURE_SPEC)
