"""Camera profiles: the user's posture baseline for each camera position, kept on disk.

A profile is `profiles/NAME.json` in the data directory: `$POSECHECK_DATA_DIR` if set, else
`$XDG_DATA_HOME/posecheck`, else `~/.local/share/posecheck`. Recalibrating overwrites it
(atomically: a crash leaves the old profile, never half a file).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from posecheck.desk import Baseline, OldBaselineError
from posecheck.errors import InputError
from posecheck.inputs import Unparsable, read_json

# One source for where user data lives: the history store's rule.
from posecheck.store import DATA_DIR_ENV, data_dir

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

__all__ = [
    "DATA_DIR_ENV",
    "DEFAULT_PROFILE",
    "ProfileError",
    "data_dir",
    "list_profiles",
    "load_baseline_file",
    "load_profile",
    "profile_path",
    "save_profile",
]


class ProfileError(InputError):
    """A camera profile that is missing, damaged or badly named."""


def profile_path(name: str) -> Path:
    if not _NAME.match(name) or name.endswith(".json"):
        raise ProfileError(
            f"{name!r} is not a usable profile name: use up to 64 letters, digits, '-', '_' "
            "or '.', starting with a letter or digit (for example 'laptop' or 'side-cam')."
        )
    return data_dir() / "profiles" / f"{name}.json"


def save_profile(name: str, baseline: Baseline, *, camera: int | None = None) -> Path:
    """Write (or overwrite) profile `name`; returns its path."""
    path = profile_path(name)
    document: dict[str, Any] = {"profile": name, "camera": camera, **baseline.to_json()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise ProfileError(f"Cannot save the profile to {path}: {exc.strerror or exc}.") from None
    return path


def load_baseline_file(path: str | Path, *, name: str | None = None) -> Baseline:
    """The baseline in a profile file; any problem is one `ProfileError` sentence."""
    path = Path(path)
    fix = (
        f"recalibrate with `posecheck calibrate --profile {name}`"
        if name
        else "calibrate again to write a new one"
    )
    try:
        # Regular files only, at most a few MB, nesting that cannot crash the parser.
        data = read_json(path, "baseline file")
    except Unparsable as exc:
        raise ProfileError(f"The profile file {path} is damaged ({exc.reason}): {fix}.") from None
    except InputError as exc:
        raise ProfileError(str(exc)) from None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ("profile", "camera")}
    try:
        return Baseline.from_json(data)
    except OldBaselineError as exc:
        raise ProfileError(f"The profile file {path} {exc}: {fix}.") from None
    except ValueError as exc:
        raise ProfileError(f"The profile file {path} is not usable ({exc}): {fix}.") from None


def load_profile(name: str) -> Baseline:
    """The baseline stored under profile `name`."""
    path = profile_path(name)
    if not path.is_file():
        raise ProfileError(
            f"There is no camera profile {name!r} (looked for {path}): record one with "
            f"`posecheck calibrate --profile {name}`."
        )
    return load_baseline_file(path, name=name)


def list_profiles() -> list[str]:
    folder = data_dir() / "profiles"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if _NAME.match(p.stem))
