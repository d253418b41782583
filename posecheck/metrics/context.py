"""The per-frame measuring context: which landmarks can be trusted, which way the person faces,
which leg is the front, back, raised or lower one, and what to tell the user when a landmark
needed for a measurement cannot be seen.

Limb roles are resolved from geometry, never from MediaPipe's left/right labels alone (those
swap when a person turns); the labels only name which chain of landmarks belongs together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from posecheck import geometry
from posecheck.landmarks import Landmark
from posecheck.pose import Pose

FloatArray = NDArray[np.float64]
Side = str  # "left" | "right"

#: Minimum visibility and presence for a landmark to be used in a measurement.
MIN_VISIBILITY = 0.5


class Limb(StrEnum):
    """Which body side a measurement is taken on.

    LEFT/RIGHT follow MediaPipe's labels. The others are chosen from geometry each frame:
    FRONT/BACK (the leg whose knee is further ahead in the facing direction, or behind),
    RAISED/LOWER (the leg whose knee and ankle are higher in the image, or lower),
    NEAR/FAR (the side nearer the camera, or further), DRAWN (the leg whose knee is closer to
    the chest, for knee-to-chest), CROSSED (the leg whose ankle rests on the other knee, for
    the figure four; see `Context.crossing`), WORKED (the side a sided stretch works, given
    by the user or by the spec's `worked_limb`), OTHER (the side opposite WORKED).
    """

    LEFT = "left"
    RIGHT = "right"
    FRONT = "front"
    BACK = "back"
    RAISED = "raised"
    LOWER = "lower"
    NEAR = "near"
    FAR = "far"
    DRAWN = "drawn"
    WORKED = "worked"
    OTHER = "other"
    CROSSED = "crossed"


#: Words for the body region a landmark belongs to, for setup guidance.
_REGION = {
    **dict.fromkeys(range(0, 11), "head"),
    11: "shoulders",
    12: "shoulders",
    13: "elbows",
    14: "elbows",
    **dict.fromkeys(range(15, 23), "hands"),
    23: "hips",
    24: "hips",
    25: "knees",
    26: "knees",
    **dict.fromkeys(range(27, 33), "feet"),
}


class Unmeasurable(Exception):
    """Raised inside a metric when it cannot be measured; carries the user-facing reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def guidance_for(pose: Pose, landmark: Landmark) -> str:
    """What to tell a user whose `landmark` cannot be used: out of frame versus hidden."""
    region = _REGION[int(landmark)]
    verb = "is" if region == "head" else "are"
    if pose.presence[landmark] < MIN_VISIBILITY:
        if region in ("feet", "knees", "hips"):
            return f"Step back or lower the camera so your {region} {verb} in view."
        return f"Step back or raise the camera so your {region} {verb} in view."
    return (
        f"Turn so the camera can see your {region}: they are hidden."
        if verb == "are"
        else ("Turn so the camera can see your head: it is hidden.")
    )


def _part(side: Side, part: str) -> Landmark:
    return Landmark[f"{side.upper()}_{part}"]


@dataclass
class Context:
    """Everything a metric needs about one frame. Build one per frame with `Context(pose)`.

    `worked` is the side (left/right label) a sided stretch works, or a Limb role to resolve,
    e.g. Limb.BACK for the kneeling hip flexor; None when the stretch has no sides.
    """

    pose: Pose
    worked: Side | Limb | None = None
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    # --- landmarks ------------------------------------------------------------------------

    def seen(self, landmark: Landmark) -> bool:
        return self.pose.is_visible(landmark, MIN_VISIBILITY)

    def xy(self, landmark: Landmark) -> FloatArray:
        """Pixel (x, y) of a landmark the camera sees, else `Unmeasurable` with guidance."""
        if not self.seen(landmark):
            raise Unmeasurable(guidance_for(self.pose, landmark))
        return self.pose.pixels[int(landmark), :2]

    def world(self, landmark: Landmark) -> FloatArray:
        """World (x, y, z) in metres of a landmark the camera sees."""
        if self.pose.world is None:
            raise Unmeasurable("This model gives no 3D landmarks, so rotation cannot be measured.")
        if not self.seen(landmark):
            raise Unmeasurable(guidance_for(self.pose, landmark))
        world: FloatArray = self.pose.world[int(landmark)]
        return world

    def mid(self, part: str) -> FloatArray:
        """Midpoint of the left and right `part`; the one seen side when the other is hidden."""
        left, right = _part("left", part), _part("right", part)
        if self.seen(left) and self.seen(right):
            return np.asarray(geometry.midpoint(self.xy(left), self.xy(right)), dtype=np.float64)
        if self.seen(left):
            return self.xy(left)
        if self.seen(right):
            return self.xy(right)
        raise Unmeasurable(guidance_for(self.pose, left))

    # --- body frame -----------------------------------------------------------------------

    @cached_property
    def trunk_length(self) -> float:
        """Shoulder-mid to hip-mid in pixels: the scale for ratios."""
        length = geometry.distance(self.mid("SHOULDER"), self.mid("HIP"))
        if length < 1.0:
            raise Unmeasurable("Your shoulders and hips overlap in the image: turn side-on.")
        return length

    @cached_property
    def facing(self) -> int:
        """+1 when the person's front faces image +x, -1 for -x; `Unmeasurable` if unclear.

        Upright bodies: the nose is ahead of the ears, or, with the head tipped back or turned,
        the toes point forward. Bodies more horizontal than 45 degrees (all fours, a hip hinge,
        lying face down): the head end is the front.
        """
        shoulders, hips = self.mid("SHOULDER"), self.mid("HIP")
        if geometry.incline_from_vertical(hips, shoulders) > 45:
            dx = float(shoulders[0] - hips[0])
            if abs(dx) > 0.2 * self.trunk_length:
                toward_head = 1 if dx > 0 else -1
                # Lying on the back, the body's front faces up: the same screen sense of
                # rotation then belongs to the other horizontal direction.
                return -toward_head if self.lying_on_back else toward_head
        facing = 0
        if self.seen(Landmark.NOSE) and (
            self.seen(Landmark.LEFT_EAR) or self.seen(Landmark.RIGHT_EAR)
        ):
            facing = geometry.facing_from_points(
                self.xy(Landmark.NOSE), self.mid("EAR"), self.trunk_length
            )
        if facing == 0:
            # Head tipped back or turned: the toes still point the way the body faces.
            facing = self._facing_from_feet()
        if facing == 0:
            raise Unmeasurable("Turn side-on to the camera so it sees you in profile.")
        return facing

    def _facing_from_feet(self) -> int:
        """Toes point forward on a foot standing under its shin (a kneeling back foot, toes
        pointing behind, has its shin flat on the floor and does not vote)."""
        votes = set()
        for side in ("left", "right"):
            heel, toe = _part(side, "HEEL"), _part(side, "FOOT_INDEX")
            knee, ankle = _part(side, "KNEE"), _part(side, "ANKLE")
            if not all(self.seen(lm) for lm in (heel, toe, knee, ankle)):
                continue
            if geometry.incline_from_vertical(self.xy(ankle), self.xy(knee)) > 45:
                continue
            dx = float(self.xy(toe)[0] - self.xy(heel)[0])
            if abs(dx) > 0.5 * geometry.distance(self.xy(toe), self.xy(heel)):
                votes.add(1 if dx > 0 else -1)
        return votes.pop() if len(votes) == 1 else 0

    @cached_property
    def lying_on_back(self) -> bool:
        """A horizontal body whose face points up (nose above the ears more than along the
        body) and that is not propped on its hands or knees below the trunk (all fours)."""
        if not (
            self.seen(Landmark.NOSE)
            and (self.seen(Landmark.LEFT_EAR) or self.seen(Landmark.RIGHT_EAR))
        ):
            return False
        shoulders, hips = self.mid("SHOULDER"), self.mid("HIP")
        axis = (shoulders - hips) / self.trunk_length
        face = self.xy(Landmark.NOSE) - self.mid("EAR")
        along = abs(float(face @ axis))
        up = -float(face[1])
        if up <= along or up < 0.05 * self.trunk_length:
            return False
        trunk_y = float(max(shoulders[1], hips[1]))
        supports = [
            Landmark.LEFT_WRIST,
            Landmark.RIGHT_WRIST,
            Landmark.LEFT_KNEE,
            Landmark.RIGHT_KNEE,
        ]
        below = [float(self.xy(lm)[1]) - trunk_y for lm in supports if self.seen(lm)]
        return not any(d > 0.5 * self.trunk_length for d in below)

    @cached_property
    def view(self) -> str:
        """ "side", "front" or "three-quarter": how the camera sees the body.

        From world landmarks when available (the shoulder line's direction in depth versus
        across the image), else from the apparent shoulder width against the trunk length.
        """
        return _view(self)

    # --- limb roles -----------------------------------------------------------------------

    def side_of(self, limb: Limb | Side) -> Side:
        """The label side ("left"/"right") that `limb` stands for in this frame."""
        key = f"side:{limb}"
        if key not in self._cache:
            self._cache[key] = self._resolve(limb)
        return str(self._cache[key])

    def _resolve(self, limb: Limb | Side) -> Side:
        if limb in ("left", "right"):
            return str(limb)
        if limb is Limb.WORKED:
            if self.worked is None:
                raise ValueError("this stretch has no worked side")
            return self.side_of(self.worked)
        if limb is Limb.OTHER:
            return "right" if self.side_of(Limb.WORKED) == "left" else "left"
        if limb in (Limb.FRONT, Limb.BACK):
            ahead = {s: self._leg_ahead(s) for s in ("left", "right")}
            front = max(ahead, key=lambda s: ahead[s])
            return front if limb is Limb.FRONT else _other(front)
        if limb in (Limb.RAISED, Limb.LOWER):
            height = {s: self._leg_height(s) for s in ("left", "right")}
            raised = max(height, key=lambda s: height[s])
            return raised if limb is Limb.RAISED else _other(raised)
        if limb is Limb.DRAWN:
            hips = {s: self._knee_to_shoulder(s) for s in ("left", "right")}
            return min(hips, key=lambda s: hips[s])
        if limb is Limb.CROSSED:
            return self.crossing[0]
        if limb in (Limb.NEAR, Limb.FAR):
            near = self._near_side()
            return near if limb is Limb.NEAR else _other(near)
        raise ValueError(f"unknown limb {limb!r}")

    @cached_property
    def crossing(self) -> tuple[Side, float]:
        """(crossing side, gap) for a figure four: the leg whose ankle is nearest the other
        knee, and that distance in shin lengths (about 0.2 with the ankle resting on the thigh
        just below the knee, 1 or more with the legs apart). `Unmeasurable` when no leg can be
        paired with the other knee.

        In the image plane the distance comes from the pixels; only depth, which a side view
        cannot see (an ankle beside the other knee, a leg's width nearer the camera, and one
        resting on it look the same), comes from the world landmarks' z. Their x and y are not
        used: for a crossed leg MediaPipe's 3D skeleton can disagree with the pixels by half a
        shin. Each part is divided by the longer of the shins in its own space, pixels or
        metres: foreshortening only ever shortens a shin, in the image and in MediaPipe's depth
        guess alike.
        """
        world = self.pose.world
        if world is None:
            raise Unmeasurable("This model gives no 3D landmarks, so a crossed leg cannot be told "
                               "from one beside the other.")
        shins: dict[Side, tuple[float, float]] = {}
        for side in ("left", "right"):
            knee, ankle = _part(side, "KNEE"), _part(side, "ANKLE")
            if self.seen(knee) and self.seen(ankle):
                shins[side] = (
                    geometry.distance(self.xy(knee), self.xy(ankle)),
                    float(np.linalg.norm(world[int(ankle)] - world[int(knee)])),
                )
        shin_px = max((length[0] for length in shins.values()), default=0.0)
        shin_m = max((length[1] for length in shins.values()), default=0.0)
        found: list[tuple[float, Side]] = []
        for side in ("left", "right"):
            ankle, other_knee = _part(side, "ANKLE"), _part(_other(side), "KNEE")
            if side not in shins or not self.seen(other_knee) or shin_px < 1.0 or shin_m < 1e-6:
                continue
            across = geometry.distance(self.xy(ankle), self.xy(other_knee)) / shin_px
            depth = float(world[int(ankle)][2] - world[int(other_knee)][2]) / shin_m
            found.append((math.hypot(across, depth), side))
        if not found:
            for landmark in (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE,
                             Landmark.RIGHT_ANKLE):
                if not self.seen(landmark):
                    raise Unmeasurable(guidance_for(self.pose, landmark))
            raise Unmeasurable("Turn so the camera can see your knees and ankles.")
        gap, side = min(found)
        return side, gap

    def _leg_ahead(self, side: Side) -> float:
        knee = _part(side, "KNEE")
        point = self.xy(knee) if self.seen(knee) else self.xy(_part(side, "ANKLE"))
        return float(point[0] - self.mid("HIP")[0]) * self.facing

    def _leg_height(self, side: Side) -> float:
        points = [self.xy(_part(side, p)) for p in ("KNEE", "ANKLE") if self.seen(_part(side, p))]
        if not points:
            raise Unmeasurable(guidance_for(self.pose, _part(side, "KNEE")))
        return -float(np.mean([p[1] for p in points]))

    def _knee_to_shoulder(self, side: Side) -> float:
        return geometry.distance(self.xy(_part(side, "KNEE")), self.mid("SHOULDER"))

    def _near_side(self) -> Side:
        pose = self.pose
        parts = ("SHOULDER", "HIP", "KNEE", "ELBOW")
        if pose.world is not None:
            # MediaPipe's z grows away from the camera: the nearer side has the smaller z.
            z = {
                s: float(np.mean([pose.world[_part(s, p)][2] for p in parts]))
                for s in ("left", "right")
            }
            if abs(z["left"] - z["right"]) > 0.05:
                return "left" if z["left"] < z["right"] else "right"
        vis = {
            s: float(np.mean([pose.visibility[_part(s, p)] for p in parts]))
            for s in ("left", "right")
        }
        return "left" if vis["left"] >= vis["right"] else "right"


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


#: Shoulder-line yaw (degrees from the image plane) above which the view counts as side-on,
#: and below which it counts as front-on; three-quarter in between.
SIDE_YAW, FRONT_YAW = 55.0, 30.0


def _view(ctx: Context) -> str:
    pose = ctx.pose
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    lh, rh = Landmark.LEFT_HIP, Landmark.RIGHT_HIP
    if pose.world is not None:
        w = pose.world
        # The shoulder and hip lines' angle out of the image plane (x-y), averaged.
        yaws = []
        for a, b in ((ls, rs), (lh, rh)):
            d = w[b] - w[a]
            across = float(np.hypot(d[0], d[1]))
            yaws.append(float(np.degrees(np.arctan2(abs(d[2]), across))))
        yaw = float(np.mean(yaws))
    else:
        width = float(np.linalg.norm(pose.pixels[ls, :2] - pose.pixels[rs, :2]))
        ratio = width / max(ctx.trunk_length, 1.0)
        # A front-on adult's shoulders are about 0.7 trunk lengths wide.
        yaw = float(np.degrees(np.arccos(min(1.0, ratio / 0.7))))
    if yaw >= SIDE_YAW:
        return "side"
    if yaw <= FRONT_YAW:
        return "front"
    return "three-quarter"
