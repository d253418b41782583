"""Recorded video in and out: decode any file FFmpeg reads one upright BGR frame at a time, and
write annotated frames as browser-playable H.264 MP4. The only module that touches PyAV files.

    info = probe("clip.mov")
    with read_frames("clip.mov", max_side=1280) as frames:
        for frame in frames:              # VideoFrame(image, t_ms, index)
            ...
    if frames.warning:                    # e.g. the file was cut short; frames so far are kept
        print(frames.warning)

    with VideoWriter("out.mp4", fps=info.fps or 30) as out:
        out.write(image_bgr, t_ms)
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import av
import cv2
import numpy as np
from av.container import InputContainer, OutputContainer
from av.video.stream import VideoStream
from numpy.typing import NDArray

from posecheck.errors import InputError
from posecheck.inputs import check_regular

VIDEO_TYPES = ("mp4", "mov", "m4v", "webm", "mkv", "avi")

#: A video whose frames stop more than this short of the duration (or this many seconds' worth
#: short of the frame count) its header promises is reported as cut short; the slack covers
#: rounding in headers, the last frame's own length and frames an edit list hides.
TRUNCATION_SLACK_S = 1.0

#: Writer clock: the MPEG 90 kHz tick is exact for milliseconds and for 24, 25, 30 and 29.97 fps.
WRITER_TIME_BASE = Fraction(1, 90_000)

# Rotations cv2.rotate does in one pass, keyed by the counter-clockwise angle to apply.
_CV2_ROTATE = {
    90: cv2.ROTATE_90_COUNTERCLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_CLOCKWISE,
}


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds, as a viewer would see it.

    width, height: the displayed size in pixels, after rotation (a portrait phone clip stored
        as 1920x1080 with a 90 degree rotation reports 1080x1920).
    rotation: degrees counter-clockwise the stored pictures are turned to display them
        (0, 90, 180 or 270; FFmpeg's display-matrix convention).
    fps: the average frame rate; None when the file does not say. Phone clips are often
        variable-rate, so frame times come from timestamps, never from this.
    duration_s, frame_count: from the header; None when unknown (frame_count may be an estimate).
    """

    path: Path
    width: int
    height: int
    rotation: int
    fps: float | None
    duration_s: float | None
    frame_count: int | None
    codec: str
    container: str


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame.

    image: (height, width, 3) uint8 BGR, upright and possibly downscaled, C-contiguous.
    t_ms: milliseconds since the first frame, from the stream's own timestamps; strictly
        increasing from one frame to the next (what the estimator's VIDEO mode needs).
    index: position among the frames yielded (0, 1, 2, ...).
    """

    image: NDArray[np.uint8]
    t_ms: int
    index: int


def _check_file(path: Path) -> None:
    """Only regular files: FFmpeg would wait forever on a FIFO nobody writes to, and a device
    never ends."""
    if check_regular(path, "video file").st_size == 0:
        raise InputError(f"{path} is empty (0 bytes), not a video.")


def _open(path: Path) -> tuple[InputContainer, VideoStream]:
    """Open `path` and pick its video stream, or raise `InputError` saying what the file is."""
    _check_file(path)
    not_video = (
        f"{path} is not a video posecheck can read "
        f"(expected a video file such as {', '.join(VIDEO_TYPES[:-1])} or {VIDEO_TYPES[-1]})."
    )
    try:
        # Phones and editors write tags in any encoding: an odd tag must not hide the video.
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied).") from None
    except (av.FFmpegError, OSError):
        raise InputError(not_video) from None
    try:
        format_name = container.format.name
        # FFmpeg reads single pictures through its image demuxers (image2, jpeg_pipe, png_pipe,
        # ...): a photo, even one renamed .mp4, is not a video to review.
        if format_name == "image2" or format_name.endswith("_pipe"):
            raise InputError(f"{path} is a single still image, not a video.")
        # Album art in an audio file shows up as a one-picture video stream: it is not video.
        attached = av.stream.Disposition.attached_pic
        streams = [s for s in container.streams.video if not s.disposition & attached]
        if not streams:
            if container.streams.audio:
                raise InputError(f"{path} holds only sound: it has no video stream.")
            raise InputError(not_video)
        stream = streams[0]
        # Frame threading keeps a few frames in flight: a fixed cost, and much faster decoding.
        stream.thread_type = "AUTO"
    except BaseException:
        container.close()
        raise
    return container, stream


def _rotation_of(frame: av.VideoFrame, stream: VideoStream) -> int:
    """The counter-clockwise display rotation of `frame`, snapped to 0, 90, 180 or 270.

    FFmpeg 7+ (PyAV 14+) attaches the container's display matrix to every decoded frame as
    side data, which `VideoFrame.rotation` reads (degrees counter-clockwise, -180..180).
    Older FFmpeg builds exported it as a "rotate" tag instead, counted clockwise.
    """
    degrees: float = getattr(frame, "rotation", 0) or 0
    if not degrees:
        tag = stream.metadata.get("rotate")
        try:
            degrees = -float(tag) if tag else 0.0
        except ValueError:
            degrees = 0.0
    # Matrices that are not a quarter turn (or carry a mirror) are vanishingly rare in camera
    # clips; the nearest quarter turn keeps people upright, which is what the landmarker needs.
    return round(degrees / 90.0) % 4 * 90


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _stream_duration_s(container: InputContainer, stream: VideoStream) -> float | None:
    """The video stream's own duration; the whole file's (it may include audio) as a fallback."""
    duration = _seconds(stream.duration, stream.time_base)
    if duration is None:
        # Matroska keeps per-stream durations as a tag ("00:00:02.002000000").
        tag = stream.metadata.get("DURATION")
        if tag:
            try:
                hours, minutes, seconds = tag.split(":")
                duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
            except ValueError:
                duration = None
    if duration is None and container.duration is not None:
        duration = container.duration / av.time_base
    return duration if duration is not None and duration > 0 else None


def _fps(stream: VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None


def _make_info(
    path: Path, container: InputContainer, stream: VideoStream, first: av.VideoFrame
) -> VideoInfo:
    rotation = _rotation_of(first, stream)
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    fps = _fps(stream)
    duration = _stream_duration_s(container, stream)
    count: int | None = stream.frames or None
    if count is None and fps and duration:
        count = round(fps * duration)
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        rotation=rotation,
        fps=fps,
        duration_s=duration,
        frame_count=count,
        codec=stream.codec_context.name,
        container=container.format.name,
    )


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk so the longer side is at most `max_side`; never enlarged."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class VideoReader(Iterator[VideoFrame]):
    """Decoded frames of one video, one at a time (use `read_frames`).

    Opening decodes the first frame, so a file that is not a video, or that holds nothing
    decodable, raises `InputError` at once. Iterating never raises for damage: a file that is
    cut short or has unreadable stretches ends early or skips them, and afterwards these say
    what happened, so a caller keeps everything analysed so far:

    truncated: the frames stopped well before the duration the file promises.
    warning: one sentence for the user when the file was damaged, else None.
    dropped: frames skipped because their timestamp did not increase.
    damaged_packets: compressed packets the decoder refused.
    frames: how many frames were yielded.
    """

    def __init__(
        self, path: str | Path, *, max_side: int | None = None, start_ms: int = 0
    ) -> None:
        if max_side is not None and max_side < 2:
            raise ValueError(f"max_side must be at least 2 pixels or None, got {max_side}")
        if start_ms < 0:
            raise ValueError(f"start_ms must be 0 or more, got {start_ms}")
        self.path = Path(path)
        self.max_side = max_side
        self.start_ms = start_ms
        self.truncated = False
        self.warning: str | None = None
        self.dropped = 0
        self.damaged_packets = 0
        self.frames = 0
        self.skipped = 0
        self._seeked = False
        container, self._stream = _open(self.path)
        self._container: InputContainer | None = container
        self._read_error = False
        self._last_time_s: float | None = None
        self._last_t_ms = 0
        try:
            self._decoded = self._decode(container)
            first = next(self._decoded, None)
            if first is None:
                raise InputError(
                    f"No frame of {self.path} could be decoded: the file is damaged or cut short."
                )
            self.info = _make_info(self.path, container, self._stream, first)
        except BaseException:
            self.close()
            raise
        self._origin_s: float | None = None
        self._fallback_step_s = 1.0 / self.info.fps if self.info.fps else 1.0 / 30.0
        if start_ms > 0 and first.time is not None:
            first = self._seek(container, first, start_ms)
        self._frames = self._generate(first)

    # --- starting partway (a chunk of a long video, see posecheck.review.chunks) ---------------

    def _frame_ms(self, frame: av.VideoFrame) -> int | None:
        """A decoded frame's time in ms from the file's first frame, as `_convert` rounds it."""
        if frame.time is None or self._origin_s is None:
            return None
        return round((frame.time - self._origin_s) * 1000.0)

    def _seek(
        self, container: InputContainer, first: av.VideoFrame, start_ms: int
    ) -> av.VideoFrame:
        """Jump to the keyframe at or before `start_ms` and go on decoding from there; frame
        times stay counted from the file's first frame, so they equal a reading from the start.
        Falls back to decoding from the start when the container cannot seek exactly."""
        self._origin_s = float(first.time) if first.time is not None else None
        assert self._origin_s is not None
        base = self._stream.time_base
        if base is None:
            return first
        self._decoded.close()
        target = self._origin_s + start_ms / 1000.0
        try:
            container.seek(max(0, int(target / base)), stream=self._stream, backward=True)
        except (av.FFmpegError, OSError):
            container.seek(0, stream=self._stream, backward=True)
            self._decoded = self._decode(container)
            return next(self._decoded, first)
        self._seeked = True
        self._decoded = self._decode(container)
        landed = next(self._decoded, None)
        landed_ms = None if landed is None else self._frame_ms(landed)
        if landed is None or landed_ms is None or landed_ms > start_ms:
            # No index, or one that overshoots: decode from the first frame instead.
            self._decoded.close()
            container.seek(0, stream=self._stream, backward=True)
            self._seeked = False
            self._decoded = self._decode(container)
            return next(self._decoded, first)
        return landed

    def _decode(self, container: InputContainer) -> Generator[av.VideoFrame, None, None]:
        """Decoded frames in order, stepping over packets the decoder refuses.

        Reading stops at the first demuxer error (the rest of the file is unreachable);
        the final empty packet PyAV's demuxer yields flushes the decoder's delayed frames.
        """
        packets = container.demux(self._stream)
        try:
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    return
                except (av.FFmpegError, OSError):
                    self._read_error = True
                    return
                try:
                    frames = packet.decode()
                except (av.FFmpegError, OSError):
                    self.damaged_packets += 1
                    continue
                for frame in frames:
                    if isinstance(frame, av.VideoFrame):
                        yield frame
        finally:
            # Let go of PyAV's demuxer before the container it reads from is closed.
            close = getattr(packets, "close", None)
            if close is not None:
                close()

    def _generate(self, first: av.VideoFrame) -> Generator[VideoFrame, None, None]:
        try:
            pending: av.VideoFrame | None = first
            while pending is not None:
                if self.start_ms and not self.frames and self._before_start(pending):
                    self.skipped += 1  # decoded (the codec needs it), never converted
                else:
                    converted = self._convert(pending)
                    if converted is not None:
                        yield converted
                pending = next(self._decoded, None)
            self._finish()
        finally:
            self._release()

    def _before_start(self, frame: av.VideoFrame) -> bool:
        if self._origin_s is None and frame.time is not None:
            self._origin_s = float(frame.time)
        t_ms = self._frame_ms(frame)
        return t_ms is not None and t_ms < self.start_ms

    def _convert(self, frame: av.VideoFrame) -> VideoFrame | None:
        time_s = frame.time
        if time_s is None:
            # No timestamp at all (rare, e.g. some AVI): assume the nominal frame step.
            last = self._last_time_s
            time_s = 0.0 if last is None else last + self._fallback_step_s
        if self._origin_s is None:
            self._origin_s = time_s
        t_ms = round((time_s - self._origin_s) * 1000.0)
        if self.frames and t_ms <= self._last_t_ms:
            self.dropped += 1
            return None
        self._last_time_s = time_s
        self._last_t_ms = t_ms
        rotation = _rotation_of(frame, self._stream)
        width, height = _scaled_size(frame.width, frame.height, self.max_side)
        image: NDArray[Any]
        if (width, height) == (frame.width, frame.height):
            image = frame.to_ndarray(format="bgr24")
        else:
            # Scale inside the colour conversion (one swscale pass); AREA averages the pixels
            # a downscale drops instead of aliasing them.
            image = frame.to_ndarray(
                format="bgr24", width=width, height=height, interpolation="AREA"
            )
        if rotation:
            image = cv2.rotate(image, _CV2_ROTATE[rotation])
        result = VideoFrame(np.ascontiguousarray(image, dtype=np.uint8), t_ms, self.frames)
        self.frames += 1
        return result

    def _finish(self) -> None:
        """After the last frame: decide whether the file ended early and say so once."""
        end_s = 0.0
        if self._last_time_s is not None and self._origin_s is not None:
            end_s = self._last_time_s - self._origin_s + self._fallback_step_s
        expected = self.info.duration_s
        short = expected is not None and expected - end_s > TRUNCATION_SLACK_S
        # Without its index an AVI's duration is guessed from what is left of the file; the
        # frame count in its header still tells how much there was.
        promised = self._stream.frames
        decoded = self.frames + self.dropped + self.skipped
        slack_frames = TRUNCATION_SLACK_S / self._fallback_step_s
        # After a seek the frames before the keyframe were never decoded: nothing to count.
        too_few = promised > 0 and promised - decoded > slack_frames and not self._seeked
        self.truncated = self._read_error or short or too_few
        if self.truncated:
            self.warning = f"The video was cut short: analysed the first {end_s:.1f} s."
        elif self.damaged_packets:
            self.warning = (
                f"Part of the video was damaged: {self.damaged_packets} unreadable "
                "piece(s) were skipped."
            )

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> VideoFrame:
        return next(self._frames)

    def close(self) -> None:
        """Release the file; iteration then ends. Safe to call more than once."""
        # The generators go first: resuming one over a closed container would crash in FFmpeg.
        for name in ("_frames", "_decoded"):
            generator = getattr(self, name, None)
            if generator is not None:
                generator.close()
        self._release()

    def _release(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_frames(
    path: str | Path, *, max_side: int | None = None, start_ms: int = 0
) -> VideoReader:
    """The frames of the video at `path`, decoded one at a time (memory stays flat).

    Images are upright BGR (rotation metadata applied) and, with `max_side`, shrunk so the
    longer side is at most that many pixels. Raises `InputError` when the file is missing,
    empty, not a video (text, a still photo), has no video stream, or nothing decodes. See
    `VideoReader` for what is known after iterating (truncation, dropped frames).

    `start_ms`: begin with the first frame at or after this time (seeking to the keyframe
    before it); frame times are still counted from the file's first frame, exactly as a
    reading from the start gives them.
    """
    return VideoReader(path, max_side=max_side, start_ms=start_ms)


def probe(path: str | Path) -> VideoInfo:
    """Describe the video at `path` (decodes one frame to learn its rotation and check it)."""
    reader = VideoReader(path)
    reader.close()
    return reader.info


class VideoWriter:
    """Write BGR frames to an H.264 MP4 (yuv420p, moov atom first) that browsers play.

        with VideoWriter("annotated.mp4", fps=30) as out:
            out.write(image, t_ms)        # t_ms strictly increasing, or None for 1/fps steps

    Each frame keeps its given time, so variable-rate timing survives. The size is taken from
    the first frame; odd widths and heights lose their last column or row (4:2:0 chroma needs
    even sizes). `fps` is the nominal rate, used for frames given without a time.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float = 30.0,
        crf: int = 23,
        preset: str = "superfast",
        threads: int = 1,
    ) -> None:
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be between 0 (lossless) and 51, got {crf}")
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.frames = 0
        self.threads = threads
        self._options = {"crf": str(crf), "preset": preset}
        self._size: tuple[int, int] | None = None
        self._stream: VideoStream | None = None
        self._last_pts: int | None = None
        # FFmpeg opens the file only when the first packet is muxed, which x264 delays by dozens
        # of frames; a missing folder is better said now than after the work is done.
        if not self.path.parent.is_dir():
            raise InputError(
                f"Cannot write the video {self.path}: the folder {self.path.parent} does not exist."
            )
        try:
            # faststart moves the index to the front so a browser can play before the download
            # completes.
            self._container: OutputContainer | None = av.open(
                str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except (av.FFmpegError, OSError) as exc:
            raise InputError(f"Cannot write the video {self.path} ({_reason(exc)}).") from None

    def _start(self, width: int, height: int) -> VideoStream:
        assert self._container is not None
        stream = self._container.add_stream("libx264", rate=self.fps, options=self._options)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = WRITER_TIME_BASE
        # One encoder thread: during a review the landmarker needs the other core, and x264's
        # default thread pool would take turns on it.
        stream.codec_context.thread_count = self.threads
        self._stream = stream
        self._size = (width, height)
        return stream

    def write(self, image: NDArray[np.uint8], t_ms: float | None = None) -> None:
        """Add one BGR frame shown from `t_ms` (ms from the start; default: frame count / fps)."""
        if self._container is None:
            raise RuntimeError("this VideoWriter is closed")
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
            shape = getattr(image, "shape", type(image).__name__)
            raise ValueError(f"expected a BGR frame of shape (height, width, 3), got {shape}")
        if image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 frame, got {image.dtype}")
        height, width = image.shape[0] & ~1, image.shape[1] & ~1
        if width == 0 or height == 0:
            raise ValueError(f"a frame must be at least 2x2 pixels, got {image.shape[:2]}")
        stream = self._stream or self._start(width, height)
        if (width, height) != self._size:
            raise ValueError(
                f"all frames must have the first frame's size {self._size}, got {(width, height)}"
            )
        if t_ms is None:
            pts = round(self.frames / (self.fps * WRITER_TIME_BASE))
        else:
            pts = round(Fraction(t_ms) / 1000 / WRITER_TIME_BASE)
        if self._last_pts is not None and pts <= self._last_pts:
            raise ValueError(f"frame times must increase: got {t_ms} ms after the previous frame")
        crop = image[:height, :width]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(crop), format="bgr24")
        frame.pts = pts
        frame.time_base = WRITER_TIME_BASE
        self._mux(self._container, stream.encode(frame))
        self._last_pts = pts
        self.frames += 1

    def _mux(self, container: OutputContainer, packets: list[av.Packet[Any]]) -> None:
        try:
            container.mux(packets)
        except (av.FFmpegError, OSError) as exc:
            raise InputError(f"Cannot write the video {self.path} ({_reason(exc)}).") from None

    def close(self) -> None:
        """Flush the encoder and finish the file; safe to call twice."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if self._stream is not None:
                self._mux(container, self._stream.encode(None))
        finally:
            container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Finish the file even after an error: the frames written so far stay playable.
        self.close()


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)
