"""Reading files the user names: regular files only, a size cap for text formats, and one
sentence for every way a file can be unusable.

A FIFO, a device or a socket is refused before it is read (opening a FIFO would wait for a
writer forever; a device may never end), a folder is called a folder, and JSON nested deeper
than Python's parser recurses is refused instead of crashing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from posecheck.errors import InputError

#: Rules files, profiles and summaries are a few kilobytes; anything past this is not one.
MAX_TEXT_BYTES = 4 * 1024 * 1024


class Unparsable(InputError):
    """A file that is there and readable but whose contents cannot be parsed; `reason` says
    why in a few words ("not valid JSON", "nested too deeply", "not UTF-8 text")."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words (for inputs and outputs alike)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _a(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"


def check_regular(path: str | Path, what: str) -> os.stat_result:
    """The status of `path` if it is an existing regular file (links followed), else
    `InputError`: "X does not exist", "X is a folder, not a WHAT", "X is a FIFO (named pipe),
    not a WHAT: posecheck reads only regular files"."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                f"The {what} {path} is a symbolic link to a file that does not exist."
            ) from None
        raise InputError(f"The {what} {path} does not exist.") from None
    except PermissionError:
        raise InputError(f"The {what} {path} cannot be read (permission denied).") from None
    except OSError as exc:
        raise InputError(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path} is a folder, not {_a(what)}.")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{path} is {file_kind(info.st_mode)}, not {_a(what)}: posecheck reads only "
            "regular files."
        )
    return info


def read_bytes(path: str | Path, what: str, *, max_bytes: int | None = None) -> bytes:
    """The contents of the regular file `path`, read without ever blocking on a FIFO."""
    path = Path(path)
    check_regular(path, what)
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the check, opening it does not
        # wait for a writer; the fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError:
        raise InputError(f"The {what} {path} cannot be read (permission denied).") from None
    except OSError as exc:
        raise InputError(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None
    with contextlib.closing(os.fdopen(fd, "rb")) as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"{path} is {file_kind(info.st_mode)}, not {_a(what)}: posecheck reads only "
                "regular files."
            )
        if max_bytes is not None and info.st_size > max_bytes:
            raise InputError(
                f"The {what} {path} is {info.st_size / 1e6:.1f} MB, too large for {_a(what)} "
                f"(at most {max_bytes / 1e6:.0f} MB)."
            )
        os.set_blocking(fd, True)
        try:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(
                f"The {what} {path} cannot be read ({exc.strerror or exc})."
            ) from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"The {what} {path} is too large for {_a(what)}.")
    return data


def read_text(path: str | Path, what: str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file (a byte-order mark at the start is accepted and dropped)."""
    data = read_bytes(path, what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unparsable(
            f"The {what} {path} is not UTF-8 text (byte {exc.start} cannot be read).",
            "not UTF-8 text",
        ) from None


def read_json(path: str | Path, what: str, *, max_bytes: int = MAX_TEXT_BYTES) -> Any:
    """A JSON file's value, or `InputError`: not JSON, too large, nested too deeply."""
    text = read_text(path, what, max_bytes=max_bytes)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unparsable(
            f"The {what} {path} is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}).",
            "not valid JSON",
        ) from None
    except RecursionError:
        raise Unparsable(
            f"The {what} {path} is nested too deeply to be {_a(what)}.", "nested too deeply"
        ) from None
