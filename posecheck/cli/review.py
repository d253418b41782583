"""`posecheck review`: one recorded video (with a progress bar and its outputs), or many at once
in parallel workers with a table of results; every review is saved to the history."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from posecheck.errors import InputError, PosecheckError

if TYPE_CHECKING:
    from datetime import datetime

    from posecheck.review import ReviewEngine
    from posecheck.review.batch import BatchItem
    from posecheck.review.cache import LandmarkCache
    from posecheck.review.chunks import Grid
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

a routine (--routine): no stretch named; each catalog stretch is found where it is done (from the
  specs' entry conditions and reps, held at least a few seconds) and judged with its own checks,
  hold and reps, per side. The summary's "routine" lists them in time order with "unmatched_s",
  the time that matched none; the CSV has a "stretch" column; the history gets one session per
  stretch found ("history_ids").

several videos (more than one, or a folder): each is reviewed with --workers N at once; with
  --out-dir DIR each gets DIR/NAME.json and DIR/NAME.csv (and with --video-all NAME.mp4 and
  NAME_thumbnails/); a table of all of them is printed (or with --json - one JSON object).
  A file that cannot be reviewed gets its error in the table; the others still run.

scale (Dask): --workers N > 1 starts a local Dask cluster of N worker processes for the run;
  --scheduler tcp://HOST:PORT (or $POSECHECK_DASK_SCHEDULER) sends the same work to a running
  Dask cluster instead (posecheck of the same version on the scheduler and every worker).
  Several videos: one task each. One video longer than a chunk (--chunk-seconds, 30): its
  landmarks in chunks on every worker, then judged here in one pass. Workers open each video
  by its path; --send-files sends the bytes instead, for workers that cannot see the files.

stored landmarks: every review keeps the video's landmarks ($POSECHECK_DATA_DIR/landmarks,
  capped by $POSECHECK_CACHE_MB, 500 by default; `posecheck cache list|clear`). Reviewing the
  same file again (another stretch, an edited spec, --posture) skips the model; a changed file
  or another model is never served stored landmarks. --no-cache neither reads nor stores them.

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
    what.add_argument(
        "--routine", action="store_true",
        help="review a whole routine: find which catalog stretch is done when",
    )  # fmt: skip
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
    review.add_argument("--no-history", action="store_true", help="do not save to the history")
    add_model_option(review)
    add_scale_options(review)
    review.set_defaults(run=run_review)


# --- where the work runs (Dask) and stored landmarks ---------------------------------------------


def add_scale_options(review: argparse.ArgumentParser) -> None:
    group = review.add_argument_group("scale (Dask) and stored landmarks")
    group.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="worker processes of a local Dask cluster (1: no cluster, review here)",
    )  # fmt: skip
    group.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="send the work to this running Dask cluster ($POSECHECK_DASK_SCHEDULER)",
    )  # fmt: skip
    group.add_argument(
        "--send-files", action="store_true",
        help="send the videos' bytes to the workers (when they cannot see the paths)",
    )  # fmt: skip
    group.add_argument(
        "--chunk-seconds", type=float, default=None, metavar="S",
        help="one long video on several workers: the length of each chunk (30)",
    )  # fmt: skip
    group.add_argument(
        "--no-cache", action="store_true", help="neither use nor store the videos' landmarks"
    )


@dataclass(frozen=True)
class ScaleChoice:
    """Where a review runs and whether stored landmarks are used, from the command line."""

    workers: int
    scheduler: str | None
    send_files: bool
    grid: Grid
    cache: LandmarkCache | None


def scale_choice(args: argparse.Namespace) -> ScaleChoice:
    from posecheck.review.cache import LandmarkCache
    from posecheck.review.chunks import GRID, PREROLL_MS, Grid
    from posecheck.review.cluster import scheduler_address

    if args.workers < 1:
        raise InputError("--workers must be 1 or more.")
    scheduler = scheduler_address(args.scheduler)
    if args.send_files and scheduler is None and args.workers == 1:
        raise InputError(
            "--send-files is for a Dask cluster: add --scheduler ADDRESS (or --workers N)."
        )
    grid = GRID
    if args.chunk_seconds is not None:
        if not 2 <= args.chunk_seconds <= 3600:
            raise InputError("--chunk-seconds must be between 2 and 3600.")
        grid = Grid(round(args.chunk_seconds * 1000), PREROLL_MS)
    cache = None if args.no_cache else LandmarkCache.default()
    return ScaleChoice(args.workers, scheduler, args.send_files, grid, cache)


class BatchProgress:
    """One progress bar for a batch: frames finished across all videos (and workers), with
    a line per finished video that does not break the bar on a terminal."""

    def __init__(self, videos: Sequence[Path]) -> None:
        import threading

        from posecheck.video import probe

        totals: dict[Path, int] = {}
        for video in videos:
            try:
                totals[video] = probe(video).frame_count or 0
            except PosecheckError:
                totals[video] = 0  # its review says what is wrong with it
        self.total = sum(totals.values()) or None
        self.done: dict[Path, int] = {}
        self.finished = 0
        self.videos = len(videos)
        self.bar = ProgressBar(f"{len(videos)} videos")
        self._lock = threading.Lock()

    def __call__(self, path: Path, done: int, total: int | None) -> None:
        with self._lock:
            self.done[path] = done
            self.bar(sum(self.done.values()), self.total)

    def finish(self, item: BatchItem) -> None:
        with self._lock:
            self.finished += 1
            if item.summary is not None:
                self.done[item.path] = item.summary.frames
            outcome = "failed" if item.error else "done"
            if item.from_cache:
                outcome += " (stored landmarks)"
            if self.bar.tty:
                self.bar.stream.write("\r\033[K")
            # The bar redraws itself below this line at the next report.
            print(f"posecheck: [{self.finished}/{self.videos}] {printable(item.path.name)} "
                  f"{outcome}",
                  file=sys.stderr)  # fmt: skip

    def close(self) -> None:
        self.bar.close()



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
            what = "--routine" if args.routine else "--stretch"
            raise InputError(f"--{name} is for --posture reviews; leave it out with {what}.")
    if args.routine:
        from posecheck.review import RoutineReview

        if args.side:
            raise InputError(
                "--side is for one stretch; a routine review finds the side of each part."
            )
        return RoutineReview, "a routine"
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
) -> int | list[int]:
    """The history id of the saved session, or for a routine the ids of its parts."""
    from posecheck.history import review_wait_s, save_routine, save_session
    from posecheck.store import DEFAULT_BUSY_TIMEOUT_S, StoreError

    def save(wait: float) -> int | list[int]:
        if summary.routine is not None:
            return save_routine(
                summary, source="review", video=path.resolve(), store=store,
                started_at=started_at, busy_timeout_s=wait,
            )  # fmt: skip
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
    scale_choice(args)  # option mistakes are said before any work
    several = len(args.videos) > 1 or args.videos[0].is_dir() or args.out_dir is not None
    make_engine, subject = _review_engine_factory(args)
    if several:
        return _run_review_many(args, make_engine)
    if args.video_all:
        raise InputError("--video-all is for several videos with --out-dir; use --video OUT.")
    return _run_review_one(args, make_engine, subject)


def _run_review_one(args: argparse.Namespace, make_engine: EngineFactory, subject: str) -> int:
    from datetime import UTC, datetime

    from posecheck.review import ReviewOutputs
    from posecheck.review.scale import review_video

    video_path: Path = args.videos[0]
    files = review_files(args)
    outputs = ReviewOutputs(video=args.video, csv=args.csv, thumbnails=files.thumbnails)
    scale = scale_choice(args)
    started_at = datetime.now(UTC)
    bar = ProgressBar(printable(video_path.name))
    try:
        reviewed = review_video(
            video_path, make_engine, outputs, settings=estimator_settings(args), progress=bar,
            workers=scale.workers, scheduler=scale.scheduler, send_files=scale.send_files,
            cache=scale.cache, grid=scale.grid,
        )  # fmt: skip
    finally:
        bar.close()
    result = reviewed.result
    summary = result.summary

    status = 0
    history_id: int | list[int] | None = None
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
    # when the review started and which side was chosen. A routine names the history sessions
    # of its parts.
    data = {**result.to_json(), "started_at": started_at.isoformat(), "side": args.side,
            "route": reviewed.route}  # fmt: skip
    data["history_ids" if summary.routine is not None else "history_id"] = history_id
    if isinstance(data.get("video"), dict):  # the file the history names, wherever it is read
        data["video"] = {**data["video"], "path": str(video_path.resolve())}
    if files.json is not None:
        write_json_file(files.json, data)
    if args.json == "-":
        print(json.dumps(data))
    else:
        print_summary(video_path, subject, summary, history_id)
        print_route(reviewed.route, len(reviewed.chunks))
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
    path: Path, subject: str, summary: SessionSummary, history_id: int | list[int] | None
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
    if summary.routine is not None:
        print(f"  {len(summary.routine)} stretch(es) found; no stretch for "
              f"{seconds(summary.unmatched_s)}")  # fmt: skip
        for part in summary.routine:
            s = part.summary
            side = f" ({part.side} side)" if part.side else ""
            reps = f", reps {s.reps}" if s.reps else ""
            print(f"  {part.start_s:6.1f}-{part.end_s:.1f} s  {part.stretch}{side}: in position "
                  f"{seconds(s.in_position_s)}, good form {seconds(s.good_form_s)}{reps}")
            if part.note:
                print(f"      could also be {', '.join(part.ambiguous_with)}: {part.note}")
        if isinstance(history_id, list) and history_id:
            print(f"  saved to the history as sessions {', '.join(map(str, history_id))}")
        return
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


def print_route(route: str, chunks: int) -> None:
    """How the review ran, when it was not the ordinary way."""
    if route == "cache":
        print("  judged from the stored landmarks of this file (the model was not run)")
    elif route == "chunks":
        print(f"  landmarks found in {chunks} chunks on the Dask workers")
    elif route == "task":
        print("  reviewed on the Dask cluster")


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
    scale = scale_choice(args)
    store: Store | None = None
    history_error: str | None = None
    saved: dict[Path, int | list[int]] = {}
    bar = BatchProgress(videos)

    def done(item: BatchItem) -> None:
        nonlocal store, history_error
        bar.finish(item)
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
            videos, make_engine, workers=scale.workers, out_dir=args.out_dir,
            videos=args.video_all, settings=estimator_settings(args), on_done=done,
            progress=bar, scheduler=scale.scheduler, send_files=scale.send_files,
            cache=scale.cache, grid=scale.grid,
        )  # fmt: skip
    finally:
        bar.close()
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
        if item.from_cache and not item.error:
            note = f"(stored landmarks) {note}".strip()
        print(f"{name:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths,
                                                                          strict=True))
              + f"  {note}".rstrip())
