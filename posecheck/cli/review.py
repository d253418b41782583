"""`posecheck review`: one recorded video (with a progress bar and its outputs), or many at once
in parallel workers with a table of results; every review is saved to the history."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecheck.cli.common import (
    EXIT_ERROR,
    EXIT_NOT_SAVED,
    ProgressBar,
    add_model_option,
    add_posture_options,
    baseline_from,
    check_batch_files,
    estimator_settings,
    printable,
    review_files,
    seconds,
    write_json_file,
)
from posecheck.errors import InputError

if TYPE_CHECKING:
    from datetime import datetime

    from posecheck.review import ReviewEngine
    from posecheck.review.batch import BatchItem
    from posecheck.session import SessionSummary
    from posecheck.store import Store

EngineFactory = Callable[[], "ReviewEngine"]


_REVIEW_EPILOG = """\
outputs:
  --json OUT|-   the summary (frames, duration_s, processing_fps, in_position_s, good_form_s,
                 reps, segments, checks; posture also good_s, bad_s, away_s, alerts); with -
                 it is printed on stdout and nothing else is
  --csv OUT      one row per frame          --video OUT  annotated H.264 MP4 (.mp4)
  --thumbnails DIR  a JPEG of the worst moment of each fault, named VIDEO_FAULT_at_T.jpg (never
                 over an existing file); only when asked for: frames never reach the disk unasked
  without any output option a short summary is printed.
  An output may not be the video, the spec, the model, the history or another output; a FIFO
  or device (/dev/null, /dev/stdout) gets the JSON or CSV written into it, never replaced;
  a symbolic link is followed (its target is written); the video needs a regular file.

several videos (more than one, or a folder): each is reviewed with --workers N at once; with
  --out-dir DIR each gets DIR/NAME.json and DIR/NAME.csv (and with --video-all NAME.mp4 and
  NAME_thumbnails/); a table of all of them is printed (or with --json - one JSON object).
  A file that cannot be reviewed gets its error in the table; the others still run.

history: every review is saved to the history ($POSECHECK_DATA_DIR/history.sqlite3) unless
  --no-history. A history another program holds locked is waited for (60 s, or
  $POSECHECK_HISTORY_WAIT_S). If saving fails the outputs are still written, the reason is
  printed on stderr and the exit status is 3; `posecheck history import SUMMARY.json` adds the
  --json summary later.

warnings (stderr and the summary's "warning"): a file cut short is analysed as far as it
  decodes; nobody found; several people in view (with the number of frames), or a skeleton
  mixing two people's limbs (those frames are not judged). They do not fail it.

exit status: 0 done; 1 nothing reviewed (bad input) or, with several videos, at least one
  failed; 2 bad command line; 3 reviewed and written but not saved to the history.
"""


def register(commands: Any) -> None:
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
    add_posture_options(review, prefix="(--posture) ")
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
    add_model_option(review)
    review.set_defaults(run=run_review)



def _review_engine_factory(args: argparse.Namespace) -> tuple[EngineFactory, str]:
    """A picklable factory for a fresh engine per video, and what it reviews (for messages)."""
    from functools import partial

    from posecheck.review import PostureReview, StretchReview

    if args.posture:
        if args.side:
            raise InputError("--side is for stretches; leave it out with --posture.")
        baseline = None
        if args.baseline is not None:
            baseline = baseline_from(args.baseline, args)
        elif args.profile is not None:
            from posecheck.profiles import load_profile

            baseline = load_profile(args.profile)
        return partial(PostureReview, baseline, args.view, args.sensitivity), "desk posture"
    for name in ("profile", "baseline", "view", "sensitivity"):
        if getattr(args, name) is not None:
            raise InputError(f"--{name} is for --posture reviews; leave it out with --stretch.")
    from posecheck.specs import get_stretch

    spec = get_stretch(args.stretch)
    if args.side and not spec.sided:
        raise InputError(f"{spec.name} is not done one side at a time; leave out --side.")
    return partial(StretchReview, spec, args.side), spec.name


def _save_review(
    summary: SessionSummary,
    path: Path,
    args: argparse.Namespace,
    store: Store | None = None,
    started_at: datetime | None = None,
) -> int:
    from posecheck.history import review_wait_s, save_session
    from posecheck.store import DEFAULT_BUSY_TIMEOUT_S, StoreError

    def save(wait: float) -> int:
        return save_session(
            summary, side=args.side, source="review", video=path.resolve(), store=store,
            started_at=started_at, busy_timeout_s=wait,
        )  # fmt: skip

    wait = review_wait_s()
    if store is not None or wait <= DEFAULT_BUSY_TIMEOUT_S:
        return save(wait)
    # A review may have taken minutes: wait longer for a locked history, and say so.
    try:
        return save(DEFAULT_BUSY_TIMEOUT_S)
    except StoreError as error:
        if not error.busy:
            raise
    print(f"posecheck: the history database is locked by another program; waiting up to "
          f"{wait - DEFAULT_BUSY_TIMEOUT_S:g} s more to save this review.",
          file=sys.stderr)  # fmt: skip
    return save(wait - DEFAULT_BUSY_TIMEOUT_S)


def run_review(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise InputError("--workers must be 1 or more.")
    several = len(args.videos) > 1 or args.videos[0].is_dir() or args.out_dir is not None
    make_engine, subject = _review_engine_factory(args)
    if several:
        return _run_review_many(args, make_engine)
    if args.video_all:
        raise InputError("--video-all is for several videos with --out-dir; use --video OUT.")
    return _run_review_one(args, make_engine, subject)


def _run_review_one(args: argparse.Namespace, make_engine: EngineFactory, subject: str) -> int:
    from datetime import UTC, datetime

    from posecheck.review import ReviewOutputs, review

    video_path: Path = args.videos[0]
    files = review_files(args)
    outputs = ReviewOutputs(video=args.video, csv=args.csv, thumbnails=files.thumbnails)
    started_at = datetime.now(UTC)
    bar = ProgressBar(printable(video_path.name))
    try:
        result = review(
            video_path, make_engine(), outputs, settings=estimator_settings(args), progress=bar
        )
    finally:
        bar.close()
    summary = result.summary

    status = 0
    history_id: int | None = None
    if not args.no_history:
        from posecheck.store import StoreError

        try:
            history_id = _save_review(summary, video_path, args, started_at=started_at)
        except StoreError as error:
            where = "" if files.json is None else (
                f"; add it later with `posecheck history import {printable(files.json.path)}`"
            )
            print(f"posecheck: the review was not saved to the history: {error}{where}",
                  file=sys.stderr)  # fmt: skip
            status = EXIT_NOT_SAVED
    # The saved summary is importable into the history (`posecheck history import`): it says
    # when the review started and which side was chosen.
    data = {**result.to_json(), "history_id": history_id, "started_at": started_at.isoformat(),
            "side": args.side}  # fmt: skip
    if isinstance(data.get("video"), dict):  # the file the history names, wherever it is read
        data["video"] = {**data["video"], "path": str(video_path.resolve())}
    if files.json is not None:
        write_json_file(files.json, data)
    if args.json == "-":
        print(json.dumps(data))
    else:
        print_summary(video_path, subject, summary, history_id)
        for name, path in (("video", args.video), ("CSV", args.csv),
                           ("summary", files.json and files.json.path)):  # fmt: skip
            if path is not None:
                print(f"  {name} written to {printable(path)}")
        if result.thumbnails:
            print(f"  {len(result.thumbnails)} fault thumbnail(s) in "
                  f"{printable(outputs.thumbnails)}")  # fmt: skip
    if result.warning:
        print(f"posecheck: {printable(result.warning)}", file=sys.stderr)
    return status


def print_summary(
    path: Path, subject: str, summary: SessionSummary, history_id: int | None
) -> None:
    """A reviewed video's summary as a few lines of text."""
    speed = ""
    if summary.review is not None:
        speed = f" analysed at {summary.review.processing_fps:.0f} frames/s"
    print(
        f"{printable(path.name)}: {printable(subject)}, {summary.frames} frames, "
        f"{seconds(summary.duration_s)}{speed}"
    )
    totals = summary.posture
    if totals is not None:
        print(
            f"  good {seconds(totals.good_s)}, bad {seconds(totals.bad_s)}, "
            f"away {seconds(totals.away_s)}, alerts {totals.alerts}"
        )
    else:
        print(
            f"  in position {seconds(summary.in_position_s)}, held in good form "
            f"{seconds(summary.good_form_s)}, reps {summary.reps}"
        )
    segments = summary.segments
    if segments:
        shown = ", ".join(f"{s.label} {s.start_s:.1f}-{s.end_s:.1f} s" for s in segments[:6])
        more = f", and {len(segments) - 6} more" if len(segments) > 6 else ""
        print(f"  phases: {shown}{more}")
    if summary.checks:
        print("  share ok: " + ", ".join(
            f"{name} {c.ok_fraction:.0%}" for name, c in summary.checks.items()
        ))  # fmt: skip
    faults = summary.review.faults if summary.review is not None else ()
    if faults:
        print("  worst moments: " + ", ".join(f"{f.fault} at {f.t_s:.1f} s" for f in faults))
    if history_id is not None:
        print(f"  saved to the history as session {history_id}")


def _run_review_many(args: argparse.Namespace, make_engine: EngineFactory) -> int:
    from posecheck.review.batch import collect_videos, output_stems, review_many

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
    check_batch_files(args, videos, output_stems(videos))
    store: Store | None = None
    history_error: str | None = None
    saved: dict[Path, int] = {}
    finished = 0

    def done(item: BatchItem) -> None:
        nonlocal store, history_error, finished
        finished += 1
        outcome = "failed" if item.error else "done"
        print(f"posecheck: [{finished}/{len(videos)}] {printable(item.path.name)} {outcome}",
              file=sys.stderr)  # fmt: skip
        if item.summary is None or args.no_history or history_error is not None:
            return
        from posecheck.history import review_wait_s
        from posecheck.store import StoreError, open_store

        try:
            store = store or open_store(busy_timeout_s=review_wait_s())
            saved[item.path] = _save_review(item.summary, item.path, args, store)
        except StoreError as error:
            history_error = str(error)

    try:
        items = review_many(
            videos, make_engine, workers=args.workers, out_dir=args.out_dir,
            videos=args.video_all, settings=estimator_settings(args), on_done=done,
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


def _print_table(items: Sequence[BatchItem], *, posture: bool) -> None:
    names = [printable(item.path.name) for item in items]
    width = max([4, *map(len, names)])
    head = ["good", "bad", "away", "alerts"] if posture else ["in position", "good form", "reps"]
    print(f"{'file':<{width}}  {'frames':>6}  {'duration':>8}  "
          + "  ".join(f"{h:>11}" if len(h) > 6 else f"{h:>7}" for h in head) + "  note")
    for name, item in zip(names, items, strict=True):
        s = item.summary
        if s is None:
            cells = ["-"] * (2 + len(head))
        elif s.posture is not None:
            p = s.posture
            cells = [str(s.frames), seconds(s.duration_s), seconds(p.good_s),
                     seconds(p.bad_s), seconds(p.away_s), str(p.alerts)]
        else:
            cells = [str(s.frames), seconds(s.duration_s), seconds(s.in_position_s),
                     seconds(s.good_form_s), str(s.reps)]
        widths = [6, 8] + [11 if len(h) > 6 else 7 for h in head]
        note = printable(f"error: {item.error}" if item.error else (item.warning or ""))
        print(f"{name:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths,
                                                                          strict=True))
              + f"  {note}".rstrip())
