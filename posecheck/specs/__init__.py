"""Stretch specs: the catalog shipped in `stretches/` and users' own files, loaded the same way.

spec = get_stretch("kneeling-hip-flexor")      # from the catalog
spec = load_spec("my_stretch.toml")            # a user's own file, validated the same way
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from posecheck.errors import InputError
from posecheck.specs.model import (
    Check,
    Condition,
    Range,
    Reps,
    SpecError,
    StretchSpec,
    Trend,
    parse_spec,
    read_toml,
)

CATALOG_DIR = Path(__file__).parent / "stretches"

__all__ = [
    "CATALOG_DIR",
    "Check",
    "Condition",
    "Range",
    "Reps",
    "SpecError",
    "StretchSpec",
    "Trend",
    "catalog",
    "get_stretch",
    "load_spec",
    "parse_spec",
]


def load_spec(path: str | Path) -> StretchSpec:
    """Load and validate one spec file; any problem is a `SpecError` naming file and key."""
    return parse_spec(read_toml(path, "spec file"), str(path))


@cache
def catalog() -> dict[str, StretchSpec]:
    """The shipped stretches by id, in file-name order."""
    specs: dict[str, StretchSpec] = {}
    for path in sorted(CATALOG_DIR.glob("*.toml")):
        spec = load_spec(path)
        if spec.id in specs:
            raise SpecError(f"{path}: id {spec.id!r} is used by another catalog file.")
        specs[spec.id] = spec
    return specs


def get_stretch(stretch_id: str) -> StretchSpec:
    """The catalog stretch `stretch_id`, or a .toml path to a user's own spec file."""
    if stretch_id.endswith(".toml"):
        return load_spec(stretch_id)
    specs = catalog()
    if stretch_id not in specs:
        raise InputError(
            f"Unknown stretch {stretch_id!r}; choose one of: {', '.join(specs)} "
            "(or give a .toml spec file)."
        )
    return specs[stretch_id]
