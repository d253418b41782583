"""Recorded-session review: a video in, the same engines as live use run on every frame, and a
summary, a per-frame CSV, an annotated H.264 video and fault thumbnails out.

Decoding, inference and encoding run in three stages joined by small bounded queues, so both
cores work and memory stays flat however long the video is:

    reader thread (PyAV decode) -> main thread (landmarker + engine + overlay) -> writer thread
"""

from __future__ import annotations

import csv
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.coach import Coach, FrameResult
from posecheck.errors import InputError
from posecheck.monitor import PostureAnnotator
from posecheck.overlay import CoachAnnotator
from posecheck.parallel import ProcessEstimator
from posecheck.pose import Pose
from posecheck.posture import Baseline, PostureMonitor, PostureResult
from posecheck.rules import Status
from posecheck.settings import EstimatorSettings
from posecheck.specs import StretchSpec
from posecheck.summary import CoachRecorder
from posecheck.video import VideoFrame, VideoReader, VideoWriter, read_frames

Image = NDArray[np.uint8]

#: The landmarker does not need more than this many pixels on the long side; 4K frames are
#: scaled down on decode (saving memory and the resize inside MediaPipe).
MAX_SIDE = 1280
QUEUE_SIZE = 8
#: Frames in flight to the landmarker process: it works on one while the parent handles the
#: previous one.
PIPELINE_DEPTH = 2


class ReviewEngine(Protocol):
    """What the review needs from an engine (stretch coach or posture monitor)."""

    kind: str

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

    def __post_init__(self) -> None:
        self.monitor = PostureMonitor(self.baseline, view=self.view)

    def update(self, pose: Pose | None, t_s: float) -> PostureResult:
        return self.monitor.update(pose, t_s)

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
            self.writer.close()


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
    summary: dict[str, Any]
    warning: str | None
    outputs: ReviewOutputs
    thumbnails: list[Path]


Progress = Callable[[int, int | None], None]


def review(
    path: str | Path,
    engine: ReviewEngine,
    outputs: ReviewOutputs = ReviewOutputs(),
    *,
    settings: EstimatorSettings | None = None,
    progress: Progress | None = None,
    max_side: int = MAX_SIDE,
) -> ReviewResult:
    """Run `engine` over every frame of the video at `path` and write the requested outputs.

    A file cut short is analysed as far as it decodes, and the summary carries a warning; a
    file that is not a video raises `InputError` before anything is written.
    """
    started = time.perf_counter()
    reader = read_frames(path, max_side=max_side)
    total = reader.info.frame_count
    writer: _Writer | None = None
    csv_file: TextIO | None = None
    csv_writer: csv.DictWriter[str] | None = None
    worst: dict[str, _Worst] = {}
    frames = 0
    persons = 0
    try:
        if outputs.video is not None:
            writer = _Writer(outputs.video, reader.info.fps or 30.0)
            writer.start()
        def handle(frame: VideoFrame, pose: Pose | None) -> None:
            nonlocal csv_file, csv_writer, frames, persons
            persons += pose is not None
            result = engine.update(pose, frame.t_ms / 1000)
            row = engine.row(result)
            if outputs.csv is not None:
                if csv_writer is None:
                    csv_file = outputs.csv.open("w", newline="", encoding="utf-8")
                    csv_writer = csv.DictWriter(csv_file, fieldnames=list(row),
                                                extrasaction="ignore")
                    csv_writer.writeheader()
                csv_writer.writerow(row)
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
                if writer.error is not None:
                    raise writer.error
                assert annotated is not None
                writer.frames.put((annotated, frame.t_ms))
            frames += 1
            if progress is not None:
                progress(frames, total)

        info = reader.info
        frame_bytes = info.width * info.height * 3
        with ProcessEstimator(frame_bytes, settings, depth=PIPELINE_DEPTH) as estimator:
            in_flight: deque[VideoFrame] = deque()
            for frame in _prefetch(reader):
                estimator.submit(frame.image, frame.t_ms)
                in_flight.append(frame)
                if estimator.waiting >= PIPELINE_DEPTH:
                    handle(in_flight.popleft(), estimator.result())
            while in_flight:
                handle(in_flight.popleft(), estimator.result())
    finally:
        if writer is not None:
            writer.frames.put(None)
            writer.join()
        if csv_file is not None:
            csv_file.close()
        reader.close()
    if writer is not None and writer.error is not None:
        raise InputError(f"Could not write the annotated video: {writer.error}")

    elapsed = time.perf_counter() - started
    summary = engine.summary()
    summary["processing_fps"] = round(frames / elapsed, 2) if elapsed > 0 else 0.0
    summary["frames"] = frames
    summary["person_frames"] = persons
    if reader.warning:
        summary["warning"] = reader.warning
    thumbs = _write_thumbnails(outputs.thumbnails, worst)
    summary["faults"] = [
        {"fault": name, "t_s": round(w.t_s, 3), "severity": round(w.severity, 2)}
        for name, w in sorted(worst.items(), key=lambda item: item[1].t_s)
    ]
    warning = reader.warning
    if persons == 0:
        warning = "Nobody was found in this video: check that one person is in view."
        summary["warning"] = warning
    return ReviewResult(summary, warning, outputs, thumbs)


def _write_thumbnails(folder: Path | None, worst: dict[str, _Worst]) -> list[Path]:
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, w in worst.items():
        path = folder / f"{name}.jpg"
        path.write_bytes(w.jpeg)
        written.append(path)
    return written
