"""Review at scale on Dask: a batch of videos as one task each, and one long video split into
time chunks so every core works on it; and the choice, for one video, between stored
landmarks, today's single pipeline, chunks and a task on a user's cluster.

    plan:   cache hit?  -> judge the stored landmarks here (no model; a second decode only
                           when an annotated video or thumbnails are asked for)
            short, or one worker and no cluster -> `review` here (landmarker process)
            long and workers > 1 (or a cluster) -> chunk tasks -> joined stream -> the engine
                           once, in order, here, drawing from a second decode as chunks arrive
                           (except an annotated video on a local cluster with no core to
                           spare for that second decode: `review` here, which is faster)
            short, on a user's cluster          -> one review task there
    then:   the new landmark stream goes into the cache.

Results do not depend on where the work ran: tasks return values, the client writes files.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from posecheck.errors import InputError
from posecheck.pose import Pose
from posecheck.review.cache import LandmarkCache
from posecheck.review.chunks import GRID, Chunk, ChunkResult, Grid, plan_chunks
from posecheck.review.cluster import (
    ProgressCollector,
    connect,
    task_key,
)
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.review.pipeline import (
    MAX_SIDE,
    Observer,
    Progress,
    ReviewOutputs,
    ReviewResult,
    review,
)
from posecheck.review.remote import (
    EngineFactory,
    Job,
    Outcome,
    failure_sentence,
    from_task,
    model_sha256,
    run_on_cluster,
    task_source,
)
from posecheck.review.tasks import (
    ReviewCancelled,
    Source,
    chunk_task,
)
from posecheck.settings import EstimatorSettings
from posecheck.video import probe

ROUTES = ("cache", "pipeline", "chunks", "task")


# --- one video ---------------------------------------------------------------------------------


class ChunkedPoses:
    """The poses of a video whose landmark chunks are still being computed on the cluster: a
    `PoseSource` for `review` that waits for each chunk as its frames come up, in order."""

    def __init__(self, chunks: Sequence[Chunk], futures: Sequence[Any], path: Path) -> None:
        self.chunks = list(chunks)
        self.futures = list(futures)
        self.path = path
        self._starts = [c.start_ms for c in self.chunks]
        self._results: dict[int, ChunkResult] = {}

    @property
    def warning(self) -> str | None:
        """What the chunk that reached the end of the file found (see LandmarkStream.concat)."""
        done = [self._results[i].stream for i in sorted(self._results)]
        return next((s.warning for s in reversed(done) if len(s)), done[-1].warning if done
                    else None)  # fmt: skip

    def chunk(self, index: int) -> ChunkResult:
        if index not in self._results:
            try:
                self._results[index] = self.futures[index].result()
            except ReviewCancelled:
                raise
            except Exception as exc:
                raise InputError(failure_sentence(self.path, exc)) from None
        return self._results[index]

    def pose_at(self, t_ms: int) -> Pose | None:
        index = max(0, bisect.bisect_right(self._starts, t_ms) - 1)
        return self.chunk(index).stream.pose_at(t_ms)

    def poses(self) -> Iterator[tuple[int, Pose | None]]:
        for index in range(len(self.chunks)):
            yield from self.chunk(index).stream.poses()

    def joined(self) -> LandmarkStream:
        return LandmarkStream.concat([self.chunk(i).stream for i in range(len(self.chunks))])

    def results(self) -> list[ChunkResult]:
        return [self.chunk(i) for i in range(len(self.chunks))]


@dataclass(frozen=True)
class VideoReview:
    """One video's review and how it ran: `route` is one of `ROUTES` (stored landmarks, the
    single pipeline here, chunks on a cluster, one task on a cluster); `chunks` the chunk
    results when it was chunked (their timings and CPU, for benchmarks)."""

    result: ReviewResult
    route: str
    chunks: tuple[ChunkResult, ...] = ()


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def chunks_pay_off(outputs: ReviewOutputs, cores: int) -> bool:
    """Whether a long video is reviewed faster in chunks on a local cluster than by the single
    pipeline. An annotated video needs a second decode, the drawing and the encoder beside the
    chunks (about half a landmarker's CPU per frame): on two cores that costs more than the
    second landmarker gains (docs/PERFORMANCE.md: 0.87 x the bare landmarker in chunks against
    1.04 x for the pipeline, with a 720p annotated video)."""
    return outputs.video is None or cores > 2


def review_video(
    path: Path,
    make_engine: EngineFactory,
    outputs: ReviewOutputs | None = None,
    *,
    settings: EstimatorSettings | None = None,
    progress: Progress | None = None,
    observe: Observer | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    send_files: bool = False,
    cache: LandmarkCache | None = None,
    grid: Grid = GRID,
    max_side: int = MAX_SIDE,
) -> VideoReview:
    """Review one video the fastest way it can be (see the module docstring for the plan).

    Raises `InputError` (one sentence) when it cannot be reviewed. `progress(done, total)`
    counts frames reviewed here, or frames whose landmarks the workers finished."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    settings = settings or EstimatorSettings()
    outputs = outputs or ReviewOutputs()
    remote = scheduler is not None
    # A file that is not a video is said in its own words before anything is hashed or stored
    # (on a cluster the workers may see a path this computer does not: they say it there).
    info = probe(path) if not remote or path.exists() else None
    key = cache.key(path, settings, max_side, grid) if cache is not None and info else None
    if cache is not None and key is not None:
        stored = cache.get(key)
        if stored is not None:
            result = review(path, make_engine(), outputs, progress=progress, observe=observe,
                            max_side=max_side, poses=stored)  # fmt: skip
            return VideoReview(replace(result, landmarks=stored), "cache")
    duration_ms = round((info.duration_s or 0.0) * 1000) if info is not None else 0
    chunks: tuple[ChunkResult, ...] = ()
    if (workers > 1 or remote) and duration_ms > grid.chunk_ms and info is not None and (
        remote or chunks_pay_off(outputs, usable_cores())
    ):
        result, chunks = _review_chunked(
            path, make_engine, outputs, settings=settings, progress=progress, observe=observe,
            workers=workers, scheduler=scheduler, send_files=send_files, grid=grid,
            max_side=max_side, duration_ms=duration_ms,
            total=info.frame_count,
        )  # fmt: skip
        route = "chunks"
    elif remote:
        job = Job(path, outputs)
        ended: list[Outcome] = []

        def one(_path: Path, done: int, total: int | None) -> None:
            if progress is not None:
                progress(done, total)

        run_on_cluster(
            [(0, job)], make_engine, workers=workers, scheduler=scheduler,
            send_files=send_files, settings=settings, finish=lambda _i, o: ended.append(
                from_task(job, o)), progress=one, max_side=max_side, grid=grid,
        )  # fmt: skip
        outcome = ended[0] if ended else Outcome(error=f"The review of {path} returned nothing.")
        if outcome.summary is None:
            raise InputError(outcome.error or f"The review of {path} returned nothing.")
        result = ReviewResult(outcome.summary, outputs, outcome.thumbnails, outcome.landmarks)
        route = "task"
    else:
        result = review(path, make_engine(), outputs, settings=settings, progress=progress,
                        observe=observe, max_side=max_side, keep_landmarks=cache is not None,
                        grid=grid)  # fmt: skip
        route = "pipeline"
    if cache is not None and key is not None and result.landmarks is not None:
        cache.put(key, result.landmarks, path)
    return VideoReview(result, route, chunks)


def _review_chunked(
    path: Path,
    make_engine: EngineFactory,
    outputs: ReviewOutputs,
    *,
    settings: EstimatorSettings,
    progress: Progress | None,
    observe: Observer | None,
    workers: int,
    scheduler: str | None,
    send_files: bool,
    grid: Grid,
    max_side: int,
    duration_ms: int,
    total: int | None,
) -> tuple[ReviewResult, tuple[ChunkResult, ...]]:
    """The landmark pass in grid chunks on the cluster, the engine once over the joined stream
    here (drawing from a second decode when pictures are asked for), as chunks arrive."""
    chunks = plan_chunks(duration_ms, grid)
    sha = model_sha256(settings)
    with connect(workers, scheduler) as client:
        def report(_key: str, _done: int, _total: int | None) -> None:
            if progress is not None:
                progress(min(collector.done, total or collector.done), total)

        collector = ProgressCollector(client, report)
        try:
            source: Source | Any = task_source(client, path, send_files)
            futures = []
            for chunk in chunks:
                key = task_key("chunk", chunk.index)
                futures.append(client.submit(
                    chunk_task, source, chunk, key, settings, sha, max_side, grid, key=key,
                    pure=False,
                ))  # fmt: skip
            poses = ChunkedPoses(chunks, futures, path)
            result = review(path, make_engine(), outputs, settings=settings, observe=observe,
                            max_side=max_side, poses=poses)  # fmt: skip
            results = tuple(poses.results())
            stream = poses.joined()
        finally:
            collector.close()
    return replace(result, landmarks=stream), results


# --- judging a reviewed video again ---------------------------------------------------------------


def rejudge(
    path: Path,
    make_engine: EngineFactory,
    *,
    cache: LandmarkCache | None = None,
    settings: EstimatorSettings | None = None,
    grid: Grid = GRID,
    max_side: int = MAX_SIDE,
) -> ReviewResult:
    """Judge a video reviewed before with another engine (another stretch, an edited spec,
    posture) from its stored landmarks only: the model does not run and nothing is written.
    Raises `InputError` when the file is gone or its landmarks are not stored (any more)."""
    cache = cache or LandmarkCache.default()
    settings = settings or EstimatorSettings()
    if not path.is_file():
        raise InputError(
            f"The video {path} is no longer there: its stored landmarks are found by its content, "
            "so judging it again needs the file."
        )
    stored = cache.get(cache.key(path, settings, max_side, grid))
    if stored is None:
        raise InputError(
            f"The landmarks of {path.name} are not stored (the file changed, the model is "
            "another, or they were cleared): review the video again."
        )
    result = review(path, make_engine(), poses=stored, max_side=max_side)
    return replace(result, landmarks=stored)
