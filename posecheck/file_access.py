"""Which files on this computer the app may read when a visitor asks it to review a path, and
the app's own settings (the folders the person at this computer allows).

Reading a path is safe only for the person at this computer. So:
- the app listening on this machine only (`server.address` a loopback address, as
  .streamlit/config.toml sets it) and the visitor connecting from it: any path;
- otherwise (served to other computers, or a visitor behind a proxy): only inside the folders
  listed in the settings, and no path option at all when none are listed;
- only the person at this computer may edit that list.

Every path is resolved before it is checked (symbolic links followed, `..` collapsed), so
neither `..` nor a link can lead out of an allowed folder; listing a folder never follows a
link out of it either.

    access = PathAccess.for_request(server_address="127.0.0.1", client_ip=None)
    path = access.check("/home/me/Videos")     # InputError: one sentence for the visitor
    videos = access.videos(path)
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecheck.errors import InputError, PosecheckError
from posecheck.outputs import write_json
from posecheck.store import data_dir
from posecheck.video import VIDEO_TYPES, probe

SETTINGS_NAME = "app_settings.json"
#: Entries looked at in one folder review at most: naming "/" by mistake must not make the
#: server walk the whole disk.
MAX_SCAN = 20_000
_SUFFIXES = {f".{t}" for t in VIDEO_TYPES}
_TYPES = ", ".join(VIDEO_TYPES)


class SettingsError(PosecheckError):
    """The app's settings file cannot be read or written."""


@dataclass(frozen=True)
class AppSettings:
    """The app's own settings, kept as JSON in the data folder.

    allowed_folders: folders whose videos visitors may review by path when the app is served
        to other computers (absolute paths).
    """

    allowed_folders: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        for folder in self.allowed_folders:
            if not folder.is_absolute():
                raise ValueError(f"allowed folders must be absolute paths, got {folder}")

    def to_json(self) -> dict[str, Any]:
        return {"allowed_folders": [str(f) for f in self.allowed_folders]}


def settings_path() -> Path:
    return data_dir() / SETTINGS_NAME


def load_settings(path: Path | None = None) -> AppSettings:
    """The settings in `path` (default in the data folder); defaults when there is no file."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AppSettings()
    except OSError as exc:
        raise SettingsError(
            f"Cannot read the app settings {path} ({exc.strerror or exc})."
        ) from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        unknown = sorted(set(data) - {"allowed_folders"})
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; valid: ['allowed_folders']")
        folders = data.get("allowed_folders", [])
        if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
            raise ValueError("allowed_folders must be a list of paths")
        return AppSettings(tuple(Path(f) for f in folders))
    except ValueError as exc:
        raise SettingsError(
            f"The app settings {path} are damaged ({exc}); fix or delete it."
        ) from None


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, settings.to_json())
    except OSError as exc:
        raise SettingsError(
            f"Cannot save the app settings to {path} ({exc.strerror or exc})."
        ) from None


def parse_folders(text: str) -> AppSettings:
    """The settings for a list of folders typed one per line: each must be an existing folder,
    given as a full path; kept resolved (links followed), without repeats."""
    folders: list[Path] = []
    for line in text.splitlines():
        given = line.strip()
        if not given:
            continue
        path = Path(given).expanduser()
        if not path.is_absolute():
            raise InputError(f"{given} is not a full path: start it with / (or ~).")
        if not path.is_dir():
            raise InputError(f"{given} is not a folder on this computer.")
        resolved = path.resolve()
        if resolved not in folders:
            folders.append(resolved)
    return AppSettings(tuple(folders))


def _loopback(address: str | None) -> bool:
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class PathAccess:
    """How far one visitor may reach into this computer's files.

    roots: None for the person at this computer (any path); else the only folders (resolved)
        whose files may be read; empty means none, and the option is not offered.
    """

    roots: tuple[Path, ...] | None

    @classmethod
    def for_request(
        cls,
        *,
        server_address: str | None,
        client_ip: str | None,
        forwarded: bool = False,
        settings: AppSettings | None = None,
    ) -> PathAccess:
        """The access for a visitor: `server_address` is what the app listens on (Streamlit's
        server.address; empty means every interface), `client_ip` the visitor's address (None
        on this machine), `forwarded` whether a proxy passed the request on."""
        if cls.local(server_address=server_address, client_ip=client_ip, forwarded=forwarded):
            return cls(None)
        folders = (settings or AppSettings()).allowed_folders
        return cls(tuple(f.resolve() for f in folders if f.is_dir()))

    @staticmethod
    def local(*, server_address: str | None, client_ip: str | None, forwarded: bool) -> bool:
        """Whether the visitor is the person at this computer: the app listens on a loopback
        address only, and the request came from this machine, not through a proxy."""
        return (
            _loopback(server_address)
            and (client_ip is None or _loopback(client_ip))
            and not forwarded
        )

    @property
    def offered(self) -> bool:
        return self.roots is None or bool(self.roots)

    @property
    def anywhere(self) -> bool:
        return self.roots is None

    def _outside(self, given: str) -> InputError:
        assert self.roots is not None
        listed = ", ".join(str(r) for r in self.roots)
        return InputError(
            f"{given} is outside the folders this app may read ({listed}); "
            "ask the person at this computer to add it in the app's settings."
        )

    def check(self, text: str) -> Path:
        """The resolved path of the video or folder named by `text`, or `InputError` with one
        sentence: nothing typed, not a full path, outside the allowed folders (checked before
        anything else is said about it), missing, unreadable, or a file that is not a video."""
        given = text.strip()
        if not given:
            raise InputError("Type the full path of a video, or of a folder of videos.")
        if "\0" in given:
            raise InputError(f"{given!r} is not a path.")
        path = Path(given)
        if self.anywhere:
            path = path.expanduser()
        if not path.is_absolute():
            raise InputError(f"{given} is not a full path: start it with /.")
        resolved = Path(os.path.realpath(path))
        if self.roots is not None and not any(_inside(resolved, r) for r in self.roots):
            raise self._outside(given)
        if not resolved.exists():
            raise InputError(f"{given} does not exist.")
        if not os.access(resolved, os.R_OK):
            raise InputError(f"{given} cannot be read (permission denied).")
        if resolved.is_file():
            if resolved.suffix.lower() not in _SUFFIXES:
                raise InputError(
                    f"{given} is not a video: posecheck reviews {_TYPES} files."
                )
            probe(resolved)  # a file that only looks like a video: its sentence now, not later
        elif not resolved.is_dir():
            raise InputError(f"{given} is neither a file nor a folder.")
        return resolved

    def videos(self, path: Path) -> list[Path]:
        """The videos to review for a checked path: the file itself, or the video files in
        the folder and its subfolders (sorted; hidden ones left out; links that lead out of
        the allowed folders skipped, and linked folders never entered). `InputError` when
        there are none or the folder holds too many files to look through."""
        if path.is_file():
            return [path]
        found: list[Path] = []
        seen = 0
        for folder, subfolders, files in os.walk(path, followlinks=False):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            seen += len(files) + len(subfolders)
            if seen > MAX_SCAN:
                raise InputError(
                    f"The folder {path} holds too many files to look through (over "
                    f"{MAX_SCAN}); choose the folder that holds the recordings."
                )
            for name in sorted(files):
                candidate = Path(folder) / name
                if name.startswith(".") or candidate.suffix.lower() not in _SUFFIXES:
                    continue
                real = Path(os.path.realpath(candidate))
                if self.roots is not None and not any(_inside(real, r) for r in self.roots):
                    continue
                if real.is_file():
                    found.append(real)
        if not found:
            raise InputError(f"The folder {path} holds no videos ({_TYPES} files).")
        return list(dict.fromkeys(found))


def describe_roots(roots: Iterable[Path]) -> str:
    return ", ".join(str(r) for r in roots)
