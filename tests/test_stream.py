"""The live frame path without a browser: streamlit-webrtc's queued-frames callback fed with
frames decoded from a real clip, as the webrtc worker thread would call it."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from posecheck.coach import Coach, FrameResult, Phase
from posecheck.overlay import CoachAnnotator
from posecheck.specs import get_stretch
from posecheck.stream import LiveSession, StreamHolder


def clip_frames(path: Path, count: int) -> list[av.VideoFrame]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            # Re-wrap so the frames outlive the container, as webrtc's frames do.
            copy = av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")
            copy.pts, copy.time_base = frame.pts, frame.time_base
            frames.append(copy)
            if len(frames) == count:
                break
    return frames


def coach_holder(ended: list[LiveSession[FrameResult]]) -> StreamHolder[FrameResult]:
    coach = Coach(get_stretch("kneeling-hip-flexor"))
    annotator = CoachAnnotator()
    return StreamHolder(lambda: LiveSession(coach.update, annotator.annotate), ended.append)


def test_callback_processes_the_newest_frame_and_drops_the_backlog(media: Path) -> None:
    frames = clip_frames(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", 60)
    ended: list[LiveSession[FrameResult]] = []
    holder = coach_holder(ended)
    outputs = []
    # Mostly one frame at a time; now and then three queued up behind a slow frame.
    i = 0
    batches = 0
    while i < len(frames):
        size = 3 if batches % 5 == 4 else 1
        batch = frames[i:i + size]
        out = holder.callback(batch)
        assert len(out) == 1
        assert out[0].pts == batch[-1].pts  # timing of the newest frame is kept
        outputs.append((batch[-1], out[0]))
        i += size
        batches += 1
    assert holder.session is not None
    stats = holder.session.stats()
    assert stats.processed == batches
    assert stats.dropped == len(frames) - batches > 0
    result = holder.session.latest()
    assert result is not None and result.phase is not Phase.NO_PERSON
    original, drawn = outputs[-1]
    before, after = original.to_ndarray(format="bgr24"), drawn.to_ndarray(format="bgr24")
    assert before.shape == after.shape
    assert np.any(before != after), "the overlay should be drawn on the returned frame"


def test_stream_end_closes_the_landmarker_and_reports_once(media: Path) -> None:
    frames = clip_frames(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", 5)
    ended: list[LiveSession[FrameResult]] = []
    holder = coach_holder(ended)
    for frame in frames[:3]:
        holder.callback([frame])
    holder.ended()
    holder.ended()
    assert len(ended) == 1 and ended[0].closed
    assert ended[0].stats().processed == 3
    # A new start after the end gets a fresh session.
    holder.callback([frames[3]])
    assert holder.session is not None and holder.session is not ended[0]


def test_a_model_that_fails_to_load_is_reported_and_frames_pass_through(tmp_path: Path) -> None:
    from posecheck.settings import EstimatorSettings

    def broken() -> LiveSession[FrameResult]:
        settings = EstimatorSettings(model_path=tmp_path / "missing.task")
        coach = Coach(get_stretch("kneeling-hip-flexor"))
        return LiveSession(coach.update, CoachAnnotator().annotate, settings=settings)

    holder: StreamHolder[FrameResult] = StreamHolder(broken)
    frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    assert holder.callback([frame]) == [frame]
    assert holder.error is not None and "does not exist" in holder.error
