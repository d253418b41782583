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

    stretches = commands.add_parser(
        "stretches", help="list the stretch catalog", description="List the stretch catalog."
    )
    stretches.add_argument("--json", action="store_true", help="print the catalog as JSON")
    stretches.set_defaults(run=_run_stretches)

    check = commands.add_parser(
        "check",
        help="check a photo of a stretch",
        description="Check a photo of someone doing a stretch: in position? form ok? cues.",
    )
    check.add_argument("image", type=Path, help="a photo (JPEG, PNG, WebP, ...)")
    check.add_argument(
        "--stretch",
        required=True,
        metavar="ID",
        help="a stretch id from `posecheck stretches`, or a .toml spec file",
    )
    check.add_argument(
        "--side",
        choices=("left", "right"),
        help="the side being stretched (default: worked out from the pose)",
    )
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.add_argument(
        "--out", type=Path, metavar="PATH", help="write the photo with the checks drawn on it"
    )
    _add_model_option(check)
    check.set_defaults(run=_run_check)

    live = commands.add_parser(
        "live",
        help="live stretch feedback from a local webcam in a window",
        description="Live stretch feedback from a local webcam in an OpenCV window "
        "(press q or Esc to stop).",
    )
    live.add_argument("--stretch", required=True, metavar="ID")
    live.add_argument("--side", choices=("left", "right"))
    live.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (0)")
    _add_model_option(live)
    live.set_defaults(run=_run_live)

    _add_posture_commands(commands)
    _add_review_commands(commands)

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


def _run_stretches(args: argparse.Namespace) -> int:
    from posecheck.metrics import get_metric
    from posecheck.specs import catalog

    specs = catalog()
    if args.json:
        print(json.dumps({"stretches": [_spec_json(spec) for spec in specs.values()]}))
        return 0
    for spec in specs.values():
        hold = f"hold {spec.hold_s:g} s" + (" per side" if spec.sided else "")
        if spec.reps is not None:
            hold = f"{spec.reps.target} reps" + (f", {hold}" if spec.hold_s else "")
        print(f"{spec.id:<22}{spec.name}  ({'/'.join(spec.views)} view; {hold})")
        for c in spec.checks:
            target = c.target.describe(get_metric(c.metric).unit)
            kind = "" if c.required else " (advisory)"
            print(f"    {c.id:<24}{target:<12}{c.description}{kind}")
    return 0


def _spec_json(spec: Any) -> dict[str, Any]:
    from posecheck.metrics import get_metric

    return {
        "id": spec.id,
        "name": spec.name,
        "source": spec.source,
        "camera": {"views": list(spec.views), "placement": spec.camera},
        "sides": spec.sided,
        "hold_s": spec.hold_s,
        "reps": spec.reps.target if spec.reps else None,
        "checks": [
            {
                "id": c.id,
                "metric": c.metric,
                "unit": get_metric(c.metric).unit,
                "target": c.target.to_json(),
                "required": c.required,
                "description": c.description,
                "proxy": c.proxy or None,
            }
            for c in spec.checks
        ],
    }


def _run_check(args: argparse.Namespace) -> int:
    from posecheck.estimator import Estimator, quiet_native_logs
    from posecheck.images import read_image
    from posecheck.rules import check_json, evaluate
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    if args.side and not spec.sided:
        raise InputError(f"{spec.name} is not done one side at a time; leave out --side.")
    image = read_image(args.image)
    if args.out is not None:
        _check_output_path(args.out)
    with quiet_native_logs(), Estimator(settings=_estimator_settings(args)) as estimator:
        pose = estimator.process(image)
    evaluation = evaluate(spec, pose, args.side)
    if args.out is not None:
        import cv2

        from posecheck.coach import judge_still
        from posecheck.overlay import CoachAnnotator

        result = judge_still(spec, pose, args.side)
        if not cv2.imwrite(str(args.out), CoachAnnotator().annotate(image, result)):
            raise InputError(f"Cannot write {args.out}.")
    if args.json:
        print(json.dumps(check_json(spec, evaluation)))
        return 0
    if not evaluation.person:
        print(f"{args.image}: nobody found. Step into the camera's view.")
        return 0
    state = "in position" if evaluation.in_position else "not in position"
    verdict = "good form" if evaluation.form_ok else "adjust"
    side = f", {evaluation.side} side" if evaluation.side else ""
    print(
        f"{spec.name}: {state}{side} ({evaluation.view} view)"
        + (f", {verdict}" if evaluation.in_position else "")
    )
    for v in evaluation.verdicts:
        value = "—" if v.measurement.value is None else f"{v.measurement.value:.1f}"
        print(f"  {v.check.id:<24}{v.status.value:<8}{value:>7}")
    for cue in evaluation.cues:
        print(f"  -> {cue}")
    return 0


def _run_live(args: argparse.Namespace) -> int:
    from posecheck.live import run_live
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    return run_live(spec, args.side, args.camera, _estimator_settings(args))


def _add_posture_commands(commands: Any) -> None:
    posture = commands.add_parser(
        "posture",
        help="judge the desk posture in a photo",
        description="Judge the sitting (or standing) posture in a photo: good, bad or unknown, "
        "with the problems and what to change. From the side it judges without a baseline; "
        "from the front it needs one.",
    )
    posture.add_argument("image", type=Path, help="a photo (JPEG, PNG, WebP, ...)")
    baseline = posture.add_mutually_exclusive_group()
    baseline.add_argument(
        "--baseline",
        metavar="IMAGE_OR_FILE",
        type=Path,
        help="the user's upright baseline: a profile .json file, or a photo of them upright",
    )
    baseline.add_argument("--profile", metavar="NAME", help="use a saved camera profile")
    posture.add_argument("--view", choices=("side", "front"), help="override view detection")
    posture.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_model_option(posture)
    posture.set_defaults(run=_run_posture)

    calibrate = commands.add_parser(
        "calibrate",
        help="record your upright posture into a camera profile",
        description="Record your upright sitting posture (a few seconds from a camera, or "
        "photos) as the baseline of a camera profile. Run it again any time to recalibrate.",
    )
    calibrate.add_argument(
        "images", nargs="*", type=Path, metavar="IMAGE", help="photos of you sitting upright"
    )
    calibrate.add_argument(
        "--camera", type=int, metavar="N", help="record from camera N instead of photos"
    )
    calibrate.add_argument("--profile", default="default", metavar="NAME", help="(default)")
    calibrate.add_argument("--view", choices=("side", "front"), help="override view detection")
    calibrate.add_argument(
        "--seconds", type=float, metavar="S", help="how long to record from the camera"
    )
    calibrate.add_argument("--json", action="store_true", help="print the profile as JSON")
    _add_model_option(calibrate)
    calibrate.set_defaults(run=_run_calibrate)

    monitor = commands.add_parser(
        "monitor",
        help="watch your desk posture from a local webcam in a window",
        description="Watch your desk posture from a local webcam in an OpenCV window: status, "
        "the live boundaries, an alert sound after a lasting slouch, statistics on exit "
        "(press q or Esc to stop).",
    )
    monitor.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (0)")
    monitor.add_argument(
        "--profile",
        metavar="NAME",
        help="camera profile with your baseline (default: 'default' if it exists)",
    )
    monitor.add_argument("--view", choices=("side", "front"), help="override view detection")
    monitor.add_argument(
        "--alert-after", type=float, metavar="S", help="seconds of bad posture before an alert"
    )
    monitor.add_argument(
        "--break-after", type=float, metavar="MIN", help="seated minutes before a break"
    )
    monitor.add_argument("--no-sound", action="store_true", help="alert without the bell")
    _add_model_option(monitor)
    monitor.set_defaults(run=_run_monitor)


def _detect_pose(image_path: Path, args: argparse.Namespace) -> Any:
    from posecheck.estimator import Estimator, quiet_native_logs
    from posecheck.images import read_image

    image = read_image(image_path)
    with quiet_native_logs(), Estimator(settings=_estimator_settings(args)) as estimator:
        return estimator.process(image)


def _baseline_from(path: Path, args: argparse.Namespace) -> Any:
    """A profile .json file, or a photo of the user upright (calibrated from that one image)."""
    from posecheck.posture import calibrate
    from posecheck.profiles import load_baseline_file

    if path.suffix.lower() == ".json":
        return load_baseline_file(path)
    if not path.is_file():
        raise InputError(f"The baseline {path} does not exist.")
    pose = _detect_pose(path, args)
    if pose is None:
        raise InputError(f"Nobody found in the baseline photo {path}.")
    return calibrate([pose], view=args.view)


def _run_posture(args: argparse.Namespace) -> int:
    from posecheck.posture import assess
    from posecheck.profiles import load_profile

    baseline = None
    if args.baseline is not None:
        baseline = _baseline_from(args.baseline, args)
    elif args.profile is not None:
        baseline = load_profile(args.profile)
    pose = _detect_pose(args.image, args)
    judgement = assess(pose, baseline, view=args.view)
    if args.json:
        print(json.dumps(judgement.to_json()))
        return 0
    if not judgement.person:
        print(f"{args.image}: nobody found.")
        return 0
    calibrated = "calibrated" if judgement.calibrated else "no baseline"
    problems = f": {', '.join(judgement.problems)}" if judgement.problems else ""
    print(f"{args.image}: {judgement.status.value}{problems} ({judgement.view} view, {calibrated})")
    for name, value in judgement.metrics.items():
        shown = "-" if value is None else f"{value:.3g}"
        print(f"  {name:<16}{shown:>8}")
    for cue in judgement.cues:
        print(f"  -> {cue}")
    return 0


def _run_calibrate(args: argparse.Namespace) -> int:
    from posecheck.posture import calibrate
    from posecheck.profiles import profile_path, save_profile

    profile_path(args.profile)  # a bad name fails before any recording
    if args.camera is not None and args.images:
        raise InputError("Give either --camera or photos to calibrate from, not both.")
    if args.camera is None and not args.images:
        raise InputError("Give photos of you sitting upright, or --camera N to record.")
    if args.seconds is not None and args.seconds <= 0:
        raise InputError("--seconds must be above 0.")
    if args.camera is not None:
        from posecheck.monitor import record_calibration

        baseline = record_calibration(
            args.camera, _estimator_settings(args), seconds=args.seconds, view=args.view
        )
    else:
        from posecheck.estimator import Estimator, quiet_native_logs
        from posecheck.images import read_image

        images = [read_image(path) for path in args.images]
        with quiet_native_logs(), Estimator(settings=_estimator_settings(args)) as estimator:
            poses = [estimator.process(image) for image in images]
        baseline = calibrate(poses, view=args.view)
    path = save_profile(args.profile, baseline, camera=args.camera)
    if args.json:
        print(json.dumps({"profile": args.profile, "path": str(path), **baseline.to_json()}))
        return 0
    values = ", ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in baseline.metrics.items())
    print(
        f"Saved profile {args.profile!r} ({baseline.view} view, {baseline.frames} frame(s)) "
        f"to {path}: {values}."
    )
    for warning in baseline.warnings:
        print(f"  note: {warning}")
    return 0


def _run_monitor(args: argparse.Namespace) -> int:
    from posecheck.monitor import run_monitor
    from posecheck.profiles import DEFAULT_PROFILE, load_profile, profile_path
    from posecheck.specs.posture import posture_spec

    if args.profile is not None:
        baseline = load_profile(args.profile)
    elif profile_path(DEFAULT_PROFILE).is_file():
        baseline = load_profile(DEFAULT_PROFILE)
    else:
        baseline = None
    for name in ("alert_after", "break_after"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be above 0.")
    settings = posture_spec().settings.overlay(
        alert_after_s=args.alert_after, break_after_min=args.break_after
    )
    return run_monitor(
        args.camera,
        _estimator_settings(args),
        baseline=baseline,
        view=args.view,
        settings=settings,
        sound=not args.no_sound,
    )


# --- review and history ------------------------------------------------------------------------

#: The review finished and its outputs were written, but it could not be saved to the history.
EXIT_NOT_SAVED = 3

_REVIEW_EPILOG = """\
outputs:
  --json OUT|-   the summary (frames, duration_s, processing_fps, in_position_s, good_form_s,
                 reps, segments, checks; posture also good_s, bad_s, away_s, alerts); with -
                 it is printed on stdout and nothing else is
  --csv OUT      one row per frame          --video OUT  annotated H.264 MP4 (.mp4)
  --thumbnails DIR  a JPEG of the worst moment of each fault. Default: when --video is given,
                 OUT's name + "_thumbnails" beside it; else, when --csv or --json names a file,
                 VIDEO's name + "_thumbnails" beside that file; with no file output, none (frames
                 are never written to disk unless asked for)
  without any output option a short summary is printed.

several videos (more than one, or a folder): each is reviewed with --workers N at once; with
  --out-dir DIR each gets DIR/NAME.json and DIR/NAME.csv (and with --video-all NAME.mp4 and
  NAME_thumbnails/); a table of all of them is printed (or with --json - one JSON object).
  A file that cannot be reviewed gets its error in the table; the others still run.

history: every review is saved to the history ($POSECHECK_DATA_DIR/history.sqlite3) unless
  --no-history. If saving fails the outputs are still written, the reason is printed on stderr
  and the exit status is 3.

warnings (stderr and the summary's "warning"): a file cut short is analysed as far as it
  decodes; nobody found; several people in view for much of the video. They do not fail it.

exit status: 0 done; 1 nothing reviewed (bad input) or, with several videos, at least one
  failed; 2 bad command line; 3 reviewed and written but not saved to the history.
"""


def _add_review_commands(commands: Any) -> None:
    review = commands.add_parser(
        "review",
        help="review recorded videos of a stretch or of desk posture",
        description="Run the stretch coach or the posture monitor over every frame of a recorded\n"
        "video: a summary, a per-frame CSV, an annotated video and fault thumbnails. Progress\n"
        "is shown on stderr (a bar on a terminal, a line every 10 s in a log).",
        epilog=_REVIEW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    review.add_argument(
        "videos", nargs="+", type=Path, metavar="VIDEO", help="a video file, several, or folders"
    )
    what = review.add_mutually_exclusive_group(required=True)
    what.add_argument("--stretch", metavar="ID", help="a stretch id, or a .toml spec file")
    what.add_argument("--posture", action="store_true", help="review desk posture")
    review.add_argument("--side", choices=("left", "right"), help="(--stretch) the side worked")
    baseline = review.add_mutually_exclusive_group()
    baseline.add_argument("--profile", metavar="NAME", help="(--posture) a saved camera profile")
    baseline.add_argument(
        "--baseline", metavar="FILE", type=Path,
        help="(--posture) a profile .json file, or a photo of the person sitting upright",
    )  # fmt: skip
    review.add_argument("--view", choices=("side", "front"), help="(--posture) override the view")
    review.add_argument("--json", metavar="OUT|-", help="write the summary as JSON (- : stdout)")
    review.add_argument("--csv", metavar="OUT", type=Path, help="write one CSV row per frame")
    review.add_argument("--video", metavar="OUT", type=Path, help="write the annotated MP4")
    review.add_argument("--thumbnails", metavar="DIR", type=Path, help="fault thumbnails folder")
    review.add_argument(
        "--out-dir", metavar="DIR", type=Path, help="(several videos) a folder for each summary"
    )
    review.add_argument(
        "--video-all", action="store_true",
        help="(several videos, with --out-dir) also write each annotated video and thumbnails",
    )  # fmt: skip
    review.add_argument(
        "--workers", type=int, default=1, metavar="N", help="(several videos) reviews at once (1)"
    )
    review.add_argument("--no-history", action="store_true", help="do not save to the history")
    _add_model_option(review)
    review.set_defaults(run=_run_review)

    history = commands.add_parser(
        "history",
        help="list, show, delete past sessions and their trends",
        description="The session history: every live or reviewed session. Without an action, "
        "the newest sessions. Kept in $POSECHECK_DATA_DIR/history.sqlite3 (default: "
        "~/.local/share/posecheck).",
    )
    history.add_argument("--json", action="store_true", help="print the list as JSON")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="newest N (20)")
    history.set_defaults(run=_run_history_list)
    actions = history.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one session in full", description="Show a session.")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="print the session as JSON")
    show.set_defaults(run=_run_history_show)
    delete = actions.add_parser(
        "delete", help="delete one session", description="Delete a session from the history."
    )
    delete.add_argument("id", type=int, metavar="ID")
    delete.set_defaults(run=_run_history_delete)
    trends = actions.add_parser(
        "trends",
        help="hold time per stretch per day, share of time slouched per day",
        description="Day by day (local time): seconds held in good form per stretch, and the "
        "share of judged sitting time spent in bad posture.",
    )
    trends.add_argument("--json", action="store_true", help="print the trends as JSON")
    trends.set_defaults(run=_run_history_trends)


class _ProgressBar:
    """Progress on stderr: a bar redrawn in place on a terminal, else a line every 10 s."""

    WIDTH = 30

    def __init__(self, label: str, stream: Any = None) -> None:
        import time

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


def _review_engine_factory(args: argparse.Namespace) -> tuple[Any, str]:
    """A picklable factory for a fresh engine per video, and what it reviews (for messages)."""
    from functools import partial

    from posecheck.review import PostureReview, StretchReview

    if args.posture:
        if args.side:
            raise InputError("--side is for stretches; leave it out with --posture.")
        baseline = None
        if args.baseline is not None:
            baseline = _baseline_from(args.baseline, args)
        elif args.profile is not None:
            from posecheck.profiles import load_profile

            baseline = load_profile(args.profile)
        return partial(PostureReview, baseline, args.view), "desk posture"
    for name in ("profile", "baseline", "view"):
        if getattr(args, name) is not None:
            raise InputError(f"--{name} is for --posture reviews; leave it out with --stretch.")
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    if args.side and not spec.sided:
        raise InputError(f"{spec.name} is not done one side at a time; leave out --side.")
    return partial(StretchReview, spec, args.side), spec.name


def _save_review(summary: dict[str, Any], path: Path, args: argparse.Namespace,
                 store: Any = None) -> int:
    from posecheck.history import save_posture, save_stretch

    video = path.resolve()
    if args.posture:
        return save_posture(summary, source="review", video=video, store=store)
    return save_stretch(
        summary, stretch_id=str(summary["stretch"]), side=args.side, source="review",
        video=video, store=store,
    )  # fmt: skip


def _write_json_file(path: Path, data: Any) -> None:
    from posecheck.batch import write_json

    try:
        write_json(path, data)
    except OSError as exc:
        raise InputError(f"Cannot write {path} ({exc.strerror or exc}).") from None


def _check_folder(path: Path, what: str) -> None:
    if not path.parent.is_dir():
        raise InputError(
            f"Cannot write the {what} {path}: the folder {path.parent} does not exist."
        )
    if path.is_dir():
        raise InputError(f"Cannot write the {what} {path}: it is a folder.")


def _run_review(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise InputError("--workers must be 1 or more.")
    several = len(args.videos) > 1 or args.videos[0].is_dir() or args.out_dir is not None
    make_engine, subject = _review_engine_factory(args)
    if several:
        return _run_review_many(args, make_engine)
    if args.video_all:
        raise InputError("--video-all is for several videos with --out-dir; use --video OUT.")
    return _run_review_one(args, make_engine, subject)


def _thumbnail_folder(args: argparse.Namespace) -> Path | None:
    if args.thumbnails is not None:
        folder: Path = args.thumbnails
        return folder
    if args.video is not None:
        video: Path = args.video
        return video.with_name(f"{video.stem}_thumbnails")
    for path in (args.csv, None if args.json in (None, "-") else Path(args.json)):
        if path is not None:
            return path.with_name(f"{args.videos[0].stem}_thumbnails")
    return None


def _run_review_one(args: argparse.Namespace, make_engine: Any, subject: str) -> int:
    from posecheck.review import ReviewOutputs, review

    video_path: Path = args.videos[0]
    json_path = None if args.json in (None, "-") else Path(args.json)
    if args.video is not None:
        if args.video.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise InputError(f"Cannot write the video {args.video}: use a .mp4 file name.")
        _check_folder(args.video, "video")
    if args.csv is not None:
        _check_folder(args.csv, "CSV file")
    if json_path is not None:
        _check_folder(json_path, "JSON file")
    outputs = ReviewOutputs(video=args.video, csv=args.csv, thumbnails=_thumbnail_folder(args))
    bar = _ProgressBar(video_path.name)
    try:
        result = review(
            video_path, make_engine(), outputs, settings=_estimator_settings(args), progress=bar
        )
    finally:
        bar.close()
    summary = result.summary

    status = 0
    history_id: int | None = None
    if not args.no_history:
        from posecheck.store import StoreError

        try:
            history_id = _save_review(summary, video_path, args)
        except StoreError as error:
            print(f"posecheck: the review was not saved to the history: {error}", file=sys.stderr)
            status = EXIT_NOT_SAVED
    data = {**result.to_json(), "history_id": history_id}
    if json_path is not None:
        _write_json_file(json_path, data)
    if args.json == "-":
        print(json.dumps(data))
    else:
        _print_review(video_path, subject, summary, history_id)
        for name, path in (("video", args.video), ("CSV", args.csv), ("summary", json_path)):
            if path is not None:
                print(f"  {name} written to {path}")
        if result.thumbnails:
            print(f"  {len(result.thumbnails)} fault thumbnail(s) in {outputs.thumbnails}")
    if result.warning:
        print(f"posecheck: {result.warning}", file=sys.stderr)
    return status


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f} s"


def _print_review(
    path: Path, subject: str, summary: dict[str, Any], history_id: int | None
) -> None:
    print(
        f"{path.name}: {subject}, {summary['frames']} frames, {_seconds(summary['duration_s'])} "
        f"analysed at {summary['processing_fps']:.0f} frames/s"
    )
    if summary.get("posture"):
        print(
            f"  good {_seconds(summary['good_s'])}, bad {_seconds(summary['bad_s'])}, "
            f"away {_seconds(summary['away_s'])}, alerts {summary['alerts']}"
        )
    else:
        print(
            f"  in position {_seconds(summary['in_position_s'])}, held in good form "
            f"{_seconds(summary['good_form_s'])}, reps {summary['reps']}"
        )
    segments = summary.get("segments", [])
    if segments:
        shown = ", ".join(
            f"{s['phase']} {s['start_s']:.1f}-{s['end_s']:.1f} s" for s in segments[:6]
        )
        more = f", and {len(segments) - 6} more" if len(segments) > 6 else ""
        print(f"  phases: {shown}{more}")
    checks = summary.get("checks", {})
    if checks:
        print("  share ok: " + ", ".join(
            f"{name} {c['ok_fraction']:.0%}" for name, c in checks.items()
        ))  # fmt: skip
    faults = summary.get("faults", [])
    if faults:
        print("  worst moments: " + ", ".join(f"{f['fault']} at {f['t_s']:.1f} s" for f in faults))
    if history_id is not None:
        print(f"  saved to the history as session {history_id}")


def _run_review_many(args: argparse.Namespace, make_engine: Any) -> int:
    from posecheck.batch import BatchItem, collect_videos, review_many

    for name in ("json", "csv", "video", "thumbnails"):
        value = getattr(args, name)
        if value is not None and not (name == "json" and value == "-"):
            raise InputError(
                f"--{name} names one file; with several videos use --out-dir DIR for the "
                "files of each review (and --json - for all the summaries on stdout)."
            )
    if args.video_all and args.out_dir is None:
        raise InputError("--video-all needs --out-dir DIR to write the videos into.")
    videos = collect_videos(args.videos)
    store: Any = None
    history_error: str | None = None
    saved: dict[Path, int] = {}
    finished = 0

    def done(item: BatchItem) -> None:
        nonlocal store, history_error, finished
        finished += 1
        outcome = "failed" if item.error else "done"
        print(f"posecheck: [{finished}/{len(videos)}] {item.path.name} {outcome}", file=sys.stderr)
        if item.summary is None or args.no_history or history_error is not None:
            return
        from posecheck.store import StoreError, open_store

        try:
            store = store or open_store()
            saved[item.path] = _save_review(item.summary, item.path, args, store)
        except StoreError as error:
            history_error = str(error)

    try:
        items = review_many(
            videos, make_engine, workers=args.workers, out_dir=args.out_dir,
            videos=args.video_all, settings=_estimator_settings(args), on_done=done,
        )  # fmt: skip
    finally:
        if store is not None:
            store.close()
    if args.json == "-":
        print(json.dumps({"reviews": [
            {**item.to_json(), "history_id": saved.get(item.path)} for item in items
        ]}))  # fmt: skip
    else:
        _print_table(items, posture=bool(args.posture))
    if history_error is not None:
        print(f"posecheck: the reviews were not all saved to the history: {history_error}",
              file=sys.stderr)  # fmt: skip
    if any(not item.ok for item in items):
        return EXIT_ERROR
    return EXIT_NOT_SAVED if history_error is not None else 0


def _print_table(items: Sequence[Any], *, posture: bool) -> None:
    names = [item.path.name for item in items]
    width = max([4, *map(len, names)])
    head = ["good", "bad", "away", "alerts"] if posture else ["in position", "good form", "reps"]
    print(f"{'file':<{width}}  {'frames':>6}  {'duration':>8}  "
          + "  ".join(f"{h:>11}" if len(h) > 6 else f"{h:>7}" for h in head) + "  note")
    for name, item in zip(names, items, strict=True):
        s = item.summary
        if s is None:
            cells = ["-"] * (2 + len(head))
        elif posture:
            cells = [str(s["frames"]), _seconds(s["duration_s"]), _seconds(s["good_s"]),
                     _seconds(s["bad_s"]), _seconds(s["away_s"]), str(s["alerts"])]
        else:
            cells = [str(s["frames"]), _seconds(s["duration_s"]), _seconds(s["in_position_s"]),
                     _seconds(s["good_form_s"]), str(s["reps"])]
        widths = [6, 8] + [11 if len(h) > 6 else 7 for h in head]
        note = f"error: {item.error}" if item.error else (item.warning or "")
        print(f"{name:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths,
                                                                          strict=True))
              + f"  {note}".rstrip())


# --- history ---------------------------------------------------------------------------------


def _session_json(record: Any, *, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "stretch_id": record.stretch_id,
        "side": record.side,
        "source": record.source,
        "video": record.video,
        "started_at": record.started_at.isoformat(),
        "duration_s": round(record.duration_s, 3),
        "good_s": record.good_s,
        "bad_s": record.bad_s,
        "reps": record.reps,
    }
    if full:
        data["summary"] = record.summary
        data["segments"] = [
            {"start_s": s.start_s, "end_s": s.end_s, "phase": s.label} for s in record.segments
        ]
    return data


def _local(moment: Any) -> str:
    return str(moment.astimezone().strftime("%Y-%m-%d %H:%M"))


def _run_history_list(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    if args.limit < 0:
        raise InputError("--limit must be 0 or more.")
    with open_store() as store:
        records = store.list_sessions(limit=args.limit)
    if args.json:
        print(json.dumps({"sessions": [_session_json(r, full=False) for r in records]}))
        return 0
    if not records:
        print("The history is empty: review a video or finish a live session to add one.")
        return 0
    print(f"{'id':>5}  {'started':<16}  {'what':<22}  {'source':<6}  {'time':>8}  "
          f"{'good':>8}  result")  # fmt: skip
    for r in records:
        what = "desk posture"
        if r.kind == "stretch":
            what = f"{r.stretch_id}" + (f" ({r.side})" if r.side else "")
        if r.kind == "posture":
            result = f"bad {_seconds(r.bad_s)}"
        else:
            result = f"reps {r.reps}" if r.reps else ""
        video = f"  {Path(r.video).name}" if r.video else ""
        print(f"{r.id:>5}  {_local(r.started_at):<16}  {what:<22}  {r.source:<6}  "
              f"{_seconds(r.duration_s):>8}  {_seconds(r.good_s):>8}  {result}{video}")
    return 0


def _get_session(store: Any, session_id: int) -> Any:
    record = store.get_session(session_id)
    if record is None:
        raise InputError(
            f"There is no session {session_id} in the history; `posecheck history` lists them."
        )
    return record


def _run_history_show(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        record = _get_session(store, args.id)
    if args.json:
        print(json.dumps(_session_json(record, full=True)))
        return 0
    what = f"{record.stretch_id} stretch" if record.kind == "stretch" else "desk posture"
    source = f" of {record.video}" if record.video else ""
    print(f"Session {record.id}: {what}, {record.source}{source}, "
          f"started {_local(record.started_at)}")  # fmt: skip
    summary = record.summary
    subject = record.stretch_id if record.kind == "stretch" else "desk posture"
    if {"frames", "duration_s", "processing_fps"} <= set(summary):
        _print_review(Path(record.video or "session"), subject, summary, None)
    else:
        print(f"  duration {_seconds(record.duration_s)}, good {_seconds(record.good_s)}")
        for s in record.segments:
            print(f"  {s.start_s:7.1f}-{s.end_s:7.1f} s  {s.label}")
    return 0


def _run_history_delete(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        if not store.delete_session(args.id):
            raise InputError(
                f"There is no session {args.id} in the history; `posecheck history` lists them."
            )
    print(f"Deleted session {args.id}.")
    return 0


def _run_history_trends(args: argparse.Namespace) -> int:
    from posecheck.store import open_store

    with open_store() as store:
        trends = store.trends(local_days=True)
    stretches = [
        {"day": d.day.isoformat(), "stretch_id": d.stretch_id, "hold_s": round(d.hold_s, 2),
         "sessions": d.sessions}
        for d in trends.stretches
    ]  # fmt: skip
    posture: list[dict[str, Any]] = [
        {"day": d.day.isoformat(), "good_s": round(d.good_s, 2), "bad_s": round(d.bad_s, 2),
         "slouch_share": None if d.slouch_share is None else round(d.slouch_share, 4),
         "sessions": d.sessions}
        for d in trends.posture
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"stretches": stretches, "posture": posture}))
        return 0
    if not stretches and not posture:
        print("No sessions yet: the trends fill in as you stretch and sit.")
        return 0
    if stretches:
        print("Hold time in good form, per stretch per day:")
        for row in stretches:
            print(f"  {row['day']}  {row['stretch_id']:<22} {_seconds(row['hold_s']):>9}  "
                  f"({row['sessions']} session(s))")  # fmt: skip
    if posture:
        print("Share of time slouched, per day:")
        for day in posture:
            share = "-" if day["slouch_share"] is None else f"{day['slouch_share']:.0%}"
            print(f"  {day['day']}  {share:>5}  (bad {_seconds(day['bad_s'])} of "
                  f"{_seconds(day['good_s'] + day['bad_s'])}, {day['sessions']} session(s))")
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
