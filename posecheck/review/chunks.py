"""One long video on every core: its landmark pass cut into time chunks that run at once (Dask
tasks, local or on a cluster), each started a little early (the pre-roll) so MediaPipe's
tracker has settled by the chunk's first counted frame. The chunks' streams are joined and the
engine runs once, in order, over the whole stream (posecheck.review.scale), so holds, reps and
alerts are judged exactly as in one pass over those landmarks.

    plan = plan_chunks(duration_ms=180_000)          # a fixed grid: 0-30 s, 30-60 s, ...
    parts = [landmark_chunk(path, chunk) for chunk in plan]
    stream = LandmarkStream.concat(parts)

The grid does not depend on how many workers there are: a chunk's landmarks depend only on the
file, the model and where the chunk starts (the landmarker is deterministic), so two workers,
eight, or a cluster elsewhere give the same stream bit for bit. What a chunk cannot reproduce is
the tracker's state carried over from before its pre-roll: MediaPipe's tracker never converges
bit-exactly to an unbroken pass after a restart (it stays within 1-5 px), so a chunked review
agrees with an unbroken one except at moments where a measure sits right on a bound; see
docs/PERFORMANCE.md for how often that changes a verdict on real clips.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from posecheck.errors import InputError
from posecheck.estimator import Estimator, RunningMode
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


def plan_chunks(
    duration_ms: int, *, chunk_ms: int = CHUNK_MS, preroll_ms: int = PREROLL_MS
) -> list[Chunk]:
    """The grid of chunks over a video of `duration_ms` (one chunk when it is not longer)."""
    if chunk_ms <= 0 or preroll_ms < 0:
        raise ValueError(f"chunk_ms must be positive and preroll_ms not negative, got "
                         f"{chunk_ms} and {preroll_ms}")  # fmt: skip
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
) -> ChunkResult:
    """Run a fresh VIDEO-mode landmarker over one chunk of the video at `path`.

    `progress(done)` gets the number of counted frames done so far after every frame (the
    caller throttles). The last chunk carries the file's warning (cut short, damaged)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    reader = read_frames(path, max_side=max_side, start_ms=chunk.first_ms)
    builder = StreamBuilder()
    preroll = 0
    size: tuple[int, int] | None = None
    timings = {"open": time.perf_counter() - started}
    try:
        with Estimator(RunningMode.VIDEO, settings) as estimator:
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
        last = chunk.end_ms is None
        stream = builder.build(reader.warning if last else None)
    finally:
        reader.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ChunkResult(
        chunk, stream, preroll, reader.skipped, time.perf_counter() - started,
        time.process_time() - cpu_started, peak, timings,
    )  # fmt: skip
