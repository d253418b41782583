"""A video's landmark stream: what the model saw, frame by frame, as a handful of numpy arrays
and without the pixels. A chunk of a long video returns one, chunks are joined into one, the
landmark cache keeps one per video, and any engine re-judges one without running the model.

    builder = StreamBuilder()
    for frame in frames:
        builder.add(frame.t_ms, estimator.process(frame.image, frame.t_ms))
    stream = builder.build()
    for t_ms, pose in stream.poses():                 # Pose | None per frame, in order
        engine.update(pose, t_ms / 1000)

Arrays (N frames, 33 landmarks), checked in `__post_init__`:
    t_ms        (N,)      int64, strictly increasing, ms from the video's first frame
    present     (N,)      bool, someone was found (the rows below are zeros where not)
    landmarks   (N,33,5)  float32 normalized x, y, z, visibility, presence
    world       (N,33,3)  float32 metres, origin between the hips; `has_world` (N,) says where
    people      (N,)      uint8, people counted in the frame (0 where nobody was found)
    mixed       (N,)      bool, the skeleton mixed two people's limbs (see `Pose.mixed`)

float32 loses nothing: MediaPipe's outputs are float32, so a pose rebuilt from the stream equals
the estimator's bit for bit and re-judging gives exactly the verdicts of the first review.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posecheck.errors import InputError
from posecheck.landmarks import NUM_LANDMARKS
from posecheck.pose import Pose

#: Bumped whenever the arrays or their meaning change; a file of another version is not read.
FORMAT_VERSION = 2

_N = NUM_LANDMARKS
#: Frames per block while a stream is being built (memory grows in steps of about 1 MB).
_BLOCK = 1024


@dataclass(frozen=True)
class LandmarkStream:
    """One video's poses as arrays; see the module docstring for the shapes.

    image_size: (width, height) of the analysed frames, which every pose refers to.
    warning: what the pass that made it found wrong with the file (cut short, damaged), kept so
        a re-judged review says it too; None when all was well.
    """

    t_ms: NDArray[np.int64]
    present: NDArray[np.bool_]
    landmarks: NDArray[np.float32]
    world: NDArray[np.float32]
    has_world: NDArray[np.bool_]
    people: NDArray[np.uint8]
    mixed: NDArray[np.bool_]
    image_size: tuple[int, int]
    warning: str | None = None
    _index: dict[int, int] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.t_ms)
        expected = {
            "t_ms": (n,), "present": (n,), "landmarks": (n, _N, 5), "world": (n, _N, 3),
            "has_world": (n,), "people": (n,), "mixed": (n,),
        }  # fmt: skip
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"LandmarkStream.{name} must have shape {shape}, got {actual}")
        if n > 1 and not bool(np.all(np.diff(self.t_ms) > 0)):
            raise ValueError("LandmarkStream.t_ms must increase strictly from frame to frame")
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"LandmarkStream.image_size must be positive, got {self.image_size}")

    def __len__(self) -> int:
        return len(self.t_ms)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in (
            "t_ms", "present", "landmarks", "world", "has_world", "people", "mixed"))  # fmt: skip

    def pose(self, i: int) -> Pose | None:
        """Frame `i`'s pose as the estimator returned it (None: nobody was found)."""
        if not self.present[i]:
            return None
        rows = self.landmarks[i].astype(np.float64)
        return Pose(
            normalized=rows[:, :3], visibility=rows[:, 3], presence=rows[:, 4],
            world=self.world[i].astype(np.float64) if self.has_world[i] else None,
            image_size=self.image_size, timestamp_ms=int(self.t_ms[i]),
            people=max(1, int(self.people[i])), mixed=bool(self.mixed[i]),
        )  # fmt: skip

    def poses(self) -> Iterator[tuple[int, Pose | None]]:
        """(t_ms, pose) for every frame, in order."""
        for i in range(len(self)):
            yield int(self.t_ms[i]), self.pose(i)

    def pose_at(self, t_ms: int) -> Pose | None:
        """The pose of the frame at `t_ms`; `InputError` when the stream has no such frame
        (the video was not the one these landmarks came from)."""
        if not self._index:
            self._index.update((int(t), i) for i, t in enumerate(self.t_ms))
        i = self._index.get(int(t_ms))
        if i is None:
            raise InputError(
                f"The stored landmarks have no frame at {t_ms / 1000:.3f} s: the video is not "
                "the one they were made from; review it again with --no-cache."
            )
        return self.pose(i)

    @classmethod
    def concat(cls, parts: Sequence[LandmarkStream]) -> LandmarkStream:
        """Chunks joined in time order, with the warning of the last one that has frames (the
        one that reached the end of the file; chunks past a file cut short are empty)."""
        if not parts:
            raise ValueError("nothing to join")
        sizes = {p.image_size for p in parts if len(p)}
        if len(sizes) > 1:
            raise InputError("The video changes picture size partway through, which posecheck "
                             "cannot review; re-encode it at one size (for example with ffmpeg).")
        size = sizes.pop() if sizes else parts[0].image_size
        return cls(
            np.concatenate([p.t_ms for p in parts]),
            np.concatenate([p.present for p in parts]),
            np.concatenate([p.landmarks for p in parts]),
            np.concatenate([p.world for p in parts]),
            np.concatenate([p.has_world for p in parts]),
            np.concatenate([p.people for p in parts]),
            np.concatenate([p.mixed for p in parts]),
            size,
            next((p.warning for p in reversed(parts) if len(p)), parts[-1].warning),
        )

    # --- on disk: one uncompressed .npz (landmarks hardly compress: 11 % for the cost of deflate)

    def to_bytes(self, meta: dict[str, str] | None = None) -> bytes:
        arrays: dict[str, Any] = {
            "version": np.array(FORMAT_VERSION), "t_ms": self.t_ms, "present": self.present,
            "landmarks": self.landmarks, "world": self.world, "has_world": self.has_world,
            "people": self.people, "mixed": self.mixed,
            "image_size": np.array(self.image_size, np.int32),
            "warning": np.array(self.warning or ""),
        }  # fmt: skip
        arrays.update({f"meta_{k}": np.array(v) for k, v in (meta or {}).items()})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> tuple[LandmarkStream, dict[str, str]]:
        """A stream and its meta strings; ValueError for another format version or a damaged
        file."""
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as data:
                version = int(data["version"])
                if version != FORMAT_VERSION:
                    raise ValueError(f"landmark file format {version}, expected {FORMAT_VERSION}")
                meta = {k[5:]: str(data[k]) for k in data.files if k.startswith("meta_")}
                size = data["image_size"]
                stream = cls(
                    data["t_ms"].astype(np.int64), data["present"].astype(bool),
                    data["landmarks"].astype(np.float32), data["world"].astype(np.float32),
                    data["has_world"].astype(bool), data["people"].astype(np.uint8),
                    data["mixed"].astype(bool), (int(size[0]), int(size[1])),
                    str(data["warning"]) or None,
                )  # fmt: skip
        except (KeyError, OSError, zipfile.BadZipFile, EOFError, TypeError) as exc:
            raise ValueError(f"not a landmark stream file ({exc})") from None
        return stream, meta

    @classmethod
    def load(cls, path: Path) -> tuple[LandmarkStream, dict[str, str]]:
        return cls.from_bytes(path.read_bytes())


class StreamBuilder:
    """Collects (t_ms, pose) frame by frame into growing array blocks, never into a list of
    Pose objects (about 1 KB a frame instead of about 5: 19 MB for ten minutes at 30 fps)."""

    def __init__(self) -> None:
        self._blocks: list[dict[str, NDArray[np.generic]]] = []
        self._fill = _BLOCK
        self._count = 0
        self.image_size: tuple[int, int] | None = None
        self._last_ms: int | None = None

    def __len__(self) -> int:
        return self._count

    def add(self, t_ms: int, pose: Pose | None, image_size: tuple[int, int] | None = None) -> None:
        if self._last_ms is not None and t_ms <= self._last_ms:
            raise ValueError(f"frame times must increase: {t_ms} ms after {self._last_ms} ms")
        self._last_ms = t_ms
        if self._fill == _BLOCK:
            self._blocks.append({
                "t_ms": np.zeros(_BLOCK, np.int64), "present": np.zeros(_BLOCK, bool),
                "landmarks": np.zeros((_BLOCK, _N, 5), np.float32),
                "world": np.zeros((_BLOCK, _N, 3), np.float32),
                "has_world": np.zeros(_BLOCK, bool), "people": np.zeros(_BLOCK, np.uint8),
                "mixed": np.zeros(_BLOCK, bool),
            })  # fmt: skip
            self._fill = 0
        block, i = self._blocks[-1], self._fill
        block["t_ms"][i] = t_ms
        if image_size is not None and self.image_size is None:
            self.image_size = image_size
        if pose is not None:
            if self.image_size is None:
                self.image_size = pose.image_size
            block["present"][i] = True
            rows = block["landmarks"][i]
            rows[:, :3] = pose.normalized
            rows[:, 3] = pose.visibility
            rows[:, 4] = pose.presence
            if pose.world is not None:
                block["world"][i] = pose.world
                block["has_world"][i] = True
            block["people"][i] = min(pose.people, 255)
            block["mixed"][i] = pose.mixed
        self._fill += 1
        self._count += 1

    def build(self, warning: str | None = None) -> LandmarkStream:
        def joined(name: str) -> NDArray[np.generic]:
            if not self._blocks:
                shapes = {"landmarks": (0, _N, 5), "world": (0, _N, 3)}
                dtypes = {"t_ms": np.int64, "present": bool, "has_world": bool,
                          "people": np.uint8, "mixed": bool}  # fmt: skip
                return np.zeros(shapes.get(name, (0,)), dtypes.get(name, np.float32))
            parts = [b[name] for b in self._blocks[:-1]] + [self._blocks[-1][name][: self._fill]]
            return np.concatenate(parts)

        return LandmarkStream(
            joined("t_ms").astype(np.int64), joined("present").astype(bool),
            joined("landmarks").astype(np.float32), joined("world").astype(np.float32),
            joined("has_world").astype(bool), joined("people").astype(np.uint8),
            joined("mixed").astype(bool), self.image_size or (1, 1), warning,
        )  # fmt: skip
