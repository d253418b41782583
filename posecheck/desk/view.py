"""Which way the desk camera sees the user: from the side, from the front, or from a
three-quarter angle (a webcam off to one side that the user still faces).

The shoulders' yaw out of the image plane (world landmarks) decides, with the face as the
tie-breaker where a seated person could be either:

    |shoulder yaw|  < 35                  front
                    35 .. 55              three-quarter
                    55 .. 70              three-quarter if the face is turned less than 40
                                          degrees from the camera (the user looks at the screen
                                          the webcam sits on), else side
                    >= 70                 side

Without world landmarks the shoulders' 2D width against the neck stands in. The numbers are the
settings in desk.toml. A single frame near a boundary can go either way (the world yaw of a
still person wanders by about 10 degrees); once calibrated, the calibration's view and camera
angle decide (see `posecheck.desk.judge`).
"""

from __future__ import annotations

import numpy as np

from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Unmeasurable, measure
from posecheck.pose import Pose
from posecheck.specs.desk import PostureSpec, posture_spec, rule_view

#: Without world landmarks: the 2D shoulder width over the neck (shoulder midpoint to ear
#: midpoint) is 1.4 to 2.7 facing a webcam and 0.04 to 0.6 for a seated person in profile.
FRONT_SHOULDERS, WIDE_SHOULDERS = 1.3, 0.8


def same_camera(a: str, b: str) -> bool:
    """Whether views `a` and `b` are judged by the same rules (front and three-quarter are)."""
    return rule_view(a) == rule_view(b)


def _view_from_2d(ctx: Context) -> str | None:
    pose = ctx.pose
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    if not (ctx.seen(ls) and ctx.seen(rs)):
        return "side"  # one shoulder hidden behind the other: a profile
    try:
        neck = float(np.linalg.norm(ctx.mid("SHOULDER") - ctx.mid("EAR")))
    except Unmeasurable:
        return None
    if neck < 1.0:
        return None
    ratio = float(np.linalg.norm(pose.xy(ls) - pose.xy(rs))) / neck
    if ratio >= FRONT_SHOULDERS:
        return "front"
    return "three-quarter" if ratio >= WIDE_SHOULDERS else "side"


def detect_view(pose: Pose, spec: PostureSpec | None = None) -> str | None:
    """ "side", "front" or "three-quarter"; None when the shoulders cannot be placed."""
    s = (spec or posture_spec()).settings
    ctx = Context(pose)
    yaw = measure(ctx, "shoulder_yaw").value
    if yaw is None:
        return _view_from_2d(ctx)
    yaw = abs(yaw)
    if yaw < s.front_yaw_max:
        return "front"
    if yaw < s.three_quarter_yaw_max:
        return "three-quarter"
    if yaw < s.profile_yaw_min:
        head = measure(ctx, "head_yaw").value
        if head is not None and abs(head) <= s.face_to_camera_max:
            return "three-quarter"
    return "side"
