"""The desk posture engine: one photo judged (`assess`), a baseline recorded (`calibrate`), and a
stream of poses watched over time (`PostureMonitor`) with alerts that do not cry wolf.

    baseline = calibrate(poses_of_a_few_upright_seconds)
    monitor = PostureMonitor(baseline)
    result = monitor.update(pose, t_s)      # pose may be None (nobody in view)
    if result.alert: beep()
    monitor.summary()                       # good/bad/away time, alerts, timeline

The rules are data (specs/desk.toml). Without a baseline only the side view's absolute rules
judge slouching; the front view says it needs calibration. Frames where the head is turned
away, nobody is there, or the main body is much smaller than the user's (a bystander) neither
count as bad nor move an alert closer.

    view.py      which way the camera sees the user (side or front)
    baseline.py  the calibrated upright posture of one camera position
    judge.py     one frame against the rules: status, problems, cues, live boundaries
    monitor.py   frames over time: alerts with persistence and hysteresis, statistics, breaks
"""

from posecheck.desk.baseline import BASELINE_FORMAT, Baseline, CalibrationError, calibrate
from posecheck.desk.judge import (
    CALIBRATE_CUE,
    GOOD_CUE,
    Boundary,
    Judgement,
    PostureStatus,
    assess,
    judge_frame,
)
from posecheck.desk.monitor import PostureMonitor, PostureResult
from posecheck.desk.view import detect_view

__all__ = [
    "BASELINE_FORMAT",
    "CALIBRATE_CUE",
    "GOOD_CUE",
    "Baseline",
    "Boundary",
    "CalibrationError",
    "Judgement",
    "PostureMonitor",
    "PostureResult",
    "PostureStatus",
    "assess",
    "calibrate",
    "detect_view",
    "judge_frame",
]
