"""The live frame path without a browser: streamlit-webrtc's queued-frames callback fed with
frames decoded from a real clip, as the webrtc worker thread would call it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from posecheck.coach import Coach, FrameResult, Phase
from posecheck.overlay import CoachAnnotator
from posecheck.specs import get_stretch
from posecheck.stream import LiveSession, PageLink, StreamHolder, returned_frame


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
    # Sent back smaller (480 wide, the clip's aspect kept) and ready for the encoder.
    assert (drawn.width, drawn.height) == (480, round(original.height * 480 / original.width))
    assert drawn.format.name == "yuv420p"
    before = returned_frame(original.to_ndarray(format="bgr24")).to_ndarray(format="bgr24")
    after = drawn.to_ndarray(format="bgr24")
    assert np.abs(before.astype(int) - after).max() > 100, "the overlay is on the returned frame"


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


# --- warm landmarkers: loaded before START ----------------------------------------------------


class _Counting:
    """Stands in for the estimator factory: counts loads, can block or fail."""

    def __init__(self, fail: str | None = None) -> None:
        import threading

        self.loads = 0
        self.fail = fail
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> Any:
        from posecheck.errors import ModelError

        self.release.wait(10)
        self.loads += 1
        if self.fail:
            raise ModelError(self.fail)
        return _FakeEstimator()


class _FakeEstimator:
    def __init__(self) -> None:
        self.frames: list[int] = []
        self.closed = False

    def process(self, frame: Any, ms: int) -> None:
        self.frames.append(ms)

    def close(self) -> None:
        self.closed = True


def test_a_primed_landmarker_is_loaded_once_warmed_and_handed_to_one_stream() -> None:
    from posecheck.stream import WarmLandmarkers

    make = _Counting()
    make.release.clear()
    pool = WarmLandmarkers(make=make)
    assert pool.state == "idle"
    pool.prime()
    pool.prime()  # already loading: no second load
    assert pool.state == "loading"
    make.release.set()
    estimator = pool.take()  # waits for the load in progress
    assert make.loads == 1 and estimator.frames == [0]  # run once before any camera waits
    assert pool.state == "idle" and pool.load_s is not None
    second = pool.take()  # none spare: loaded on the spot, never shared between streams
    assert second is not estimator and make.loads == 2


def test_nothing_loads_while_a_stream_it_served_is_live() -> None:
    from posecheck.stream import WarmLandmarkers

    make = _Counting()
    pool = WarmLandmarkers(make=make)
    estimator = pool.take()
    coach = Coach(get_stretch("kneeling-hip-flexor"))
    live = LiveSession(coach.update, CoachAnnotator().annotate, estimator=estimator)
    pool.serving(live)
    assert pool.busy
    pool.prime()  # another tab opens the page: the stream keeps the cores
    assert pool.state == "idle" and make.loads == 1
    live.close()
    assert not pool.busy
    pool.prime()
    pool.take()
    assert make.loads == 2


def test_a_model_that_fails_to_load_in_the_background_is_reported() -> None:
    from posecheck.errors import ModelError
    from posecheck.stream import WarmLandmarkers

    pool = WarmLandmarkers(make=_Counting(fail="The pose model x.task does not exist."))
    pool.prime()
    with pytest.raises(ModelError, match="does not exist"):
        pool.take()
    pool.prime()  # tried again
    deadline = time.monotonic() + 5
    while pool.state == "loading" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.state == "failed" and pool.error == "The pose model x.task does not exist."


def test_a_stream_starts_on_a_real_warm_landmarker(media: Path) -> None:
    from posecheck.stream import WarmLandmarkers

    pool = WarmLandmarkers()
    pool.prime()
    frames = clip_frames(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", 3)
    coach = Coach(get_stretch("kneeling-hip-flexor"))
    holder: StreamHolder[FrameResult] = StreamHolder(
        lambda: LiveSession(coach.update, CoachAnnotator().annotate, estimator=pool.take())
    )
    frames[0].pts = 0  # the stream's first frame at time 0, where the warm-up frame was
    for frame in frames:
        holder.callback([frame])
    assert holder.session is not None and holder.session.stats().processed == 3
    assert holder.live
    holder.ended()
    assert not holder.live
    pool.close()


# --- the page link: live results, then the session's outcome ---------------------------------


class _Link(PageLink[Coach, FrameResult, str]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[FrameResult] = []

    def new_engine(self) -> Coach:
        return Coach(get_stretch("kneeling-hip-flexor"))

    def seen(self, result: FrameResult) -> None:
        self.results.append(result)

    def finish(self, engine: Coach) -> str:
        assert self.ending and self.latest() is None  # the stale result is gone while saving
        return f"{len(self.results)} frames"


def test_the_end_of_a_stream_replaces_the_latest_result_with_the_outcome() -> None:
    from tests.conftest import fixture_pose

    link = _Link()
    link.begin()
    for i in range(5):
        link.update(fixture_pose("kneeling_hip_flexor_side"), i / 30)
    assert link.latest() is not None and len(link.results) == 5
    link.ended()
    assert link.latest() is None and link.outcome == "5 frames" and not link.ending
    link.ended()  # a second end changes nothing
    assert link.outcome == "5 frames"
    link.begin()
    assert link.outcome is None


def test_the_page_says_what_it_waits_for_before_the_first_result() -> None:
    from posecheck.stream import starting_status

    def say(**kw: bool) -> str | None:
        state = {"ending": False, "session": False, "playing": False, "signalling": False}
        return starting_status(**{**state, **kw})

    assert say() is None
    assert say(signalling=True) == "Connecting to your camera…"
    assert say(signalling=True, playing=True) == "Camera on: waiting for its first frame…"
    assert say(playing=True, session=True) == "Camera on: checking the first frames…"
    assert say(ending=True, session=True) == "Saving the session…"


def test_a_returned_frame_is_never_enlarged_and_keeps_even_sizes() -> None:
    small = returned_frame(np.zeros((240, 320, 3), np.uint8))
    assert (small.width, small.height, small.format.name) == (320, 240, "yuv420p")
    wide = returned_frame(np.zeros((405, 1280, 3), np.uint8))
    assert (wide.width, wide.height) == (480, 152)
