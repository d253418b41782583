"""The stretch spec as typed, validated data: what a spec file may say and what it means.

Spec files (TOML) are parsed by `posecheck.specs.load_spec`; this module holds the dataclasses
and the validation, so an error can name the file, the key and the valid choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from posecheck.limits import Range
from posecheck.metrics import Limb
from posecheck.specs.reader import SpecError, SpecReader, read_toml

__all__ = [
    "VIEWS",
    "Check",
    "Condition",
    "Range",
    "Reps",
    "SpecError",
    "StretchSpec",
    "Trend",
    "parse_spec",
    "read_toml",
]

VIEWS = ("side", "front", "three-quarter", "any")


@dataclass(frozen=True)
class Condition:
    """An entry condition: the person is recognisably in this stretch when all of them hold."""

    metric: str
    limb: Limb | None
    target: Range
    cue: str


@dataclass(frozen=True)
class Check:
    """A form check on a person who is in position."""

    id: str
    metric: str
    limb: Limb | None
    target: Range
    description: str
    cue_low: str = ""
    cue_high: str = ""
    required: bool = True
    proxy: str = ""

    def cue_for(self, direction: str | None) -> str | None:
        if direction == "low":
            return self.cue_low
        if direction == "high":
            return self.cue_high
        return None


@dataclass(frozen=True)
class Reps:
    """Counts a rep each time `metric` goes past `high` and comes back past `low` (or the
    reverse with start = "high")."""

    metric: str
    limb: Limb | None
    low: float
    high: float
    target: int
    start: str = "low"


@dataclass(frozen=True)
class Trend:
    """A fault only visible over time: `moving` grows by at least `by` within `window_s` while
    `steady` does not grow by `min_gain` (the hip flexor's "moving forward without tilting")."""

    id: str
    moving: str
    moving_limb: Limb | None
    by: float
    steady: str
    steady_limb: Limb | None
    min_gain: float
    window_s: float
    cue: str


@dataclass(frozen=True)
class StretchSpec:
    id: str
    name: str
    source: str
    views: tuple[str, ...]
    camera: str
    setup: tuple[str, ...]
    entry: tuple[Condition, ...]
    checks: tuple[Check, ...]
    hold_s: float
    sided: bool
    worked: Limb | None
    reps: Reps | None = None
    trends: tuple[Trend, ...] = ()
    example: str = ""
    limitations: str = ""
    calibration: str = ""

    @property
    def goal(self) -> str:
        """What the user aims for, as text: "hold 30 s on each side", "10 slow reps"."""
        hold = f"hold {self.hold_s:g} s" + (" on each side" if self.sided else "")
        if self.reps is None:
            return hold
        reps = f"{self.reps.target} slow reps"
        return f"{reps}; {hold}" if self.hold_s else reps

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"{self.id} has no check {check_id!r}")


# --- validation ----------------------------------------------------------------------------

_TOP = {
    "id": True,
    "name": True,
    "source": True,
    "views": True,
    "camera": True,
    "setup": True,
    "entry": True,
    "checks": True,
    "hold_s": True,
    "sides": True,
    "worked": False,
    "reps": False,
    "trends": False,
    "example": False,
    "limitations": False,
    "calibration": False,
}
_CONDITION = {"metric": True, "limb": False, "min": False, "max": False, "cue": True}
_CHECK = {
    "id": True,
    "metric": True,
    "limb": False,
    "min": False,
    "max": False,
    "description": True,
    "cue_low": False,
    "cue_high": False,
    "required": False,
    "proxy": False,
}
_REPS = {"metric": True, "limb": False, "low": True, "high": True, "target": True, "start": False}
_TREND = {
    "id": True,
    "moving": True,
    "moving_limb": False,
    "by": True,
    "steady": True,
    "steady_limb": False,
    "min_gain": True,
    "window_s": True,
    "cue": True,
}


def _tables(r: SpecReader, value: Any, key: str, what: str) -> list[Any]:
    """A non-empty list (of tables: each is checked by the caller)."""
    if not isinstance(value, list):
        raise r.fail(key, f"expected a list of tables ([[{key}]]), got {type(value).__name__}")
    if not value:
        raise r.fail(
            key,
            f"is empty; give at least one {what} ([[{key}]] with metric, min/max and cue), "
            + (
                "or every pose would count as in position"
                if key == "entry"
                else "or every pose in position would count as good form"
            ),
        )
    return value


def parse_spec(data: dict[str, Any], origin: str) -> StretchSpec:
    """Validate parsed TOML into a `StretchSpec`; errors name `origin` and the key at fault."""
    r = SpecReader(origin)
    r.keys(data, _TOP, "spec")
    views = data["views"]
    if not isinstance(views, list) or not views:
        raise r.fail("views", f"expected a list of views from: {', '.join(VIEWS)}")
    for view in views:
        if view not in VIEWS:
            raise r.fail("views", f"unknown view {view!r}; valid views: {', '.join(VIEWS)}")
    setup = data["setup"]
    if not isinstance(setup, list) or not all(isinstance(s, str) for s in setup):
        raise r.fail("setup", "expected a list of instructions (text)")

    # Empty lists are mistakes, not defaults: with no entry condition every pose would be "in
    # position", and with no checks every pose in position would be "good form".
    entry = []
    for i, table in enumerate(_tables(r, data["entry"], "entry", "entry condition")):
        where = f"entry[{i}]"
        r.keys(table, _CONDITION, where)
        name = r.metric(table["metric"], f"{where}.metric")
        entry.append(
            Condition(
                name,
                r.limb(table.get("limb"), name, where),
                r.range(table, where, name),
                r.text(table["cue"], f"{where}.cue"),
            )
        )

    checks: list[Check] = []
    for i, table in enumerate(_tables(r, data["checks"], "checks", "form check")):
        where = f"checks[{i}]"
        r.keys(table, _CHECK, where)
        check_id = r.text(table["id"], f"{where}.id")
        if any(c.id == check_id for c in checks):
            raise r.fail(f"{where}.id", f"duplicate check id {check_id!r}")
        name = r.metric(table["metric"], f"{where}.metric")
        target = r.range(table, where, name)
        cue_low = r.text(table["cue_low"], f"{where}.cue_low") if "cue_low" in table else ""
        cue_high = r.text(table["cue_high"], f"{where}.cue_high") if "cue_high" in table else ""
        if target.min is not None and not cue_low:
            raise r.fail(where, "has a min, so it needs cue_low (what to say below the range)")
        if target.max is not None and not cue_high:
            raise r.fail(where, "has a max, so it needs cue_high (what to say above the range)")
        required = table.get("required", True)
        if not isinstance(required, bool):
            raise r.fail(f"{where}.required", "expected true or false")
        checks.append(
            Check(
                id=check_id,
                metric=name,
                limb=r.limb(table.get("limb"), name, where),
                target=target,
                description=r.text(table["description"], f"{where}.description"),
                cue_low=cue_low,
                cue_high=cue_high,
                required=required,
                proxy=str(table.get("proxy", "")).strip(),
            )
        )

    reps = None
    if "reps" in data:
        table = r.keys(data["reps"], _REPS, "reps")
        name = r.metric(table["metric"], "reps.metric")
        low, high = r.number(table["low"], "reps.low"), r.number(table["high"], "reps.high")
        r.within(low, name, "reps.low")
        r.within(high, name, "reps.high")
        if low >= high:
            raise r.fail("reps", f"low ({low:g}) must be below high ({high:g})")
        start = table.get("start", "low")
        if start not in ("low", "high"):
            raise r.fail("reps.start", f"expected 'low' or 'high', got {start!r}")
        target = table["target"]
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            raise r.fail("reps.target", "expected a whole number of reps, 1 or more")
        reps = Reps(name, r.limb(table.get("limb"), name, "reps"), low, high, target, start)

    trends = []
    trend_tables = data.get("trends", [])
    if not isinstance(trend_tables, list):
        raise r.fail("trends", "expected a list of tables ([[trends]])")
    for i, table in enumerate(trend_tables):
        where = f"trends[{i}]"
        r.keys(table, _TREND, where)
        moving = r.metric(table["moving"], f"{where}.moving")
        steady = r.metric(table["steady"], f"{where}.steady")
        trends.append(
            Trend(
                id=r.text(table["id"], f"{where}.id"),
                moving=moving,
                moving_limb=r.limb(table.get("moving_limb"), moving, f"{where}.moving"),
                by=r.number(table["by"], f"{where}.by"),
                steady=steady,
                steady_limb=r.limb(table.get("steady_limb"), steady, f"{where}.steady"),
                min_gain=r.number(table["min_gain"], f"{where}.min_gain"),
                window_s=r.number(table["window_s"], f"{where}.window_s"),
                cue=r.text(table["cue"], f"{where}.cue"),
            )
        )

    sided = data["sides"]
    if not isinstance(sided, bool):
        raise r.fail("sides", "expected true or false")
    worked = None
    if "worked" in data:
        try:
            worked = Limb(data["worked"])
        except ValueError:
            raise r.fail(
                "worked",
                f"unknown limb {data['worked']!r}; valid limbs: {', '.join(m.value for m in Limb)}",
            ) from None
    if sided and worked is None:
        raise r.fail(
            "worked",
            "a stretch with sides needs worked = the limb role it works "
            "(for example 'back' for the kneeling hip flexor)",
        )
    for limb_user in [c.limb for c in checks] + [c.limb for c in entry]:
        if limb_user in (Limb.WORKED, Limb.OTHER) and not sided:
            raise r.fail("checks", "limb 'worked'/'other' needs sides = true")
    hold = r.number(data["hold_s"], "hold_s")
    if hold < 0:
        raise r.fail("hold_s", "expected 0 or more seconds")
    return StretchSpec(
        id=r.text(data["id"], "id"),
        name=r.text(data["name"], "name"),
        source=r.text(data["source"], "source"),
        views=tuple(views),
        camera=r.text(data["camera"], "camera"),
        setup=tuple(setup),
        entry=tuple(entry),
        checks=tuple(checks),
        hold_s=hold,
        sided=sided,
        worked=worked,
        reps=reps,
        trends=tuple(trends),
        example=str(data.get("example", "")),
        limitations=str(data.get("limitations", "")).strip(),
        calibration=str(data.get("calibration", "")).strip(),
    )
