"""Review throughput against the bare landmarker, and peak memory of a long review.

    .venv/bin/python -m benchmarks.review [--clip PATH] [--long-minutes 10]

1. Throughput, in one run on the same clip: the bare landmarker in VIDEO mode over frames
   decoded beforehand (so it is timed alone), then the full review of the same clip (decode,
   landmarks, checks, overlay, CSV and H.264 encoding). Target: the review at >= 90 % of the
   bare landmarker's frames per second.
2. Memory: a 720p clip made by looping a shared clip to `--long-minutes`, reviewed in a child
   process whose peak resident memory is read from the kernel. Target: under 600 MB.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from posecheck.estimator import Estimator, RunningMode
from posecheck.media import media_dir
from posecheck.review import ReviewOutputs, StretchReview, review
from posecheck.specs import get_stretch
from posecheck.video import read_frames

DEFAULT_CLIP = "01_hip_flexor_low_lunge/lunges_side.mp4"
STRETCH = "kneeling-hip-flexor"


def bare_fps(clip: Path) -> tuple[float, int]:
    with read_frames(clip) as reader:
        frames = [(f.image, f.t_ms) for f in reader]
    with Estimator(RunningMode.VIDEO) as estimator:
        start = time.perf_counter()
        for image, t_ms in frames:
            estimator.process(image, t_ms)
        elapsed = time.perf_counter() - start
    return len(frames) / elapsed, len(frames)


def review_fps(clip: Path, out: Path) -> float:
    outputs = ReviewOutputs(video=out / "review.mp4", csv=out / "review.csv",
                            thumbnails=out / "thumbs")
    start = time.perf_counter()
    result = review(clip, StretchReview(get_stretch(STRETCH)), outputs)
    elapsed = time.perf_counter() - start
    return int(result.summary["frames"]) / elapsed


def long_clip(source: Path, minutes: float, out: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(source),
         "-t", str(minutes * 60), "-vf", "scale=1280:720", "-r", "30", "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "28", "-an", str(out)],
        check=True,
    )
    return out


def _child(clip: str, out: str) -> None:
    outputs = ReviewOutputs(video=Path(out) / "long.mp4", csv=Path(out) / "long.csv",
                            thumbnails=Path(out) / "thumbs")
    result = review(clip, StretchReview(get_stretch(STRETCH)), outputs)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{result.summary['frames']} {result.summary['processing_fps']} {peak_kb}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=media_dir() / DEFAULT_CLIP)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        # The machines are shared and noisy: alternate the two measurements and compare each
        # review with the mean of the bare runs on either side of it.
        bares, fulls = [], []
        frames = 0
        for _ in range(args.rounds):
            bare, frames = bare_fps(args.clip)
            bares.append(bare)
            fulls.append(review_fps(args.clip, out))
        bares.append(bare_fps(args.clip)[0])
        ratios = [full / ((bares[i] + bares[i + 1]) / 2) for i, full in enumerate(fulls)]
        print(f"clip: {args.clip.name}, {frames} frames, {args.rounds} rounds")
        print("bare landmarker (VIDEO, frames decoded beforehand): "
              + ", ".join(f"{b:.1f}" for b in bares) + " frames/s")
        print("full review (decode + landmarks + checks + overlay + CSV + H.264): "
              + ", ".join(f"{f:.1f}" for f in fulls) + " frames/s")
        print("review / bare landmarker: " + ", ".join(f"{r:.1%}" for r in ratios)
              + f" (median {statistics.median(ratios):.1%})")
        if args.skip_long:
            return
        clip = long_clip(args.clip, args.long_minutes, out / "long.mp4")
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.review", "--child", str(clip), str(out)],
            check=True, capture_output=True, text=True,
        )
        frames_long, fps_long, peak_kb = result.stdout.split()[-3:]
        print(f"{args.long_minutes:g}-minute 720p review: {frames_long} frames at {fps_long} "
              f"frames/s, peak memory {int(peak_kb) / 1024:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
