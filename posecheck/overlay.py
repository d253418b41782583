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
    """Writes short labels (such as "92°") beside landmarks, on a dark box so they read anywhere."""

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
        for landmark, text in labels.items():
            x, y = (int(v) for v in np.rint(pose.xy(landmark)))
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
            # Right of the joint, kept inside the frame.
            x0 = min(max(0, x + 2 * pad), width - tw - 2 * pad)
            y0 = min(max(th + 2 * pad, y), height - base - pad)
            cv2.rectangle(
                out, (x0 - pad, y0 - th - pad), (x0 + tw + pad, y0 + base), self.background, -1
            )
            cv2.putText(
                out,
                text,
                (x0, y0),
                cv2.FONT_HERSHEY_SIMPLEX,
                font_scale,
                self.color,
                thick,
                cv2.LINE_AA,
            )
        return out
