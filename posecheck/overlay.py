"""Annotators that draw on a BGR frame: the skeleton, labels such as joint angles, a coach frame
result (stretches), a monitor result (desk posture), and the stick figures of the set-up guides.

Each annotator has one `annotate(frame, ...) -> frame` that returns a new image and leaves the
input untouched. Colours are BGR (OpenCV's order), like the frames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.landmarks import SKELETON_EDGES, Landmark
from posecheck.limits import Unit
from posecheck.metrics import get_metric
from posecheck.pose import DEFAULT_VISIBILITY, Pose

if TYPE_CHECKING:
    from posecheck.coach import FrameResult
    from posecheck.desk import Boundary, PostureResult
    from posecheck.rules import Verdict

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
            cv2.putText(
                out,
                text,
                origin,
                cv2.FONT_HERSHEY_SIMPLEX,
                font_scale,
                self.color,
                thick,
                cv2.LINE_AA,
            )
            if degrees:
                centre = (origin[0] + tw + ring + 1, origin[1] - th + ring)
                cv2.circle(out, centre, ring, self.color, max(1, thick // 2), cv2.LINE_AA)
        return out


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


AWAY: Color = (90, 90, 90)  # dark grey

#: Colours of check statuses (ok / adjust / unknown) and desk posture statuses.
STATUS_COLORS: dict[str, Color] = {
    "ok": OK, "adjust": ADJUST, "unknown": UNKNOWN, "good": OK, "bad": ADJUST, "away": AWAY,
}  # fmt: skip


def _edges_of(landmarks: tuple[Landmark, ...]) -> list[Edge]:
    """Skeleton bones whose both ends a measurement used: the bones a check is about."""
    used = set(landmarks)
    return [(a, b) for a, b in SKELETON_EDGES if a in used and b in used]


@dataclass(frozen=True)
class CoachAnnotator:
    """Draws a coach frame result: bones coloured by the status of the check they belong to
    (green ok, orange adjust, grey unknown), each checked angle at its joint, the cue in a
    banner at the top and hold progress (or reps) along the bottom."""

    skeleton: SkeletonAnnotator = field(default_factory=SkeletonAnnotator)
    labels: LabelAnnotator = field(default_factory=LabelAnnotator)

    def annotate(self, frame: Image, result: FrameResult) -> Image:
        pose = result.pose
        colors: dict[Edge, Color] = {}
        labels: dict[Landmark, str] = {}
        # Adjust wins over ok where a bone belongs to several checks: it needs attention.
        rank = {"unknown": 0, "ok": 1, "adjust": 2}
        chosen: dict[Edge, str] = {}
        for verdict in result.verdicts:
            m = verdict.measurement
            status = verdict.status.value
            for edge in _edges_of(m.landmarks):
                if rank[status] >= rank.get(chosen.get(edge, "unknown"), 0):
                    chosen[edge] = status
                    colors[edge] = STATUS_COLORS[status]
            if m.vertex is not None and m.value is not None and pose is not None:
                labels[m.vertex] = f"{m.value:.0f}°" if _is_angle(verdict) else f"{m.value:.2f}"
        out = replace(self.skeleton, edge_colors=colors).annotate(frame, pose)
        out = self.labels.annotate(out, pose, labels)
        return _draw_status(out, result)


def _is_angle(verdict: Verdict) -> bool:
    return get_metric(verdict.check.metric).unit is Unit.DEG


def _draw_status(frame: Image, result: FrameResult) -> Image:
    height, width = frame.shape[:2]
    scale = _scale(frame)
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(scale * 1.2))
    font_scale = 0.6 * scale
    pad = max(4, round(8 * scale))
    cue = result.cue or ""
    if cue:
        text = _fit(cue, font, font_scale, thick, width - 2 * pad)
        (_, th), base = cv2.getTextSize(text, font, font_scale, thick)
        color = OK if result.form_ok else (ADJUST if result.in_position else (60, 60, 60))
        cv2.rectangle(frame, (0, 0), (width, th + base + 2 * pad), color, -1)
        cv2.putText(frame, text, (pad, pad + th), font, font_scale, WHITE, thick, cv2.LINE_AA)
    # Progress: hold time (or reps) as a bar along the bottom edge.
    bar_h = max(6, round(10 * scale))
    if result.reps_target:
        fraction, label = (
            result.reps / result.reps_target,
            f"reps {result.reps}/{result.reps_target}",
        )
    elif result.hold_target_s:
        fraction = result.hold_s / result.hold_target_s
        label = f"held {result.hold_s:.0f}/{result.hold_target_s:.0f} s"
    else:
        return frame
    fraction = max(0.0, min(1.0, fraction))
    cv2.rectangle(frame, (0, height - bar_h), (width, height), (50, 50, 50), -1)
    cv2.rectangle(frame, (0, height - bar_h), (round(width * fraction), height), OK, -1)
    label = f"{result.phase.value} | {label}"
    (tw, th), base = cv2.getTextSize(label, font, font_scale * 0.8, thick)
    y = height - bar_h - pad
    cv2.rectangle(frame, (pad - 4, y - th - 4), (pad + tw + 4, y + base + 2), (32, 32, 32), -1)
    cv2.putText(frame, label, (pad, y), font, font_scale * 0.8, WHITE, thick, cv2.LINE_AA)
    return frame


def draw_tag(frame: Image, text: str) -> Image:
    """A small dark tag at the top right naming what is shown (the stretch being judged in a
    routine). Draws on `frame` and returns it."""
    width = frame.shape[1]
    scale = _scale(frame)
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(scale))
    font_scale = 0.5 * scale
    pad = max(3, round(6 * scale))
    text = _fit(text, font, font_scale, thick, width // 2)
    (tw, th), base = cv2.getTextSize(text, font, font_scale, thick)
    top = round(40 * scale)  # below the cue banner
    x = width - tw - 3 * pad
    cv2.rectangle(frame, (x - pad, top), (width - pad, top + th + base + 2 * pad), (32, 32, 32), -1)
    cv2.putText(frame, text, (x, top + pad + th), font, font_scale, WHITE, thick, cv2.LINE_AA)
    return frame


def _fit(text: str, font: int, font_scale: float, thick: int, width: int) -> str:
    """Shorten `text` with an ellipsis until it fits `width` pixels."""
    if cv2.getTextSize(text, font, font_scale, thick)[0][0] <= width:
        return text
    while len(text) > 4 and cv2.getTextSize(text + "...", font, font_scale, thick)[0][0] > width:
        text = text[:-1]
    return text.rstrip() + "..."


# --- the desk posture monitor -----------------------------------------------------------

def describe_boundary(boundary: Boundary, value: float | None) -> str:
    """ "neck forward 14 deg (ok at most 30 deg)", or with a calibrated range "head gap 1.230
    (your range 1.265 to 1.302, ok at least 1.189)": a measure against its live boundary, as
    text for a window (OpenCV's fonts have no degree sign) or a terminal."""
    unit = get_metric(boundary.metric).unit
    decimals = 0 if unit is Unit.DEG else 3
    shown = "-" if value is None else unit.text(value, decimals)
    limits = boundary.target.describe(unit, words=True, decimals=decimals)
    name = boundary.metric.replace("_", " ")
    band = boundary.band
    if band is not None and band.min is not None and band.max is not None:
        mine = f"{unit.text(band.min, decimals)} to {unit.text(band.max, decimals)}"
        return f"{name} {shown} (your range {mine}, ok {limits})".replace("°", " deg")
    return f"{name} {shown} (ok {limits})".replace("°", " deg")


def describe_band(metric: str, median: float, low: float, high: float) -> str:
    """ "head gap 1.288 (1.265 to 1.302 while looking around)": one calibrated measure."""
    unit = get_metric(metric).unit
    decimals = 0 if unit is Unit.DEG else 3
    text = f"{metric.replace('_', ' ')} {unit.text(median, decimals)}"
    if high > low:
        text += f" ({unit.text(low, decimals)} to {unit.text(high, decimals)} while looking around)"
    return text.replace("°", " deg")


@dataclass(frozen=True)
class BandBar:
    """One measure on a track from 0 to 1, for a small live bar: where the user's calibrated
    range lies (`band`, None without a baseline), where the ok limits are (`ok`: the dead zone
    the sensitivity allows is between the band and these; 0 or 1 for an open side), and the
    value now (`now`, None when not measured), with whether it is inside the limits."""

    metric: str
    band: tuple[float, float] | None
    ok: tuple[float, float]
    now: float | None
    inside: bool | None


def band_bar(boundary: Boundary, value: float | None) -> BandBar:
    """Place a boundary's range, limits and current value on one track (with some room on each
    side, so a value just past a limit is still on the bar)."""
    target, band = boundary.target, boundary.band
    points = [v for v in (target.min, target.max, value) if v is not None]
    if band is not None:
        points += [v for v in (band.min, band.max) if v is not None]
    low, high = min(points), max(points)
    span = high - low
    if span <= 1e-9:
        span = max(abs(high), 1.0) * 0.1
    low, high = low - 0.25 * span, high + 0.25 * span

    def at(v: float) -> float:
        return min(1.0, max(0.0, (v - low) / (high - low)))

    shown = None
    if band is not None and band.min is not None and band.max is not None:
        shown = (at(band.min), at(band.max))
    ok = (
        0.0 if target.min is None else at(target.min),
        1.0 if target.max is None else at(target.max),
    )
    inside = None if value is None else target.contains(value)
    return BandBar(boundary.metric, shown, ok, None if value is None else at(value), inside)


BAND: Color = (120, 170, 60)  # the calibrated range: green-teal
DEAD_ZONE: Color = (90, 200, 230)  # the allowance past it: light amber
OUT: Color = (70, 70, 200)  # beyond the limits: red


def draw_band_bar(
    frame: Image, bar: BandBar, origin: tuple[int, int], size: tuple[int, int]
) -> None:
    """Draw `bar` in place: red track, amber ok zone, green calibrated range, a white tick now."""
    x, y = origin
    w, h = size

    def px(v: float) -> int:
        return x + round(v * (w - 1))

    cv2.rectangle(frame, (x, y), (x + w, y + h), OUT, -1)
    cv2.rectangle(frame, (px(bar.ok[0]), y), (px(bar.ok[1]), y + h), DEAD_ZONE, -1)
    if bar.band is not None:
        cv2.rectangle(frame, (px(bar.band[0]), y), (max(px(bar.band[1]), px(bar.band[0]) + 1),
                                                    y + h), BAND, -1)  # fmt: skip
    if bar.now is not None:
        cv2.line(frame, (px(bar.now), y - 3), (px(bar.now), y + h + 3), WHITE, 3, cv2.LINE_AA)
        cv2.line(frame, (px(bar.now), y - 3), (px(bar.now), y + h + 3), BLACK, 1, cv2.LINE_AA)


@dataclass(frozen=True)
class PostureAnnotator:
    """Draws a monitor result: the skeleton with the measured bones coloured by status, a
    status banner with the cue, each measure against its live boundary (text and a small bar:
    the calibrated range, the dead zone the sensitivity allows, the value now), and a bar
    filling toward the alert."""

    skeleton: SkeletonAnnotator = field(default_factory=SkeletonAnnotator)
    alert_after_s: float = 10.0

    def annotate(self, frame: Image, result: PostureResult) -> Image:
        color = STATUS_COLORS[result.status]
        used: set[Landmark] = set()
        for landmarks in result.landmarks.values():
            used.update(landmarks)
        edges = {(a, b): color for a, b in SKELETON_EDGES if a in used and b in used}
        out = replace(self.skeleton, edge_colors=edges).annotate(frame, result.pose)
        height, width = out.shape[:2]
        scale = max(out.shape[:2]) / 640.0
        font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(scale))
        fs = 0.55 * scale
        pad = max(4, round(8 * scale))
        (_, th), base = cv2.getTextSize("Ag", font, fs, thick)
        line = th + base + pad
        title = result.status.value.upper()
        if result.problems:
            title += ": " + ", ".join(result.problems)
        if result.view:
            title += f"  [{result.view} view{'' if result.calibrated else ', not calibrated'}]"
        lines = [title] + ([result.cue] if result.cue else [])
        banner = line * len(lines) + pad
        cv2.rectangle(out, (0, 0), (width, banner), color, -1)
        for i, text in enumerate(lines):
            text = _fit(text, font, fs, thick, width - 2 * pad)
            cv2.putText(out, text, (pad, pad + th + i * line), font, fs, WHITE, thick, cv2.LINE_AA)
        rows: list[tuple[str, BandBar | None]] = [
            (describe_boundary(b, result.metrics.get(k)), band_bar(b, result.metrics.get(k)))
            for k, b in result.boundaries.items()
        ]
        stats = result.stats
        rows.append((
            f"good {stats.good_s / 60:.1f} min  bad {stats.bad_s / 60:.1f} min  "
            f"away {stats.away_s / 60:.1f} min  alerts {stats.alerts}", None,
        ))  # fmt: skip
        bar_w = round(90 * scale)
        y = height - pad - (len(rows) - 1) * line - 2 * pad
        for text, bar in rows:
            room = width - 3 * pad - bar_w
            (tw, _), _ = cv2.getTextSize(text, font, fs * 0.85, thick)
            if tw > room:  # measuring text is a good part of the drawing's cost: only then
                text = _fit(text, font, fs * 0.85, thick, room)
                (tw, _), _ = cv2.getTextSize(text, font, fs * 0.85, thick)
            x = pad
            if bar is not None:
                cv2.rectangle(out, (pad - 3, y - th - 3), (pad + bar_w + 3, y + base),
                              (32, 32, 32), -1)  # fmt: skip
                draw_band_bar(out, bar, (pad, y - th + 2), (bar_w, max(4, th - 4)))
                x = pad + bar_w + pad
            cv2.rectangle(out, (x - 3, y - th - 3), (x + tw + 3, y + base), (32, 32, 32), -1)
            cv2.putText(out, text, (x, y), font, fs * 0.85, WHITE, thick, cv2.LINE_AA)
            y += line
        bar = max(6, round(8 * scale))
        fraction = min(1.0, result.bad_for_s / max(self.alert_after_s, 1e-6))
        cv2.rectangle(out, (0, height - bar), (round(width * fraction), height), ADJUST, -1)
        if result.alert:
            cv2.rectangle(out, (0, 0), (width - 1, height - 1), ADJUST, max(4, round(12 * scale)))
        return out


# --- guides ---------------------------------------------------------------------------------


def draw_figure(xy: NDArray[np.float64], seen: NDArray[np.bool_], size: int = 240) -> Image:
    """A stick figure of a target pose on a light background, for camera-placement guides.

    `xy` holds 33 points in a unit box (see posecheck/specs/figures.json); `seen` marks the
    landmarks to draw.
    """
    canvas = np.full((size, size, 3), 250, np.uint8)
    margin = size * 0.1
    extent = np.ptp(xy[seen], axis=0) if seen.any() else np.ones(2)
    offset = (1.0 - extent) / 2 * (size - 2 * margin)
    pts = np.rint(xy * (size - 2 * margin) + margin + offset).astype(np.int32)
    thick = max(2, size // 60)
    for a, b in SKELETON_EDGES:
        if seen[a] and seen[b] and int(a) > 10:
            cv2.line(canvas, tuple(pts[a]), tuple(pts[b]), (90, 90, 90), thick, cv2.LINE_AA)
    head = [i for i in (Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR) if seen[i]]
    if head:
        centre = np.mean([pts[i] for i in head], axis=0).astype(np.int32)
        cv2.circle(canvas, tuple(centre), max(4, size // 16), (90, 90, 90), thick, cv2.LINE_AA)
    return canvas


@cache
def _figures() -> dict[str, dict[str, list[Any]]]:
    path = Path(__file__).parent / "specs" / "figures.json"
    data: dict[str, dict[str, list[Any]]] = json.loads(path.read_text())
    return data


def reference_figure(stretch_id: str, size: int = 240) -> Image | None:
    """The target-pose stick figure for a catalog stretch (RGB), or None for a user's own."""
    figure = _figures().get(stretch_id)
    if figure is None:
        return None
    image = draw_figure(np.array(figure["xy"]), np.array(figure["seen"], bool), size)
    return image[:, :, ::-1].copy()
