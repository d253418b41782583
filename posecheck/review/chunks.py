"""One long video on every core: its landmark pass cut into time chunks that run at once (Dask
tasks, local or on a cluster), each started a little early (the pre-roll) so MediaPipe's
tracker has settled by the chunk's first counted frame. The chunks' streams are joined and the
engine runs once, in order, over the whole stream (posecheck.review.scale), so holds, reps and
alerts are judged exactly as in one pass over those landmarks.

    plan = plan_chunks(duration_ms=180_000)          # the grid: 0-30 s, 30-60 s, ...
    parts = [landmark_chunk(path, chunk) for chunk in plan]
    stream = LandmarkStream.concat(parts)

**Every review uses the same grid, chunked or not.** MediaPipe's tracker, restarted partway
through a video, settles within a second to within a pixel or two of an unbroken pass but never
onto it bit for bit, and where a measure sits right on a bound that can turn a verdict (a desk
clip with the hips hidden by the desk differed on 4 % of its frames with 4 s chunks). So the
sequential review does not run one unbroken tracker either: `GridTracker` starts a fresh
tracker at every multiple of `Grid.chunk_ms`, fed from `preroll_ms` before it, exactly as a
chunk task does. The landmarker is deterministic, so a review with one worker, two, eight, or
on a cluster elsewhere finds the same landmarks bit for bit, and their verdicts are identical.
The price on one worker: one second of double tracking and a model load per 30 s of video.
Videos no longer than a chunk never restart.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError
from posecheck.estimator import Estimator, RunningMode
from posecheck.pose import Pose
from posecheck.review.landmark_stream import LandmarkStream, StreamBuilder
from posecheck.settings import EstimatorSettings
from posecheck.video import read_frames

#: Chunk length of the grid: long enough that start-up and pre-roll stay a few per cent of a
#: chunk, short enough that two workers share a few minutes of video evenly.
CHUNK_MS = 30_000
#: Measured (docs/PERFORMANCE.md): 1 s of pre-roll brings the first counted frame to the
#: tracker's ordinary jitter; 2 s is no better.
PREROLL_MS = 1_000


@dataclass(frozen=True)
class Grid:
    """Where trackers restart: at every multiple of `chunk_ms`, fed from `preroll_ms` before."""

    chunk_ms: int = CHUNK_MS
    preroll_ms: int = PREROLL_MS

    def __post_init__(self) -> None:
        if self.chunk_ms <= 0 or not 0 <= self.preroll_ms < self.chunk_ms:
            raise ValueError(f"a grid needs chunk_ms > 0 and 0 <= preroll_ms < chunk_ms, got "
                             f"{self.chunk_ms} and {self.preroll_ms}")  # fmt: skip


#: The grid every review uses (see the module docstring).
GRID = Grid()


class GridTracker:
    """A VIDEO-mode estimator that starts a fresh tracker at every point of `grid` (as if each
    grid cell were a chunk reviewed on its own): the next tracker is fed from `preroll_ms`
    before the point and takes over at the point. `start_ms`: the grid cell the first frame
    belongs to (a chunk's start; 0 for a whole video); `stop_ms`: where the frames will stop
    (a chunk's end: no tracker is started for after it). `grid` None: one unbroken tracker.
    Same interface as `Estimator` for streams: `process(frame, t_ms)`, `close()`."""

    def __init__(
        self, settings: EstimatorSettings | None = None, grid: Grid | None = GRID,
        start_ms: int = 0, stop_ms: int | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.grid = grid
        self._current = Estimator(RunningMode.VIDEO, settings)
        self._next: Estimator | None = None
        self._boundary: int | None = None
        if grid is not None:
            self._boundary = (start_ms // grid.chunk_ms + 1) * grid.chunk_ms
            if stop_ms is not None and self._boundary >= stop_ms:
                self._boundary = None

    def process(self, frame: NDArray[np.uint8], t_ms: int) -> Pose | None:
        grid, boundary = self.grid, self._boundary
        if grid is not None and boundary is not None:
            while t_ms >= boundary:  # past a grid point: the next tracker takes over
                fresh = self._next or Estimator(RunningMode.VIDEO, self.settings)
                self._current.close()
                self._current, self._next = fresh, None
                if t_ms >= boundary + grid.chunk_ms - grid.preroll_ms:
                    boundary += grid.chunk_ms  # a gap in the video past the next pre-roll too
                    continue
                boundary += grid.chunk_ms
                break
            self._boundary = boundary
            if self._next is None and t_ms >= boundary - grid.preroll_ms:
                self._next = Estimator(RunningMode.VIDEO, self.settings)
        pose = self._current.process(frame, t_ms)
        if self._next is not None:
            self._next.process(frame, t_ms)  # the pre-roll: settling, not counted
        return pose

    def close(self) -> None:
        self._current.close()
        if self._next is not None:
            self._next.close()

    def __enter__(self) -> GridTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Chunk:
    """Frames with start_ms <= t_ms < end_ms are counted (end None: to the end of the file);
    the tracker starts at `first_ms`, `preroll_ms` earlier."""

    index: int
    start_ms: int
    end_ms: int | None
    preroll_ms: int = 0

    @property
    def first_ms(self) -> int:
        return max(0, self.start_ms - self.preroll_ms)

    def holds(self, t_ms: int) -> bool:
        return t_ms >= self.start_ms and (self.end_ms is None or t_ms < self.end_ms)


def plan_chunks(duration_ms: int, grid: Grid = GRID) -> list[Chunk]:
    """The chunks of `grid` over a video of `duration_ms` (one when it is not longer). The
    last chunk runs to the end of the file, restarting on the grid should the file be longer
    than its header said."""
    chunk_ms, preroll_ms = grid.chunk_ms, grid.preroll_ms
    count = max(1, math.ceil(duration_ms / chunk_ms))
    return [
        Chunk(i, i * chunk_ms, None if i == count - 1 else (i + 1) * chunk_ms,
              0 if i == 0 else preroll_ms)
        for i in range(count)
    ]  # fmt: skip


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's counted frames, and what it cost (for benchmarks/scale.py)."""

    chunk: Chunk
    stream: LandmarkStream
    preroll_frames: int = 0
    skipped_frames: int = 0  # decoded to reach the pre-roll, never converted
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def landmark_chunk(
    path: str | Path,
    chunk: Chunk,
    *,
    settings: EstimatorSettings | None = None,
    max_side: int | None = 1280,
    progress: Callable[[int], None] | None = None,
    grid: Grid = GRID,
) -> ChunkResult:
    """Run a fresh VIDEO-mode landmarker over one chunk of `grid` of the video at `path`.

    `progress(done)` gets the number of counted frames done so far after every frame (the
    caller throttles). The last chunk carries the file's warning (cut short, damaged)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    reader = read_frames(path, max_side=max_side, start_ms=chunk.first_ms)
    builder = StreamBuilder()
    preroll = 0
    size: tuple[int, int] | None = None
    timings = {"open": time.perf_counter() - started}
    try:
        with GridTracker(settings, grid, chunk.start_ms, chunk.end_ms) as estimator:
            timings["model_load"] = time.perf_counter() - started - timings["open"]
            for frame in reader:
                if chunk.end_ms is not None and frame.t_ms >= chunk.end_ms:
                    break
                image = frame.image
                if size is None:
                    size = (image.shape[1], image.shape[0])
                elif size != (image.shape[1], image.shape[0]):
                    raise InputError(
                        f"{path} changes picture size partway through, which posecheck cannot "
                        "review; re-encode it at one size (for example with ffmpeg)."
                    )
                pose = estimator.process(image, frame.t_ms)
                if frame.t_ms < chunk.start_ms:
                    preroll += 1
                    continue
                builder.add(frame.t_ms, pose, size)
                if progress is not None:
                    progress(len(builder))
        # A chunk that stops at its end leaves the reader unfinished (no warning); one that
        # reached the end of the file says what the file was like (cut short, damaged).
        stream = builder.build(reader.warning)
    finally:
        reader.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ChunkResult(
        chunk, stream, preroll, reader.skipped, time.perf_counter() - started,
        time.process_time() - cpu_started, peak, timings,
    )  # fmt: skip
