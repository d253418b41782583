"""Metrics used mainly by the floor stretches (registered on import; see body.py for conventions).

Pixel coordinates, y down, degrees; image landmarks only (these are in-plane side-view angles).
"""

from __future__ import annotations

import math

from posecheck.metrics.context import Context, Limb, Unmeasurable, _part
from posecheck.metrics.registry import Measured, metric


@metric(
    "forearm_lift",
    "Forearm (wrist to elbow) above the image horizontal: about 0 with the forearm resting on "
    "the floor (sphinx, forearm plank), toward 90 with the hand pressing the floor under a "
    "raised elbow (cobra, all fours). Negative when the elbow is below the wrist.",
    limb=True,
)
def forearm_lift(ctx: Context, limb: Limb) -> Measured:
    """Uses this side's WRIST and ELBOW image landmarks; a direct measurement, not a proxy.

    Direction-free in x (a forearm pointing left or right reads the same), signed in y: the
    angle of wrist->elbow above horizontal, -90..90.
    """
    side = ctx.side_of(limb)
    elbow, wrist = _part(side, "ELBOW"), _part(side, "WRIST")
    e, w = ctx.xy(elbow), ctx.xy(wrist)
    dx, dy = float(e[0] - w[0]), float(w[1] - e[1])
    if math.hypot(dx, dy) < 1e-9:
        raise Unmeasurable("Your wrist and elbow overlap in the image: turn side-on to the camera.")
    return Measured(math.degrees(math.atan2(dy, abs(dx))), (elbow, wrist), elbow)


__all__ = ["forearm_lift"]
