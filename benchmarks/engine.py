"""Per-frame cost of everything after the landmarker (smoothing, metrics, rules, temporal state,
overlay), against the bare landmarker on the same frames, measured in one run.

    .venv/bin/python benchmarks/engine.py [--clip PATH] [--frames N] [--stretch ID]

Target (PRODUCT.md): at most 1.5 ms median per frame at 640x480 for the engine. Every catalog
stretch is timed on the clip's poses; the table shows the median and p90 per stretch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.landmarker import DEFAULT_CLIP, decode
from posecheck.coach import Coach
from posecheck.desk import PostureMonitor
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
    for spec_id in args.stretch or [*catalog(), POSTURE, ROUTINE]:
        cost = engine(spec_id, frames, poses)
        total = statistics.median(cost["total"])
        print(
            f"{spec_id:<22}{statistics.median(cost['coach']):>9.2f}"
            f"{statistics.median(cost['overlay']):>11.2f}{total:>9.2f}"
            f"{float(np.percentile(cost['total'], 90)):>8.2f}{total / bare_median:>14.1%}"
        )


if __name__ == "__main__":
    main()
