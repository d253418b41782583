"""Live video for one browser stream: frames from streamlit-webrtc's worker thread in, annotated
frames out, and the latest result kept under a lock for the page to read.

The thread boundary is the point of this module: the frame callback never touches Streamlit,
and the page never touches the landmarker. When processing falls behind the camera, only the
newest queued frame is processed (the others are dropped), so latency does not grow.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import ModelError, PosecheckError
from posecheck.estimator import Estimator, RunningMode
from posecheck.pose import Pose
from posecheck.settings import EstimatorSettings

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
Image = NDArray[np.uint8]

#: The annotated video goes back to the browser at most this wide (480x360 from a 640x480
#: camera), already in the encoder's YUV 4:2:0: the landmarker still sees the whole camera
#: frame, but the VP8 encoder on the server and the decoder in the browser handle 44 % fewer
#: pixels, and a frame streamlit-webrtc sends again (while the next one is still being
#: processed) is not converted again. The pages show the video about this wide anyway.
#: See docs/PERFORMANCE.md ("Live in the browser") for the measurements.
RETURN_WIDTH = 480


@dataclass(frozen=True)
class StreamStats:
    """How the stream is keeping up: processed frames per second over the last few seconds,
    the callback's median time per frame, and frames dropped because processing fell behind."""

    processed: int
    dropped: int
    fps: float
    callback_ms: float


class LiveSession(Generic[R]):
    """One stream's landmarker (VIDEO mode) and engine; create one per browser session.

    `update(pose, t_s) -> result` is the engine (a Coach or a PostureMonitor) and
    `annotate(frame, result) -> frame` draws it. Call `close()` when the stream ends.
    """

    def __init__(
        self,
        update: Callable[[Pose | None, float], R],
        annotate: Callable[[Image, R], Image],
        *,
        settings: EstimatorSettings | None = None,
        estimator: Estimator | None = None,
    ) -> None:
        self._update = update
        self._annotate = annotate
        self._estimator = estimator or Estimator(RunningMode.VIDEO, settings)
        self._lock = threading.Lock()
        self._latest: R | None = None
        self._processed = 0
        self._dropped = 0
        self._times: deque[float] = deque(maxlen=90)
        self._stamps: deque[float] = deque(maxlen=90)
        # 0, not -1: a warm landmarker (WarmLandmarkers) has already seen a frame at time 0.
        self._last_ms = 0
        self._t0: float | None = None
        self.closed = False

    def process(self, frame: Image, t_s: float | None = None) -> Image:
        """Run one frame through landmarker and engine; returns the annotated frame.

        `t_s` is the frame's own time (from the stream); None uses the arrival time. Times are
        forced to increase by at least 1 ms, as the landmarker requires.
        """
        start = time.perf_counter()
        if self._t0 is None:
            self._t0 = start
        if t_s is None:
            t_s = start - self._t0
        ms = max(int(t_s * 1000), self._last_ms + 1)
        self._last_ms = ms
        with self._lock:
            if self.closed:
                return frame
            pose = self._estimator.process(frame, ms)
            result = self._update(pose, ms / 1000)
            self._latest = result
        out = self._annotate(frame, result)
        end = time.perf_counter()
        with self._lock:
            self._processed += 1
            self._times.append((end - start) * 1000)
            self._stamps.append(end)
        return out

    def skip(self, frames: int) -> None:
        """Count frames dropped unprocessed because the previous one was still running."""
        with self._lock:
            self._dropped += frames

    def latest(self) -> R | None:
        with self._lock:
            return self._latest

    def stats(self) -> StreamStats:
        with self._lock:
            stamps, times = list(self._stamps), sorted(self._times)
            processed, dropped = self._processed, self._dropped
        fps = 0.0
        if len(stamps) > 1 and stamps[-1] > stamps[0]:
            fps = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        median = times[len(times) // 2] if times else 0.0
        return StreamStats(processed, dropped, fps, median)

    def close(self) -> None:
        """Release the landmarker; later frames pass through untouched."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self._estimator.close()


class WarmLandmarkers:
    """Pose landmarkers loaded before a stream needs one, so the first frames after START are
    judged at once instead of waiting for MediaPipe.

    Loading the graph takes 0.2-1.3 s on the 2-core machines (more when they are busy), and the
    first frame through a fresh landmarker another 0.1-0.3 s. `prime()` (cheap, call it on
    every page run while no stream is live) loads one spare in a background thread and runs it
    once on a blank frame at time 0; `take()` hands the spare to a stream, waiting for it if it
    is still loading, or loads one on the spot when there is none. A landmarker serves exactly
    one stream (VIDEO mode's timestamps and tracking belong to one stream), so one spare per
    server process is kept, never more, whatever the number of browser sessions. While any
    stream it served is live (`serving`), `prime` loads nothing: loading would take the cores
    from that stream.
    """

    def __init__(
        self,
        settings: EstimatorSettings | None = None,
        *,
        make: Callable[[], Estimator] | None = None,
    ) -> None:
        self._make = make or (lambda: Estimator(RunningMode.VIDEO, settings))
        self._cond = threading.Condition()
        self._spare: Estimator | None = None
        self._loading = False
        self._error: str | None = None
        self._sessions: weakref.WeakSet[LiveSession[Any]] = weakref.WeakSet()
        #: Seconds the last background load took (None before the first one finished).
        self.load_s: float | None = None

    def _load(self) -> Estimator:
        estimator = self._make()
        try:
            # The first inference allocates buffers; pay for it before any camera is waiting.
            estimator.process(np.zeros((480, 640, 3), np.uint8), 0)
        except BaseException:
            estimator.close()
            raise
        return estimator

    def _background(self) -> None:
        start = time.perf_counter()
        spare: Estimator | None = None
        error: str | None = None
        try:
            spare = self._load()
        except (PosecheckError, RuntimeError, OSError) as exc:
            error = str(exc)
        with self._cond:
            self._spare, self._error, self._loading = spare, error, False
            self.load_s = time.perf_counter() - start
            self._cond.notify_all()

    def serving(self, session: LiveSession[Any]) -> None:
        """Note a live session that runs on a landmarker from here (until it is closed)."""
        with self._cond:
            self._sessions.add(session)

    @property
    def busy(self) -> bool:
        """Whether a session noted by `serving` is still live."""
        with self._cond:
            return any(not session.closed for session in list(self._sessions))

    def prime(self) -> None:
        """Start loading a spare in the background unless one is ready or loading, or a
        stream is live."""
        if self.busy:
            return
        with self._cond:
            if self._spare is not None or self._loading:
                return
            self._loading, self._error = True, None
        threading.Thread(target=self._background, name="posecheck-warm-landmarker",
                         daemon=True).start()  # fmt: skip

    def take(self) -> Estimator:
        """A landmarker for one new stream (the caller closes it). Raises what loading raised,
        e.g. `ModelError` for a missing model."""
        with self._cond:
            while self._loading:
                self._cond.wait()
            spare, self._spare = self._spare, None
            error, self._error = self._error, None
        if spare is not None:
            return spare
        if error is not None:
            raise ModelError(error)
        return self._load()

    @property
    def state(self) -> str:
        """"ready", "loading", "failed" (`error` says why) or "idle" (nothing loaded yet)."""
        with self._cond:
            if self._spare is not None:
                return "ready"
            if self._loading:
                return "loading"
            return "failed" if self._error else "idle"

    @property
    def error(self) -> str | None:
        with self._cond:
            return self._error

    def close(self) -> None:
        """Release the spare (a later `take` loads a new one)."""
        with self._cond:
            while self._loading:
                self._cond.wait()
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()


#: What a live page says about its landmarker while no stream runs (`WarmLandmarkers.state`).
MODEL_STATUS = {
    "ready": "Pose model loaded: feedback starts with the first frame.",
    "loading": "Loading the pose model while you read the set-up steps…",
}


def starting_status(
    *, ending: bool, session: bool, playing: bool, signalling: bool
) -> str | None:
    """What a live page is waiting for when it has no result to show: the session being saved,
    the first frames being checked, the camera's first frame, the connection; None when no
    stream has been asked for."""
    if ending:
        return "Saving the session…"
    if session:
        return "Camera on: checking the first frames…"
    if playing:
        return "Camera on: waiting for its first frame…"
    if signalling:
        return "Connecting to your camera…"
    return None


_SHARED_LOCK = threading.Lock()
_SHARED: WarmLandmarkers | None = None


def shared_landmarkers() -> WarmLandmarkers:
    """The server process's one pool of warm landmarkers (default settings), made on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = WarmLandmarkers()
        return _SHARED


class StreamHolder(Generic[R]):
    """Glue between streamlit-webrtc and a `LiveSession`, kept in the page's session state.

    `callback` is given to `webrtc_streamer(queued_video_frames_callback=...)` and runs on the
    webrtc worker thread; `ended` is its `on_video_ended`. The session is created on the first
    frame (so a page that never starts the camera loads no model) and closed when the stream
    ends; `on_end(session)` then runs once, e.g. to save what was measured to the history.
    """

    def __init__(
        self,
        make_session: Callable[[], LiveSession[R]],
        on_end: Callable[[LiveSession[R]], None] | None = None,
    ) -> None:
        self._make = make_session
        self._on_end = on_end
        self._lock = threading.Lock()
        self.session: LiveSession[R] | None = None
        self.error: str | None = None

    def _get(self) -> LiveSession[R] | None:
        with self._lock:
            if self.session is None or self.session.closed:
                try:
                    self.session = self._make()
                    self.error = None
                except (PosecheckError, RuntimeError, OSError) as exc:
                    # Shown on the page; meanwhile the stream passes frames through unchanged.
                    self.error = str(exc)
                    return None
            return self.session

    @property
    def live(self) -> bool:
        """Whether a stream has delivered frames and not ended yet."""
        with self._lock:
            return self.session is not None and not self.session.closed

    def callback(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        session = self._get()
        if session is None or not frames:
            return frames[-1:]
        # Only the newest frame is processed: the others queued up while we were busy, and
        # processing them would only add latency.
        session.skip(len(frames) - 1)
        latest = frames[-1]
        image = np.asarray(latest.to_ndarray(format="bgr24"), dtype=np.uint8)
        out = session.process(image, latest.time)
        new = returned_frame(out)
        new.pts, new.time_base = latest.pts, latest.time_base
        return [new]

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """The async form streamlit-webrtc's `queued_video_frames_callback` expects; the work
        runs on its worker thread's own event loop, so blocking here blocks no one else."""
        return self.callback(frames)

    def ended(self) -> None:
        with self._lock:
            session = self.session
        if session is None or session.closed:
            return
        session.close()
        if self._on_end is not None:
            self._on_end(session)


def returned_frame(image: Image, width: int = RETURN_WIDTH) -> av.VideoFrame:
    """An annotated BGR frame as the video frame sent back to the browser: at most `width`
    pixels wide (the aspect kept; even sizes, as 4:2:0 needs) and in YUV 4:2:0.

    OpenCV scales and converts (BT.601, video range: what FFmpeg's converter assumes when it
    reads the frame back); on these machines that costs 0.6 ms a frame against 1.0-1.5 ms for
    FFmpeg's scaler with PyAV, and less than converting the full-size frame."""
    height, given = image.shape[:2]
    if given > width:
        size = (width - width % 2, max(2, round(height * width / given / 2) * 2))
        sized = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), np.uint8)
    else:
        sized = np.ascontiguousarray(image[: height - height % 2, : given - given % 2])
    yuv = np.asarray(cv2.cvtColor(sized, cv2.COLOR_BGR2YUV_I420), np.uint8)
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


class PoseTap:
    """A few seconds of poses handed from the frame callback to the page: the Desk page's
    calibration. The page calls `start(seconds)`; the callback calls `add(pose, t_s)` for every
    processed frame; once `seconds` of stream time have passed the recording stops by itself
    and `take()` hands the poses over, once. Recording starts with the first frame after
    `start`, so a camera started late still gets its full seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = 0.0
        self._poses: list[Pose | None] = []
        self._t0: float | None = None
        self._elapsed = 0.0
        self._recording = False
        self._ready = False

    def start(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds must be above 0, got {seconds}")
        with self._lock:
            self._seconds, self._poses, self._t0, self._elapsed = seconds, [], None, 0.0
            self._recording, self._ready = True, False

    def cancel(self) -> None:
        with self._lock:
            self._recording, self._ready, self._poses = False, False, []

    def add(self, pose: Pose | None, t_s: float) -> None:
        with self._lock:
            if not self._recording:
                return
            if self._t0 is None:
                self._t0 = t_s
            self._poses.append(pose)
            self._elapsed = t_s - self._t0
            if self._elapsed >= self._seconds:
                self._recording, self._ready = False, True

    def progress(self) -> tuple[bool, float, list[Pose | None]]:
        """(recording, seconds recorded so far, the poses so far)."""
        with self._lock:
            return self._recording, self._elapsed, list(self._poses)

    def take(self) -> list[Pose | None] | None:
        """The finished recording's poses, or None while recording or when already taken."""
        with self._lock:
            if not self._ready:
                return None
            poses, self._poses, self._ready = self._poses, [], False
            return poses


def rtc_configuration(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """ICE servers for the browser connection.

    On this machine (localhost) no STUN or TURN server is needed, and an explicit empty list
    keeps streamlit-webrtc from reaching out to a public STUN server. For use from another
    computer, set POSECHECK_TURN_URL (e.g. turn:turn.example.org:3478) with
    POSECHECK_TURN_USERNAME and POSECHECK_TURN_CREDENTIAL, and serve the app over HTTPS.
    """
    env = os.environ if env is None else env
    url = env.get("POSECHECK_TURN_URL", "").strip()
    if not url:
        return {"iceServers": []}
    server: dict[str, Any] = {"urls": [u.strip() for u in url.split(",") if u.strip()]}
    if env.get("POSECHECK_TURN_USERNAME"):
        server["username"] = env["POSECHECK_TURN_USERNAME"]
        server["credential"] = env.get("POSECHECK_TURN_CREDENTIAL", "")
    return {"iceServers": [server]}


class EngineLink(Protocol[R_co]):
    """What a page hands `page_stream`: an engine wrapper the stream's session drives."""

    def begin(self) -> None: ...
    def update(self, pose: Pose | None, t_s: float) -> R_co: ...
    def annotate(self, frame: Image, result: Any) -> Image: ...
    def ended(self) -> None: ...


L = TypeVar("L", bound=EngineLink[Any])


class SessionState(Protocol):
    """The part of `st.session_state` (or a plain dict) that `page_stream` uses."""

    def __contains__(self, key: str) -> bool: ...
    def __getitem__(self, key: str) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...


def page_stream(
    state: SessionState,
    name: str,
    key: str,
    make_link: Callable[[], L],
    *,
    landmarkers: WarmLandmarkers | None = None,
) -> tuple[StreamHolder[Any], L]:
    """The stream holder and engine link a page keeps in its session state under `name`.

    A new `key` (another stretch, side, view or profile) ends the old stream and makes a new
    link; each start of the camera begins a fresh session on that link (`link.begin()`) with a
    landmarker from `landmarkers` (default: the process's shared warm one), and its end calls
    `link.ended()` (e.g. to save to the history).
    """
    if f"{name}_key" not in state or state[f"{name}_key"] != key:
        if f"{name}_holder" in state:
            state[f"{name}_holder"].ended()
        link = make_link()

        def session(link: L = link) -> LiveSession[Any]:
            pool = landmarkers or shared_landmarkers()
            estimator = pool.take()
            link.begin()
            live: LiveSession[Any] = LiveSession(link.update, link.annotate, estimator=estimator)
            pool.serving(live)
            return live

        def ended(_session: LiveSession[Any], link: L = link) -> None:
            link.ended()

        state[f"{name}_key"] = key
        state[f"{name}_link"] = link
        state[f"{name}_holder"] = StreamHolder(session, ended)
    return state[f"{name}_holder"], state[f"{name}_link"]


class _Engine(Protocol[R_co]):
    def update(self, pose: Pose | None, t_s: float) -> R_co: ...


E = TypeVar("E", bound=_Engine[Any])
Out = TypeVar("Out")


class PageLink(Generic[E, R, Out]):
    """What a live page and its stream share: a fresh engine per stream, its latest result,
    and what became of the session when the stream ended (`outcome`).

    `update`, `annotate` and `ended` run on streamlit-webrtc's threads; the page reads
    `latest` and `outcome`. Nothing here calls Streamlit. Subclasses say how to make an engine,
    how to draw a result, and what to do with a finished engine (`finish`: e.g. save it to the
    history and return what the page shows at the end, or None for nothing to report);
    `prepare` may hand page-side changes to the engine before each frame, `seen` sees each
    result. When the stream ends the latest result is forgotten, so a page shows either the
    live session or its outcome, never a stale live panel.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: E | None = None
        self._latest: R | None = None
        self.outcome: Out | None = None
        #: True from the end of a stream until its outcome is ready (e.g. while saving).
        self.ending = False

    def new_engine(self) -> E:
        raise NotImplementedError

    def annotate(self, frame: Image, result: R) -> Image:
        raise NotImplementedError

    def finish(self, engine: E) -> Out | None:
        raise NotImplementedError

    def prepare(self, engine: E) -> None:
        """Called under the lock before each frame; nothing by default."""

    def observe(self, pose: Pose | None, t_s: float) -> None:
        """Sees every frame's pose before the engine does; nothing by default."""

    def seen(self, result: R) -> None:
        """Sees every frame's result (on the stream's thread); nothing by default."""

    def begin(self) -> None:
        """A new stream: a new engine, because stream times start again from zero."""
        with self._lock:
            self._engine = self.new_engine()
            self._latest, self.outcome = None, None

    def update(self, pose: Pose | None, t_s: float) -> R:
        with self._lock:
            if self._engine is None:
                self._engine = self.new_engine()
            engine = self._engine
            self.prepare(engine)
        self.observe(pose, t_s)
        result: R = engine.update(pose, t_s)
        self.seen(result)
        with self._lock:
            self._latest = result
        return result

    def latest(self) -> R | None:
        with self._lock:
            return self._latest

    def ended(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
            if engine is None:
                return
            self._latest, self.ending = None, True
        try:
            outcome = self.finish(engine)
        finally:
            with self._lock:
                self.ending = False
        with self._lock:
            self.outcome = outcome
