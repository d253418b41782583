"""What the command families share: exit statuses, the model option and the landmarker settings
it makes, poses found in photos, checks on output paths, JSON files, the progress bar, and how
seconds and dates are printed.

Heavy modules (MediaPipe, OpenCV) are imported inside the functions that need them, so
`posecheck --help` and the history commands start at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from posecheck.errors import InputError

if TYPE_CHECKING:
    from posecheck.desk import Baseline
    from posecheck.pose import Pose
    from posecheck.settings import EstimatorSettings

#: Exit statuses: 1 for a problem with the user's input or model, 2 for a malformed command line.
EXIT_ERROR = 1
#: The review finished and its outputs were written, but it could not be saved to the history.
EXIT_NOT_SAVED = 3


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="a pose landmarker .task file to use instead of the bundled model",
    )


#: The desk views and sensitivity presets, spelled out so `--help` needs no rules loaded
#: (tests/cli/test_posture.py checks they match posecheck.specs.desk).
POSTURE_VIEW_CHOICES = ("side", "front", "three-quarter")
SENSITIVITY_CHOICES = ("low", "medium", "high")


def add_posture_options(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """--view and --sensitivity for the desk posture commands (`prefix`: a help prefix)."""
    parser.add_argument(
        "--view", choices=POSTURE_VIEW_CHOICES, help=f"{prefix}override the view detection"
    )
    parser.add_argument(
        "--sensitivity",
        choices=SENSITIVITY_CHOICES,
        help=f"{prefix}how far past your calibrated range counts as bad (default: the "
        "profile's, else medium; see posecheck/specs/desk.toml)",
    )


def estimator_settings(args: argparse.Namespace) -> EstimatorSettings:
    """The landmarker's settings with the command line's --model, if any."""
    from posecheck.settings import EstimatorSettings

    return EstimatorSettings().overlay(model_path=getattr(args, "model", None))


def poses_in_photos(paths: Sequence[Path], args: argparse.Namespace) -> list[Pose | None]:
    """The main person in each photo (None where nobody is found), with one landmarker."""
    from posecheck.estimator import Estimator, quiet_native_logs
    from posecheck.images import read_image

    images = [read_image(path) for path in paths]
    with quiet_native_logs(), Estimator(settings=estimator_settings(args)) as estimator:
        return [estimator.process(image) for image in images]


def baseline_from(path: Path, args: argparse.Namespace) -> Baseline:
    """A profile .json file, or a photo of the user upright (calibrated from that one image)."""
    from posecheck.desk import calibrate
    from posecheck.profiles import load_baseline_file

    if path.suffix.lower() == ".json":
        return load_baseline_file(path)
    if not path.is_file():
        raise InputError(f"The baseline {path} does not exist.")
    pose = poses_in_photos([path], args)[0]
    if pose is None:
        raise InputError(f"Nobody found in the baseline photo {path}.")
    return calibrate([pose], view=args.view)


def check_image_output(path: Path) -> None:
    """A drawn photo can be written to `path` (its folder exists, its type is an image)."""
    import cv2

    if not path.parent.exists():
        raise InputError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    if not cv2.haveImageWriter(str(path)):
        raise InputError(f"Cannot write {path}: use a .png or .jpg file name.")


def check_output_folder(path: Path, what: str) -> None:
    """The `what` file can be written at `path`: its folder exists and it is not a folder."""
    if not path.parent.is_dir():
        raise InputError(
            f"Cannot write the {what} {path}: the folder {path.parent} does not exist."
        )
    if path.is_dir():
        raise InputError(f"Cannot write the {what} {path}: it is a folder.")


def write_json_file(path: Path, data: Any) -> None:
    from posecheck.outputs import write_json

    try:
        write_json(path, data)
    except OSError as exc:
        raise InputError(f"Cannot write {path} ({exc.strerror or exc}).") from None


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{float(value):.1f} s"


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class ProgressBar:
    """Progress on stderr: a bar redrawn in place on a terminal, else a line every 10 s."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._clock = time.monotonic
        self.stream = stream or sys.stderr
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self._clock()
        # A terminal gets the bar at once; a log gets its first line after 10 s.
        self._last_draw = 0.0 if self.tty else self.started
        self._first: tuple[float, int] | None = None
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        now = self._clock()
        if self.tty:
            if now - self._last_draw < 0.1 and (total is None or done < total):
                return
        elif now - self._last_draw < 10.0:
            return
        self._last_draw = now
        # The rate counts from the first frame out, not from the landmarker's start-up.
        if self._first is None:
            self._first = (now, done)
        elapsed, counted = now - self._first[0], done - self._first[1]
        fps = counted / elapsed if elapsed > 0 and counted > 0 else None
        speed = "" if fps is None else f"  {fps:.0f} fps"
        if total:
            total = max(total, done)
            share = done / total
            left = "" if fps is None else f"  {(total - done) / fps:.0f} s left"
            filled = round(self.WIDTH * share)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"{self.label} [{bar}] {done}/{total} frames {share:4.0%}{speed}{left}"
        else:
            text = f"{self.label} {done} frames{speed}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._drawn = True
        else:
            self.stream.write(f"posecheck: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
