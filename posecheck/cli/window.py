"""Live feedback in a local OpenCV window, for people who run posecheck without a browser:
stretch coaching (`run_live`), desk monitoring (`run_monitor`) and camera calibration
(`record_calibration`), all driven by one loop (`watch`).

The camera is read here, on the user's own machine; frames are never stored, and the browser
app never opens a camera on the server. Runtime dependencies (camera, landmarker, clock,
display check, window, sound) are keyword-only arguments, so every loop runs in tests without
a camera or a screen.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.coach import Coach, FrameResult
from posecheck.desk import (
    Baseline,
    CalibrationError,
    PostureMonitor,
    assess,
    calibrate,
    look_prompt,
)
from posecheck.errors import InputError
from posecheck.overlay import (
    ADJUST,
    WHITE,
    CoachAnnotator,
    PostureAnnotator,
    SkeletonAnnotator,
    band_bar,
    describe_boundary,
    draw_band_bar,
)
from posecheck.pose import Pose
from posecheck.settings import EstimatorSettings
from posecheck.specs import StretchSpec
from posecheck.specs.desk import CalibrationSettings, PostureSettings, posture_spec

Image = NDArray[np.uint8]

# OpenCV explains a missing camera in several lines of its own; the user gets one sentence.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

NO_DISPLAY = (
    "No display to open a window on: run this on a desktop session, or use `posecheck app` "
    "in a browser."
)


class Camera(Protocol):
    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class PoseSource(Protocol):
    def process(self, frame: Any, timestamp_ms: int | None = None) -> Pose | None: ...


EstimatorFactory = Callable[[EstimatorSettings], AbstractContextManager[PoseSource]]


def has_display() -> bool:
    """Whether a window can open. On Linux OpenCV's Qt backend aborts the whole process
    (no exception) when there is no display, so this must be asked before any window."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def open_camera(index: int) -> Camera:
    camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        camera.release()
        raise InputError(
            f"No camera found at index {index}: plug one in, close other apps using it, "
            "or try another --camera number."
        )
    return camera


def video_estimator(settings: EstimatorSettings) -> AbstractContextManager[PoseSource]:
    """The real landmarker in VIDEO mode (tracking between frames), quiet on stderr."""
    from posecheck.estimator import Estimator, RunningMode, quiet_native_logs

    with quiet_native_logs():
        return Estimator(RunningMode.VIDEO, settings)


def terminal_bell() -> None:
    """The alert sound: the terminal bell (no audio dependency; most terminals beep or flash)."""
    sys.stderr.write("\a")
    sys.stderr.flush()


class Ending(StrEnum):
    """Why `watch` returned."""

    DONE = "done"  # the step said it had what it needed
    CLOSED = "closed"  # the person pressed q / Esc
    CAMERA = "camera"  # the camera stopped sending frames


@dataclass(frozen=True)
class WindowIO:
    """What a window loop runs on; tests replace any of it.

    show(frame) -> keep going: replaces the OpenCV window (and the display check with it).
    """

    camera_factory: Callable[[int], Camera] = open_camera
    estimator_factory: EstimatorFactory = video_estimator
    display: Callable[[], bool] = has_display
    show: Callable[[Image], bool] | None = None
    clock: Callable[[], float] = time.monotonic
    bell: Callable[[], None] = field(default=terminal_bell)


#: One frame through the loop: (frame, pose, t) -> the image to show, or None to stop.
Step = Callable[[Image, Pose | None, float], Image | None]


def watch(
    camera_index: int,
    estimator_settings: EstimatorSettings,
    step: Step,
    *,
    title: str,
    io: WindowIO = WindowIO(),
) -> Ending:
    """Show the camera's frames, each passed through `step` with its pose and time, until the
    step has what it needs, the person closes the window, or the camera stops. The camera is
    always released and the window closed."""
    camera = io.camera_factory(camera_index)
    show = io.show
    try:
        if show is None:
            if not io.display():
                raise InputError(NO_DISPLAY)
            show = _window(title)
        with io.estimator_factory(estimator_settings) as estimator:
            for frame, pose, t in _frames(camera, estimator, io.clock):
                image = step(frame, pose, t)
                if image is None:
                    return Ending.DONE
                if not show(image):
                    return Ending.CLOSED
        print("posecheck: the camera stopped sending frames; stopping.", file=sys.stderr)
        return Ending.CAMERA
    finally:
        camera.release()
        if io.show is None and io.display():
            with suppress(cv2.error):
                cv2.destroyAllWindows()


def _frames(
    camera: Camera, estimator: PoseSource, clock: Callable[[], float]
) -> Iterator[tuple[Image, Pose | None, float]]:
    start = clock()
    last_t = -1.0
    while True:
        ok, raw = camera.read()
        if not ok or raw is None:
            return
        t = clock() - start
        if t <= last_t:
            t = last_t + 1e-3
        last_t = t
        frame = np.asarray(raw, dtype=np.uint8)
        yield frame, estimator.process(frame, int(t * 1000)), t


def _window(name: str) -> Callable[[Image], bool]:
    try:
        cv2.namedWindow(name, cv2.WINDOW_NORMAL)
    except cv2.error:
        raise InputError(NO_DISPLAY) from None

    def show(frame: Image) -> bool:
        cv2.imshow(name, frame)
        return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)

    return show


# --- stretch coaching ----------------------------------------------------------------------


def run_live(
    spec: StretchSpec,
    side: str | None,
    camera_index: int,
    estimator_settings: EstimatorSettings,
    *,
    io: WindowIO = WindowIO(),
) -> int:
    """Coach one stretch from the camera until q/Esc (or the camera stops); print what was
    held on exit."""
    coach = Coach(spec, side)
    annotator = CoachAnnotator()
    last: list[FrameResult] = []

    def step(frame: Image, pose: Pose | None, t: float) -> Image:
        result = coach.update(pose, t)
        last[:] = [result]
        return annotator.annotate(frame, result)

    watch(camera_index, estimator_settings, step, title="posecheck (q to quit)", io=io)
    if last:
        print(format_hold(spec, last[0]))
    return 0


def format_hold(spec: StretchSpec, result: FrameResult) -> str:
    held = ", ".join(f"{s or 'hold'} {v:.0f} s" for s, v in result.hold_by_side.items())
    reps = f", {result.reps} reps" if result.reps_target else ""
    return f"{spec.name}: {held or 'no good-form time yet'}{reps}."


# --- desk monitoring -----------------------------------------------------------------------


def run_monitor(
    camera_index: int,
    estimator_settings: EstimatorSettings,
    *,
    baseline: Baseline | None = None,
    view: str | None = None,
    settings: PostureSettings | None = None,
    sound: bool = True,
    sensitivity: str | None = None,
    io: WindowIO = WindowIO(),
) -> int:
    """Watch the desk posture from the camera until q/Esc (or the camera stops), with the bell
    on each alert; print the statistics on exit."""
    monitor = PostureMonitor(baseline, settings, view=view, sensitivity=sensitivity)
    annotator = PostureAnnotator(alert_after_s=monitor.settings.alert_after_s)

    def step(frame: Image, pose: Pose | None, t: float) -> Image:
        result = monitor.update(pose, t)
        if result.alert and sound:
            io.bell()
        return annotator.annotate(frame, result)

    started = [False]

    def first_step(frame: Image, pose: Pose | None, t: float) -> Image:
        # Said once the camera is open, so a missing camera is the only message.
        if not started[0] and baseline is None:
            print(
                "posecheck: no baseline (run `posecheck calibrate`): from the front, slouching "
                "is not judged until you calibrate.",
                file=sys.stderr,
            )
        started[0] = True
        return step(frame, pose, t)

    watch(camera_index, estimator_settings, first_step, title="posecheck monitor (q to quit)",
          io=io)  # fmt: skip
    print(format_summary(monitor))
    return 0


def format_summary(monitor: PostureMonitor) -> str:
    s = monitor.summary()
    totals = s.posture
    if s.duration_s <= 0 or totals is None:
        return "No frames were watched."
    judged = totals.good_s + totals.bad_s
    share = f" ({100 * totals.good_s / judged:.0f} % of the judged time)" if judged else ""
    return (
        f"Watched {s.duration_s / 60:.1f} min: good {totals.good_s / 60:.1f} min{share}, "
        f"bad {totals.bad_s / 60:.1f} min, away {totals.away_s / 60:.1f} min, "
        f"not judged {totals.unknown_s / 60:.1f} min; {totals.alerts} alert(s), "
        f"longest bad stretch {totals.longest_bad_s:.0f} s."
    )


# --- calibration ---------------------------------------------------------------------------


def record_calibration(
    camera_index: int,
    estimator_settings: EstimatorSettings,
    *,
    seconds: float | None = None,
    view: str | None = None,
    sensitivity: str | None = None,
    io: WindowIO = WindowIO(),
) -> Baseline:
    """Record `seconds` of upright sitting from the camera while the window says where to look
    (the corners and the middle of the screen, in order, with progress), showing the range and
    limits the baseline would set as it forms, and return the baseline (or a
    `CalibrationError`)."""
    cal = posture_spec().calibration
    seconds = seconds or cal.seconds
    timing = replace(cal, seconds=seconds)
    poses: list[Pose | None] = []

    def step(frame: Image, pose: Pose | None, t: float) -> Image | None:
        poses.append(pose)
        if t >= seconds:
            return None
        provisional = None
        if sum(p is not None for p in poses) >= 5:
            try:
                provisional = calibrate(poses, view=view)
            except CalibrationError:
                provisional = None
        judgement = assess(pose, provisional, view=view, sensitivity=sensitivity)
        preview = SkeletonAnnotator().annotate(frame, pose)
        draw_calibration_guide(preview, t, timing)
        height = preview.shape[0]
        y = height - 12
        for key, boundary in reversed(list(judgement.boundaries.items())):
            value = judgement.metrics.get(key)
            draw_band_bar(preview, band_bar(boundary, value), (10, y - 10), (70, 8))
            cv2.putText(preview, describe_boundary(boundary, value), (88, y),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, WHITE, 1, cv2.LINE_AA)  # fmt: skip
            y -= 22
        return preview

    ending = watch(camera_index, estimator_settings, step,
                   title="posecheck calibrate (sit upright; q to cancel)", io=io)  # fmt: skip
    if ending is Ending.CLOSED:
        raise InputError("Calibration cancelled; the old profile is unchanged.")
    return calibrate(poses, view=view, min_frames=5)


#: Where on the frame each place to look is marked (share of width, height), by its words.
_MARKS = {"middle": (0.5, 0.5), "top left": (0.08, 0.3), "top right": (0.92, 0.3),
          "bottom right": (0.92, 0.7), "bottom left": (0.08, 0.7)}  # fmt: skip


def draw_calibration_guide(frame: Image, t: float, cal: CalibrationSettings) -> None:
    """Draw, in place, where to look now (a sentence, a target at that place of the frame) and
    the progress through the steps."""
    index, text = look_prompt(t, cal)
    height, width = frame.shape[:2]
    steps = f"step {index + 1} of {len(cal.look_at)}, {max(0.0, cal.seconds - t):.0f} s left"
    cv2.rectangle(frame, (0, 0), (width, 56), (32, 32, 32), -1)
    cv2.putText(frame, text, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, WHITE, 2, cv2.LINE_AA)
    cv2.putText(frame, steps, (10, 46), cv2.FONT_HERSHEY_SIMPLEX, 0.5, WHITE, 1, cv2.LINE_AA)
    done = min(1.0, max(0.0, t / cal.seconds))
    cv2.rectangle(frame, (0, 52), (round(width * done), 56), ADJUST, -1)
    place = cal.look_at[index]
    mark = next((xy for words, xy in _MARKS.items() if words in place), None)
    if mark is not None:
        centre = (round(mark[0] * width), round(mark[1] * height))
        cv2.circle(frame, centre, 14, ADJUST, 3, cv2.LINE_AA)
        cv2.circle(frame, centre, 4, ADJUST, -1, cv2.LINE_AA)
