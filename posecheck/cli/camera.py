"""Commands on a local camera (in an OpenCV window, see posecheck.cli.window): `live` stretch
coaching, the desk `monitor`, and `calibrate` (from the camera, or from photos)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from posecheck.cli.common import (
    add_model_option,
    add_posture_options,
    estimator_settings,
    poses_in_photos,
)
from posecheck.errors import InputError


def register(commands: Any) -> None:
    live = commands.add_parser(
        "live",
        help="live stretch feedback from a local webcam in a window",
        description="Live stretch feedback from a local webcam in an OpenCV window "
        "(press q or Esc to stop).",
    )
    live.add_argument("--stretch", required=True, metavar="ID")
    live.add_argument("--side", choices=("left", "right"))
    live.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (0)")
    add_model_option(live)
    live.set_defaults(run=run_live)

    calibrate = commands.add_parser(
        "calibrate",
        help="record your upright posture into a camera profile",
        description="Record your upright sitting posture as the baseline of a camera profile: "
        "from a camera, sit upright for a few seconds and look where the window says (the "
        "corners and the middle of your screen), so reading the screen stays inside your "
        "range; or give several photos of you upright from the same camera. Run it again any "
        "time to recalibrate; keep one profile per camera position (--profile laptop, "
        "--profile desk).",
    )
    calibrate.add_argument(
        "images", nargs="*", type=Path, metavar="IMAGE", help="photos of you sitting upright"
    )
    calibrate.add_argument(
        "--camera", type=int, metavar="N", help="record from camera N instead of photos"
    )
    calibrate.add_argument("--profile", default="default", metavar="NAME", help="(default)")
    add_posture_options(calibrate)
    calibrate.add_argument(
        "--seconds", type=float, metavar="S", help="how long to record from the camera"
    )
    calibrate.add_argument("--json", action="store_true", help="print the profile as JSON")
    add_model_option(calibrate)
    calibrate.set_defaults(run=run_calibrate)

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
    add_posture_options(monitor)
    monitor.add_argument(
        "--alert-after", type=float, metavar="S", help="seconds of bad posture before an alert"
    )
    monitor.add_argument(
        "--break-after", type=float, metavar="MIN", help="seated minutes before a break"
    )
    monitor.add_argument("--no-sound", action="store_true", help="alert without the bell")
    add_model_option(monitor)
    monitor.set_defaults(run=run_monitor)


def run_live(args: argparse.Namespace) -> int:
    from posecheck.cli import window
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    if args.side and not spec.sided:
        raise InputError(f"{spec.name} is not done one side at a time; leave out --side.")
    return window.run_live(spec, args.side, args.camera, estimator_settings(args))


def run_calibrate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from posecheck.desk import calibrate
    from posecheck.overlay import describe_band
    from posecheck.profiles import profile_path, save_profile

    profile_path(args.profile)  # a bad name fails before any recording
    if args.camera is not None and args.images:
        raise InputError("Give either --camera or photos to calibrate from, not both.")
    if args.camera is None and not args.images:
        raise InputError("Give photos of you sitting upright, or --camera N to record.")
    if args.seconds is not None and args.seconds <= 0:
        raise InputError("--seconds must be above 0.")
    if args.camera is not None:
        from posecheck.cli.window import record_calibration

        baseline = record_calibration(
            args.camera, estimator_settings(args), seconds=args.seconds, view=args.view,
            sensitivity=args.sensitivity,
        )  # fmt: skip
    else:
        poses = poses_in_photos(args.images, args)
        _warn_about_others(args.images, poses)
        baseline = calibrate(poses, view=args.view)
    baseline = replace(baseline, sensitivity=args.sensitivity)
    path = save_profile(args.profile, baseline, camera=args.camera)
    if args.json:
        print(json.dumps({"profile": args.profile, "path": str(path), **baseline.to_json()}))
        return 0
    source = "photo(s)" if args.camera is None else "frames"
    from posecheck.specs.desk import posture_spec

    default = posture_spec().settings.sensitivity
    preset = f"{args.sensitivity} sensitivity" if args.sensitivity else f"{default} sensitivity"
    print(
        f"Saved profile {args.profile!r} ({baseline.describe()}; {baseline.frames} {source}; "
        f"{preset}) to {path}."
    )
    for name, band in baseline.bands.items():
        print(f"  {describe_band(name, band.median, band.low, band.high)}")
    for warning in baseline.warnings:
        print(f"  note: {warning}")
    return 0


def _warn_about_others(paths: list[Path], poses: list[Any]) -> None:
    """A baseline is the user's own posture: a photo with other people in it may have measured
    someone else (the largest person is taken), or a skeleton mixing two people."""
    import sys

    from posecheck.cli.common import printable

    for path, pose in zip(paths, poses, strict=True):
        if pose is None or not pose.others_present:
            continue
        what = (
            "a skeleton that mixes two people"
            if pose.mixed
            else f"{pose.people} people, and the largest was measured"
        )
        print(f"posecheck: warning: {printable(path)} shows {what}; calibrate on photos of "
              "you alone.", file=sys.stderr)  # fmt: skip


def run_monitor(args: argparse.Namespace) -> int:
    from posecheck.cli.window import run_monitor
    from posecheck.profiles import DEFAULT_PROFILE, load_profile, profile_path
    from posecheck.specs.desk import posture_spec

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
        estimator_settings(args),
        baseline=baseline,
        view=args.view,
        settings=settings,
        sound=not args.no_sound,
        sensitivity=args.sensitivity,
    )
