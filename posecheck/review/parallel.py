"""The landmarker in a process of its own, for recorded-video review.

MediaPipe's Python API hands every native call to a dispatcher thread and back. Any other busy
Python thread in the same process then delays each hand-off by up to the interpreter's switch
interval: measured here, a landmarker call went from 18 to 43 ms with one busy thread beside
it. So the review runs the landmarker alone in a child process (its own interpreter lock) and
does decoding, the engine, drawing and encoding in the parent, on the other core. Frames travel
through shared memory; poses come back as small pickled values. Up to `depth` frames are in
flight, so the parent works on frame N while the child finds the pose in frame N+1.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections import deque
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from posecheck.errors import PosecheckError
from posecheck.pose import Pose
from posecheck.settings import EstimatorSettings

if TYPE_CHECKING:
    from posecheck.review.chunks import Grid

_STOP = "stop"


def _serve(
    conn: Connection, names: list[str], settings: EstimatorSettings, grid: Grid | None
) -> None:
    """Child process: one VIDEO-mode estimator (restarting on `grid`, see
    posecheck.review.chunks) answering frames from shared-memory slots."""
    from posecheck.review.chunks import GridTracker

    _pin(_LANDMARKER_CPU)
    slots = [SharedMemory(name=name) for name in names]
    try:
        with GridTracker(settings, grid) as estimator:
            conn.send(("ready", None))
            while True:
                message = conn.recv()
                if message == _STOP:
                    break
                slot, shape, t_ms = message
                frame = np.ndarray(shape, dtype=np.uint8, buffer=slots[slot].buf)
                try:
                    conn.send(("pose", estimator.process(frame, t_ms)))
                except (PosecheckError, ValueError) as exc:
                    conn.send(("error", str(exc)))
    except PosecheckError as exc:
        conn.send(("error", str(exc)))
    finally:
        for slot in slots:
            slot.close()


def _cpus() -> set[int]:
    return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()


#: With two or more cores, the landmarker gets the last core to itself and the parent (decode,
#: engine, drawing, encoding and their threads) the others, so neither preempts the other.
_LANDMARKER_CPU = max(_cpus(), default=0)


def _pin(cpu: int) -> None:
    if len(_cpus()) > 1:
        os.sched_setaffinity(0, {cpu})


class ProcessEstimator:
    """A VIDEO-mode estimator in a child process with a pipelined interface:

        with ProcessEstimator(max_frame_bytes) as estimator:
            estimator.submit(frame, t_ms)      # returns at once while fewer than `depth` wait
            pose = estimator.result()          # poses come back in submission order
    """

    def __init__(
        self, max_frame_bytes: int, settings: EstimatorSettings | None = None, depth: int = 2,
        grid: Grid | None = None,
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth = depth
        self._slots = [SharedMemory(create=True, size=max(1, max_frame_bytes))
                       for _ in range(depth)]
        self._free = deque(range(depth))
        self._pending: deque[int] = deque()
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, [s.name for s in self._slots],
                                 settings or EstimatorSettings(), grid),
            name="posecheck-landmarker", daemon=True,
        )
        try:
            self._process.start()
        except BaseException:
            # A daemonic process (a Dask worker, a pool worker) may not have children: give
            # the shared memory back instead of leaving it to the resource tracker's warning.
            child.close()
            self._conn.close()
            for slot in self._slots:
                slot.close()
                slot.unlink()
            raise
        child.close()
        self._parent_cpus = _cpus()
        if len(self._parent_cpus) > 1:
            os.sched_setaffinity(0, self._parent_cpus - {_LANDMARKER_CPU})
        kind, payload = self._receive()
        if kind == "error":
            self.close()
            raise PosecheckError(str(payload))

    def _receive(self) -> tuple[str, Any]:
        try:
            kind, payload = self._conn.recv()
        except EOFError:
            raise PosecheckError("The landmarker process stopped unexpectedly.") from None
        return str(kind), payload

    def submit(self, frame: NDArray[np.uint8], t_ms: int) -> None:
        """Queue a BGR frame; blocks only when `depth` frames are already waiting."""
        if not self._free:
            raise RuntimeError("collect a result before submitting more than `depth` frames")
        slot = self._free.popleft()
        size = frame.nbytes
        if size > self._slots[slot].size:
            raise ValueError(f"frame of {size} bytes exceeds the {self._slots[slot].size} reserved")
        target = np.ndarray(frame.shape, dtype=np.uint8, buffer=self._slots[slot].buf)
        target[...] = frame
        self._conn.send((slot, frame.shape, int(t_ms)))
        self._pending.append(slot)

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def result(self) -> Pose | None:
        """The pose for the oldest submitted frame (None: nobody in it)."""
        if not self._pending:
            raise RuntimeError("no frame is waiting")
        kind, payload = self._receive()
        self._free.append(self._pending.popleft())
        if kind == "error":
            raise PosecheckError(str(payload))
        pose: Pose | None = payload
        return pose

    def close(self) -> None:
        if len(getattr(self, "_parent_cpus", ())) > 1:
            os.sched_setaffinity(0, self._parent_cpus)
        if self._process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(_STOP)
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._conn.close()
        for slot in self._slots:
            slot.close()
            slot.unlink()
        self._slots = []

    def __enter__(self) -> ProcessEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
