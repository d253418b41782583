"""Commands on one photo, and the catalog: `landmarks`, `check`, `posture` and `stretches`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecheck.cli.common import (
    add_model_option,
    add_posture_options,
    baseline_from,
    check_run_files,
    clean_output_folders,
    estimator_settings,
    image_output,
    model_input,
    poses_in_photos,
    printable,
    spec_input,
    write_image,
)
from posecheck.errors import InputError

if TYPE_CHECKING:
    from posecheck.coach import FrameResult
    from posecheck.outputs import Target
    from posecheck.pose import Pose
    from posecheck.specs import StretchSpec


def register(commands: Any) -> None:
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
    add_model_option(landmarks)
    landmarks.set_defaults(run=run_landmarks)

    stretches = commands.add_parser(
        "stretches", help="list the stretch catalog", description="List the stretch catalog."
    )
    stretches.add_argument("--json", action="store_true", help="print the catalog as JSON")
    stretches.set_defaults(run=run_stretches)

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
    add_model_option(check)
    check.set_defaults(run=run_check)

    posture = commands.add_parser(
        "posture",
        help="judge the desk posture in a photo",
        description="Judge the sitting (or standing) posture in a photo: good, bad or unknown, "
        "with the problems and what to change. From the side it judges without a baseline; "
        "from a front or three-quarter webcam it needs one (a profile, or a photo of you "
        "upright from the same camera).",
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
    add_posture_options(posture)
    posture.add_argument("--json", action="store_true", help="print the result as JSON")
    add_model_option(posture)
    posture.set_defaults(run=run_posture)


def _drawing_target(args: argparse.Namespace) -> Target | None:
    """Where --out goes, checked before any work: never the photo itself, the spec or the
    model, never standard output (the command prints there), and a FIFO or device is written
    directly, never replaced."""
    if args.out is None:
        return None
    target = image_output(args.out)
    check_run_files(
        [("photo", args.image), ("spec file", spec_input(args)), ("pose model", model_input(args))],
        [("drawn photo", args.out)],
    )
    clean_output_folders([args.out])
    return target


def _photo(path: Path, args: argparse.Namespace) -> tuple[Any, Pose | None]:
    """The photo at `path` and the main person found in it (None for nobody)."""
    from posecheck.estimator import Estimator, quiet_native_logs
    from posecheck.images import read_image

    image = read_image(path)
    with quiet_native_logs(), Estimator(settings=estimator_settings(args)) as estimator:
        return image, estimator.process(image)


def run_landmarks(args: argparse.Namespace) -> int:
    from posecheck.pose import NO_PERSON_JSON

    target = _drawing_target(args)
    image, pose = _photo(args.image, args)
    if target is not None:
        from posecheck.overlay import SkeletonAnnotator

        write_image(target, SkeletonAnnotator().annotate(image, pose))
    if args.json:
        print(json.dumps(pose.to_json() if pose else NO_PERSON_JSON))
    else:
        _print_landmark_summary(args.image, pose)
        if args.out is not None:
            print(f"skeleton drawn in {printable(args.out)}")
    return 0


def _print_landmark_summary(path: Path, pose: Pose | None) -> None:
    from posecheck.metrics import main_joint_angles

    if pose is None:
        print(f"{printable(path)}: nobody found.")
        return
    width, height = pose.image_size
    seen = int(((pose.visibility >= 0.5) & (pose.presence >= 0.5)).sum())
    others = f", {pose.people - 1} more in the background" if pose.people > 1 else ""
    if pose.mixed:
        others += " (its skeleton mixes two people: not usable)"
    print(f"{printable(path)}: one person{others}, {seen} of 33 landmarks visible "
          f"({width}x{height}).")  # fmt: skip
    for joint, angle in main_joint_angles(pose).items():
        shown = f"{angle:5.0f}°" if angle is not None else "  not visible"
        print(f"  {joint.name:<15}{shown}")


def run_stretches(args: argparse.Namespace) -> int:
    from posecheck.metrics import get_metric
    from posecheck.specs import catalog

    specs = catalog()
    if args.json:
        print(json.dumps({"stretches": [_spec_json(spec) for spec in specs.values()]}))
        return 0
    for spec in specs.values():
        print(f"{spec.id:<22}{spec.name}  ({'/'.join(spec.views)} view; {spec.goal})")
        for c in spec.checks:
            target = c.target.describe(get_metric(c.metric).unit)
            kind = "" if c.required else " (advisory)"
            print(f"    {c.id:<24}{target:<12}{c.description}{kind}")
    return 0


def _spec_json(spec: StretchSpec) -> dict[str, Any]:
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
                "unit": get_metric(c.metric).unit.value,
                "target": c.target.to_json(),
                "required": c.required,
                "description": c.description,
                "proxy": c.proxy or None,
            }
            for c in spec.checks
        ],
    }


def run_check(args: argparse.Namespace) -> int:
    from posecheck.coach import judge_still
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    if args.side and not spec.sided:
        raise InputError(f"{spec.name} is not done one side at a time; leave out --side.")
    target = _drawing_target(args)
    image, pose = _photo(args.image, args)
    # One judgement of the photo serves the drawing, the JSON and the text alike.
    result = judge_still(spec, pose, args.side)
    if target is not None:
        from posecheck.overlay import CoachAnnotator

        write_image(target, CoachAnnotator().annotate(image, result))
    if args.json:
        print(json.dumps(check_json(spec, result)))
        return 0
    if not result.person:
        print(f"{printable(args.image)}: nobody found. Step into the camera's view.")
        return 0
    state = "in position" if result.in_position else "not in position"
    verdict = "good form" if result.form_ok else "adjust"
    side = f", {result.side} side" if result.side else ""
    print(
        f"{spec.name}: {state}{side} ({result.view} view)"
        + (f", {verdict}" if result.in_position else "")
    )
    for v in result.verdicts:
        value = "—" if v.measurement.value is None else f"{v.measurement.value:.1f}"
        print(f"  {v.check.id:<24}{v.status.value:<8}{value:>7}")
    for cue in result.cues:
        print(f"  -> {cue}")
    return 0


def check_json(spec: StretchSpec, result: FrameResult) -> dict[str, Any]:
    """The `posecheck check --json` body (PRODUCT.md's contract)."""
    return {
        "person": result.person,
        "stretch": spec.id,
        "side": result.side if result.person else None,
        "view": result.view,
        "in_position": result.in_position,
        "form_ok": result.form_ok,
        "checks": [v.to_json() for v in result.verdicts],
        "cues": list(result.cues),
    }


def run_posture(args: argparse.Namespace) -> int:
    from posecheck.desk import assess, resolve_sensitivity
    from posecheck.overlay import describe_boundary
    from posecheck.profiles import load_profile
    from posecheck.specs.desk import posture_spec

    baseline = None
    if args.baseline is not None:
        baseline = baseline_from(args.baseline, args)
    elif args.profile is not None:
        baseline = load_profile(args.profile)
    pose = poses_in_photos([args.image], args)[0]
    judgement = assess(pose, baseline, view=args.view, sensitivity=args.sensitivity)
    if args.json:
        print(json.dumps(judgement.to_json()))
        return 0
    if not judgement.person:
        print(f"{args.image}: nobody found.")
        return 0
    if judgement.calibrated:
        preset = resolve_sensitivity(args.sensitivity, baseline, posture_spec().settings)
        calibrated = f"calibrated, {preset} sensitivity"
    else:
        calibrated = "no baseline" if baseline is None else "baseline not used"
    problems = f": {', '.join(judgement.problems)}" if judgement.problems else ""
    print(f"{args.image}: {judgement.status.value}{problems} ({judgement.view} view, {calibrated})")
    for name, value in judgement.metrics.items():
        boundary = judgement.boundaries.get(name)
        if boundary is not None:
            print(f"  {describe_boundary(boundary, value)}")
        else:
            print(f"  {name.replace('_', ' ')} {'-' if value is None else f'{value:.3g}'}")
    for cue in judgement.cues:
        print(f"  -> {cue}")
    return 0

