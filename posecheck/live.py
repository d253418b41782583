"""Live feedback in a local OpenCV window, for people who run posecheck without a browser.

The camera is read here, on the user's own machine; the browser app never opens a camera on
the server. Stops with q or Esc, or when the camera goes away, keeping what was measured.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from posecheck.coach import Coach, FrameResult
from posecheck.errors import InputError
from posecheck.estimator import Estimator, RunningMode, quiet_native_logs
from posecheck.monitor import NO_DISPLAY, has_display
from posecheck.overlay import CoachAnnotator
from posecheck.settings import EstimatorSettings
from posecheck.specs import StretchSpec

WINDOW = "posecheck (q to quit)"

# OpenCV explains a missing camera in several lines of its own; the user gets one sentence.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def open_camera(index: int) -> cv2.VideoCapture:
    camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        camera.release()
        raise InputError(
            f"No camera found at index {index}: plug one in, close other apps using it, "
            "or try another --camera number."
        )
    return camera


def run_live(
    spec: StretchSpec, side: str | None, camera_index: int, settings: EstimatorSettings
) -> int:
    if not has_display():
        raise InputError(NO_DISPLAY)
    camera = open_camera(camera_index)
    coach = Coach(spec, side)
    annotator = CoachAnnotator()
    last: FrameResult | None = None
    start = time.monotonic()
    try:
        with quiet_native_logs(), Estimator(RunningMode.VIDEO, settings) as estimator:
            cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
            while True:
                ok, raw = camera.read()
                if not ok or raw is None:
                    print("posecheck: the camera stopped sending frames; stopping.")
                    break
                frame = np.asarray(raw, dtype=np.uint8)
                t = time.monotonic() - start
                pose = estimator.process(frame, int(t * 1000))
                last = coach.update(pose, t)
                cv2.imshow(WINDOW, annotator.annotate(frame, last))
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
    finally:
        camera.release()
        cv2.destroyAllWindows()
    if last is not None:
        held = ", ".join(f"{s or 'hold'} {v:.0f} s" for s, v in last.hold_by_side.items())
        reps = f", {last.reps} reps" if last.reps_target else ""
        print(f"{spec.name}: {held or 'no good-form time yet'}{reps}.")
    return 0
