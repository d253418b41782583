"""What runs on a Dask worker: one whole review, or one chunk's landmark pass. Functions of
picklable arguments returning picklable values, so they run the same on a local cluster and on
a user's cluster (where posecheck must be installed on the scheduler as well as the workers:
the scheduler unpickles the task graph).

A task never writes into the user's folders: it returns the CSV, the annotated video and the
thumbnails as bytes, with the landmark stream for the cache, and the client writes them in the
order the user gave. Errors a user can fix come back as `TaskOutcome.error` (one sentence), not
as exceptions, so a worker logs no traceback and the batch goes on. Tasks are idempotent (they
write only into their own temporary folder), which is what makes Dask's retry after a lost
worker safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from posecheck.errors import ModelError, PosecheckError
from posecheck.review.chunks import Chunk, ChunkResult, Grid, landmark_chunk
from posecheck.review.engines import ReviewEngine
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.session import SessionSummary
from posecheck.settings import EstimatorSettings

#: The Dask event topic tasks report finished frames on (see `Reporter`).
PROGRESS_TOPIC = "posecheck-progress"
#: Seconds between two progress reports from one task: a worker event costs about 15 us, a
#: look at the cancel flag a round trip to the scheduler (about 2 ms), so twice a second is
#: free and still a smooth bar.
REPORT_EVERY_S = 0.5


class ReviewCancelled(Exception):
    """Raised inside a review when its batch is cancelled; the batch stops on it."""


@dataclass(frozen=True)
class VideoBytes:
    """A video the client sends to workers that cannot see its path (scattered once)."""

    name: str
    data: bytes


#: A task's video: a path every worker can open, or the bytes sent by the client.
Source = str | VideoBytes


@contextlib.contextmanager
def local_path(source: Source) -> Iterator[Path]:
    """A path this worker can open: the given one, or the sent bytes in a temporary file named
    like the original (so messages name the user's file)."""
    if isinstance(source, str):
        yield Path(source)
        return
    with tempfile.TemporaryDirectory(prefix="posecheck-") as folder:
        path = Path(folder) / Path(source.name).name
        path.write_bytes(source.data)
        yield path


_MODEL_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    stamp = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if stamp not in _MODEL_HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        _MODEL_HASHES[stamp] = digest.hexdigest()
    return _MODEL_HASHES[stamp]


def model_here(settings: EstimatorSettings, sha256: str | None) -> EstimatorSettings:
    """The client's landmarker settings with the model file as this machine has it.

    The client's model path may not exist on a worker of another machine; any file with the
    same checksum will do: the client's path, or this worker's own (bundled or
    $POSECHECK_MODEL). Raises `ModelError` when there is none."""
    if sha256 is None:
        return settings
    for candidate in (settings.model_path, EstimatorSettings().model_path):
        with contextlib.suppress(OSError):
            if candidate.is_file() and _sha256(candidate) == sha256:
                return replace(settings, model_path=candidate)
    where = _worker_address() or "this machine"
    raise ModelError(
        f"The Dask worker {where} has no copy of the pose model (sha256 {sha256[:12]}...): "
        "install the same posecheck there, or set POSECHECK_MODEL on the worker to a copy of "
        "the model file."
    )


def _worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def _worker_address() -> str | None:
    worker = _worker()
    return None if worker is None else str(worker.address)


class Reporter:
    """A task's finished frames, sent as a cumulative count on `PROGRESS_TOPIC` at most every
    `REPORT_EVERY_S` (and once at the end). Cumulative, so a task retried on another worker
    replaces its count instead of adding to it. Also looks at the batch's cancel flag (a Dask
    Event named `cancel`) as often, and raises `ReviewCancelled` once it is set. Outside a Dask
    worker it does nothing."""

    def __init__(self, key: str, cancel: str | None = None) -> None:
        self.key = key
        self.done = 0
        self.total: int | None = None
        self._last = 0.0
        self._worker = _worker()
        self._cancel: Any = None
        if cancel is not None and self._worker is not None:
            from distributed import Event

            self._cancel = Event(cancel, client=self._worker.client)

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done, self.total = done, total if total is not None else self.total
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY_S:
            self._last = now
            self._send()
            if self._cancel is not None and self._cancel.is_set():
                raise ReviewCancelled

    def finish(self) -> None:
        self._send()

    def _send(self) -> None:
        if self._worker is not None:
            self._worker.log_event(PROGRESS_TOPIC, {
                "key": self.key, "done": self.done, "total": self.total,
            })  # fmt: skip


@dataclass
class TaskOutcome:
    """One video's review as the client receives it."""

    name: str
    summary: SessionSummary | None = None
    error: str | None = None
    csv: bytes | None = None
    video: bytes | None = None
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    landmarks: LandmarkStream | None = None
    worker: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    cancelled: bool = False


def review_task(
    source: Source,
    make_engine: Callable[[], ReviewEngine],
    key: str,
    settings: EstimatorSettings,
    model_sha256: str | None,
    csv: bool,
    video: bool,
    thumbnails: bool,
    max_side: int,
    grid: Grid | None,
    cancel: str | None = None,
    seen_by_client: bool = False,
) -> TaskOutcome:
    """Review one whole video on this worker, landmarker inline (Dask's worker processes are
    daemonic and cannot start the landmarker process; the workers already fill the cores).
    `seen_by_client`: the client has the file, so a worker without it says how to send it."""
    from posecheck.review.pipeline import ReviewOutputs, review

    started, cpu = time.perf_counter(), time.process_time()
    name = source if isinstance(source, str) else source.name
    worker = _worker_address()
    reporter = Reporter(key, cancel)
    try:
        with local_path(source) as path, tempfile.TemporaryDirectory(prefix="posecheck-") as tmp:
            out = Path(tmp)
            outputs = ReviewOutputs(
                csv=out / "review.csv" if csv else None,
                video=out / "review.mp4" if video else None,
                thumbnails=out / "thumbnails" if thumbnails else None,
            )
            result = review(
                path, make_engine(), outputs, settings=model_here(settings, model_sha256),
                progress=reporter, landmarker="inline", keep_landmarks=True, max_side=max_side,
                grid=grid,
            )  # fmt: skip
            reporter.finish()
            return TaskOutcome(
                name, result.summary, None,
                csv=outputs.csv.read_bytes() if outputs.csv else None,
                video=outputs.video.read_bytes() if outputs.video else None,
                thumbnails={p.name: p.read_bytes() for p in result.thumbnails},
                landmarks=result.landmarks, worker=worker,
                seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu,
            )  # fmt: skip
    except ReviewCancelled:
        return TaskOutcome(name, worker=worker, cancelled=True)
    except PosecheckError as exc:
        message = str(exc)
        missing = isinstance(source, str) and not os.path.exists(source)
        if missing and seen_by_client and worker is not None:
            message = (f"{message[:-1] if message.endswith('.') else message} on the Dask "
                       f"worker {worker}: put it where every worker sees the same path, or "
                       "send it with --send-files.")  # fmt: skip
        return TaskOutcome(name, error=message, worker=worker)
    except MemoryError:
        return TaskOutcome(name, error=f"{name} needed more memory than the Dask worker has.",
                           worker=worker)  # fmt: skip


def chunk_task(
    source: Source,
    chunk: Chunk,
    key: str,
    settings: EstimatorSettings,
    model_sha256: str | None,
    max_side: int | None,
    grid: Grid,
    cancel: str | None = None,
) -> ChunkResult:
    """One chunk's landmark pass. Raises `PosecheckError` (a chunk that fails fails its video)
    and `ReviewCancelled`."""
    reporter = Reporter(key, cancel)
    with local_path(source) as path:
        result = landmark_chunk(path, chunk, settings=model_here(settings, model_sha256),
                                max_side=max_side, progress=reporter, grid=grid)  # fmt: skip
    reporter.finish()
    return result
