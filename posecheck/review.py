"""Recorded-session review: a video in, the same engines as live use run on every frame, and a
summary, a per-frame CSV, an annotated H.264 video and fault thumbnails out.

Decoding, inference and encoding run in three stages joined by small bounded queues, so both
cores work and memory stays flat however long the video is:

    reader thread (PyAV decode) -> main thread (engine + overlay) -> writer thread (x264)
                                       <-> landmarker process (posecheck.parallel)

With `landmarker="inline"` everything runs in the calling process on one thread instead: the
mode for batch workers (posecheck.batch), where the parallelism comes from several reviews at
once and an extra process and two threads per review would only compete for the same cores.

Outputs are written under temporary names and renamed when the review succeeds, so a review that
fails halfway never leaves half a CSV or video in place of an earlier complete one.
"""

from __future__ import annotations

import contextlib
import csv
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.coach import Coach, FrameResult
from posecheck.errors import InputError, PosecheckError
from posecheck.estimator import Estimator, RunningMode, quiet_native_logs
from posecheck.monitor import PostureAnnotator
from posecheck.overlay import CoachAnnotator
from posecheck.parallel import ProcessEstimator
from posecheck.pose import Pose
from posecheck.posture import Baseline, PostureMonitor, PostureResult, PostureStatus
from posecheck.rules import Status
from posecheck.settings import EstimatorSettings
from posecheck.specs import StretchSpec
from posecheck.specs.posture import POSTURE_VIEWS
from posecheck.summary import CoachRecorder
from posecheck.video import VideoFrame, VideoInfo, VideoReader, VideoWriter, read_frames

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
#: A second person in view on more than this share of the frames with someone in them earns the
#: summary a warning: the tracked person may not have been the same one throughout. (Someone
#: walking through the background for a few seconds does not; the count is in the summary.)
MULTI_PERSON_SHARE = 0.25


class ReviewEngine(Protocol):
    """What the review needs from an engine (stretch coach or posture monitor)."""

    kind: str

    def fieldnames(self) -> list[str]: ...
    def update(self, pose: Pose | None, t_s: float) -> Any: ...
    def annotate(self, frame: Image, result: Any) -> Image: ...
    def row(self, result: Any) -> dict[str, Any]: ...
    def faults(self, result: Any) -> dict[str, float]: ...
    def summary(self) -> dict[str, Any]: ...


@dataclass
class StretchReview:
    """The stretch coach as a review engine: per-frame rows, fault severity, the summary."""

    spec: StretchSpec
    side: str | None = None
    kind: str = "stretch"
    coach: Coach = field(init=False)
    recorder: CoachRecorder = field(default_factory=CoachRecorder)
    annotator: CoachAnnotator = field(default_factory=CoachAnnotator)

    def __post_init__(self) -> None:
        self.coach = Coach(self.spec, self.side)

    def fieldnames(self) -> list[str]:
        """The CSV columns: the same for every frame, one value and one status per check."""
        base = ["t_s", "phase", "side", "in_position", "form_ok", "hold_s", "reps", "cue"]
        return base + [f"{c.id}{end}" for c in self.spec.checks for end in ("", "_status")]

    def update(self, pose: Pose | None, t_s: float) -> FrameResult:
        result = self.coach.update(pose, t_s)
        self.recorder.add(result)
        return result

    def annotate(self, frame: Image, result: FrameResult) -> Image:
        return self.annotator.annotate(frame, result)

    def row(self, result: FrameResult) -> dict[str, Any]:
        row: dict[str, Any] = {
            "t_s": round(result.t_s, 3), "phase": result.phase.value, "side": result.side or "",
            "in_position": int(result.in_position), "form_ok": int(result.form_ok),
            "hold_s": round(result.hold_s, 2), "reps": result.reps, "cue": result.cue or "",
        }
        for verdict in result.verdicts:
            value = verdict.measurement.value
            row[f"{verdict.check.id}"] = "" if value is None else round(value, 2)
            row[f"{verdict.check.id}_status"] = verdict.status.value
        return row

    def faults(self, result: FrameResult) -> dict[str, float]:
        """check id -> how far out of range, for checks needing adjustment on this frame."""
        out = {}
        for verdict in result.verdicts:
            value = verdict.measurement.value
            if verdict.status is Status.ADJUST and value is not None:
                target = verdict.check.target
                bound = target.min if verdict.direction == "low" else target.max
                out[verdict.check.id] = abs(value - bound) if bound is not None else 0.0
        return out

    def summary(self) -> dict[str, Any]:
        return {"stretch": self.spec.id, **self.recorder.summary()}


@dataclass
class PostureReview:
    """The desk posture monitor as a review engine."""

    baseline: Baseline | None = None
    view: str | None = None
    kind: str = "posture"
    monitor: PostureMonitor = field(init=False)
    annotator: PostureAnnotator = field(default_factory=PostureAnnotator)

    _judged: dict[str, int] = field(init=False, default_factory=dict)
    _ok: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.monitor = PostureMonitor(self.baseline, view=self.view)

    def fieldnames(self) -> list[str]:
        base = ["t_s", "status", "view", "problems", "alert", "excluded", "cue"]
        spec = self.monitor.spec
        return base + sorted({m for view in POSTURE_VIEWS for m in spec.metrics_for(view)})

    def update(self, pose: Pose | None, t_s: float) -> PostureResult:
        result = self.monitor.update(pose, t_s)
        # Per-problem share ok, over the frames that were judged good or bad in a known view.
        if result.status in (PostureStatus.GOOD, PostureStatus.BAD) and result.view is not None:
            for rule in self.monitor.spec.rules_for(result.view):
                problem = rule.problem
                self._judged[problem] = self._judged.get(problem, 0) + 1
                self._ok[problem] = self._ok.get(problem, 0) + (problem not in result.problems)
        return result

    def annotate(self, frame: Image, result: PostureResult) -> Image:
        return self.annotator.annotate(frame, result)

    def row(self, result: PostureResult) -> dict[str, Any]:
        row: dict[str, Any] = {
            "t_s": round(result.t_s, 3), "status": result.status.value,
            "view": result.view or "", "problems": ";".join(result.problems),
            "alert": int(result.alert), "excluded": result.excluded or "",
            "cue": result.cue or "",
        }
        for name, value in sorted(result.metrics.items()):
            row[name] = "" if value is None else round(value, 3)
        return row

    def faults(self, result: PostureResult) -> dict[str, float]:
        """problem -> how long the current bad stretch has lasted (the worst is the longest)."""
        return {problem: result.bad_for_s for problem in result.problems}

    def summary(self) -> dict[str, Any]:
        data = self.monitor.summary().to_json()
        timeline = data.pop("timeline")
        data["segments"] = [
            {"start_s": s["start_s"], "end_s": s["end_s"], "phase": s["status"]} for s in timeline
        ]
        # The keys every review summary has: time "in position" is the time judged (sitting in
        # view, good or bad), "good form" the good time; posture has no reps.
        data["in_position_s"] = round(data["good_s"] + data["bad_s"], 2)
        data["good_form_s"] = data["good_s"]
        data["reps"] = None
        data["checks"] = {
            problem: {"ok_fraction": round(self._ok[problem] / judged, 4), "frames": judged}
            for problem, judged in self._judged.items()
        }
        return {"posture": True, **data}


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


class _InlineEstimator:
    """A VIDEO-mode estimator in this process behind `ProcessEstimator`'s pipelined interface."""

    def __init__(self, settings: EstimatorSettings | None) -> None:
        self._estimator = Estimator(RunningMode.VIDEO, settings)
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


@dataclass
class ReviewResult:
    """What a review produced: the summary (see PRODUCT.md's review contract), the warning
    sentences joined (None when all went well), where the outputs went, the thumbnails."""

    summary: dict[str, Any]
    warning: str | None
    outputs: ReviewOutputs
    thumbnails: list[Path]

    def to_json(self) -> dict[str, Any]:
        """The summary plus where each output was written (for `posecheck review --json`)."""
        written = {
            name: str(path)
            for name, path in (("video", self.outputs.video), ("csv", self.outputs.csv))
            if path is not None
        }
        return {
            **self.summary,
            "outputs": written,
            "thumbnails": [str(p) for p in self.thumbnails],
        }


Progress = Callable[[int, int | None], None]


def _partial(path: Path) -> Path:
    """The temporary name an output is written under until the review succeeds."""
    return path.with_name(f".{path.name}.partial")


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
    max_side: int = MAX_SIDE,
    landmarker: str = "process",
) -> ReviewResult:
    """Run `engine` over every frame of the video at `path` and write the requested outputs.

    A file cut short is analysed as far as it decodes, and the summary carries a warning; a
    file that is not a video raises `InputError` before anything is written. `progress` is
    called after each frame with (frames done, frames expected or None). `landmarker`: see
    `LANDMARKER_MODES`.
    """
    if landmarker not in LANDMARKER_MODES:
        raise ValueError(f"landmarker must be one of {LANDMARKER_MODES}, got {landmarker!r}")
    started = time.perf_counter()
    threads_before = _thread_ids()
    reader = read_frames(path, max_side=max_side)
    info = reader.info
    total = info.frame_count
    inline = landmarker == "inline"
    writer: _Writer | _InlineWriter | None = None
    csv_file: TextIO | None = None
    worst: dict[str, _Worst] = {}
    frames = 0
    persons = 0
    crowded = 0
    partials = [_partial(p) for p in (outputs.video, outputs.csv) if p is not None]
    decoded: Iterator[VideoFrame] | None = None
    done = False
    try:
        if outputs.video is not None:
            make_writer = _InlineWriter if inline else _Writer
            writer = make_writer(_partial(outputs.video), info.fps or 30.0)
            writer.start()
        csv_writer: csv.DictWriter[str] | None = None
        if outputs.csv is not None:
            try:
                csv_file = _partial(outputs.csv).open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise InputError(
                    f"Cannot write the CSV file {outputs.csv} ({exc.strerror or exc})."
                ) from None
            csv_writer = csv.DictWriter(
                csv_file, fieldnames=engine.fieldnames(), extrasaction="ignore"
            )
            csv_writer.writeheader()

        def handle(frame: VideoFrame, pose: Pose | None) -> None:
            nonlocal frames, persons, crowded
            persons += pose is not None
            crowded += pose is not None and pose.others_present
            result = engine.update(pose, frame.t_ms / 1000)
            if csv_writer is not None:
                csv_writer.writerow(engine.row(result))
            faults = engine.faults(result)
            annotated: Image | None = None
            if writer is not None or faults:
                annotated = engine.annotate(frame.image, result)
            for fault, severity in faults.items():
                if fault not in worst or severity > worst[fault].severity:
                    assert annotated is not None
                    ok, jpeg = cv2.imencode(".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, 85])
                    if ok:
                        worst[fault] = _Worst(severity, frame.t_ms / 1000, jpeg.tobytes())
            if writer is not None:
                assert annotated is not None
                writer.put(annotated, frame.t_ms)
            frames += 1
            if progress is not None:
                progress(frames, total)

        estimator: ProcessEstimator | _InlineEstimator
        if inline:
            estimator, depth, decoded = _InlineEstimator(settings), 1, iter(reader)
        else:
            # The landmarker process inherits stderr as it is while it starts: quiet, so
            # MediaPipe's native chatter does not break into the progress bar.
            with quiet_native_logs():
                estimator = ProcessEstimator(
                    _analysed_bytes(info, max_side), settings, depth=PIPELINE_DEPTH
                )
            # ProcessEstimator moves only this thread off the landmarker's core; the threads
            # this review already started (FFmpeg's decoder threads, the encoder thread) follow.
            _share_affinity(_thread_ids() - threads_before)
            depth, decoded = PIPELINE_DEPTH, _prefetch(reader)
        with estimator:
            in_flight: deque[VideoFrame] = deque()
            for frame in decoded:
                try:
                    estimator.submit(frame.image, frame.t_ms)
                except ValueError:
                    raise InputError(
                        f"{path} changes picture size partway through, which posecheck cannot "
                        "review; re-encode it at one size (for example with ffmpeg)."
                    ) from None
                in_flight.append(frame)
                if estimator.waiting >= depth:
                    handle(in_flight.popleft(), estimator.result())
            while in_flight:
                handle(in_flight.popleft(), estimator.result())
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
            csv_file.close()
        reader.close()
        if not done or (writer is not None and writer.error is not None):
            for partial in partials:
                with contextlib.suppress(OSError):
                    partial.unlink()
    if writer is not None and writer.error is not None:
        error = writer.error
        if isinstance(error, PosecheckError):
            raise error
        raise InputError(f"Could not write the annotated video ({error}).")
    try:
        for target in (outputs.video, outputs.csv):
            if target is not None:
                os.replace(_partial(target), target)
    except OSError as exc:
        raise InputError(f"Cannot write {exc.filename} ({exc.strerror or exc}).") from None

    elapsed = time.perf_counter() - started
    summary = engine.summary()
    summary["processing_fps"] = round(frames / elapsed, 2) if elapsed > 0 else 0.0
    summary["frames"] = frames
    summary["person_frames"] = persons
    summary["multi_person_frames"] = crowded
    summary["video"] = {
        "path": str(path), "width": info.width, "height": info.height,
        "fps": None if info.fps is None else round(info.fps, 3), "rotation": info.rotation,
    }  # fmt: skip
    thumbs = _write_thumbnails(outputs.thumbnails, worst)
    summary["faults"] = [
        {"fault": name, "t_s": round(w.t_s, 3), "severity": round(w.severity, 2)}
        for name, w in sorted(worst.items(), key=lambda item: item[1].t_s)
    ]
    warnings = [reader.warning] if reader.warning else []
    if persons == 0:
        warnings.append("Nobody was found in this video: check that one person is in view.")
    elif crowded > MULTI_PERSON_SHARE * persons:
        warnings.append(
            f"Several people were in view in {crowded} of {persons} frames: posecheck followed "
            "one of them, so the results may mix people; review a clip with one person in view."
        )
    warning = " ".join(warnings) or None
    if warning:
        summary["warning"] = warning
    summary["warnings"] = warnings
    return ReviewResult(summary, warning, outputs, thumbs)


def _write_thumbnails(folder: Path | None, worst: dict[str, _Worst]) -> list[Path]:
    if folder is None or not worst:
        return []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, w in worst.items():
            path = folder / f"{name.replace(' ', '-')}.jpg"
            path.write_bytes(w.jpeg)
            written.append(path)
    except OSError as exc:
        raise InputError(
            f"Cannot write the thumbnails to {folder} ({exc.strerror or exc})."
        ) from None
    return written
