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
    "load_user_spec",
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


def load_user_spec(path: str | Path) -> StretchSpec:
    """A user's own spec file: validated like the catalog, and its id must be its own (a
    shipped id would mix its sessions into that stretch's history and trends). The catalog's
    own files load as they are."""
    path = Path(path)
    spec = load_spec(path)
    shipped = catalog().get(spec.id)
    if shipped is not None:
        try:
            shipped_file = path.resolve().parent == CATALOG_DIR.resolve()
        except (OSError, RuntimeError):
            shipped_file = False
        if not shipped_file:
            raise SpecError(
                f"{path}: id: {spec.id!r} is the id of the shipped stretch {shipped.name!r}; "
                "give your stretch an id of its own (it names its sessions in the history)."
            )
    return spec


def get_stretch(stretch_id: str) -> StretchSpec:
    """The catalog stretch `stretch_id`, or the path of a user's own spec file (a .toml name,
    or any path that exists: a folder or a FIFO is then named as such)."""
    specs = catalog()
    if stretch_id in specs:
        return specs[stretch_id]
    if stretch_id.lower().endswith(".toml") or "/" in stretch_id or Path(stretch_id).exists():
        return load_user_spec(stretch_id)
    raise InputError(
        f"Unknown stretch {stretch_id!r}; choose one of: {', '.join(specs)} "
        "(or give a .toml spec file)."
    )
