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

        from posecheck.coach import Coach, CoachSettings
        from posecheck.overlay import CoachAnnotator

        # A still photo: no smoothing and no waiting for a state to settle.
        still = CoachSettings(smoothing=False, status_hold_s=0, position_hold_s=0, cue_min_s=0)
        coach = Coach(spec, args.side, still)
        result = coach.update(pose, 0.0)
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
