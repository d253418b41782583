"""Review tasks on a Dask cluster, seen from the client: one task per video (its path, or its
bytes sent a few at a time), their outcomes collected here as they end, and each outcome's
files written here where the user asked for them. `batch.py` sends many videos this way,
`scale.py` one short video on a user's cluster.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from posecheck.errors import InputError, PosecheckError
from posecheck.outputs import output_target, write_bytes
from posecheck.review.cache import file_sha256
from posecheck.review.chunks import GRID, Grid
from posecheck.review.cluster import (
    ALLOWED_FAILURES,
    CancelFlag,
    ProgressCollector,
    connect,
    task_key,
    worker_count,
)
from posecheck.review.engines import ReviewEngine
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.review.pipeline import MAX_SIDE, ReviewOutputs, write_unique
from posecheck.review.tasks import ReviewCancelled, TaskOutcome, VideoBytes, review_task
from posecheck.session import SessionSummary
from posecheck.settings import EstimatorSettings

#: Builds a fresh engine for each video; must pickle (a class, or functools.partial of one).
EngineFactory = Callable[[], ReviewEngine]
#: Called as frames are reviewed: (the video, its frames done, its frames expected or None).
BatchProgress = Callable[[Path, int, int | None], None]
#: Videos sent as bytes (`send_files`) that may wait on the cluster at once, per worker: each
#: sits in a worker's memory until its review is done.
SENT_PER_WORKER = 2


@dataclass(frozen=True)
class Job:
    """One video of a batch and where its outputs go (`json`: its summary, if anywhere)."""

    path: Path
    outputs: ReviewOutputs = field(default_factory=ReviewOutputs)
    json: Path | None = None


@dataclass
class Outcome:
    """What became of one video: its summary or error, and the files written for it."""

    summary: SessionSummary | None = None
    error: str | None = None
    thumbnails: tuple[Path, ...] = ()
    landmarks: LandmarkStream | None = None
    from_cache: bool = False


def from_task(job: Job, outcome: TaskOutcome) -> Outcome:
    """A task's outcome with its files written where this job wants them (by the client)."""
    if outcome.error is not None or outcome.summary is None:
        return Outcome(error=outcome.error or f"The review of {job.path} returned nothing.")
    summary = outcome.summary
    if summary.review is not None:  # name the file as the user did, not as the worker saw it
        facts = summary.review
        summary = summary.reviewed(replace(facts, video=replace(facts.video, path=str(job.path))))
    try:
        for target, data in ((job.outputs.csv, outcome.csv), (job.outputs.video, outcome.video)):
            if target is not None and data is not None:
                write_bytes(output_target(target, "review output", special_ok=False), data)
        thumbnails: list[Path] = []
        folder = job.outputs.thumbnails
        if folder is not None and outcome.thumbnails:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for name, data in sorted(outcome.thumbnails.items()):
                    thumbnails.append(write_unique(folder, Path(name).stem, data))
            except OSError as exc:
                raise InputError(
                    f"Cannot write the thumbnails to {folder} ({exc.strerror or exc})."
                ) from None
    except PosecheckError as exc:
        return Outcome(error=str(exc))
    return Outcome(summary, None, tuple(thumbnails), outcome.landmarks)


def model_sha256(settings: EstimatorSettings) -> str | None:
    """The client's model checksum, so a worker can use its own copy of the same file."""
    try:
        return file_sha256(settings.model_path)
    except OSError:
        return None  # the workers report the missing model in their own words


def task_source(client: Any, path: Path, send: bool) -> Any:
    """What a task is given: the absolute path (workers' own folders differ from ours), or the
    file's bytes scattered to the cluster once (a future the workers fetch)."""
    if not send:
        return str(path.resolve())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    return client.scatter(VideoBytes(path.name, data), hash=False)


def failure_sentence(path: Path, exc: BaseException) -> str:
    """The one sentence for a task that raised instead of returning."""
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return (f"The review of {path} stopped its Dask worker process again and again "
                f"({ALLOWED_FAILURES + 1} times on a local cluster); it was given up.")  # fmt: skip
    if isinstance(exc, PosecheckError):
        return str(exc)
    return f"posecheck failed on {path} ({type(exc).__name__}: {exc})."


def run_on_cluster(
    jobs: Sequence[tuple[int, Job]],
    make_engine: EngineFactory,
    *,
    workers: int,
    scheduler: str | None,
    send_files: bool,
    settings: EstimatorSettings,
    finish: Callable[[int, TaskOutcome], None],
    meanwhile: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    progress: BatchProgress | None = None,
    max_side: int = MAX_SIDE,
    grid: Grid | None = GRID,
) -> None:
    """One review task per job on a Dask cluster; `finish(index, outcome)` here as each ends.

    `meanwhile` runs here once the tasks are submitted (judging cached videos). Raises
    `ReviewCancelled` when `cancel` is set (the tasks stop within about half a second)."""
    from distributed import as_completed

    sha = model_sha256(settings)
    with connect(workers, scheduler) as client:
        flag = CancelFlag(client)
        paths: dict[str, Path] = {}

        def report(key: str, done: int, total: int | None) -> None:
            if progress is not None and key in paths:
                progress(paths[key], done, total)

        collector = ProgressCollector(client, report)
        waiting = deque(jobs)
        limit = SENT_PER_WORKER * max(1, worker_count(client)) if send_files else len(jobs)
        running: dict[Any, tuple[int, Path]] = {}
        done_futures = as_completed()

        def submit_next() -> None:
            index, job = waiting.popleft()
            try:
                source = task_source(client, job.path, send_files)
            except PosecheckError as exc:
                finish(index, TaskOutcome(str(job.path), error=str(exc)))
                return
            key = task_key("review", index)
            paths[key] = job.path
            outputs = job.outputs
            future = client.submit(
                review_task, source, make_engine, key, settings, sha, outputs.csv is not None,
                outputs.video is not None, outputs.thumbnails is not None, max_side, grid,
                flag.name, job.path.exists(), key=key, pure=False,
            )  # fmt: skip
            running[future] = (index, job.path)
            done_futures.add(future)

        try:
            while waiting and len(running) < limit:
                submit_next()
            if meanwhile is not None:
                meanwhile()
            while running or waiting:
                if cancel is not None and cancel.is_set():
                    raise ReviewCancelled
                if not done_futures.has_ready():
                    time.sleep(0.1)
                    continue
                for future in done_futures.next_batch(block=False):
                    index, path = running.pop(future)
                    try:
                        outcome: TaskOutcome = future.result()
                    except Exception as exc:
                        outcome = TaskOutcome(str(path), error=failure_sentence(path, exc))
                    if not outcome.cancelled:
                        finish(index, outcome)
                    future.release()
                while waiting and len(running) < limit:
                    submit_next()
        except ReviewCancelled:
            # The tasks under way stop at their next report (within about half a second);
            # those not started are dropped.
            flag.set()
            client.cancel(list(running))
            raise
        finally:
            collector.close()
