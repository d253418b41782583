"""Many recordings reviewed at once (a coach or clinic going through a folder of clients):
one review per video in parallel worker processes, one summary each, one bad file never
stopping the others.

    videos = collect_videos(["clients/", "extra.mov"])
    items = review_many(videos, partial(StretchReview, get_stretch("bridge")), workers=2,
                        out_dir=Path("reports"))
    for item in items:                      # in the order given
        print(item.path, item.error or item.summary.good_form_s)

With one worker the videos are reviewed one after another, each with the landmarker in its own
process beside decoding and encoding threads (`review`'s fastest mode for one video). With
several workers each worker reviews one video at a time entirely on its own thread
(`landmarker="inline"`): the workers already keep every core busy, and a second process per
worker would pin every landmarker to the same core (see docs/PERFORMANCE.md for the numbers).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecheck.errors import InputError, PosecheckError
from posecheck.outputs import write_json
from posecheck.review.engines import ReviewEngine
from posecheck.review.pipeline import ReviewOutputs, review
from posecheck.session import SessionSummary
from posecheck.settings import EstimatorSettings
from posecheck.video import VIDEO_TYPES

#: Builds a fresh engine for each video; must pickle (a class, or functools.partial of one).
EngineFactory = Callable[[], ReviewEngine]
#: Called as frames are reviewed: (the video, its frames done, its frames expected or None).
BatchProgress = Callable[[Path, int, int | None], None]
#: The error of each video a cancelled batch did not finish.
CANCELLED = "Not reviewed: the review was cancelled."


class ReviewCancelled(Exception):
    """Raised inside a review when its batch is cancelled; `review_many` stops on it."""


@dataclass(frozen=True)
class BatchItem:
    """The outcome for one video: a summary, or the one-sentence error that stopped it."""

    path: Path
    summary: SessionSummary | None = None
    error: str | None = None
    outputs: ReviewOutputs = field(default_factory=ReviewOutputs)
    json_path: Path | None = None
    thumbnails: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def warning(self) -> str | None:
        return None if self.summary is None else self.summary.warning

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": str(self.path), "ok": self.ok, "error": self.error}
        if self.summary is not None:
            data["summary"] = self.summary.to_json()
        written = {
            name: str(path)
            for name, path in (
                ("json", self.json_path), ("csv", self.outputs.csv), ("video", self.outputs.video),
            )
            if path is not None
        }  # fmt: skip
        data["outputs"] = written
        data["thumbnails"] = [str(p) for p in self.thumbnails]
        return data


def collect_videos(inputs: Iterable[str | Path]) -> list[Path]:
    """The videos named by `inputs`: files as given (a bad one is reported when reviewed), and
    the video files inside folders (sorted, subfolders included). Raises `InputError` for a
    missing path or a folder with no videos in it."""
    videos: list[Path] = []
    suffixes = {f".{t}" for t in VIDEO_TYPES}
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".")
            )  # fmt: skip
            if not found:
                raise InputError(
                    f"The folder {path} holds no videos ({', '.join(VIDEO_TYPES)} files)."
                )
            videos.extend(found)
        elif path.exists():
            videos.append(path)
        else:
            raise InputError(f"{path} does not exist.")
    # The same file named twice (a folder and a file in it) is reviewed once.
    unique: dict[Path, Path] = {}
    for video in videos:
        unique.setdefault(video.resolve(), video)
    return list(unique.values())


def output_stems(paths: Sequence[Path]) -> list[str]:
    """A distinct file-name stem per video: its own, with its folder's name when two clash."""
    stems: list[str] = []
    for path in paths:
        stem = path.stem
        if sum(p.stem == path.stem for p in paths) > 1 and path.parent.name:
            stem = f"{path.parent.name}_{path.stem}"
        base, number = stem, 2
        while stem in stems:
            stem, number = f"{base}_{number}", number + 1
        stems.append(stem)
    return stems


@dataclass(frozen=True)
class _Job:
    path: Path
    stem: str
    make_engine: EngineFactory
    outputs: ReviewOutputs
    settings: EstimatorSettings | None
    landmarker: str


#: In a pool worker: the batch's cancel flag (set by the pool's initializer).
_WORKER_CANCEL: Any = None


def _watch(
    path: Path, progress: BatchProgress | None, cancel: Any
) -> Callable[[int, int | None], None]:
    """`review`'s per-frame progress callback: reports, and stops the review once cancelled."""

    def watch(done: int, total: int | None) -> None:
        if cancel is not None and cancel.is_set():
            raise ReviewCancelled
        if progress is not None:
            progress(path, done, total)

    return watch


def _run(
    job: _Job, progress: Callable[[int, int | None], None] | None = None
) -> tuple[SessionSummary | None, str | None, tuple[Path, ...]]:
    """One review in a worker: the summary, or the error sentence (never an exception, so a bad
    file cannot take the pool down with it; a cancelled review raises `ReviewCancelled`)."""
    if progress is None and _WORKER_CANCEL is not None:
        progress = _watch(job.path, None, _WORKER_CANCEL)
    try:
        result = review(
            job.path, job.make_engine(), job.outputs, settings=job.settings,
            landmarker=job.landmarker, progress=progress,
        )  # fmt: skip
    except ReviewCancelled:
        raise
    except PosecheckError as exc:
        return None, str(exc), ()
    except MemoryError:
        return None, f"{job.path} needed more memory than this computer has.", ()
    except Exception as exc:  # a bug: report it in the table, keep the other reviews going
        return None, f"posecheck failed on {job.path} ({type(exc).__name__}: {exc}).", ()
    return result.summary, None, tuple(result.thumbnails)


def _quiet_worker(cancel: Any = None) -> None:
    """Pool initializer: keeps the batch's cancel flag, and quiets MediaPipe's native chatter
    on stderr, which would break into the caller's output; a worker reports everything through
    its return value (POSECHECK_DEBUG=1 keeps the chatter)."""
    global _WORKER_CANCEL
    _WORKER_CANCEL = cancel
    if os.environ.get("POSECHECK_DEBUG"):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def review_many(
    paths: Sequence[Path],
    make_engine: EngineFactory,
    *,
    workers: int = 1,
    out_dir: Path | None = None,
    videos: bool = False,
    settings: EstimatorSettings | None = None,
    landmarker: str | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
    cancel: threading.Event | None = None,
    progress: BatchProgress | None = None,
) -> list[BatchItem]:
    """Review every video in `paths` with a fresh engine from `make_engine`; items in order.

    out_dir: where STEM.json (the summary) and STEM.csv (per frame) go for each video, and with
        `videos` also STEM.mp4 (annotated) and STEM_thumbnails/. None writes nothing.
    workers: reviews running at once, each in its own process (1: one after another here).
    landmarker: `review`'s mode; default "inline" in a pool of workers, else "process".
    on_done: called in this process as each video finishes (in finishing order).
    cancel: once set, the video under review stops within a frame (its partial outputs are
        removed), no other starts, and every video not finished gets the error `CANCELLED`;
        videos already finished keep their results.
    progress: called in this process after each frame with (video, frames done, frames
        expected or None); with several workers, once per video as it finishes.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"Cannot create the output folder {out_dir} ({exc.strerror or exc})."
            ) from None
    pooled = workers > 1 and len(paths) > 1
    mode = landmarker or ("inline" if pooled else "process")
    jobs = []
    for path, stem in zip(paths, output_stems(paths), strict=True):
        outputs = ReviewOutputs()
        if out_dir is not None:
            outputs = ReviewOutputs(
                csv=out_dir / f"{stem}.csv",
                video=out_dir / f"{stem}.mp4" if videos else None,
                thumbnails=out_dir / f"{stem}_thumbnails" if videos else None,
            )
        jobs.append(_Job(path, stem, make_engine, outputs, settings, mode))

    items: list[BatchItem | None] = [None] * len(jobs)

    def finish(index: int, outcome: tuple[SessionSummary | None, str | None, tuple[Path, ...]]
               ) -> None:
        summary, error, thumbs = outcome
        job = jobs[index]
        json_path = None
        if summary is not None and out_dir is not None:
            json_path = out_dir / f"{job.stem}.json"
            try:
                write_json(json_path, summary.to_json())
            except PosecheckError as exc:  # the one sentence of posecheck.outputs
                json_path, error = None, str(exc)
            except OSError as exc:
                json_path = None
                error = f"Cannot write {out_dir} ({exc.strerror or exc})."
        item = BatchItem(job.path, summary, error, job.outputs, json_path, thumbs)
        items[index] = item
        if on_done is not None:
            on_done(item)

    if not pooled:
        for index, job in enumerate(jobs):
            if cancel is not None and cancel.is_set():
                break
            try:
                outcome = _run(job, _watch(job.path, progress, cancel))
            except ReviewCancelled:
                break
            finish(index, outcome)
    else:
        context = mp.get_context("spawn")
        # The workers see the flag through an event of their own, set when `cancel` is.
        stop = context.Event()
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)), mp_context=context, initializer=_quiet_worker,
            initargs=(stop,),
        ) as pool:  # fmt: skip
            futures: dict[Future[Any], int] = {
                pool.submit(_run, job): index for index, job in enumerate(jobs)
            }
            try:
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
                    if cancel is not None and cancel.is_set() and not stop.is_set():
                        stop.set()
                        for future in waiting:
                            future.cancel()
                    for future in done:
                        index = futures[future]
                        if future.cancelled():
                            continue
                        try:
                            outcome = future.result()
                        except ReviewCancelled:
                            continue
                        except BrokenProcessPool:
                            outcome = (None, f"The review of {jobs[index].path} stopped "
                                       "unexpectedly (its worker process died).", ())
                        finish(index, outcome)
                        if progress is not None and outcome[0] is not None:
                            frames = outcome[0].frames
                            progress(jobs[index].path, frames, frames)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    for index, job in enumerate(jobs):
        if items[index] is None:  # only a cancelled batch leaves videos unfinished
            items[index] = BatchItem(job.path, error=CANCELLED, outputs=ReviewOutputs())
    return [item for item in items if item is not None]
