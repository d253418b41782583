"""The `posecheck` console script: the same library functions the app calls, from a terminal.

Each command with --json prints one JSON object on stdout and nothing else there; errors are
one sentence on stderr and a non-zero exit status, never a traceback for bad input.

    common.py   what the families share: exit statuses, settings, output checks, progress
    photo.py    landmarks, check, posture (one photo) and the stretch catalog
    camera.py   live, monitor, calibrate (a local camera, in an OpenCV window: window.py)
    review.py   review of recorded videos, one or many
    history.py  the session history
    cache.py    the stored landmarks of reviewed videos
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from posecheck import __version__
from posecheck.cli import cache, camera, history, photo, review
from posecheck.cli.common import EXIT_ERROR, printable
from posecheck.errors import PosecheckError

#: Exit statuses a shell reports for a process ended by SIGINT, SIGPIPE and SIGTERM; posecheck
#: returns them itself after cleaning up (no half-written file stays behind).
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so every `finally` removes its temporary files.

    A BaseException, so that no `except Exception` on the way (a batch carrying on after one
    bad video) swallows it."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While a command runs, SIGTERM raises `Terminated` (in the main thread only: Python
    delivers signals there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _broken(fd: int) -> bool:
    """Whether the pipe (or socket) on `fd` has lost its reader."""
    import select

    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def _silence_stdout() -> None:
    """After the reader of stdout went away (`posecheck stretches | head -1`): point stdout at
    the null device, so the interpreter's last flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck",
        description="Webcam posture and stretch-form checker.",
    )
    parser.add_argument("--version", action="version", version=f"posecheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    photo.register(commands)
    camera.register(commands)
    review.register(commands)
    history.register(commands)
    cache.register(commands)
    app = commands.add_parser(
        "app", help="start the Streamlit app", description="Start the Streamlit app on localhost."
    )
    app.add_argument("--port", type=int, default=8501)
    app.set_defaults(run=run_app)
    return parser


def run_app(args: argparse.Namespace) -> int:
    import subprocess

    from posecheck.settings import PROJECT_ROOT

    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        f"--server.port={args.port}",
    ]
    return subprocess.call(command, cwd=PROJECT_ROOT)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status. Bad input is one sentence on stderr (with any
    control characters in it, such as a newline in a file name, shown escaped), a closed pipe
    on stdout ends the command quietly as it ends Unix tools, and SIGTERM or Ctrl-C clean up
    before exiting."""
    try:
        with _sigterm_unwinds():
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help()
                status = 0
            else:
                try:
                    status = args.run(args)
                except PosecheckError as error:
                    print(f"posecheck: {printable(error)}", file=sys.stderr)
                    status = EXIT_ERROR
            sys.stdout.flush()
            return int(status)
    except BrokenPipeError:
        if _broken(1) or _broken(2):
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        # Not our reader: a pipe inside posecheck (its landmarker process) closed.
        with contextlib.suppress(OSError):
            print("posecheck: stopped because a process it was talking to went away "
                  "(a closed pipe); try again.", file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Terminated:
        return EXIT_TERMINATED
