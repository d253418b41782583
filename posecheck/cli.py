"""The `posecheck` console script: the same library functions the app calls, from a terminal.

Each command with --json prints one JSON object on stdout and nothing else there; errors are
one sentence on stderr and a non-zero exit status, never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from posecheck import __version__
from posecheck.errors import InputError, PosecheckError

#: Exit statuses: 1 for a problem with the user's input or model, 2 for a malformed command line.
EXIT_ERROR = 1


def _add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="a pose landmarker .task file to use instead of the bundled model",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck",
        description="Webcam posture and stretch-form checker.",
    )
    parser.add_argument("--version", action="version", version=f"posecheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    landmarks = commands.add_parser(
        "landmarks",
        help="find the 33 body landmarks in a photo",
        description="Find the 33 body landmarks in a photo.",
    )
    landmarks.add_argument("image", type=Path, help="a photo (JPEG, PNG, WebP, ...)")
    landmarks.add_argument("--json", action="store_true", help="print the landmarks as JSON")
    landmarks.add_argument(
        "--out", type=Path, metavar="PATH", help="write the photo with the skeleton drawn on it"
    )
    _add_model_option(landmarks)
    landmarks.set_defaults(run=_run_landmarks)

    app = commands.add_parser(
        "app", help="start the Streamlit app", description="Start the Streamlit app on localhost."
    )
    app.add_argument("--port", type=int, default=8501)
    app.set_defaults(run=_run_app)
    return parser


def _estimator_settings(args: argparse.Namespace) -> Any:
    from posecheck.settings import EstimatorSettings

    return EstimatorSettings().overlay(model_path=getattr(args, "model", None))


def _check_output_path(path: Path) -> None:
    import cv2

    if not path.parent.exists():
        raise InputError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    if not cv2.haveImageWriter(str(path)):
        raise InputError(f"Cannot write {path}: use a .png or .jpg file name.")


def _run_landmarks(args: argparse.Namespace) -> int:
    from posecheck.estimator import Estimator, quiet_native_logs
    from posecheck.images import read_image
    from posecheck.pose import NO_PERSON_JSON

    image = read_image(args.image)
    if args.out is not None:
        _check_output_path(args.out)
    with quiet_native_logs(), Estimator(settings=_estimator_settings(args)) as estimator:
        pose = estimator.process(image)

    if args.out is not None:
        import cv2

        from posecheck.overlay import SkeletonAnnotator

        if not cv2.imwrite(str(args.out), SkeletonAnnotator().annotate(image, pose)):
            raise InputError(f"Cannot write {args.out}.")
    if args.json:
        print(json.dumps(pose.to_json() if pose else NO_PERSON_JSON))
    else:
        _print_landmark_summary(args.image, pose)
        if args.out is not None:
            print(f"skeleton drawn in {args.out}")
    return 0


def _print_landmark_summary(path: Path, pose: Any) -> None:
    from posecheck.metrics import main_joint_angles

    if pose is None:
        print(f"{path}: nobody found.")
        return
    width, height = pose.image_size
    seen = int(((pose.visibility >= 0.5) & (pose.presence >= 0.5)).sum())
    others = f", {pose.people - 1} more in the background" if pose.others_present else ""
    print(f"{path}: one person{others}, {seen} of 33 landmarks visible ({width}x{height}).")
    for joint, angle in main_joint_angles(pose).items():
        shown = f"{angle:5.0f}°" if angle is not None else "  not visible"
        print(f"  {joint.name:<15}{shown}")


def _run_app(args: argparse.Namespace) -> int:
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
    parser = _build_parser()
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


if __name__ == "__main__":
    sys.exit(main())
