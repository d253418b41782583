"""Recorded-session review: a video in, the same engines as live use run on every frame, and a
summary, a per-frame CSV, an annotated H.264 video and fault thumbnails out.

Decoding, inference and encoding run in three stages joined by small bounded queues, so both
cores work and memory stays flat however long the video is:

    reader thread (PyAV decode) -> main thread (engine + overlay) -> writer thread (x264)
                                       <-> landmarker process (posecheck.review.parallel)

With `landmarker="inline"` everything runs in the calling process on one thread instead: the
mode for batch workers (posecheck.review.batch), where the parallelism comes from several reviews at
once and an extra process and two threads per review would only compete for the same cores.

With `poses=` (a stored or chunk-joined landmark stream, see posecheck.review.landmark_stream)
no landmarker runs: each frame's pose comes from the stream, and when no picture is asked for
(no annotated video, no thumbnails) the video is not even decoded. `keep_landmarks=True` hands
back the stream a review saw, for the landmark cache.

Outputs are written under temporary names and renamed when the review succeeds, so a review that
fails halfway never leaves half a CSV or video in place of an earlier complete one.
"""

from __future__ import annotations

import contextlib
import csv
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError, PosecheckError
from posecheck.estimator import quiet_native_logs
from posecheck.outputs import OutputError, PendingFile, Target, output_target
from posecheck.pose import Pose
from posecheck.review.chunks import GRID, Grid, GridTracker
from posecheck.review.engines import ReviewEngine
from posecheck.review.landmark_stream import LandmarkStream, StreamBuilder
from posecheck.review.parallel import ProcessEstimator
from posecheck.session import Fault, ReviewFacts, SessionSummary, VideoSource
from posecheck.settings import EstimatorSettings
from posecheck.video import VideoFrame, VideoInfo, VideoReader, VideoWriter, probe, read_frames

Image = NDArray[np.uint8]

#: The landmarker does not need more than this many pixels on the long side; 4K frames are
#: scaled down on decode (saving memory and the resize inside MediaPipe).
MAX_SIDE = 1280
QUEUE_SIZE = 8
#: Frames in flight to the landmarker process: it works on one while the parent handles the
#: previous one.
PIPELINE_DEPTH = 2
#: Where the landmarker runs: "process" (its own pinned process, decoding and encoding on
#: threads: the fastest for one video) or "inline" (all in the caller's thread: for workers that
#: each review one video while others run beside them).
LANDMARKER_MODES = ("process", "inline")
#: Several people in view on at least this share of the frames with someone in them earns the
#: summary a warning with the count (someone crossing the background of a long clip for a
#: moment does not; the count is in the summary either way). Any frame whose skeleton mixed two
#: people is warned about: it was not judged.
MULTI_PERSON_SHARE = 0.10


@dataclass(frozen=True)
class ReviewOutputs:
    """Where to write results; None skips that output."""

    video: Path | None = None
    csv: Path | None = None
    thumbnails: Path | None = None


@dataclass
class _Worst:
    severity: float
    t_s: float
    jpeg: bytes


class _Writer(threading.Thread):
    """Encodes annotated frames on its own thread (PyAV releases the GIL while encoding)."""

    def __init__(self, path: Path, fps: float) -> None:
        super().__init__(name="posecheck-review-writer", daemon=True)
        self.writer = VideoWriter(path, fps=fps)
        self.frames: queue.Queue[tuple[Image, int] | None] = queue.Queue(QUEUE_SIZE)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (item := self.frames.get()) is not None:
                self.writer.write(*item)
        except BaseException as exc:  # handed to the main thread, which reports it
            self.error = exc
            while self.frames.get() is not None:  # keep draining so the producer never blocks
                pass
        finally:
            try:
                self.writer.close()
            except BaseException as exc:
                self.error = self.error or exc

    def put(self, image: Image, t_ms: int) -> None:
        if self.error is not None:
            raise self.error
        self.frames.put((image, t_ms))

    def finish(self) -> None:
        self.frames.put(None)
        self.join()


class _InlineWriter:
    """The same interface as `_Writer`, encoding on the caller's thread."""

    def __init__(self, path: Path, fps: float) -> None:
        self.writer = VideoWriter(path, fps=fps)
        self.error: BaseException | None = None

    def start(self) -> None:
        pass

    def put(self, image: Image, t_ms: int) -> None:
        try:
            self.writer.write(image, t_ms)
        except BaseException as exc:
            self.error = exc
            raise

    def finish(self) -> None:
        try:
            self.writer.close()
        except BaseException as exc:
            self.error = self.error or exc


class PoseSource(Protocol):
    """Poses known beforehand (a stored or chunk-joined stream), given to `review` in place of
    the landmarker. Either call may wait until the poses it needs are known."""

    @property
    def warning(self) -> str | None:
        """What the pass that found the poses found wrong with the file (None: nothing)."""
        ...

    def pose_at(self, t_ms: int) -> Pose | None:
        """The pose of the frame at `t_ms`; `InputError` when there is no such frame."""
        ...

    def poses(self) -> Iterator[tuple[int, Pose | None]]:
        """(t_ms, pose) for every frame, in order."""
        ...


class _SourceEstimator:
    """A `PoseSource` behind `ProcessEstimator`'s pipelined interface."""

    def __init__(self, source: PoseSource) -> None:
        self._source = source
        self._poses: deque[Pose | None] = deque()

    def submit(self, frame: Image, t_ms: int) -> None:
        self._poses.append(self._source.pose_at(t_ms))

    @property
    def waiting(self) -> int:
        return len(self._poses)

    def result(self) -> Pose | None:
        return self._poses.popleft()

    def __enter__(self) -> _SourceEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _InlineEstimator:
    """A VIDEO-mode estimator in this process behind `ProcessEstimator`'s pipelined interface."""

    def __init__(self, settings: EstimatorSettings | None, grid: Grid | None) -> None:
        self._estimator = GridTracker(settings, grid)
        self._poses: deque[Pose | None] = deque()

    def submit(self, frame: Image, t_ms: int) -> None:
        self._poses.append(self._estimator.process(frame, t_ms))

    @property
    def waiting(self) -> int:
        return len(self._poses)

    def result(self) -> Pose | None:
        return self._poses.popleft()

    def __enter__(self) -> _InlineEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._estimator.close()


def _prefetch(reader: VideoReader) -> Iterator[VideoFrame]:
    """Decode ahead on a thread so decoding overlaps inference."""
    frames: queue.Queue[VideoFrame | BaseException | None] = queue.Queue(QUEUE_SIZE)
    stop = threading.Event()

    def decode() -> None:
        try:
            for frame in reader:
                while not stop.is_set():
                    try:
                        frames.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            frames.put(None)
        except BaseException as exc:  # re-raised on the consuming thread
            frames.put(exc)

    thread = threading.Thread(target=decode, name="posecheck-review-reader", daemon=True)
    thread.start()
    try:
        while (item := frames.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


@dataclass(frozen=True)
class ReviewResult:
    """What a review produced: the summary (see PRODUCT.md's review contract) with the review's
    facts and warnings, where the outputs went, and the thumbnails written."""

    summary: SessionSummary
    outputs: ReviewOutputs
    thumbnails: tuple[Path, ...]
    #: The landmark stream the review saw (with `keep_landmarks=True`), for the cache.
    landmarks: LandmarkStream | None = None
    #: The same thumbnails by fault (check id or posture problem).
    fault_thumbnails: Mapping[str, Path] = field(default_factory=dict)

    @property
    def warning(self) -> str | None:
        """The warning sentences joined, or None when all went well."""
        return self.summary.warning

    def to_json(self) -> dict[str, Any]:
        """The summary plus where each output was written (for `posecheck review --json`)."""
        written = {
            name: str(path)
            for name, path in (("video", self.outputs.video), ("csv", self.outputs.csv))
            if path is not None
        }
        return {
            **self.summary.to_json(),
            "outputs": written,
            "thumbnails": [str(p) for p in self.thumbnails],
        }


#: Called after each frame with (frames done, frames expected or None).
Progress = Callable[[int, int | None], None]
#: Called with each frame's time and engine result (for example to chart a measure).
Observer = Callable[[float, Any], None]


def _thread_ids() -> set[int]:
    """The kernel's ids of this process's threads (empty where /proc is not there)."""
    try:
        return {int(tid) for tid in os.listdir("/proc/self/task")}
    except OSError:
        return set()


def _share_affinity(threads: set[int]) -> None:
    """Give `threads` the calling thread's CPU affinity (Linux sets it per thread)."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = os.sched_getaffinity(0)
    for tid in threads:
        with contextlib.suppress(OSError):  # a thread that has ended meanwhile
            os.sched_setaffinity(tid, cpus)


def _analysed_bytes(info: VideoInfo, max_side: int | None) -> int:
    """The size of one decoded BGR frame after `max_side` scaling (as `VideoReader` does it)."""
    width, height = info.width, info.height
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return width * height * 3


def review(
    path: str | Path,
    engine: ReviewEngine,
    outputs: ReviewOutputs = ReviewOutputs(),
    *,
    settings: EstimatorSettings | None = None,
    progress: Progress | None = None,
    observe: Observer | None = None,
    max_side: int = MAX_SIDE,
    landmarker: str = "process",
    poses: PoseSource | None = None,
    keep_landmarks: bool = False,
    grid: Grid | None = GRID,
) -> ReviewResult:
    """Run `engine` over every frame of the video at `path` and write the requested outputs.

    A file cut short is analysed as far as it decodes, and the summary carries a warning; a
    file that is not a video raises `InputError` before anything is written. `progress` is
    called after each frame with (frames done, frames expected or None), `observe` with each
    frame's time and engine result. `landmarker`: see `LANDMARKER_MODES`. `poses`: take each
    frame's pose from there instead of running the landmarker (see `PoseSource`).
    `keep_landmarks`: return the landmark stream in `ReviewResult.landmarks`. `grid`: where
    the tracker restarts (posecheck.review.chunks: the same grid as a chunked review, so both
    find the same landmarks); None keeps one tracker throughout.
    """
    if landmarker not in LANDMARKER_MODES:
        raise ValueError(f"landmarker must be one of {LANDMARKER_MODES}, got {landmarker!r}")
    started = time.perf_counter()
    threads_before = _thread_ids()
    # Where the outputs go is settled before the file is opened: a bad output path costs
    # nothing, and a device, FIFO or link is never replaced by a regular file.
    video_target = csv_target = None
    if outputs.video is not None:
        video_target = output_target(outputs.video, "annotated video", special_ok=False)
    if outputs.csv is not None:
        csv_target = output_target(outputs.csv, "CSV file")
    # With poses known and no picture asked for, the frames themselves are not needed.
    pictures = poses is None or outputs.video is not None or outputs.thumbnails is not None
    reader: VideoReader | None = read_frames(path, max_side=max_side) if pictures else None
    info = reader.info if reader is not None else probe(path)
    total = info.frame_count
    inline = landmarker == "inline"
    kept = StreamBuilder() if keep_landmarks else None
    writer: _Writer | _InlineWriter | None = None
    csv_file: IO[Any] | None = None
    worst: dict[str, _Worst] = {}
    frames = 0
    persons = 0
    crowded = 0
    mixed = 0
    pending: list[PendingFile] = []
    closing_error: OSError | None = None
    decoded: Iterator[VideoFrame] | None = None
    done = False
    try:
        if video_target is not None:
            pending_video = PendingFile(video_target)
            pending.append(pending_video)
            make_writer = _InlineWriter if inline else _Writer
            writer = make_writer(pending_video.path, info.fps or 30.0)
            writer.start()
        csv_writer: csv.DictWriter[str] | None = None
        if csv_target is not None:
            pending_csv = PendingFile(csv_target)
            pending.append(pending_csv)
            try:
                csv_file = pending_csv.open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise InputError(
                    f"Cannot write the CSV file {outputs.csv} ({exc.strerror or exc})."
                ) from None
            csv_writer = csv.DictWriter(
                csv_file, fieldnames=engine.fieldnames(), extrasaction="ignore"
            )
            _csv_row(csv_writer, None, csv_target)

        def handle(frame: VideoFrame | None, t_ms: int, pose: Pose | None) -> None:
            nonlocal frames, persons, crowded, mixed
            persons += pose is not None
            crowded += pose is not None and pose.others_present
            mixed += pose is not None and pose.mixed
            if kept is not None:
                size = None if frame is None else (frame.image.shape[1], frame.image.shape[0])
                kept.add(t_ms, pose, size)
            result = engine.update(pose, t_ms / 1000)
            if observe is not None:
                observe(t_ms / 1000, result)
            if csv_writer is not None and csv_target is not None:
                _csv_row(csv_writer, engine.row(result), csv_target)
            faults = engine.faults(result)
            annotated: Image | None = None
            if frame is not None and (writer is not None or faults):
                annotated = engine.annotate(frame.image, result)
            for fault, severity in faults.items():
                if fault not in worst or severity > worst[fault].severity:
                    jpeg = b""
                    if annotated is not None and outputs.thumbnails is not None:
                        ok, encoded = cv2.imencode(
                            ".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, 85]
                        )
                        jpeg = encoded.tobytes() if ok else b""
                    worst[fault] = _Worst(severity, t_ms / 1000, jpeg)
            if writer is not None:
                assert annotated is not None
                writer.put(annotated, t_ms)
            frames += 1
            if progress is not None:
                progress(frames, total)

        if reader is None:
            # Judged from the poses alone: nothing to decode, draw or encode.
            assert poses is not None
            for t_ms, pose in poses.poses():
                handle(None, t_ms, pose)
        else:
            estimator: ProcessEstimator | _InlineEstimator | _SourceEstimator
            if poses is not None:
                # The poses may wait for chunks still being computed elsewhere: decode ahead
                # on a thread meanwhile.
                estimator, depth, decoded = _SourceEstimator(poses), 1, _prefetch(reader)
            elif inline:
                estimator, depth, decoded = _InlineEstimator(settings, grid), 1, iter(reader)
            else:
                # The landmarker process inherits stderr as it is while it starts: quiet, so
                # MediaPipe's native chatter does not break into the progress bar.
                with quiet_native_logs():
                    estimator = ProcessEstimator(
                        _analysed_bytes(info, max_side), settings, depth=PIPELINE_DEPTH, grid=grid
                    )
                # ProcessEstimator moves only this thread off the landmarker's core; the
                # threads this review already started (FFmpeg's decoder threads, the encoder
                # thread) follow.
                _share_affinity(_thread_ids() - threads_before)
                depth, decoded = PIPELINE_DEPTH, _prefetch(reader)
            with estimator:
                in_flight: deque[VideoFrame] = deque()
                for frame in decoded:
                    try:
                        estimator.submit(frame.image, frame.t_ms)
                    except ValueError:
                        raise InputError(
                            f"{path} changes picture size partway through, which posecheck "
                            "cannot review; re-encode it at one size (for example with ffmpeg)."
                        ) from None
                    in_flight.append(frame)
                    if estimator.waiting >= depth:
                        oldest = in_flight.popleft()
                        handle(oldest, oldest.t_ms, estimator.result())
                while in_flight:
                    oldest = in_flight.popleft()
                    handle(oldest, oldest.t_ms, estimator.result())
        done = True
    except ValueError as exc:
        if writer is not None and exc is writer.error:
            raise InputError(f"Could not write the annotated video ({exc}).") from None
        raise
    finally:
        if isinstance(decoded, Generator):
            decoded.close()  # stops the decoding thread before the file is closed under it
        if writer is not None:
            writer.finish()
        if csv_file is not None:
            try:
                csv_file.close()
            except OSError as exc:  # the last rows could not be written (a FIFO's reader left)
                closing_error = exc
                done = False
        if reader is not None:
            reader.close()
        if not done or (writer is not None and writer.error is not None):
            for leftover in pending:
                leftover.discard()
    if closing_error is not None and csv_target is not None:
        raise OutputError(
            f"Cannot write the CSV file {csv_target.path} "
            f"({closing_error.strerror or closing_error})."
        )
    if writer is not None and writer.error is not None:
        error = writer.error
        if isinstance(error, PosecheckError):
            raise error
        raise InputError(f"Could not write the annotated video ({error}).")
    try:
        for finished in pending:
            finished.commit()
    finally:
        for leftover in pending:
            leftover.discard()

    elapsed = time.perf_counter() - started
    # A stored stream remembers what its own pass found wrong with the file.
    file_warning = poses.warning if poses is not None else None
    if reader is not None and reader.warning:
        file_warning = reader.warning
    warnings = [file_warning] if file_warning else []
    thumbs, thumbs_warning = _write_thumbnails(outputs.thumbnails, worst, Path(path).stem)
    if thumbs_warning:
        warnings.append(thumbs_warning)
    if persons == 0:
        warnings.append("Nobody was found in this video: check that one person is in view.")
    elif crowded >= MULTI_PERSON_SHARE * persons or mixed:
        share = f"{crowded / persons:.0%}"
        warnings.append(
            f"Several people were in view in {crowded} of {persons} frames ({share}): posecheck "
            "followed one of them throughout"
            + (
                f", and in {mixed} frame(s) the skeleton mixed two people, so those were not "
                "judged"
                if mixed
                else ""
            )
            + "; for a sure result, review a clip with one person in view."
        )
    warnings += engine.notes()  # e.g. a posture baseline that never fitted this camera
    facts = ReviewFacts(
        processing_fps=frames / elapsed if elapsed > 0 else 0.0,
        person_frames=persons,
        multi_person_frames=crowded,
        mixed_person_frames=mixed,
        video=VideoSource(str(path), info.width, info.height, info.fps, info.rotation),
        faults=tuple(
            Fault(name, w.t_s, w.severity)
            for name, w in sorted(worst.items(), key=lambda item: item[1].t_s)
        ),
        warnings=tuple(warnings),
    )
    landmarks = None
    if kept is not None:
        landmarks = kept.build(file_warning)
    return ReviewResult(
        engine.summary().reviewed(facts), outputs, tuple(thumbs.values()), landmarks, thumbs
    )


def _csv_row(writer: csv.DictWriter[str], row: dict[str, Any] | None, target: Target) -> None:
    """One CSV row (None: the header); a FIFO whose reader went away is one sentence."""
    try:
        if row is None:
            writer.writeheader()
        else:
            writer.writerow(row)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise OutputError(
                f"Cannot write the CSV file to {target.path}: its reader closed it."
            ) from None
        raise OutputError(
            f"Cannot write the CSV file {target.path} ({exc.strerror or exc})."
        ) from None


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _safe_name(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.") or "video"


def _write_thumbnails(
    folder: Path | None, worst: dict[str, _Worst], stem: str
) -> tuple[dict[str, Path], str | None]:
    """Write one JPEG per fault into `folder` as VIDEO_FAULT_at_12.3s.jpg, never over an
    existing file (a second review of the same clip gets VIDEO_FAULT_at_12.3s_2.jpg).

    Returns the files by fault, and a warning instead of an error when the folder cannot be
    written: the review's other results are kept."""
    if folder is None or not worst:
        return {}, None
    written: dict[str, Path] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for fault, w in worst.items():
            if not w.jpeg:
                continue
            base = f"{_safe_name(stem)}_{_safe_name(fault)}_at_{w.t_s:.1f}s"
            written[fault] = write_unique(folder, base, w.jpeg)
    except (OSError, PosecheckError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return written, f"The fault thumbnails could not all be written to {folder} ({reason})."
    return written, None


def write_unique(folder: Path, base: str, data: bytes) -> Path:
    """Write `data` whole under the first free name BASE.jpg, BASE_2.jpg, ...: written under a
    temporary name, then hard-linked to the new name, which fails rather than replace a file
    that exists (where the file system has no hard links, created exclusively instead)."""
    with PendingFile(output_target(folder / f"{base}.jpg", "thumbnail")) as pending:
        with pending.open("wb") as f:
            f.write(data)
        for number in range(1, 10_000):
            name = folder / (f"{base}.jpg" if number == 1 else f"{base}_{number}.jpg")
            try:
                os.link(pending.path, name)
            except FileExistsError:
                continue
            except OSError:
                try:
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                except FileExistsError:
                    continue
                with open(fd, "wb") as f:
                    f.write(data)
            return name
    raise OSError(f"no free name for {base}.jpg in {folder}")
