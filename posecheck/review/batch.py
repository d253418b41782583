"""Many recordings reviewed at once (a coach or clinic going through a week of clients): one
review per video, on a Dask cluster when more than one runs at a time, one summary each, one
bad file never stopping the others.

    videos = collect_videos(["clients/", "extra.mov"])
    items = review_many(videos, partial(StretchReview, get_stretch("bridge")), workers=2,
                        out_dir=Path("reports"))
    for item in items:                      # in the order given
        print(item.path, item.error or item.summary.good_form_s)

With one worker (and no scheduler) the videos are reviewed here one after another, each with
the landmarker in its own process beside decoding and encoding threads (`review`'s fastest mode
for one video). With more, a local Dask cluster of that many single-threaded worker processes
is started for the batch (or the work goes to a running cluster: `scheduler=`), and each
worker reviews one video at a time entirely on its own thread. Whatever runs where, the client
writes every output (summaries, CSVs, annotated videos, thumbnails), so results are the same
wherever they were computed; a worker lost mid-batch has its videos reviewed again elsewhere.

With a landmark `cache`, a video reviewed before (same bytes, same model) is judged here from
its stored landmarks without running the model, and every new stream is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecheck.errors import InputError, PosecheckError
from posecheck.outputs import write_json
from posecheck.review.cache import CacheKey, LandmarkCache
from posecheck.review.chunks import GRID, Grid
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.review.pipeline import MAX_SIDE, ReviewOutputs, ReviewResult, review
from posecheck.review.remote import (
    BatchProgress,
    EngineFactory,
    Job,
    Outcome,
    from_task,
    run_on_cluster,
)
from posecheck.review.tasks import ReviewCancelled
from posecheck.session import SessionSummary
from posecheck.settings import EstimatorSettings
from posecheck.video import VIDEO_TYPES

__all__ = [
    "CANCELLED", "BatchItem", "BatchProgress", "EngineFactory", "ReviewCancelled",
    "collect_videos", "output_stems", "review_many",
]  # fmt: skip

#: The error of each video a cancelled batch did not finish.
CANCELLED = "Not reviewed: the review was cancelled."


@dataclass(frozen=True)
class BatchItem:
    """The outcome for one video: a summary, or the one-sentence error that stopped it.
    `from_cache`: judged from stored landmarks, without running the model."""

    path: Path
    summary: SessionSummary | None = None
    error: str | None = None
    outputs: ReviewOutputs = field(default_factory=ReviewOutputs)
    json_path: Path | None = None
    thumbnails: tuple[Path, ...] = ()
    from_cache: bool = False

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
        data["from_cache"] = self.from_cache
        return data


def collect_videos(inputs: Iterable[str | Path]) -> list[Path]:
    """The videos named by `inputs`: files as given, and the video files inside folders
    (sorted, subfolders included). Raises `InputError` for a folder with no videos in it. A
    file that is not here is kept: it gets its own error when reviewed while the others go on
    (and a cluster's workers may see a path this computer does not)."""
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
        else:
            videos.append(path)
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


def _watch(
    path: Path, progress: BatchProgress | None, cancel: threading.Event | None
) -> Callable[[int, int | None], None]:
    """`review`'s per-frame progress callback: reports, and stops the review once cancelled."""

    def watch(done: int, total: int | None) -> None:
        if cancel is not None and cancel.is_set():
            raise ReviewCancelled
        if progress is not None:
            progress(path, done, total)

    return watch


def _review_here(
    job: Job, make_engine: EngineFactory, *, settings: EstimatorSettings | None,
    landmarker: str, stored: LandmarkStream | None, keep: bool,
    watch: Callable[[int, int | None], None], grid: Grid | None,
) -> Outcome:  # fmt: skip
    """One review in this process: the summary, or the error sentence (a cancelled review
    raises `ReviewCancelled`)."""
    try:
        result = review(
            job.path, make_engine(), job.outputs, settings=settings, landmarker=landmarker,
            progress=watch, poses=stored, keep_landmarks=keep and stored is None, grid=grid,
        )  # fmt: skip
    except ReviewCancelled:
        raise
    except PosecheckError as exc:
        return Outcome(error=str(exc))
    except MemoryError:
        return Outcome(error=f"{job.path} needed more memory than this computer has.")
    except Exception as exc:  # a bug: report it in the table, keep the other reviews going
        return Outcome(error=f"posecheck failed on {job.path} ({type(exc).__name__}: {exc}).")
    return Outcome(result.summary, None, result.thumbnails, result.landmarks, stored is not None)


def run_jobs(
    jobs: Sequence[Job],
    make_engine: EngineFactory,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    send_files: bool = False,
    settings: EstimatorSettings | None = None,
    landmarker: str | None = None,
    cache: LandmarkCache | None = None,
    max_side: int = MAX_SIDE,
    on_done: Callable[[int, BatchItem], None] | None = None,
    cancel: threading.Event | None = None,
    progress: BatchProgress | None = None,
    chunk_single: bool = True,
    grid: Grid = GRID,
) -> list[BatchItem]:
    """Review each job's video with a fresh engine; items in the order of `jobs`.

    Here, one after another, with one worker and no scheduler; else on a Dask cluster (a local
    one of `workers` processes, or the one at `scheduler`), each video one task, except that a
    batch of one long video is reviewed in chunks on every worker (`chunk_single`). Each
    video's files are written as soon as it finishes; `on_done(index, item)` is called here in
    the order of `jobs` (a video that finishes early waits for those before it), so history
    rows are saved in the order given wherever the reviews ran. See `review_many`."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    settings = settings or EstimatorSettings()
    items: list[BatchItem | None] = [None] * len(jobs)
    keys: dict[int, CacheKey] = {}
    stored: dict[int, LandmarkStream] = {}
    announced = 0

    def announce() -> None:
        """on_done for every finished item not yet announced before the first unfinished."""
        nonlocal announced
        while announced < len(jobs) and items[announced] is not None:
            item = items[announced]
            if on_done is not None and item is not None and item.error != CANCELLED:
                on_done(announced, item)
            announced += 1

    def finish(index: int, outcome: Outcome) -> None:
        job = jobs[index]
        error, json_path = outcome.error, None
        if outcome.summary is not None and job.json is not None:
            try:
                write_json(job.json, outcome.summary.to_json())
                json_path = job.json
            except PosecheckError as exc:  # the one sentence of posecheck.outputs
                error = str(exc)
        if outcome.landmarks is not None and cache is not None and index in keys:
            cache.put(keys[index], outcome.landmarks, job.path)
        outputs = job.outputs if error is None else ReviewOutputs()
        item = BatchItem(job.path, outcome.summary, error, outputs, json_path,
                         outcome.thumbnails, outcome.from_cache)  # fmt: skip
        items[index] = item
        announce()

    # Stored landmarks first: a video reviewed before is judged here without the model.
    if cache is not None:
        for index, job in enumerate(jobs):
            if cancel is not None and cancel.is_set():
                break
            try:
                keys[index] = cache.key(job.path, settings, max_side, grid)
            except PosecheckError:
                continue  # unreadable: the review says why
            hit = cache.get(keys[index])
            if hit is not None:
                stored[index] = hit

    def here(index: int, mode: str) -> None:
        job = jobs[index]
        watch = _watch(job.path, progress, cancel)
        finish(index, _review_here(job, make_engine, settings=settings, landmarker=mode,
                                   stored=stored.get(index), keep=cache is not None,
                                   watch=watch, grid=grid))  # fmt: skip

    remote = scheduler is not None or workers > 1
    misses = [i for i in range(len(jobs)) if i not in stored]
    try:
        if cancel is not None and cancel.is_set():
            pass  # cancelled before anything started: no cluster either
        elif remote and chunk_single and len(jobs) == 1 and misses:
            finish(0, _review_alone(jobs[0], make_engine, workers=workers, scheduler=scheduler,
                                    send_files=send_files, settings=settings, cache=cache,
                                    max_side=max_side, progress=progress, grid=grid))  # fmt: skip
        elif not remote or not misses:
            for index in range(len(jobs)):
                if cancel is not None and cancel.is_set():
                    break
                here(index, landmarker or "process")
        else:
            def judge_stored() -> None:
                # Runs while the cluster works on the others.
                for index in sorted(stored):
                    if cancel is not None and cancel.is_set():
                        return
                    here(index, "inline")

            run_on_cluster(
                [(i, jobs[i]) for i in misses], make_engine, workers=workers,
                scheduler=scheduler, send_files=send_files, settings=settings,
                finish=lambda i, o: finish(i, from_task(jobs[i], o)), meanwhile=judge_stored,
                cancel=cancel, progress=progress, max_side=max_side, grid=grid,
            )  # fmt: skip
    except ReviewCancelled:
        pass
    for index, job in enumerate(jobs):
        if items[index] is None:  # only a cancelled batch leaves videos unfinished
            items[index] = BatchItem(job.path, error=CANCELLED, outputs=ReviewOutputs())
    announce()  # those that finished after one that was cancelled
    return [item for item in items if item is not None]


def _review_alone(
    job: Job, make_engine: EngineFactory, *, workers: int, scheduler: str | None,
    send_files: bool, settings: EstimatorSettings, cache: LandmarkCache | None, max_side: int,
    progress: BatchProgress | None, grid: Grid,
) -> Outcome:  # fmt: skip
    """A batch of one video on a cluster: in chunks when it is long (see scale.review_video);
    the cache is read and written there."""
    from posecheck.review.scale import review_video  # the plan for one video, on top of this

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(job.path, done, total)

    try:
        reviewed = review_video(
            job.path, make_engine, job.outputs, settings=settings, progress=report,
            workers=workers, scheduler=scheduler, send_files=send_files, cache=cache,
            max_side=max_side, grid=grid,
        )  # fmt: skip
    except ReviewCancelled:
        raise
    except PosecheckError as exc:
        return Outcome(error=str(exc))
    result = reviewed.result
    return Outcome(result.summary, None, result.thumbnails, None, reviewed.route == "cache")


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
    scheduler: str | None = None,
    send_files: bool = False,
    cache: LandmarkCache | None = None,
    grid: Grid = GRID,
) -> list[BatchItem]:
    """Review every video in `paths` with a fresh engine from `make_engine`; items in order.

    out_dir: where STEM.json (the summary) and STEM.csv (per frame) go for each video, and with
        `videos` also STEM.mp4 (annotated) and STEM_thumbnails/. None writes nothing.
    workers: reviews running at once (1: one after another here; more: a local Dask cluster of
        that many worker processes).
    scheduler: a running Dask cluster's scheduler ("tcp://host:8786") to send the work to.
    send_files: send each video's bytes to the cluster (for workers that cannot see its path).
    landmarker: `review`'s mode when reviewing here (default "process").
    cache: judge videos reviewed before from their stored landmarks; store every new stream.
    grid: where trackers restart in long videos (posecheck.review.chunks).
    on_done: called in this process for each finished video, in the order of `paths` (its
        files are written as soon as it finishes; its turn comes once those before it are done).
    cancel: once set, the videos under review stop within a frame here (within half a second on
        a cluster), their partial outputs removed, no other starts, and every video not
        finished gets the error `CANCELLED`; videos already finished keep their results.
    progress: called in this process with (video, frames done, frames expected or None): after
        each frame here, about twice a second per video on a cluster.
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
    jobs = []
    for path, stem in zip(paths, output_stems(paths), strict=True):
        if out_dir is None:
            jobs.append(Job(path))
            continue
        jobs.append(Job(path, ReviewOutputs(
            csv=out_dir / f"{stem}.csv",
            video=out_dir / f"{stem}.mp4" if videos else None,
            thumbnails=out_dir / f"{stem}_thumbnails" if videos else None,
        ), out_dir / f"{stem}.json"))  # fmt: skip
    return run_jobs(
        jobs, make_engine, workers=workers, scheduler=scheduler, send_files=send_files,
        settings=settings, landmarker=landmarker, cache=cache, cancel=cancel, progress=progress,
        grid=grid,
        on_done=None if on_done is None else (lambda _index, item: on_done(item)),
    )  # fmt: skip


def as_result(item: BatchItem) -> ReviewResult:
    """A single video's batch item as `review` would have returned it (raises its error)."""
    if item.summary is None:
        raise InputError(item.error or f"The review of {item.path} returned nothing.")
    return ReviewResult(item.summary, item.outputs, item.thumbnails)
