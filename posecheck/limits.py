"""The rule vocabulary shared by the stretch checks and the desk posture rules: what a value is
measured in (`Unit`), the range it should stay in (`Range`), how much hysteresis a verdict gets
(`Margins`), and one `judge` that says whether a value is in its range.

    target = Range(min=50, max=110)
    judge(target, 47.0)                        # (Status.ADJUST, "low")
    judge(target, 47.0, margin=3.0)            # (Status.OK, None): widened while it was ok
    target.describe(Unit.DEG, words=True)      # "50-110°"

A margin widens the ok range when positive (a check that is ok stays ok until the value is
clearly out) and narrows it when negative (a problem that is active clears only once the value
is clearly back in). Either way it is the hysteresis that keeps a verdict from flickering.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """What a metric is measured in: degrees, or a dimensionless ratio."""

    DEG = "deg"
    RATIO = "ratio"

    @property
    def symbol(self) -> str:
        return "°" if self is Unit.DEG else ""

    @property
    def decimals(self) -> int:
        """How many decimals a value is shown with: whole degrees, ratios to 0.01."""
        return 0 if self is Unit.DEG else 2

    def text(self, value: float, decimals: int | None = None) -> str:
        """ "92°" for an angle, "0.35" for a ratio (`decimals` overrides the precision); a value
        that rounds to zero is written without a sign ("0°", never "-0°")."""
        shown = f"{value:.{self.decimals if decimals is None else decimals}f}"
        if shown.startswith("-") and not shown.strip("-0."):
            shown = shown[1:]
        return f"{shown}{self.symbol}"

    def scale(self, reference: float) -> float:
        """The size of one unit of change relative to `reference`: a change in degrees is
        absolute, a change in a ratio is a share of the reference value."""
        return 1.0 if self is Unit.DEG else abs(reference)

    def format_change(self, change: float, reference: float) -> str:
        """A change against `reference` as a person reads it: "3.2°" or "12 %"."""
        if self is Unit.DEG:
            return f"{change:.1f}°"
        return f"{100 * change / abs(reference):.0f} %" if reference else f"{change:.3f}"


class Status(StrEnum):
    """A check's verdict on one frame."""

    OK = "ok"
    ADJUST = "adjust"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Range:
    """A target range; either bound may be open (None)."""

    min: float | None = None
    max: float | None = None

    def contains(self, value: float, margin: float = 0.0) -> bool:
        """Inside the range widened by `margin` on each bounded side (narrowed if negative)."""
        if self.min is not None and value < self.min - margin:
            return False
        return not (self.max is not None and value > self.max + margin)

    def direction(self, value: float) -> str | None:
        """ "low" below the range, "high" above it, None inside."""
        if self.min is not None and value < self.min:
            return "low"
        if self.max is not None and value > self.max:
            return "high"
        return None

    def to_json(self) -> dict[str, float | None]:
        return {"min": self.min, "max": self.max}

    def describe(self, unit: Unit, *, words: bool = False, decimals: int | None = None) -> str:
        """The range as text: ">= 50°", "<= 15°" or "50-110°"; with `words` "at least 50°",
        "at most 15°" and "50° to 110°" (a table cell starting with ">" would render as a
        Markdown quote). `decimals` None prints bounds as written in the rules."""

        def bound(v: float) -> str:
            return f"{v:g}{unit.symbol}" if decimals is None else unit.text(v, decimals)

        if self.min is not None and self.max is not None:
            if words:
                return f"{bound(self.min)} to {bound(self.max)}"
            if decimals is None:
                return f"{self.min:g}-{self.max:g}{unit.symbol}"
            return f"{bound(self.min)}-{bound(self.max)}"
        if self.min is not None:
            return f"at least {bound(self.min)}" if words else f">= {bound(self.min)}"
        if self.max is not None:
            return f"at most {bound(self.max)}" if words else f"<= {bound(self.max)}"
        return "any value"


@dataclass(frozen=True)
class Margins:
    """How far past a limit a verdict may drift before it changes (hysteresis): degrees for
    angle metrics, and for ratio metrics an amount that `of` scales by a reference value."""

    deg: float
    ratio: float

    def __post_init__(self) -> None:
        if self.deg < 0 or self.ratio < 0:
            raise ValueError(f"margins must be 0 or more, got {self.deg} and {self.ratio}")

    def of(self, unit: Unit, reference: float = 1.0) -> float:
        """The margin for `unit`; a ratio margin is a share of `reference` (1: absolute)."""
        return self.deg if unit is Unit.DEG else self.ratio * unit.scale(reference)


def judge(target: Range, value: float | None, margin: float = 0.0) -> tuple[Status, str | None]:
    """The status of `value` against `target` (widened by `margin`, or narrowed if negative),
    and the way out ("low"/"high") when it needs adjusting; unknown without a value."""
    if value is None:
        return Status.UNKNOWN, None
    if target.contains(value, margin):
        return Status.OK, None
    direction = target.direction(value)
    if direction is None:
        # Inside the exact range but outside a narrowed one: out on the nearer bound's side.
        low = abs(value - target.min) if target.min is not None else float("inf")
        high = abs(target.max - value) if target.max is not None else float("inf")
        direction = "low" if low <= high else "high"
    return Status.ADJUST, direction
