"""Where a live frame's time goes on the server, step by step, as aiortc and streamlit-webrtc run
the Coach page: VP8 decoding of the browser's camera stream, conversion to an array, the
landmarker, the engine, the overlay, the returned frame (conversion, VP8 encoding), and the
re-encoding of a frame streamlit-webrtc sends again while the next one is still being processed.

    .venv/bin/python -m benchmarks.live [--clip PATH] [--frames N] [--rounds N]

CPU time (`time.process_time`: all threads of this process, MediaPipe's included) rather than
wall time, so that other work on a shared machine inflates the numbers less; each step is timed
alone, and the returned-frame variants (640x480 as sent before, and `RETURN_WIDTH`) alternate
within each round. Prints a table of median milliseconds per frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from posecheck.estimator import Estimator, RunningMode
from posecheck.media import media_dir
from posecheck.review import StretchReview
from posecheck.specs import get_stretch
from posecheck.stream import RETURN_WIDTH, returned_frame

CLIP = "02_deep_squat/squats_gym_side.mp4"
TICK = Fraction(1, 90_000)


def camera_frames(path: Path, count: int) -> list[av.VideoFrame]:
    """The clip as a 640x480 camera delivers it (YUV 4:2:0), with 30 fps timestamps."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out = frame.reformat(width=640, height=480, format="yuv420p")
            out.pts, out.time_base = len(frames) * 3000, TICK
            frames.append(out)
            if len(frames) == count:
                break
    return frames


def cpu_ms(step: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    result = step()
    return result, (time.process_time() - start) * 1000


def measure(frames: list[av.VideoFrame]) -> dict[str, list[float]]:
    costs: dict[str, list[float]] = {}

    def add(name: str, ms: float) -> None:
        costs.setdefault(name, []).append(ms)

    # The browser's stream as the server receives it: VP8 packets (encoded here once).
    sender = Vp8Encoder()
    packets = [
        b"".join(vp8_depayload(p) for p in sender.encode(frame)[0]) for frame in frames
    ]
    decoder = Vp8Decoder()
    decoded: list[av.VideoFrame] = []
    for i, data in enumerate(packets):
        packet = JitterFrame(data=data, timestamp=i * 3000)
        out, ms = cpu_ms(lambda p=packet: decoder.decode(p))
        add("VP8 decode (every camera frame)", ms)
        decoded.extend(f for f in out if isinstance(f, av.VideoFrame))

    engine = StretchReview(get_stretch("deep-squat"))
    before, after = Vp8Encoder(), Vp8Encoder()
    resent: dict[str, av.VideoFrame] = {}
    with Estimator(RunningMode.VIDEO) as estimator:
        estimator.process(np.zeros((480, 640, 3), np.uint8), 0)  # warm, as the page's pool is
        for i, frame in enumerate(decoded):
            image, ms = cpu_ms(lambda f=frame: f.to_ndarray(format="bgr24"))
            add("to a BGR array", ms)
            pose, ms = cpu_ms(lambda im=image, i=i: estimator.process(im, 33 * (i + 1)))
            add("landmarker (VIDEO mode, census every 2 s)", ms)
            result, ms = cpu_ms(lambda p=pose, i=i: engine.update(p, (i + 1) / 30))
            add("engine", ms)
            drawn, ms = cpu_ms(lambda im=image, r=result: engine.annotate(im, r))
            add("overlay", ms)
            stamp = i * 3000
            # Before: a BGR frame at camera size; the encoder converts it, every time it is sent.
            old, ms = cpu_ms(lambda d=drawn: av.VideoFrame.from_ndarray(d, format="bgr24"))
            old.pts, old.time_base = stamp, TICK
            add("returned 640x480: to a video frame", ms)
            _, ms = cpu_ms(lambda f=old: before.encode(f))
            add("returned 640x480: VP8 encode (converts to YUV)", ms)
            # After: scaled and converted once, then encoded.
            new, ms = cpu_ms(lambda d=drawn: returned_frame(d))
            new.pts, new.time_base = stamp, TICK
            add(f"returned {RETURN_WIDTH} wide: scale + YUV once", ms)
            _, ms = cpu_ms(lambda f=new: after.encode(f))
            add(f"returned {RETURN_WIDTH} wide: VP8 encode", ms)
            # A frame sent again while the next is processed (every other frame here).
            if i % 2 and resent:
                for name, encoder in (("640x480", before), (f"{RETURN_WIDTH} wide", after)):
                    again = resent[name]
                    again.pts = stamp + 1500
                    _, ms = cpu_ms(lambda e=encoder, f=again: e.encode(f))
                    add(f"returned {name}: a frame sent again", ms)
            resent = {"640x480": old, f"{RETURN_WIDTH} wide": new}
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    clip = args.clip or media_dir() / CLIP
    frames = camera_frames(clip, args.frames)
    merged: dict[str, list[float]] = {}
    loads = []
    for _ in range(args.rounds):
        for name, values in measure(frames).items():
            merged.setdefault(name, []).extend(values[10:])  # past the warm-up frames
        loads.append(os.getloadavg()[0])
    print(f"{clip.name}, {len(frames)} frames x {args.rounds} rounds, 1-min load average "
          f"{min(loads):.1f}-{max(loads):.1f}; CPU ms per frame:")
    print("| step | median | p90 |\n|---|---:|---:|")
    for name, values in merged.items():
        values.sort()
        print(f"| {name} | {statistics.median(values):.2f} | "
              f"{values[int(0.9 * (len(values) - 1))]:.2f} |")


if __name__ == "__main__":
    main()
