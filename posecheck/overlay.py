"""Annotators that draw on a BGR frame: the skeleton, and labels such as joint angles.

Each annotator has one `annotate(frame, ...) -> frame` that returns a new image and leaves the
input untouched. Colours are BGR (OpenCV's order), like the frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.landmarks import SKELETON_EDGES, Landmark
from posecheck.pose import DEFAULT_VISIBILITY, Pose

Color = tuple[int, int, int]
Image = NDArray[np.uint8]
Edge = tuple[Landmark, Landmark]

WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
NEUTRAL: Color = (235, 206, 135)  # light blue: drawn but not judged
OK: Color = (80, 200, 60)  # green
ADJUST: Color = (40, 110, 255)  # orange-red
UNKNOWN: Color = (150, 150, 150)  # grey


def _scale(frame: Image) -> float:
    """Line widths and fonts grow with the image so a 4K frame and a 320 px still both read."""
    return float(max(frame.shape[:2])) / 640.0


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Draws the skeleton: bones between visible landmarks, a dot on each joint.

    `edge_colors` colours chosen bones (for example by the status of the check they belong to);
    the others are drawn in `color`. Bones with an end below `visibility_threshold` are skipped
    rather than drawn to a guessed position.
    """

    color: Color = NEUTRAL
    edge_colors: Mapping[Edge, Color] = field(default_factory=dict)
    thickness: int = 2
    radius: int = 3
    visibility_threshold: float = DEFAULT_VISIBILITY

    def annotate(self, frame: Image, pose: Pose | None) -> Image:
        out = frame.copy()
        if pose is None:
            return out
        scale = _scale(frame)
        thick = max(1, round(self.thickness * scale))
        radius = max(1, round(self.radius * scale))
        xy = np.rint(pose.pixels[:, :2]).astype(np.int32)
        seen = (pose.visibility >= self.visibility_threshold) & (
            pose.presence >= self.visibility_threshold
        )
        for a, b in SKELETON_EDGES:
            if seen[a] and seen[b]:
                color = self.edge_colors.get((a, b)) or self.edge_colors.get((b, a)) or self.color
                cv2.line(out, tuple(xy[a]), tuple(xy[b]), color, thick, cv2.LINE_AA)
        for i in np.flatnonzero(seen):
            cv2.circle(out, tuple(xy[i]), radius + 1, BLACK, -1, cv2.LINE_AA)
            cv2.circle(out, tuple(xy[i]), radius, WHITE, -1, cv2.LINE_AA)
        return out


@dataclass(frozen=True)
class LabelAnnotator:
    """Writes short labels (such as "92°") beside landmarks, on a dark box so they read anywhere.

    OpenCV's fonts have no degree sign, so a trailing "°" is drawn as a small ring. A label that
    would cover one already drawn tries the other side of its joint, then above and below, and
    is left out if every place is taken: an unreadable pile of numbers helps nobody.
    """

    font_scale: float = 0.5
    color: Color = WHITE
    background: Color = (32, 32, 32)

    def annotate(self, frame: Image, pose: Pose | None, labels: Mapping[Landmark, str]) -> Image:
        out = frame.copy()
        if pose is None:
            return out
        scale = _scale(frame)
        font_scale = self.font_scale * scale
        thick = max(1, round(scale))
        pad = max(2, round(3 * scale))
        height, width = out.shape[:2]
        taken: list[tuple[int, int, int, int]] = []
        for landmark, label in labels.items():
            degrees = label.endswith("°")
            text = label[:-1] if degrees else label
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
            ring = max(2, round(th / 4)) if degrees else 0
            box_w, box_h = tw + 2 * ring + 1 + 2 * pad, th + base + 2 * pad
            x, y = (int(v) for v in np.rint(pose.xy(landmark)))
            gap = 3 * pad
            candidates = [
                (x + gap, y - box_h // 2),
                (x - gap - box_w, y - box_h // 2),
                (x - box_w // 2, y - gap - box_h),
                (x - box_w // 2, y + gap),
            ]
            for cx, cy in candidates:
                cx = min(max(0, cx), width - box_w)
                cy = min(max(0, cy), height - box_h)
                box = (cx, cy, cx + box_w, cy + box_h)
                if not any(_overlaps(box, other) for other in taken):
                    break
            else:
                continue
            taken.append(box)
            cv2.rectangle(out, box[:2], box[2:], self.background, -1)
            origin = (box[0] + pad, box[1] + pad + th)
            cv2.putText(out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, self.color,
                        thick, cv2.LINE_AA)
            if degrees:
                centre = (origin[0] + tw + ring + 1, origin[1] - th + ring)
                cv2.circle(out, centre, ring, self.color, max(1, thick // 2), cv2.LINE_AA)
        return out


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
