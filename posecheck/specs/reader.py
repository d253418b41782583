"""Reading rules files (stretch specs, desk posture rules): TOML in, values checked one key at
a time, and every mistake one `SpecError` sentence naming the file, the key and the valid
choices.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from posecheck.errors import PosecheckError
from posecheck.inputs import Unparsable, read_text
from posecheck.limits import Range
from posecheck.metrics import METRICS, Limb

#: A spec is a few kilobytes of text; a larger file is not one.
MAX_SPEC_BYTES = 1024 * 1024


class SpecError(PosecheckError, ValueError):
    """A spec file that cannot be used; the message names the file, the key and the fix."""


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse a rules file, or raise `InputError`/`SpecError` in one sentence naming it.

    Only a regular file is read (a folder or a FIFO is named as such), at most 1 MB; a UTF-8
    byte-order mark, which some Windows editors write, is accepted.
    """
    path = Path(path)
    try:
        text = read_text(path, what, max_bytes=MAX_SPEC_BYTES)
    except Unparsable:
        raise SpecError(f"{path}: not a text file (it must be UTF-8 text).") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}).") from None
    except RecursionError:
        raise SpecError(f"{path}: not a usable {what}: its values are nested too deeply.") from None


class SpecReader:
    """Reads one parsed rules file, raising `SpecError`s that name the file and the key."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.origin}: {where}: {message}")

    def keys(self, table: Any, allowed: dict[str, bool], where: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(where, f"expected a table, got {type(table).__name__}")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(allowed))}"
            )
        missing = [k for k, required in allowed.items() if required and k not in table]
        if missing:
            raise self.fail(where, f"missing key {missing[0]!r}")
        return table

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected non-empty text")
        return value.strip()

    def number(self, value: Any, where: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(where, f"expected a number, got {value!r}")
        return float(value)

    def metric(self, value: Any, where: str) -> str:
        name = self.text(value, where)
        if name not in METRICS:
            raise self.fail(
                where, f"unknown metric {name!r}; valid metrics: {', '.join(sorted(METRICS))}"
            )
        return name

    def limb(self, value: Any, metric: str, where: str) -> Limb | None:
        needs = METRICS[metric].limb
        if value is None:
            if needs:
                raise self.fail(
                    where,
                    f"metric {metric!r} is measured on one side: add "
                    f"limb = one of {', '.join(m.value for m in Limb)}",
                )
            return None
        if not needs:
            raise self.fail(where, f"metric {metric!r} is not measured on one side: remove limb")
        try:
            return Limb(value)
        except ValueError:
            raise self.fail(
                where, f"unknown limb {value!r}; valid limbs: {', '.join(m.value for m in Limb)}"
            ) from None

    def range(self, table: dict[str, Any], where: str, metric: str | None = None) -> Range:
        low = self.number(table["min"], f"{where}.min") if "min" in table else None
        high = self.number(table["max"], f"{where}.max") if "max" in table else None
        if low is None and high is None:
            raise self.fail(where, "give min, max or both")
        if low is not None and high is not None and low >= high:
            raise self.fail(where, f"min ({low:g}) must be below max ({high:g})")
        if metric is not None:
            for key, value in (("min", low), ("max", high)):
                self.within(value, metric, f"{where}.{key}")
        return Range(low, high)

    def within(self, value: float | None, metric: str, where: str) -> None:
        """A limit on `metric` must be a value the metric can take (else it is never met, or
        always met: a typo, or the wrong metric)."""
        if value is None:
            return
        known = METRICS[metric]
        low, high = known.bounds
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(
                where,
                f"{value:g} is outside what {metric} can measure "
                f"({known.describe_bounds()}), so the limit could never be met",
            )
