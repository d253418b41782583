"""Review at scale (issue 12): one long video on every core, a batch of short clips on a local
Dask cluster, a re-review from stored landmarks, and peak memory per process.

    .venv/bin/python -m benchmarks.scale [--minutes 3] [--clips 20] [--memory-minutes 10]

Every measurement runs in a child process started the way a user's run starts (imports,
cluster start-up and model loading included), and reports its wall time and the CPU time of
its whole process tree (the review, its landmarker process, the Dask scheduler, nannies and
workers: getrusage of the reaped children), with the machine's 1-minute load average before
and after, because these machines are shared. Variants alternate within one run; ratios are
taken within the run.

1. Long video: a shared clip looped to `--minutes` at 1280x720, 30 fps. The bare landmarker
   (VIDEO mode, only its `process` calls timed, frames decoded outside the clock, as in
   benchmarks/landmarker.py) against the review with one worker (the single pipeline) and with
   `--workers N` (a local Dask cluster: landmark chunks on the workers, the engine here), each
   with the analysis outputs (summary and CSV) and with the annotated video as well.
   Goal on 2 cores: the review with 2 workers at >= 1.3 x the bare landmarker's frames/s.
2. Batch: `--clips` shared clips, each cut to `--clip-seconds`, reviewed one after another
   here and on a local cluster of `--workers` (JSON + CSV each).
3. Stored landmarks: the long video reviewed once with the cache on, then judged again with
   other engines from the stored landmarks: seconds per minute of video.
4. Memory: a `--memory-minutes` 720p review with one worker and with `--workers`, the
   proportional set size (PSS) of each process of the tree sampled every 0.2 s; the peak per
   process and of the sum. Target: under 600 MB per process.
5. The grid against one unbroken tracker (`--equivalence`): shared clips reviewed with 4 s
   chunks and with a tracker that never restarts; the share of frames with the same phase, the
   reps, good-form time and the median landmark difference (the issue's tolerance: >= 99 %,
   the same reps, within 0.2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from posecheck.media import media_dir

LONG_SOURCE = "01_hip_flexor_low_lunge/lunges_side.mp4"
STRETCH = "kneeling-hip-flexor"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def make_long(source: Path, minutes: float, out: Path) -> Path:
    if not out.exists():
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(source),
             "-t", str(minutes * 60), "-vf", "scale=1280:720", "-r", "30", "-c:v", "libx264",
             "-preset", "veryfast", "-crf", "28", "-an", str(out)],
            check=True,
        )  # fmt: skip
    return out


def make_clips(count: int, seconds: float, out: Path) -> list[Path]:
    sources = sorted(media_dir().glob("*/*.mp4"))[:count]
    clips = []
    for i, source in enumerate(sources):
        clip = out / f"clip{i:02d}_{source.stem}.mp4"
        if not clip.exists():
            subprocess.run(
                ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-t", str(seconds),
                 "-c:v", "libx264", "-preset", "veryfast", "-an", str(clip)],
                check=True,
            )  # fmt: skip
        clips.append(clip)
    return clips


# --- children ----------------------------------------------------------------------------------


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> dict[int, int]:
    """pid -> depth below `pid` (0: itself) for the whole process tree."""
    found: dict[int, int] = {}
    todo = [(pid, 0)]
    while todo:
        current, depth = todo.pop()
        found[current] = depth
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [(int(c), depth + 1) for c in f.read().split()]
        except OSError:
            pass
    return found


#: What the processes of a review are, by depth: the review (the client, with a local
#: cluster's scheduler on a thread), its children (the landmarker process, or Dask nannies)
#: and grandchildren (Dask worker processes).
DEPTH_NAMES = {0: "review", 1: "landmarker or nanny", 2: "worker"}


class TreeSampler(threading.Thread):
    """Peak PSS of every process in this process's tree, and of their sum, every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_sum_kb = 0
        self.peak_kb: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            pids = _tree(os.getpid())
            sizes = {pid: _pss_kb(pid) for pid in pids}
            self.peak_sum_kb = max(self.peak_sum_kb, sum(sizes.values()))
            for pid, size in sizes.items():
                if size > self.peak_kb.get(pid, 0):
                    self.peak_kb[pid] = size
                    self.names.setdefault(pid, DEPTH_NAMES.get(pids[pid], "other"))


def child(variant: str, args: dict[str, Any]) -> dict[str, Any]:
    """One measurement, in this (child) process; returns what it found."""
    from posecheck.review import PostureReview, ReviewOutputs, StretchReview
    from posecheck.review.cache import LandmarkCache
    from posecheck.specs import get_stretch

    out = Path(args["out"])
    make = partial(StretchReview, get_stretch(STRETCH))
    started = time.perf_counter()
    if variant == "bare":
        from posecheck.estimator import Estimator, RunningMode
        from posecheck.video import read_frames

        spent, cpu, frames = 0.0, 0.0, 0
        with Estimator(RunningMode.VIDEO) as estimator, read_frames(args["video"],
                                                                     max_side=1280) as reader:
            for frame in reader:
                clock, cpu_clock = time.perf_counter(), time.process_time()
                estimator.process(frame.image, frame.t_ms)
                spent += time.perf_counter() - clock
                cpu += time.process_time() - cpu_clock
                frames += 1
        return {"frames": frames, "process_s": spent, "process_cpu_s": cpu}
    if variant in ("review", "memory"):
        from posecheck.review.scale import review_video

        video = bool(args["video_out"])
        tag = f"{variant}-{args['workers']}-{int(video)}"
        outputs = ReviewOutputs(
            csv=out / f"{tag}.csv", video=out / f"{tag}.mp4" if video else None,
            thumbnails=out / f"{tag}_thumbs" if video else None,
        )  # fmt: skip
        cache = LandmarkCache(Path(args["cache"])) if args.get("cache") else None
        sampler = TreeSampler() if variant == "memory" else None
        if sampler is not None:
            sampler.start()
        reviewed = review_video(Path(args["video"]), make, outputs, workers=args["workers"],
                                cache=cache)  # fmt: skip
        result: dict[str, Any] = {
            "frames": reviewed.result.summary.frames, "route": reviewed.route,
            "chunks": [{"seconds": round(c.seconds, 2), "cpu_s": round(c.cpu_seconds, 2),
                        "peak_rss_mb": round(c.peak_rss_mb)} for c in reviewed.chunks],
        }  # fmt: skip
        if sampler is not None:
            sampler.stop.set()
            sampler.join()
            result["peak_sum_mb"] = round(sampler.peak_sum_kb / 1024)
            result["peak_mb"] = sorted(
                ((sampler.names.get(pid, "?"), round(kb / 1024))
                 for pid, kb in sampler.peak_kb.items() if kb > 20_000),
                key=lambda item: -item[1],
            )  # fmt: skip
        return result
    if variant == "rejudge":
        from posecheck.review.scale import rejudge

        cache = LandmarkCache(Path(args["cache"]))
        timings = {}
        for name, engine in (("deep-squat", partial(StretchReview, get_stretch("deep-squat"))),
                             ("childs-pose", partial(StretchReview, get_stretch("childs-pose"))),
                             ("posture", PostureReview)):  # fmt: skip
            clock, cpu = time.perf_counter(), time.process_time()
            summary = rejudge(Path(args["video"]), engine, cache=cache).summary
            timings[name] = {"seconds": time.perf_counter() - clock,
                             "cpu_s": time.process_time() - cpu,
                             "minutes": summary.duration_s / 60}  # fmt: skip
        return {"rejudge": timings, "before_first_s": time.perf_counter() - started}
    if variant == "batch":
        from posecheck.review.batch import review_many

        items = review_many([Path(p) for p in args["clips"]], make, workers=args["workers"],
                            out_dir=out / f"batch-{args['workers']}")  # fmt: skip
        return {"frames": sum(i.summary.frames for i in items if i.summary),
                "failed": [str(i.path) for i in items if not i.ok]}  # fmt: skip
    raise ValueError(variant)


EQUIVALENCE_CLIPS = (
    ("02_deep_squat/squats_gym_side.mp4", "deep-squat"),
    ("03_childs_pose/childs_pose_side.mp4", "childs-pose"),
    ("01_hip_flexor_low_lunge/lunges_side.mp4", "kneeling-hip-flexor"),
    ("06_cobra_sphinx/cobra_female_side.mp4", "cobra"),
    ("03_childs_pose/childs_to_downdog_side.mp4", "childs-pose"),
    ("12_exercise_videos/bridge_side_physio.mp4", "bridge"),
    ("10_desk_sitting/side_desk_woman_video.mp4", "posture"),
)


def equivalence() -> None:
    import numpy as np

    from posecheck.review import PostureReview, StretchReview, review
    from posecheck.review.chunks import Grid
    from posecheck.specs import get_stretch

    grid = Grid(4000, 1000)
    print("\n5. the grid (4 s chunks, 1 s pre-roll) against one unbroken tracker")
    for clip, stretch in EQUIVALENCE_CLIPS:
        path = media_dir() / clip
        runs = []
        for chosen in (None, grid):
            labels: list[str] = []
            engine: Any = (PostureReview() if stretch == "posture"
                           else StretchReview(get_stretch(stretch)))  # fmt: skip
            result = review(path, engine, grid=chosen, landmarker="inline", keep_landmarks=True,
                            observe=lambda _t, r, out=labels: out.append(
                                (r.phase if hasattr(r, "phase") else r.status).value))
            runs.append((result, labels))
        (one, one_labels), (cut, cut_labels) = runs
        same = float(np.mean([a == b for a, b in zip(one_labels, cut_labels, strict=True)]))
        a, b = one.landmarks, cut.landmarks
        assert a is not None and b is not None
        both = a.present & b.present
        size = np.array(a.image_size, dtype=np.float64)
        gap = (a.landmarks[both][..., :2] - b.landmarks[both][..., :2]) * size
        px = float(np.median(np.hypot(gap[..., 0], gap[..., 1]))) if both.any() else 0.0
        s1, s2 = one.summary, cut.summary
        print(f"  {clip:<45} same phase {same:6.1%}  reps {s1.reps} / {s2.reps}  good form "
              f"{s1.good_form_s:.2f} / {s2.good_form_s:.2f} s  median {px:.2f} px  "
              f"load {load()}")  # fmt: skip


def measure(variant: str, **args: Any) -> dict[str, Any]:
    """Run `child(variant)` in a new process; its result plus wall time, tree CPU and load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before, clock = load(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--child", variant, json.dumps(args)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.update(wall_s=round(wall, 2), cpu_s=round(cpu, 2), load=[load_before, load()])
    return result


def line(label: str, r: dict[str, Any], bare_fps: float | None = None) -> str:
    fps = r["frames"] / r["wall_s"]
    ratio = f"  {fps / bare_fps:.2f} x bare" if bare_fps else ""
    return (f"  {label:<34} {r['frames']:>6} frames  {r['wall_s']:7.1f} s  {fps:6.1f} frames/s"
            f"{ratio}  CPU {1000 * r['cpu_s'] / r['frames']:5.1f} ms/frame  load "
            f"{r['load'][0]:.1f}->{r['load'][1]:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="long video (3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--clip-seconds", type=float, default=5.0)
    parser.add_argument("--memory-minutes", type=float, default=10.0)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("long", "batch", "cache", "memory"))  # fmt: skip
    parser.add_argument("--equivalence", action="store_true", help="also measure section 5")
    parser.add_argument("--keep", type=Path, help="keep the generated videos in this folder")
    options = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {load()}; workers {options.workers}")
    with tempfile.TemporaryDirectory(prefix="posecheck-scale-") as tmp:
        out = Path(tmp)
        media = options.keep or out
        media.mkdir(parents=True, exist_ok=True)
        long = make_long(media_dir() / LONG_SOURCE, options.minutes,
                         media / f"long_{options.minutes:g}min_720p.mp4")  # fmt: skip
        common = {"out": str(out), "video": str(long)}
        if "long" not in options.skip:
            print(f"\n1. one {options.minutes:g}-minute 720p video ({STRETCH}); variants in the "
                  "order run")  # fmt: skip
            runs: list[tuple[str, dict[str, Any]]] = []
            order = [("bare", {}), ("review", {"workers": 1, "video_out": False}),
                     ("review", {"workers": options.workers, "video_out": False}),
                     ("review", {"workers": 1, "video_out": True}),
                     ("review", {"workers": options.workers, "video_out": True}), ("bare", {})]
            for variant, extra in order:
                runs.append((variant, measure(variant, **common, **extra)))
                label, r = runs[-1][0], runs[-1][1]
                if variant == "bare":
                    print(f"  bare landmarker: {r['frames'] / r['process_s']:.1f} frames/s "
                          f"(process() only; its CPU "
                          f"{1000 * r['process_cpu_s'] / r['frames']:.1f} ms/frame), load "
                          f"{r['load'][0]:.1f}->{r['load'][1]:.1f}")
                else:
                    what = "+ annotated video" if extra["video_out"] else "summary + CSV"
                    label = f"{extra['workers']} worker(s), {what} ({r['route']})"
                    print(line(label, r))
            bares = [r["frames"] / r["process_s"] for v, r in runs if v == "bare"]
            bare = sum(bares) / len(bares)
            bare_cpu = sum(r["process_cpu_s"] / r["frames"] for v, r in runs if v == "bare") / len(
                bares)
            print(f"  ratios to the mean bare landmarker ({bare:.1f} frames/s), whole runs:")
            for (variant, r), (_, extra) in zip(runs, order, strict=True):
                if variant == "review":
                    what = "+ video" if extra["video_out"] else "analysis"
                    print(line(f"{extra['workers']} worker(s), {what}", r, bare))
                    # What a quiet machine of this many cores would give if CPU were the only
                    # limit: the tree's CPU per frame spread over the cores in use.
                    cores = min(os.cpu_count() or 1, extra["workers"] + 1)
                    ideal = min(cores, extra["workers"] + 1) / (r["cpu_s"] / r["frames"])
                    print(f"      CPU per frame {r['cpu_s'] / r['frames'] / bare_cpu:.2f} x the "
                          f"bare landmarker's; at best, with {cores} cores fully used: "
                          f"{ideal * bare_cpu:.2f} x bare")  # fmt: skip
                    for c in r["chunks"]:
                        print(f"      chunk: {c['seconds']} s, CPU {c['cpu_s']} s, "
                              f"peak RSS {c['peak_rss_mb']} MB")
        if "batch" not in options.skip:
            clips = make_clips(options.clips, options.clip_seconds, media)
            print(f"\n2. {len(clips)} clips of up to {options.clip_seconds:g} s, JSON + CSV each")
            for workers in (1, options.workers, 1, options.workers):
                r = measure("batch", **common, clips=[str(c) for c in clips], workers=workers)
                print(line(f"{workers} worker(s)" + (" (Dask)" if workers > 1 else ""), r)
                      + (f"  failed: {r['failed']}" if r["failed"] else ""))
        if "cache" not in options.skip:
            print("\n3. stored landmarks: a first review (cache on), then judged again")
            cache = str(out / "cache")
            first = measure("review", **common, workers=1, video_out=False, cache=cache)
            print(line("first review, 1 worker", first))
            again = measure("rejudge", **common, cache=cache)
            for name, t in again["rejudge"].items():
                print(f"  judged again as {name:<12} {t['seconds']:6.2f} s "
                      f"({t['seconds'] / t['minutes']:.2f} s and CPU "
                      f"{t['cpu_s'] / t['minutes']:.2f} s per minute of video)")
            print(f"  whole child process (imports included): {again['wall_s']} s, load "
                  f"{again['load'][0]:.1f}->{again['load'][1]:.1f}")
        if "memory" not in options.skip:
            long_mem = make_long(media_dir() / LONG_SOURCE, options.memory_minutes,
                                 media / f"long_{options.memory_minutes:g}min_720p.mp4")
            print(f"\n4. memory of a {options.memory_minutes:g}-minute 720p review with the "
                  "annotated video (PSS, MB)")  # fmt: skip
            for workers in (1, options.workers):
                r = measure("memory", out=str(out), video=str(long_mem), workers=workers,
                            video_out=True)  # fmt: skip
                print(line(f"{workers} worker(s) ({r['route']})", r))
                print(f"    peak of the sum {r['peak_sum_mb']} MB; peak per process: "
                      + ", ".join(f"{n} {mb}" for n, mb in r["peak_mb"]))
        if options.equivalence:
            equivalence()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        main()
