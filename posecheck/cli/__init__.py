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
import sys
from collections.abc import Sequence

from posecheck import __version__
from posecheck.cli import cache, camera, history, photo, review
from posecheck.cli.common import EXIT_ERROR
from posecheck.errors import PosecheckError


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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        status: int = args.run(args)
    except PosecheckError as error:
        print(f"posecheck: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return status
