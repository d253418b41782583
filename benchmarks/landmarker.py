"""Milliseconds per frame of the bare pose landmarker, IMAGE and VIDEO mode, on a real clip.

    .venv/bin/python benchmarks/landmarker.py [--clip PATH] [--frames N] [--size 640x480]

Frames are decoded and resized first, so only `Estimator.process` is timed. VIDEO mode is
measured with posecheck's default people census and without it (the raw tracker), so the
census's cost shows as a ratio measured in the same run. Numbers go in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import av
import cv2
import numpy as np

from posecheck.estimator import Estimator, RunningMode
from posecheck.media import media_dir
from posecheck.settings import EstimatorSettings

DEFAULT_CLIP = "01_hip_flexor_low_lunge/lunges_side.mp4"


def decode(path: Path, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(cv2.resize(frame.to_ndarray(format="bgr24"), size))
            if len(frames) == count:
                break
    return frames


def time_mode(
    frames: list[np.ndarray], mode: RunningMode, settings: EstimatorSettings
) -> tuple[list[float], int]:
    """Per-frame milliseconds and how many frames had a person."""
    times, found = [], 0
    with Estimator(mode, settings) as estimator:
        estimator.process(frames[0], 0 if mode is RunningMode.VIDEO else None)  # warm-up
        for i, frame in enumerate(frames, start=1):
            ts = round(i * 1000 / 30) if mode is RunningMode.VIDEO else None
            start = time.perf_counter()
            pose = estimator.process(frame, ts)
            times.append((time.perf_counter() - start) * 1000)
            found += pose is not None
    return times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=media_dir() / DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    frames = decode(args.clip, args.frames, (width, height))
    print(f"clip: {args.clip.name}, {len(frames)} frames at {width}x{height}")
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores")
    runs = {
        "IMAGE (max 2 people)": (RunningMode.IMAGE, EstimatorSettings()),
        "VIDEO, tracker only": (RunningMode.VIDEO, EstimatorSettings(census_interval_ms=0)),
        "VIDEO + people census (default)": (RunningMode.VIDEO, EstimatorSettings()),
    }
    results = {}
    for name, (mode, settings) in runs.items():
        results[name] = time_mode(frames, mode, settings)
    base = statistics.median(results["VIDEO, tracker only"][0])
    print(f"{'mode':<34}{'median ms':>10}{'p90 ms':>9}{'fps':>7}{'vs tracker':>12}{'found':>7}")
    for name, (times, found) in results.items():
        median = statistics.median(times)
        p90 = float(np.percentile(times, 90))
        print(
            f"{name:<34}{median:>10.1f}{p90:>9.1f}{1000 / median:>7.0f}"
            f"{median / base:>11.2f}x{found:>7}"
        )


if __name__ == "__main__":
    main()
