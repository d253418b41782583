"""Named measurements built from geometry on a `Pose`.

A measurement that cannot be made (a landmark not seen) is None here, never NaN; the stretch
engine turns that into an "unknown" status with a reason the user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from posecheck import geometry
from posecheck.landmarks import Landmark
from posecheck.pose import Pose


@dataclass(frozen=True)
class JointAngle:
    """The angle at `vertex` between the segments to `a` and `c`: 0..180 degrees, 180 = straight."""

    name: str
    a: Landmark
    vertex: Landmark
    c: Landmark

    def measure(self, pose: Pose) -> float | None:
        if not all(pose.is_visible(lm) for lm in (self.a, self.vertex, self.c)):
            return None
        return geometry.joint_angle(pose.xy(self.a), pose.xy(self.vertex), pose.xy(self.c))


#: The joint angles shown for any photo: the ones most stretches and posture checks build on.
MAIN_JOINTS: tuple[JointAngle, ...] = tuple(
    JointAngle(f"{side} {joint}", Landmark[f"{s}_{a}"], Landmark[f"{s}_{v}"], Landmark[f"{s}_{c}"])
    for side, s in (("left", "LEFT"), ("right", "RIGHT"))
    for joint, a, v, c in (
        ("elbow", "SHOULDER", "ELBOW", "WRIST"),
        ("shoulder", "HIP", "SHOULDER", "ELBOW"),
        ("hip", "SHOULDER", "HIP", "KNEE"),
        ("knee", "HIP", "KNEE", "ANKLE"),
    )
)


def main_joint_angles(pose: Pose) -> dict[JointAngle, float | None]:
    """Every joint in `MAIN_JOINTS` measured on `pose` (None where a landmark is not seen)."""
    return {joint: joint.measure(pose) for joint in MAIN_JOINTS}
