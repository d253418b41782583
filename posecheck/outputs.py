"""Writing result files without ever destroying one of the user's files.

Every output path goes through `output_target` before any work starts, and every write through
`PendingFile` (or `write_json` / `write_bytes`, which use it):

- a regular file (or a new name) is written under a hidden temporary name beside it,
  `.NAME.XXXXXXXX.partial`, and renamed over it only when complete, so an interrupted run
  never leaves half a file in place of an earlier complete one;
- a symbolic link is followed on purpose: its target is written and the link stays a link
  (a link to nothing is refused, as `cp` refuses to write through one);
- a FIFO or a character device (/dev/null, /dev/stdout, a terminal) is written directly: it
  is never replaced by a regular file; a FIFO nobody reads from is refused rather than waited
  on; block devices, sockets and folders are refused;
- `check_distinct` refuses an output that is one of the run's inputs or another of its outputs,
  by resolved path and by file identity (device and inode: hard links, symbolic links, and
  /dev/stdout naming the terminal or pipe that `-` prints to).

While a temporary file is being written its writer holds an advisory lock on it
(`fcntl.flock`); `clean_leftovers` removes the `.partial` files nobody holds, which are what an
interrupted run (SIGKILL, a power cut) leaves behind. Runs call it on the folders they write to.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from posecheck.errors import InputError
from posecheck.inputs import file_kind

#: Temporary files of this module: `.NAME.XXXXXXXX.partial` (and `.NAME.partial`, the name
#: earlier versions used).
_PARTIAL = re.compile(r"^\..+?(\.[0-9a-f]{8})?\.partial$", re.DOTALL)
#: While a temporary file is created and locked it has this suffix; clean-up ignores it.
_CLAIMING = ".claiming"

#: `-` stands for standard output in `--json -`.
STDOUT = "-"


class OutputError(InputError):
    """An output path that cannot or must not be written; one sentence for the user."""


@dataclass(frozen=True)
class Target:
    """Where one output goes.

    path: as the user gave it (for messages).
    real: where the bytes go: `path` with symbolic links followed.
    special: a FIFO or character device, written directly (no temporary file, no rename).
    """

    what: str
    path: Path
    real: Path
    special: bool = False


def output_target(path: str | Path, what: str, *, special_ok: bool = True) -> Target:
    """Check that the `what` can be written at `path`, before any work is done.

    Raises `OutputError` for a missing folder, a folder, a block device, a socket, a link to
    nothing, an unwritable place, and (unless `special_ok`) a FIFO or character device.
    """
    path = Path(path)
    if str(path) in ("", "."):
        raise OutputError(f"The {what} needs a file name.")
    real = path
    try:
        if path.is_symlink():
            real = path.resolve()
            if not real.exists():
                raise OutputError(
                    f"Cannot write the {what} {path}: it is a symbolic link to {real}, which "
                    "does not exist; give the file name itself."
                )
        info = real.stat()
    except FileNotFoundError:
        info = None
    except RuntimeError:  # a loop of symbolic links
        raise OutputError(f"Cannot write the {what} {path}: its symbolic links loop.") from None
    except OSError as exc:
        raise OutputError(f"Cannot write the {what} {path} ({exc.strerror or exc}).") from None
    if info is None:
        folder = real.parent
        if not folder.is_dir():
            raise OutputError(
                f"Cannot write the {what} {path}: the folder {folder} does not exist."
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(
                f"Cannot write the {what} {path}: the folder {folder} is not writable."
            )
        return Target(what, path, real)
    mode = info.st_mode
    if stat.S_ISREG(mode):
        if not os.access(real.parent, os.W_OK | os.X_OK):
            raise OutputError(
                f"Cannot write the {what} {path}: the folder {real.parent} is not writable."
            )
        return Target(what, path, real)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        if not special_ok:
            raise OutputError(
                f"Cannot write the {what} to {path}: it is {file_kind(mode)}, and the {what} "
                "needs a regular file; give a file name."
            )
        if not os.access(real, os.W_OK):
            raise OutputError(f"Cannot write the {what} to {path}: permission denied.")
        return Target(what, path, real, special=True)
    raise OutputError(
        f"Cannot write the {what} to {path}: it is {file_kind(mode)}; give a file name."
    )


# --- one run's files must all be different -------------------------------------------------


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of what `path` names (following links), of stdout for `-`; None when
    it does not exist yet."""
    try:
        info = os.fstat(sys.stdout.fileno()) if str(path) == STDOUT else os.stat(path)
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_dev, info.st_ino


def _resolved(path: str | Path) -> Path | None:
    if str(path) == STDOUT:
        return None
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


def _describe(what: str, path: str | Path) -> str:
    return "standard output" if str(path) == STDOUT else f"the {what} {path}"


def check_distinct(
    inputs: Iterable[tuple[str, str | Path | None]],
    outputs: Iterable[tuple[str, str | Path | None]],
) -> None:
    """Refuse an output that is an input, or the same file as another output of the run.

    Each item is (what, path); None paths are skipped and `-` is standard output. Files are the
    same when their resolved paths are equal or, both existing, they are one file (hard and
    symbolic links, /dev/stdout and `-`). Raises `OutputError` naming both.
    """
    given_inputs = [(w, p) for w, p in inputs if p is not None]
    given_outputs = [(w, p) for w, p in outputs if p is not None]
    seen: list[tuple[str, str | Path, Path | None, tuple[int, int] | None]] = []
    for what, path in given_outputs:
        real, identity = _resolved(path), _identity(path)
        for in_what, in_path in given_inputs:
            in_identity = _identity(in_path)
            if (real is not None and real == _resolved(in_path)) or (
                identity is not None and identity == in_identity
            ):
                named = f"the {in_what}" if str(in_path) == str(path) else (
                    f"{_describe(in_what, in_path)} under another name"
                )
                raise OutputError(
                    f"The {what} {path} is {named}: writing it would destroy it; give the "
                    f"{what} another name."
                )
        for other_what, other_path, other_real, other_identity in seen:
            if (real is not None and real == other_real) or (
                identity is not None and identity == other_identity
            ):
                raise OutputError(
                    f"The {what} {path} and {_describe(other_what, other_path)} are the same "
                    "file, so one would overwrite the other; give each its own name."
                )
        seen.append((what, path, real, identity))


# --- writing ---------------------------------------------------------------------------------


class PendingFile:
    """One output being written: under a locked temporary name for a regular target (renamed
    over the target by `commit`), or the special file itself.

        with PendingFile(target) as pending:   # discards the temporary file if not committed
            write(pending.path)                # or pending.open("w")
            pending.commit()
    """

    def __init__(self, target: Target | Path) -> None:
        self.target = target if isinstance(target, Target) else output_target(target, "file")
        self._lock_fd: int | None = None
        self._done = False
        if self.target.special:
            self.path = self.target.real
            return
        folder, name = self.target.real.parent, self.target.real.name
        for _ in range(100):
            token = secrets.token_hex(4)
            claiming = folder / f".{name}.{token}{_CLAIMING}"
            try:
                fd = os.open(claiming, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                raise OutputError(
                    f"Cannot write the {self.target.what} {self.target.path} "
                    f"({exc.strerror or exc})."
                ) from None
            # Locked before it gets its .partial name, so clean-up never sees it unlocked.
            self._lock_fd = fd
            self.path = folder / f".{name}.{token}.partial"
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.rename(claiming, self.path)
            except OSError as exc:
                self._release()
                with contextlib.suppress(OSError):
                    claiming.unlink()
                raise OutputError(
                    f"Cannot write the {self.target.what} {self.target.path} "
                    f"({exc.strerror or exc})."
                ) from None
            return
        raise OutputError(f"Cannot find a temporary name for {self.target.path}.")

    def open(self, mode: str = "w", **kwargs: Any) -> IO[Any]:
        """The output opened for writing (a FIFO without a reader is refused, not waited on)."""
        if not self.target.special:
            return open(self.path, mode, **kwargs)
        return open_special(self.target, mode, **kwargs)

    def commit(self) -> None:
        """Put the finished file in place of the target."""
        if self._done:
            return
        self._done = True
        try:
            if not self.target.special:
                try:
                    os.replace(self.path, self.target.real)
                except OSError as exc:
                    raise OutputError(
                        f"Cannot write the {self.target.what} {self.target.path} "
                        f"({exc.strerror or exc})."
                    ) from None
        finally:
            self._release()

    def discard(self) -> None:
        """Remove the temporary file (special files are left as they are)."""
        if self._done:
            return
        self._done = True
        if not self.target.special:
            with contextlib.suppress(OSError):
                self.path.unlink()
        self._release()

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


#: How long a FIFO may wait for its reader to open it (a reader started a moment before).
FIFO_READER_WAIT_S = 5.0


def open_special(target: Target, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open a FIFO or character device for writing, refusing a FIFO that nobody reads (after
    `FIFO_READER_WAIT_S`) instead of waiting for a reader forever."""
    deadline = time.monotonic() + FIFO_READER_WAIT_S
    while True:
        try:
            # O_NONBLOCK: a blocking open of a FIFO would wait for a reader forever.
            fd = os.open(target.real, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            break
        except OSError as exc:
            if exc.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            if exc.errno == errno.ENXIO:
                raise OutputError(
                    f"Cannot write the {target.what} to {target.path}: it is a FIFO that "
                    "nobody is reading; start its reader first."
                ) from None
            raise OutputError(
                f"Cannot write the {target.what} to {target.path} ({exc.strerror or exc})."
            ) from None
    os.set_blocking(fd, True)
    return open(fd, mode, **kwargs)


def _broken(target: Target, exc: OSError) -> OutputError:
    if isinstance(exc, BrokenPipeError):
        return OutputError(
            f"Cannot write the {target.what} to {target.path}: its reader closed it."
        )
    return OutputError(f"Cannot write the {target.what} {target.path} ({exc.strerror or exc}).")


def write_bytes(target: Target | Path, data: bytes) -> None:
    """Write `data` to the target whole (see the module docstring). Raises `OutputError`."""
    with PendingFile(target) as pending:
        try:
            with pending.open("wb") as f:
                f.write(data)
        except OSError as exc:
            raise _broken(pending.target, exc) from None
        pending.commit()


def write_json(target: Target | Path, data: Any) -> None:
    """Write `data` as JSON to the target all at once. Raises `OutputError` (an OSError never
    escapes: the sentence says what failed)."""
    if not isinstance(target, Target):
        target = output_target(target, "JSON file")
    text = json.dumps(data, indent=1) + "\n"
    write_bytes(target, text.encode("utf-8"))


def clean_leftovers(folders: Iterable[Path]) -> list[Path]:
    """Remove the temporary `.partial` files that interrupted runs left in `folders`.

    A file is removed only when it is a regular file of this user and no running writer holds
    its lock. Returns what was removed; problems (an unreadable folder) are skipped silently:
    clean-up never stops a run.
    """
    removed = []
    uid = os.geteuid()
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            names = [e.name for e in os.scandir(folder) if _PARTIAL.match(e.name)]
        except OSError:
            continue
        for name in names:
            path = folder / name
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or info.st_uid != uid:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a running writer holds it
                with contextlib.suppress(OSError):
                    # Still the same file under that name (not replaced meanwhile)?
                    now = os.stat(path, follow_symlinks=False)
                    if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
                        path.unlink()
                        removed.append(path)
            finally:
                os.close(fd)
    return removed


def output_folders(paths: Sequence[Path | str | None]) -> list[Path]:
    """The folders the regular outputs among `paths` are written in (for `clean_leftovers`)."""
    folders = []
    for path in paths:
        if path is None or str(path) == STDOUT:
            continue
        with contextlib.suppress(OSError, RuntimeError):
            folders.append(Path(path).resolve().parent)
    return folders
