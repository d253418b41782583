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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from posecheck.errors import InputError

if TYPE_CHECKING:
    from posecheck.desk import Baseline
    from posecheck.outputs import Target
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
    from posecheck.inputs import check_regular
    from posecheck.profiles import load_baseline_file

    if path.suffix.lower() == ".json":
        return load_baseline_file(path)
    check_regular(path, "baseline photo")
    pose = poses_in_photos([path], args)[0]
    if pose is None:
        raise InputError(f"Nobody found in the baseline photo {path}.")
    return calibrate([pose], view=args.view)


# --- files the run reads and writes ---------------------------------------------------------


def printable(text: object) -> str:
    """`text` safe for one line of a terminal or a table: control characters (a newline in a
    file name, an escape sequence) are shown escaped instead of acting."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in value
    )


def model_input(args: argparse.Namespace) -> Path | None:
    """The pose model file this run reads (the bundled one, --model, or $POSECHECK_MODEL)."""
    try:
        return estimator_settings(args).model_path
    except ValueError:
        return None


def spec_input(args: argparse.Namespace) -> Path | None:
    """The user's own spec file named by --stretch, if it names a file."""
    stretch = getattr(args, "stretch", None)
    if not stretch:
        return None
    path = Path(stretch)
    return path if path.is_file() else None


def history_inputs() -> list[tuple[str, Path]]:
    """The history database files (raises StoreError for an unusable $POSECHECK_DATA_DIR)."""
    from posecheck.store import default_path

    database = default_path()
    return [
        ("history database", database),
        ("history database's log", database.with_name(database.name + "-wal")),
        ("history database's index", database.with_name(database.name + "-shm")),
    ]


def _stdout_output() -> list[tuple[str, str | Path | None]]:
    """Standard output counts as an output of every command (it prints there), unless it is
    the null device, where any number of outputs may go."""
    import os

    from posecheck.outputs import STDOUT

    try:
        out = os.fstat(sys.stdout.fileno())
        null = os.stat(os.devnull)
    except (OSError, ValueError, AttributeError):
        return []
    if (out.st_dev, out.st_ino) == (null.st_dev, null.st_ino):
        return []
    return [("standard output", STDOUT)]


def _not_null(path: Path | None) -> Path | None:
    """None for the null device (writing several outputs there loses nothing)."""
    import os

    if path is None:
        return None
    try:
        if os.path.samefile(path, os.devnull):
            return None
    except OSError:
        pass
    return path


def check_run_files(
    inputs: Sequence[tuple[str, Path | None]], outputs: Sequence[tuple[str, Path | None]]
) -> None:
    """No output of the run may be one of its inputs, another output, or standard output
    (where the command prints): see `posecheck.outputs.check_distinct`."""
    from posecheck.outputs import check_distinct

    given: list[tuple[str, str | Path | None]] = [(w, _not_null(p)) for w, p in outputs]
    check_distinct(inputs, given + _stdout_output())


def image_output(path: Path) -> Target:
    """Where a drawn photo goes: a regular file (written whole) or a FIFO/device (written
    directly); its name must say an image type OpenCV writes."""
    import cv2

    from posecheck.outputs import output_target

    target = output_target(path, "drawn photo")
    if not cv2.haveImageWriter(str(path)):
        raise InputError(f"Cannot write {path}: use a .png or .jpg file name.")
    return target


def write_image(target: Target, image: Any) -> None:
    """Encode `image` by the target's file type and write it whole."""
    import cv2

    from posecheck.outputs import write_bytes

    ok, encoded = cv2.imencode(target.path.suffix or ".png", image)
    if not ok:
        raise InputError(f"Cannot write {target.path}: OpenCV could not encode the drawing.")
    write_bytes(target, encoded.tobytes())


def clean_output_folders(paths: Sequence[Path | str | None]) -> None:
    """Remove what interrupted runs left (hidden .partial files) in the folders written to."""
    from posecheck.outputs import clean_leftovers, output_folders

    clean_leftovers(output_folders(paths))


def write_json_file(target: Target | Path, data: Any) -> None:
    from posecheck.outputs import write_json

    write_json(target, data)


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


# --- the files of a review ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFiles:
    """The checked outputs of a one-video review (None: not asked for; `json` is None for
    `--json -` too, which prints on standard output)."""

    json: Target | None
    csv: Target | None
    video: Target | None
    thumbnails: Path | None


def _review_inputs(args: argparse.Namespace, videos: Sequence[Path]) -> list[tuple[str, Any]]:
    inputs: list[tuple[str, Any]] = [("video being reviewed", video) for video in videos]
    inputs += [
        ("spec file", spec_input(args)),
        ("baseline", getattr(args, "baseline", None)),
        ("pose model", model_input(args)),
    ]
    if not getattr(args, "no_history", False):
        from posecheck.history import review_wait_s

        review_wait_s()  # a bad $POSECHECK_HISTORY_WAIT_S is said before the review, not after
        inputs += history_inputs()
    return inputs


def thumbnail_folder(path: Path | None) -> Path | None:
    """The --thumbnails folder: an existing folder, or a new one in an existing folder."""
    from posecheck.outputs import OutputError

    if path is None:
        return None
    if path.exists() and not path.is_dir():
        raise OutputError(f"The thumbnails folder {path} is a file, not a folder.")
    if not path.exists() and not path.parent.is_dir():
        raise OutputError(
            f"Cannot make the thumbnails folder {path}: the folder {path.parent} does not exist."
        )
    return path


def review_files(args: argparse.Namespace) -> ReviewFiles:
    """Check every output of a one-video review before it starts (see posecheck.outputs), and
    clean up what interrupted runs left in their folders. Thumbnails are written only into a
    folder the user names with --thumbnails: frames never reach the disk unasked."""
    from posecheck.outputs import STDOUT, output_target

    json_path = None if args.json in (None, STDOUT) else Path(args.json)
    video = csv = summary = None
    if args.video is not None:
        if args.video.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise InputError(f"Cannot write the video {args.video}: use a .mp4 file name.")
        video = output_target(args.video, "annotated video", special_ok=False)
    if args.csv is not None:
        csv = output_target(args.csv, "CSV file")
    if json_path is not None:
        summary = output_target(json_path, "JSON summary")
    thumbnails = thumbnail_folder(args.thumbnails)
    check_run_files(
        _review_inputs(args, args.videos[:1]),
        [("JSON summary", json_path), ("CSV file", args.csv), ("annotated video", args.video),
         ("thumbnails folder", thumbnails)],
    )  # fmt: skip
    clean_output_folders([json_path, args.csv, args.video, thumbnails and thumbnails / "x"])
    return ReviewFiles(summary, csv, video, thumbnails)


def check_batch_files(
    args: argparse.Namespace, videos: Sequence[Path], stems: Sequence[str]
) -> None:
    """Several videos into --out-dir: no file the batch writes there (STEM.json, STEM.csv,
    STEM.mp4, STEM_thumbnails) may be one of its inputs, such as a video in that same folder."""
    from posecheck.outputs import OutputError

    out_dir: Path | None = args.out_dir
    if out_dir is None:
        return
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"The output folder {out_dir} is a file, not a folder.")
    outputs: list[tuple[str, Path | None]] = []
    for stem in stems:
        outputs += [("summary", out_dir / f"{stem}.json"), ("CSV file", out_dir / f"{stem}.csv")]
        if args.video_all:
            outputs += [("annotated video", out_dir / f"{stem}.mp4"),
                        ("thumbnails folder", out_dir / f"{stem}_thumbnails")]  # fmt: skip
    check_run_files(_review_inputs(args, videos), outputs)
    clean_output_folders([out_dir / "x"])
