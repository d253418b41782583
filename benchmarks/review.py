"""Review throughput against the bare landmarker, and peak memory of a long review.

    .venv/bin/python -m benchmarks.review [--clip PATH] [--long-minutes 10]

1. Throughput, in one run on the same clip: the bare landmarker in VIDEO mode over frames
   decoded beforehand (so it is timed alone), then the full review of the same clip (decode,
   landmarks, checks, overlay, CSV and H.264 encoding). Target: the review at >= 90 % of the
   bare landmarker's frames per second.
2. Memory: a 720p clip made by looping a shared clip to `--long-minutes`, reviewed in a child
   process. The review is two processes (the review and its landmarker process), so the child
   samples the proportional set size (PSS: shared pages split between the processes sharing
   them) of both together every 0.2 s and reports the peak of the sum, beside each process's
   own peak resident size (VmHWM). Not getrusage's ru_maxrss: Linux carries it across exec, so
   a process started from a big parent reports the parent's size. Target: under 600 MB.
3. With --batch: several clips reviewed with `posecheck.review.batch.review_many`, one after another
   (landmarker process or inline) and on a local Dask cluster of two workers (see
   benchmarks/scale.py for the scale-out measurements).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from posecheck.estimator import Estimator, RunningMode
from posecheck.media import media_dir
from posecheck.review import ReviewOutputs, StretchReview, review
from posecheck.review.batch import review_many
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


def review_fps(clip: Path, out: Path) -> tuple[float, float, float]:
    """(frames/s over the whole review, frames/s from the first frame out to the last, seconds
    before the first frame came out: starting the landmarker process, loading the model)."""
    outputs = ReviewOutputs(video=out / "review.mp4", csv=out / "review.csv",
                            thumbnails=out / "thumbs")
    stamps: list[float] = []

    def progress(done: int, total: int | None) -> None:
        stamps.append(time.perf_counter())

    start = time.perf_counter()
    result = review(clip, StretchReview(get_stretch(STRETCH)), outputs, progress=progress)
    elapsed = time.perf_counter() - start
    frames = result.summary.frames
    steady = (frames - 1) / (stamps[-1] - stamps[0])
    return frames / elapsed, steady, stamps[0] - start


def long_clip(source: Path, minutes: float, out: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(source),
         "-t", str(minutes * 60), "-vf", "scale=1280:720", "-r", "30", "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "28", "-an", str(out)],
        check=True,
    )
    return out


def _proc_kb(path: str, key: str) -> int:
    """A "Key:  N kB" line of a /proc file, in kB (0 once the process is gone)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


class _PeakSampler(threading.Thread):
    """Sampled every 0.2 s: the peak of this process's PSS plus its children's, and the
    children's own peak resident size (VmHWM, read while they are alive)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.children_hwm_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.2):
            children = _children(me)
            pids = [me, *children]
            total = sum(_proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
            self.peak_kb = max(self.peak_kb, total)
            for pid in children:
                hwm = _proc_kb(f"/proc/{pid}/status", "VmHWM:")
                self.children_hwm_kb = max(self.children_hwm_kb, hwm)


def _child(clip: str, out: str) -> None:
    outputs = ReviewOutputs(video=Path(out) / "long-annotated.mp4", csv=Path(out) / "long.csv",
                            thumbnails=Path(out) / "thumbs")
    sampler = _PeakSampler()
    sampler.start()
    result = review(clip, StretchReview(get_stretch(STRETCH)), outputs)
    sampler.stop.set()
    sampler.join()
    own_kb = _proc_kb("/proc/self/status", "VmHWM:")
    landmarker_kb = sampler.children_hwm_kb
    fps = result.summary.review.processing_fps if result.summary.review else 0.0
    print(f"{result.summary.frames} {fps} {own_kb} {landmarker_kb} {sampler.peak_kb}")


BATCH_CLIPS = (
    "03_childs_pose/childs_pose_side.mp4",
    "02_deep_squat/squats_gym_side.mp4",
    "10_desk_sitting/side_desk_woman_video.mp4",
    "01_hip_flexor_low_lunge/lunges_side.mp4",
)


def batch(out: Path) -> None:
    clips = [media_dir() / c for c in BATCH_CLIPS]
    make = partial(StretchReview, get_stretch("deep-squat"))
    # With more than one worker the batch runs on a local Dask cluster, each worker's landmarker
    # inline (Dask's workers cannot start processes of their own): `landmarker` is for 1 worker.
    configs = [(1, "process"), (2, "inline"), (1, "inline")]
    print(f"batch: {len(clips)} clips, CSV + annotated video + thumbnails each")
    for workers, mode in configs * 2:
        start = time.perf_counter()
        items = review_many(clips, make, workers=workers, landmarker=mode,
                            out_dir=out / f"batch-{workers}-{mode}", videos=True)
        elapsed = time.perf_counter() - start
        frames = sum(i.summary.frames for i in items if i.summary)
        print(f"  {workers} worker(s), landmarker {mode:<7}: {frames} frames in {elapsed:5.1f} s"
              f" = {frames / elapsed:5.1f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=media_dir() / DEFAULT_CLIP)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", action="store_true", help="also compare batch modes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if args.batch:
            batch(out)
        # The machines are shared and noisy: alternate the two measurements and compare each
        # review with the mean of the bare runs on either side of it.
        bares: list[float] = []
        fulls: list[float] = []
        steadies: list[float] = []
        startups: list[float] = []
        frames = 0
        for _ in range(args.rounds):
            bare, frames = bare_fps(args.clip)
            bares.append(bare)
            full, steady, startup = review_fps(args.clip, out)
            fulls.append(full)
            steadies.append(steady)
            startups.append(startup)
        bares.append(bare_fps(args.clip)[0])
        around = [(bares[i] + bares[i + 1]) / 2 for i in range(args.rounds)]
        ratios = [full / bare for full, bare in zip(fulls, around, strict=True)]
        steady_ratios = [steady / bare for steady, bare in zip(steadies, around, strict=True)]
        print(f"clip: {args.clip.name}, {frames} frames, {args.rounds} rounds")
        print("bare landmarker (VIDEO, frames decoded beforehand, created before timing): "
              + ", ".join(f"{b:.1f}" for b in bares) + " frames/s")
        print("full review (decode + landmarks + checks + overlay + CSV + H.264), whole run: "
              + ", ".join(f"{f:.1f}" for f in fulls) + " frames/s")
        print("  of which before the first frame (landmarker process start, model load): "
              + ", ".join(f"{s:.2f}" for s in startups) + " s")
        print("  from the first frame to the last: "
              + ", ".join(f"{f:.1f}" for f in steadies) + " frames/s")
        print("review / bare landmarker, whole run: " + ", ".join(f"{r:.1%}" for r in ratios)
              + f" (median {statistics.median(ratios):.1%})")
        print("review / bare landmarker, first to last frame: "
              + ", ".join(f"{r:.1%}" for r in steady_ratios)
              + f" (median {statistics.median(steady_ratios):.1%})")
        if args.skip_long:
            return
        clip = long_clip(args.clip, args.long_minutes, out / "long.mp4")
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.review", "--child", str(clip), str(out)],
            check=True, capture_output=True, text=True,
        )
        frames_long, fps_long, own_kb, landmarker_kb, both_kb = result.stdout.split()[-5:]
        print(f"{args.long_minutes:g}-minute 720p review: {frames_long} frames at {fps_long} "
              f"frames/s; peak memory of review + landmarker together (PSS) "
              f"{int(both_kb) / 1024:.0f} MB; peak resident size of each: review "
              f"{int(own_kb) / 1024:.0f} MB, landmarker process {int(landmarker_kb) / 1024:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
