"""Which way the desk camera sees the user: from the side or from the front."""

from __future__ import annotations

import numpy as np

from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Unmeasurable, measure
from posecheck.pose import Pose
from posecheck.specs.desk import (
    PostureSpec,
    posture_spec,
)


def _yaw_from_2d(ctx: Context) -> float | None:
    """Shoulder yaw guessed from the shoulder width against the neck (no world landmarks)."""
    pose = ctx.pose
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    if not (ctx.seen(ls) and ctx.seen(rs)):
        return 90.0  # one shoulder hidden behind the other: a profile
    try:
        neck = float(np.linalg.norm(ctx.mid("SHOULDER") - ctx.mid("EAR")))
    except Unmeasurable:
        return None
    width = float(np.linalg.norm(pose.xy(ls) - pose.xy(rs)))
    if neck < 1.0:
        return None
    # A front-on adult's shoulders are about 2.5 neck lengths (shoulder line to ears) wide.
    return float(np.degrees(np.arccos(min(1.0, width / neck / 2.5))))


def detect_view(pose: Pose, spec: PostureSpec | None = None) -> str | None:
    """ "side" or "front" for the posture rules (a three-quarter view takes the nearer one),
    None when the shoulders cannot be placed."""
    settings = (spec or posture_spec()).settings
    ctx = Context(pose)
    yaw = measure(ctx, "shoulder_yaw").value
    if yaw is None:
        yaw = _yaw_from_2d(ctx)
    if yaw is None:
        return None
    return "side" if yaw >= settings.side_yaw_min else "front"


