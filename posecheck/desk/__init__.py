"""The desk posture engine: one photo judged (`assess`), a baseline recorded (`calibrate`), and a
stream of poses watched over time (`PostureMonitor`) with alerts that do not cry wolf.

    baseline = calibrate(poses_of_a_few_upright_seconds)
    monitor = PostureMonitor(baseline)
    result = monitor.update(pose, t_s)      # pose may be None (nobody in view)
    if result.alert: beep()
    monitor.summary()                       # good/bad/away time, alerts, timeline

The rules are data (specs/desk.toml). Without a baseline only the side view's absolute rules
judge slouching; a front or three-quarter webcam says it needs calibration. A calibration
records each measure's range while the user looks around the screen, the view and the camera
angle; later frames are judged by how far past that range they go (the sensitivity preset:
low, medium or high). Frames where the head is turned past the user's own calibrated range,
nobody is there, someone else is in view, or the camera position is not the calibrated one
neither count as bad nor move an alert closer.

    view.py      which way the camera sees the user (side, front or three-quarter)
    baseline.py  the calibrated upright posture of one camera position, and its prompts
    judge.py     one frame against the rules: status, problems, cues, live boundaries
    monitor.py   frames over time: alerts with persistence and hysteresis, statistics, breaks
"""

from posecheck.desk.baseline import (
    BASELINE_FORMAT,
    BASELINE_VERSION,
    Band,
    Baseline,
    CalibrationError,
    OldBaselineError,
    calibrate,
    look_prompt,
)
from posecheck.desk.judge import (
    CALIBRATE_CUE,
    GOOD_CUE,
    Boundary,
    Judgement,
    PostureStatus,
    assess,
    judge_frame,
    resolve_sensitivity,
)
from posecheck.desk.monitor import PostureMonitor, PostureResult
from posecheck.desk.view import detect_view, same_camera

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "CALIBRATE_CUE",
    "GOOD_CUE",
    "Band",
    "Baseline",
    "Boundary",
    "CalibrationError",
    "Judgement",
    "OldBaselineError",
    "PostureMonitor",
    "PostureResult",
    "PostureStatus",
    "assess",
    "calibrate",
    "detect_view",
    "judge_frame",
    "look_prompt",
    "resolve_sensitivity",
    "same_camera",
]
