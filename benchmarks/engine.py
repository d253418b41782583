"""Per-frame cost of everything after the landmarker (smoothing, metrics, rules, temporal state,
overlay), against the bare landmarker on the same frames, measured in one run.

    .venv/bin/python benchmarks/engine.py [--clip PATH] [--frames N] [--stretch ID]

Target (PRODUCT.md): at most 1.5 ms median per frame at 640x480 for the engine. Every catalog
stretch is timed on the clip's poses; the table shows the median and p90 per stretch. The desk
monitor is timed twice: without a baseline on the clip (`desk-posture`), and calibrated on a
laptop webcam (`desk-front`: the 13_front_webcam man upright, then sunk down, as 640x480
frames through the landmarker in VIDEO mode; calibrated on the first 60 frames).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.landmarker import DEFAULT_CLIP, decode
from posecheck.coach import Coach
from posecheck.desk import PostureMonitor, calibrate
from posecheck.estimator import Estimator, RunningMode
from posecheck.media import media_dir
from posecheck.overlay import CoachAnnotator, PostureAnnotator
from posecheck.pose import Pose
from posecheck.review import RoutineReview
from posecheck.specs import catalog

#: The desk posture monitor, timed on the same frames as the stretches.
POSTURE = "desk-posture"
#: The routine review's engine (every catalog stretch's entry, the rep stretches' trackers,
#: the stretch found judged by its coach), timed on the same frames.
ROUTINE = "routine"
#: ... and calibrated, on front-webcam frames.
FRONT = "desk-front"
FRONT_STILLS = ("hcpg_good_posture", "hcpg_setup", "hcpg_bad_posture")


def front_frames(count: int) -> list[np.ndarray]:
    """`count` 640x480 frames of the webcam man: upright (his two upright photos a second
    apart) for the first two fifths, sunk down for the rest."""
    stills = {}
    for name in FRONT_STILLS:
        image = cv2.imread(str(media_dir() / "13_front_webcam" / f"{name}.png"), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{name}.png not found in {media_dir() / '13_front_webcam'}")
        stills[name] = cv2.resize(image, (640, 480), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(count):
        if i < 0.4 * count:
            frames.append(stills[FRONT_STILLS[(i // 30) % 2]])
        else:
            frames.append(stills[FRONT_STILLS[2]])
    return frames


def landmarks(frames: list[np.ndarray]) -> tuple[list[Pose | None], list[float]]:
    poses, times = [], []
    with Estimator(RunningMode.VIDEO) as estimator:
        for i, frame in enumerate(frames):
            start = time.perf_counter()
            poses.append(estimator.process(frame, round(i * 1000 / 30)))
            times.append((time.perf_counter() - start) * 1000)
    return poses, times


def engine(
    spec_id: str, frames: list[np.ndarray], poses: list[Pose | None]
) -> dict[str, list[float]]:
    """Per-frame milliseconds of the engine (`coach`: update) and its overlay."""
    update: Callable[[Pose | None, float], Any]
    annotate: Callable[[np.ndarray, Any], np.ndarray]
    if spec_id == POSTURE:
        update, annotate = PostureMonitor().update, PostureAnnotator().annotate
    elif spec_id == ROUTINE:
        routine = RoutineReview()
        update, annotate = routine.update, routine.annotate
    elif spec_id == FRONT:
        baseline = calibrate(poses[:60], min_frames=5)
        update, annotate = PostureMonitor(baseline).update, PostureAnnotator().annotate
    else:
        update, annotate = Coach(catalog()[spec_id]).update, CoachAnnotator().annotate
    cost: dict[str, list[float]] = {"coach": [], "overlay": [], "total": []}
    for i, (frame, pose) in enumerate(zip(frames, poses, strict=True)):
        start = time.perf_counter()
        result = update(pose, i / 30)
        middle = time.perf_counter()
        annotate(frame, result)
        end = time.perf_counter()
        cost["coach"].append((middle - start) * 1000)
        cost["overlay"].append((end - middle) * 1000)
        cost["total"].append((end - start) * 1000)
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=media_dir() / DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--stretch", action="append", help="only these stretches")
    args = parser.parse_args()
    frames = decode(args.clip, args.frames, (640, 480))
    poses, bare = landmarks(frames)
    bare_median = statistics.median(bare)
    found = sum(p is not None for p in poses)
    print(f"clip: {args.clip.name}, {len(frames)} frames at 640x480, person in {found}")
    print(f"bare landmarker (VIDEO): median {bare_median:.2f} ms/frame")
    print(
        f"{'engine':<22}{'engine ms':>9}{'overlay ms':>11}{'total ms':>9}{'p90 ms':>8}"
        f"{'vs landmarker':>15}"
    )
    for spec_id in [s for s in args.stretch or [*catalog(), POSTURE, ROUTINE] if s != FRONT]:
        row(spec_id, engine(spec_id, frames, poses), bare_median)
    if not args.stretch or FRONT in args.stretch:
        front = front_frames(args.frames)
        front_poses, front_bare = landmarks(front)
        print(f"front webcam stills: {len(front)} frames at 640x480, bare landmarker median "
              f"{statistics.median(front_bare):.2f} ms/frame")
        row(FRONT, engine(FRONT, front, front_poses), statistics.median(front_bare))
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)")


def row(spec_id: str, cost: dict[str, list[float]], bare_median: float) -> None:
    total = statistics.median(cost["total"])
    print(
        f"{spec_id:<22}{statistics.median(cost['coach']):>9.2f}"
        f"{statistics.median(cost['overlay']):>11.2f}{total:>9.2f}"
        f"{float(np.percentile(cost['total'], 90)):>8.2f}{total / bare_median:>14.1%}"
    )


if __name__ == "__main__":
    main()
