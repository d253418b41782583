"""The 33 BlazePose landmarks, the skeleton drawn between them and the left/right mirror map.

These names are the project's own: nothing outside `estimator.py` should need MediaPipe's enum.
"""

from __future__ import annotations

from enum import IntEnum


class Landmark(IntEnum):
    """Index of each BlazePose landmark in a `Pose`: MediaPipe's order, the person's own sides."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @classmethod
    def parse(cls, name: str) -> Landmark:
        """The landmark called `name` (any case, '-' or '_'); the error lists valid names."""
        key = name.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[key]
        except KeyError:
            valid = ", ".join(m.name.lower() for m in cls)
            raise ValueError(f"unknown landmark {name!r}; valid landmarks: {valid}") from None


NUM_LANDMARKS = len(Landmark)
L = Landmark

#: Pairs of landmarks joined by a bone in the drawn skeleton (face outline left out on purpose:
#: a posture tool needs the ears and nose, not the mouth corners).
SKELETON_EDGES: tuple[tuple[Landmark, Landmark], ...] = (
    # head
    (L.NOSE, L.LEFT_EYE),
    (L.NOSE, L.RIGHT_EYE),
    (L.LEFT_EYE, L.LEFT_EAR),
    (L.RIGHT_EYE, L.RIGHT_EAR),
    # trunk
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_HIP, L.RIGHT_HIP),
    # arms
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_WRIST, L.LEFT_INDEX),
    (L.RIGHT_WRIST, L.RIGHT_INDEX),
    # legs
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
)


def _build_mirror() -> dict[Landmark, Landmark]:
    mirror: dict[Landmark, Landmark] = {}
    for lm in Landmark:
        if "LEFT" in lm.name:
            other = Landmark[lm.name.replace("LEFT", "RIGHT")]
        elif "RIGHT" in lm.name:
            other = Landmark[lm.name.replace("RIGHT", "LEFT")]
        else:
            other = lm
        mirror[lm] = other
    return mirror


#: Each landmark's counterpart on the other side of the body (the nose maps to itself).
MIRROR: dict[Landmark, Landmark] = _build_mirror()

#: `MIRROR` as an index array: `points[MIRROR_INDEX]` swaps left and right.
MIRROR_INDEX: tuple[int, ...] = tuple(int(MIRROR[lm]) for lm in Landmark)


def side_landmark(side: str, part: str) -> Landmark:
    """`side_landmark("left", "knee")` -> `Landmark.LEFT_KNEE`; errors list what is allowed."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return Landmark.parse(f"{side}_{part}")
