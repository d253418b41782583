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
    "MODES",
    "VIEWS",
    "Check",
    "Condition",
    "LooksLike",
    "Range",
    "Reps",
    "SpecError",
    "StretchSpec",
    "Trend",
    "parse_spec",
    "read_toml",
]

VIEWS = ("side", "front", "three-quarter", "any")
#: How a stretch is done: held, repeated, both in either order (the first named is the usual
#: order; either order is credited), or one of the two.
MODES = ("hold", "reps", "reps-then-hold", "hold-then-reps", "hold-or-reps")


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
    #: The camera views this check can be judged from (empty: every view the spec allows).
    views: tuple[str, ...] = ()
    #: Words for the one-sentence verdict on a rep: what went well ("full depth"), and what
    #: went wrong below or above the range, written to follow "Rep 2 " ("stopped above knee
    #: height: sit lower next time"). Empty: the check's own cue is used.
    rep_ok: str = ""
    rep_low: str = ""
    rep_high: str = ""
    #: How far outside its target a rep's value may be and still pass (one camera's estimate
    #: varies by this much from rep to rep); such a rep is "at the limit", not a fault.
    rep_margin: float = 0.0

    def cue_for(self, direction: str | None) -> str | None:
        if direction == "low":
            return self.cue_low
        if direction == "high":
            return self.cue_high
        return None

    def judged_from(self, view: str | None) -> bool:
        """Whether this check can be judged from `view` (a check without views: any)."""
        return not self.views or view in self.views


@dataclass(frozen=True)
class Reps:
    """How a moving stretch's repetitions are followed (posecheck.temporal.RepPhases and
    CycleTracker) and how many make the goal.

    Out and back (squat, bridge, pelvic tilt): a rep leaves the rest position when `metric`
    passes `rest` toward `toward` ("high" or "low"), counts only if it gets past `reach` (a
    shallower movement is a dip), is judged at its end range (the extreme, confirmed once the
    metric has come back `turn` from it, or once it has paused there `settle_s`) and ends back
    past `rest`. A stay at the end range of `hold_after_s` turns the rep into a hold.

    Cycle (cat-cow, `cycle` set): each rep reaches both ends, past `cycle[0]` on the low side
    and past `cycle[1]` on the high side, in either order; `turn` confirms each end.
    """

    metric: str
    limb: Limb | None
    target: int
    toward: str = "high"
    rest: float = 0.0
    reach: float = 0.0
    turn: float = 1.0
    cycle: tuple[float, float] | None = None
    min_dwell_s: float = 0.1
    min_rep_s: float = 0.5
    settle_s: float = 0.6
    hold_after_s: float = 3.0
    #: What the live page calls the three parts of a rep: on the way out, at the end range,
    #: on the way back ("Going down", "At the bottom", "Coming up").
    phase_names: tuple[str, str, str] = ("Moving", "At the end of the range", "Coming back")

    @property
    def unit(self) -> str:
        """What one repetition is called in the goal: a "cycle" or a "rep"."""
        return "cycle" if self.cycle is not None else "rep"


@dataclass(frozen=True)
class LooksLike:
    """Another catalog stretch this one cannot always be told apart from with one camera, and
    the sentence that says why (shown when a routine review meets the two together)."""

    stretch: str
    note: str


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
    mode: str = "hold"
    looks_like: tuple[LooksLike, ...] = ()

    @property
    def has_reps(self) -> bool:
        """Repetitions are followed (the mode names reps, so the spec has a [reps] table)."""
        return self.mode != "hold" and self.reps is not None

    @property
    def has_hold(self) -> bool:
        return self.mode != "reps"

    @property
    def goal(self) -> str:
        """What the user aims for, as text: "hold 30 s on each side", "10 slow cycles",
        "10 slow reps, then hold 30 s at the bottom", "hold 20 s at the top, or 10 slow reps"."""
        hold = f"hold {self.hold_s:g} s" + (" on each side" if self.sided else "")
        if not self.has_reps or self.reps is None:
            return hold
        reps = f"{self.reps.target} slow {self.reps.unit}s"
        where = self.reps.phase_names[1]
        if where.lower().startswith("at "):
            hold = f"{hold} {where[0].lower()}{where[1:]}"
        return {
            "reps": reps,
            "reps-then-hold": f"{reps}, then {hold}",
            "hold-then-reps": f"{hold}, then {reps}",
            "hold-or-reps": f"{hold}, or {reps}",
        }[self.mode]

    def done(self, held_s: float, reps: int) -> bool:
        """Whether the goal is met with `held_s` seconds held in good form and `reps` reps:
        every target the mode names (in either order), or one of them for "hold-or-reps"."""
        hold_met = self.hold_s > 0 and held_s >= self.hold_s
        reps_met = self.reps is not None and reps >= self.reps.target
        if self.mode == "hold":
            return hold_met
        if self.mode == "reps":
            return reps_met
        if self.mode == "hold-or-reps":
            return hold_met or reps_met
        return hold_met and reps_met

    def note_for_view(self, view: str | None) -> str | None:
        """Which checks the camera can judge from `view` and which need another view, in one
        or two sentences; None when every check can be judged from it (or the view is not
        one of the spec's)."""
        if view is None or ("any" not in self.views and view not in self.views):
            return None
        other = [c for c in self.checks if not c.judged_from(view)]
        if not other:
            return None
        seen = [c for c in self.checks if c.judged_from(view)]
        text = f"Filmed from {_VIEW_WORDS[view]}, I can judge: {_names(seen)}."
        by_view: dict[str, list[Check]] = {}
        for check in other:
            by_view.setdefault(check.views[0], []).append(check)
        for where, checks in by_view.items():
            text += f" Not from this view: {_names(checks)} (needs {_VIEW_WORDS[where]} view)."
        return text

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"{self.id} has no check {check_id!r}")


_VIEW_WORDS = {"side": "the side", "front": "the front", "three-quarter": "three-quarters",
               "any": "any"}  # fmt: skip


def _names(checks: list[Check]) -> str:
    return ", ".join(c.id.replace("-", " ") for c in checks) or "nothing"


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
    "mode": False,
    "looks_like": False,
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
    "views": False,
    "rep_ok": False,
    "rep_low": False,
    "rep_high": False,
    "rep_margin": False,
}
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
                **_check_extras(r, table, where, target),
            )
        )

    reps = _parse_reps(r, data["reps"]) if "reps" in data else None

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
    mode = _parse_mode(r, data.get("mode"), hold, reps)
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
        mode=mode,
        looks_like=_parse_looks_like(r, data.get("looks_like", []), str(data["id"])),
    )


# --- moving stretches: the mode, the [reps] table, per-check views and rep words -------------

_REPS = {
    "metric": True,
    "limb": False,
    "target": True,
    "toward": False,
    "rest": False,
    "reach": False,
    "turn": False,
    "cycle": False,
    "min_dwell_s": False,
    "min_rep_s": False,
    "settle_s": False,
    "hold_after_s": False,
    "phase_names": False,
    # The first spec format: a band from low to high (kept so that older files still load).
    "low": False,
    "high": False,
    "start": False,
}
_LOOKS_LIKE = {"stretch": True, "note": True}


def _parse_mode(r: SpecReader, value: Any, hold_s: float, reps: Reps | None) -> str:
    """The spec's `mode`; without one, what the spec has: a hold, reps, or either of them."""
    if value is None:
        if reps is None:
            return "hold"
        return "hold-or-reps" if hold_s > 0 else "reps"
    if value not in MODES:
        raise r.fail("mode", f"unknown mode {value!r}; valid modes: {', '.join(MODES)}")
    if value != "hold" and reps is None:
        raise r.fail("mode", f"mode {value!r} counts reps, so the spec needs a [reps] table")
    if value == "hold" and reps is not None:
        raise r.fail("mode", "mode 'hold' has no reps: remove [reps] or choose 'hold-or-reps'")
    if value != "reps" and hold_s <= 0:
        raise r.fail("mode", f"mode {value!r} includes a hold, so hold_s must be more than 0")
    if value == "reps" and hold_s > 0:
        raise r.fail("mode", "mode 'reps' has no hold: set hold_s = 0 or choose 'hold-or-reps'")
    return str(value)


def _parse_reps(r: SpecReader, data: Any) -> Reps:
    """The [reps] table: out and back (toward, rest, reach, turn), a cycle between two ends
    (cycle = [low end, high end], turn), or the first format's band (low, high, start)."""
    table = r.keys(data, _REPS, "reps")
    name = r.metric(table["metric"], "reps.metric")
    limb = r.limb(table.get("limb"), name, "reps")
    target = table["target"]
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        raise r.fail("reps.target", "expected a whole number of reps, 1 or more")
    timing: dict[str, Any] = {}
    for key in ("min_dwell_s", "min_rep_s", "settle_s", "hold_after_s"):
        if key in table:
            timing[key] = r.number(table[key], f"reps.{key}")
            if timing[key] <= 0:
                raise r.fail(f"reps.{key}", "expected more than 0 seconds")
    names: dict[str, Any] = {}
    if "phase_names" in table:
        words = table["phase_names"]
        if not (isinstance(words, list) and len(words) == 3):
            raise r.fail("reps.phase_names", "expected three names: out, at the end, back")
        names["phase_names"] = tuple(
            r.text(w, f"reps.phase_names[{i}]") for i, w in enumerate(words)
        )
    given = {k for k in ("toward", "rest", "reach", "turn", "cycle", "low", "high", "start")
             if k in table}  # fmt: skip
    if given & {"low", "high", "start"}:
        if given - {"low", "high", "start"}:
            raise r.fail("reps", "give either low/high/start (the first format) or the "
                         "toward/rest/reach/turn or cycle/turn keys, not both")  # fmt: skip
        return _legacy_reps(r, table, name, limb, target, timing, names)
    for key in ("turn",):
        if key not in table:
            raise r.fail("reps", f"missing key {key!r}")
    turn = r.number(table["turn"], "reps.turn")
    if turn <= 0:
        raise r.fail("reps.turn", "expected more than 0 (how far back from an end confirms it)")
    if "cycle" in table:
        if given & {"toward", "rest", "reach"}:
            raise r.fail("reps", "a cycle has two ends (cycle = [low, high]): leave out "
                         "toward, rest and reach")  # fmt: skip
        ends = table["cycle"]
        if not (isinstance(ends, list) and len(ends) == 2):
            raise r.fail("reps.cycle", "expected the two ends as [low, high]")
        low, high = (r.number(v, f"reps.cycle[{i}]") for i, v in enumerate(ends))
        r.within(low, name, "reps.cycle[0]")
        r.within(high, name, "reps.cycle[1]")
        if low >= high:
            raise r.fail("reps.cycle", f"the low end ({low:g}) must be below the high end "
                         f"({high:g})")  # fmt: skip
        return Reps(name, limb, target, turn=turn, cycle=(low, high), **timing, **names)
    for key in ("toward", "rest", "reach"):
        if key not in table:
            raise r.fail("reps", f"missing key {key!r} (or give cycle = [low, high])")
    toward = table["toward"]
    if toward not in ("high", "low"):
        raise r.fail("reps.toward", f"expected 'high' or 'low', got {toward!r}")
    rest, reach = r.number(table["rest"], "reps.rest"), r.number(table["reach"], "reps.reach")
    r.within(rest, name, "reps.rest")
    r.within(reach, name, "reps.reach")
    if (reach - rest) * (1 if toward == "high" else -1) <= 0:
        raise r.fail("reps.reach", f"reach ({reach:g}) must lie beyond rest ({rest:g}) on the "
                     f"{toward} side")  # fmt: skip
    return Reps(name, limb, target, toward, rest, reach, turn, **timing, **names)


def _legacy_reps(
    r: SpecReader,
    table: dict[str, Any],
    name: str,
    limb: Limb | None,
    target: int,
    timing: dict[str, Any],
    names: dict[str, Any],
) -> Reps:
    """The first format: a rep went past `high` and came back past `low` (start "low"), or
    the reverse. Read as out and back: rest at the start side, reach at the other."""
    for key in ("low", "high"):
        if key not in table:
            raise r.fail("reps", f"missing key {key!r}")
    low, high = r.number(table["low"], "reps.low"), r.number(table["high"], "reps.high")
    r.within(low, name, "reps.low")
    r.within(high, name, "reps.high")
    if low >= high:
        raise r.fail("reps", f"low ({low:g}) must be below high ({high:g})")
    start = table.get("start", "low")
    if start not in ("low", "high"):
        raise r.fail("reps.start", f"expected 'low' or 'high', got {start!r}")
    toward, rest, reach = ("high", low, high) if start == "low" else ("low", high, low)
    return Reps(name, limb, target, toward, rest, reach, (high - low) / 2, **timing, **names)


def _check_extras(
    r: SpecReader, table: dict[str, Any], where: str, target: Range
) -> dict[str, Any]:
    """A check's optional `views`, rep words and rep margin (see `Check`)."""
    extras: dict[str, Any] = {}
    if "views" in table:
        views = table["views"]
        if not isinstance(views, list) or not views:
            raise r.fail(f"{where}.views", f"expected a list of views from: {', '.join(VIEWS)}")
        for view in views:
            if view not in VIEWS:
                raise r.fail(
                    f"{where}.views", f"unknown view {view!r}; valid views: {', '.join(VIEWS)}"
                )
        extras["views"] = tuple(views)
    for key, bound in (("rep_ok", None), ("rep_low", target.min), ("rep_high", target.max)):
        if key in table:
            if key != "rep_ok" and bound is None:
                side = "min" if key == "rep_low" else "max"
                raise r.fail(f"{where}.{key}", f"the check has no {side}, so nothing to say")
            extras[key] = r.text(table[key], f"{where}.{key}")
    if "rep_margin" in table:
        margin = r.number(table["rep_margin"], f"{where}.rep_margin")
        if margin < 0:
            raise r.fail(f"{where}.rep_margin", "expected 0 or more")
        extras["rep_margin"] = margin
    return extras


def _parse_looks_like(r: SpecReader, tables: Any, own_id: str) -> tuple[LooksLike, ...]:
    if not isinstance(tables, list):
        raise r.fail("looks_like", "expected a list of [[looks_like]] tables")
    out = []
    for i, table in enumerate(tables):
        where = f"looks_like[{i}]"
        r.keys(table, _LOOKS_LIKE, where)
        other = r.text(table["stretch"], f"{where}.stretch")
        if other == own_id:
            raise r.fail(f"{where}.stretch", "a stretch cannot look like itself")
        out.append(LooksLike(other, r.text(table["note"], f"{where}.note")))
    return tuple(out)
