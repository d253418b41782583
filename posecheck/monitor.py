"""The desk posture monitor and camera calibration in a local OpenCV window (`posecheck monitor`,
`posecheck calibrate --camera N`), for people who run posecheck without a browser.

The camera is read here, on the user's own machine; frames are never stored. Runtime
dependencies (camera, estimator, clock, display check, sound) are keyword-only arguments so the
loops run in tests without a camera or a screen.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError
from posecheck.landmarks import SKELETON_EDGES, Landmark
from posecheck.overlay import ADJUST, OK, UNKNOWN, WHITE, SkeletonAnnotator
from posecheck.pose import Pose
from posecheck.posture import (
    Baseline,
    Boundary,
    CalibrationError,
    PostureMonitor,
    PostureResult,
    PostureStatus,
    assess,
    calibrate,
)
from posecheck.settings import EstimatorSettings
from posecheck.specs.posture import PostureSettings, posture_spec

Image = NDArray[np.uint8]
WINDOW = "posecheck monitor (q to quit)"
CALIBRATION_WINDOW = "posecheck calibrate (sit upright; q to cancel)"

STATUS_COLORS = {
    PostureStatus.GOOD: OK,
    PostureStatus.BAD: ADJUST,
    PostureStatus.AWAY: (90, 90, 90),
    PostureStatus.UNKNOWN: UNKNOWN,
}


class Camera(Protocol):
    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class PoseSource(Protocol):
    def process(self, frame: Any, timestamp_ms: int | None = None) -> Pose | None: ...


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


NO_DISPLAY = (
    "No display to open a window on: run this on a desktop session, or use `posecheck app` "
    "in a browser."
)


def open_camera(index: int) -> Camera:
    from posecheck.live import open_camera as _open

    camera: Camera = _open(index)
    return camera


def _estimator(settings: EstimatorSettings) -> AbstractContextManager[PoseSource]:
    from posecheck.estimator import Estimator, RunningMode

    return Estimator(RunningMode.VIDEO, settings)


def terminal_bell() -> None:
    """The alert sound: the terminal bell (no audio dependency; most terminals beep or flash)."""
    sys.stderr.write("\a")
    sys.stderr.flush()


# --- drawing -------------------------------------------------------------------------------


def _unit(metric: str) -> str:
    from posecheck.metrics import get_metric

    return "°" if get_metric(metric).unit == "deg" else ""


def describe_boundary(boundary: Boundary, value: float | None) -> str:
    """ "neck forward 14 (limit 30)" style text for the window and the terminal."""
    unit = _unit(boundary.metric)
    shown = "-" if value is None else (f"{value:.0f}" if unit else f"{value:.3f}")
    limits = []
    if boundary.min is not None:
        limits.append(f">= {boundary.min:.0f}" if unit else f">= {boundary.min:.3f}")
    if boundary.max is not None:
        limits.append(f"<= {boundary.max:.0f}" if unit else f"<= {boundary.max:.3f}")
    name = boundary.metric.replace("_", " ")
    return f"{name} {shown}{unit.replace('°', ' deg')} (ok {' and '.join(limits)})"


@dataclass(frozen=True)
class PostureAnnotator:
    """Draws a monitor result: the skeleton with the measured bones coloured by status, a
    status banner with the cue, the live boundaries, and a bar filling toward the alert."""

    skeleton: SkeletonAnnotator = field(default_factory=SkeletonAnnotator)
    alert_after_s: float = 10.0

    def annotate(self, frame: Image, result: PostureResult) -> Image:
        color = STATUS_COLORS[result.status]
        used: set[Landmark] = set()
        for landmarks in result.landmarks.values():
            used.update(landmarks)
        edges = {(a, b): color for a, b in SKELETON_EDGES if a in used and b in used}
        out = replace(self.skeleton, edge_colors=edges).annotate(frame, result.pose)
        height, width = out.shape[:2]
        scale = max(out.shape[:2]) / 640.0
        font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(scale))
        fs = 0.55 * scale
        pad = max(4, round(8 * scale))
        (_, th), base = cv2.getTextSize("Ag", font, fs, thick)
        line = th + base + pad
        title = result.status.value.upper()
        if result.problems:
            title += ": " + ", ".join(result.problems)
        if result.view:
            title += f"  [{result.view} view{'' if result.calibrated else ', not calibrated'}]"
        lines = [title] + ([result.cue] if result.cue else [])
        banner = line * len(lines) + pad
        cv2.rectangle(out, (0, 0), (width, banner), color, -1)
        for i, text in enumerate(lines):
            cv2.putText(out, text, (pad, pad + th + i * line), font, fs, WHITE, thick, cv2.LINE_AA)
        rows = [describe_boundary(b, result.metrics.get(k)) for k, b in result.boundaries.items()]
        stats = result.stats
        rows.append(
            f"good {stats.good_s / 60:.1f} min  bad {stats.bad_s / 60:.1f} min  "
            f"away {stats.away_s / 60:.1f} min  alerts {stats.alerts}"
        )
        y = height - pad - (len(rows) - 1) * line - 2 * pad
        for text in rows:
            (tw, _), _ = cv2.getTextSize(text, font, fs * 0.85, thick)
            cv2.rectangle(out, (pad - 3, y - th - 3), (pad + tw + 3, y + base), (32, 32, 32), -1)
            cv2.putText(out, text, (pad, y), font, fs * 0.85, WHITE, thick, cv2.LINE_AA)
            y += line
        bar = max(6, round(8 * scale))
        fraction = min(1.0, result.bad_for_s / max(self.alert_after_s, 1e-6))
        cv2.rectangle(out, (0, height - bar), (round(width * fraction), height), ADJUST, -1)
        if result.alert:
            cv2.rectangle(out, (0, 0), (width - 1, height - 1), ADJUST, max(4, round(12 * scale)))
        return out


# --- loops ---------------------------------------------------------------------------------


def _frames(
    camera: Camera, estimator: PoseSource, clock: Callable[[], float]
) -> Iterator[tuple[Image, Pose | None, float]]:
    start = clock()
    last_t = -1.0
    while True:
        ok, raw = camera.read()
        if not ok or raw is None:
            print("posecheck: the camera stopped sending frames; stopping.", file=sys.stderr)
            return
        t = clock() - start
        if t <= last_t:
            t = last_t + 1e-3
        last_t = t
        frame = np.asarray(raw, dtype=np.uint8)
        yield frame, estimator.process(frame, int(t * 1000)), t


def _prepare(
    camera_index: int,
    camera_factory: Callable[[int], Camera],
    display: Callable[[], bool],
) -> Camera:
    camera = camera_factory(camera_index)
    if not display():
        camera.release()
        raise InputError(NO_DISPLAY)
    return camera


def run_monitor(
    camera_index: int,
    estimator_settings: EstimatorSettings,
    *,
    baseline: Baseline | None = None,
    view: str | None = None,
    settings: PostureSettings | None = None,
    sound: bool = True,
    camera_factory: Callable[[int], Camera] = open_camera,
    estimator_factory: Callable[
        [EstimatorSettings], AbstractContextManager[PoseSource]
    ] = _estimator,
    display: Callable[[], bool] = has_display,
    show: Callable[[Image], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    bell: Callable[[], None] = terminal_bell,
) -> int:
    """Watch the camera until q/Esc (or the camera stops); print the statistics on exit.

    `show(frame) -> keep_going` replaces the OpenCV window (tests).
    """
    camera = (
        _prepare(camera_index, camera_factory, display)
        if show is None
        else (camera_factory(camera_index))
    )
    if baseline is None:
        print(
            "posecheck: no baseline (run `posecheck calibrate`): from the front, slouching is "
            "not judged until you calibrate.",
            file=sys.stderr,
        )
    monitor = PostureMonitor(baseline, settings, view=view)
    annotator = PostureAnnotator(alert_after_s=monitor.settings.alert_after_s)
    show = show or _window(WINDOW)
    try:
        with estimator_factory(estimator_settings) as estimator:
            for frame, pose, t in _frames(camera, estimator, clock):
                result = monitor.update(pose, t)
                if result.alert and sound:
                    bell()
                if not show(annotator.annotate(frame, result)):
                    break
    finally:
        camera.release()
        _close_windows()
    print(format_summary(monitor))
    return 0


def format_summary(monitor: PostureMonitor) -> str:
    s = monitor.summary()
    if s.duration_s <= 0:
        return "No frames were watched."
    judged = s.good_s + s.bad_s
    share = f" ({100 * s.good_s / judged:.0f} % of the judged time)" if judged else ""
    return (
        f"Watched {s.duration_s / 60:.1f} min: good {s.good_s / 60:.1f} min{share}, "
        f"bad {s.bad_s / 60:.1f} min, away {s.away_s / 60:.1f} min, "
        f"not judged {s.unknown_s / 60:.1f} min; {s.alerts} alert(s), "
        f"longest bad stretch {s.longest_bad_s:.0f} s."
    )


def record_calibration(
    camera_index: int,
    estimator_settings: EstimatorSettings,
    *,
    seconds: float | None = None,
    view: str | None = None,
    camera_factory: Callable[[int], Camera] = open_camera,
    estimator_factory: Callable[
        [EstimatorSettings], AbstractContextManager[PoseSource]
    ] = _estimator,
    display: Callable[[], bool] = has_display,
    show: Callable[[Image], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Baseline:
    """Record `seconds` of upright sitting from the camera, showing the boundaries the
    baseline would set as it forms, and return the baseline (or a `CalibrationError`)."""
    spec = posture_spec()
    seconds = seconds or spec.calibration.seconds
    camera = (
        _prepare(camera_index, camera_factory, display)
        if show is None
        else (camera_factory(camera_index))
    )
    show = show or _window(CALIBRATION_WINDOW)
    poses: list[Pose | None] = []
    monitor_view = view
    try:
        with estimator_factory(estimator_settings) as estimator:
            for frame, pose, t in _frames(camera, estimator, clock):
                poses.append(pose)
                if t >= seconds:
                    break
                provisional = None
                if sum(p is not None for p in poses) >= 5:
                    try:
                        provisional = calibrate(poses, view=monitor_view)
                    except CalibrationError:
                        provisional = None
                judgement = assess(pose, provisional, view=monitor_view)
                text = f"Sit upright and still: {max(0.0, seconds - t):.0f} s"
                preview = _calibration_frame(frame, pose, judgement.boundaries, judgement.metrics)
                cv2.putText(preview, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, WHITE, 2)
                if not show(preview):
                    raise InputError("Calibration cancelled; the old profile is unchanged.")
    finally:
        camera.release()
        _close_windows()
    return calibrate(poses, view=view, min_frames=5)


def _calibration_frame(
    frame: Image, pose: Pose | None, boundaries: dict[str, Boundary], metrics: dict[str, Any]
) -> Image:
    out = SkeletonAnnotator().annotate(frame, pose)
    y = out.shape[0] - 12
    for key, boundary in reversed(list(boundaries.items())):
        text = describe_boundary(boundary, metrics.get(key))
        cv2.putText(out, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, WHITE, 1, cv2.LINE_AA)
        y -= 22
    return out


def _window(name: str) -> Callable[[Image], bool]:
    try:
        cv2.namedWindow(name, cv2.WINDOW_NORMAL)
    except cv2.error:
        raise InputError(NO_DISPLAY) from None

    def show(frame: Image) -> bool:
        cv2.imshow(name, frame)
        return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)

    return show


def _close_windows() -> None:
    if has_display():
        with suppress(cv2.error):
            cv2.destroyAllWindows()
