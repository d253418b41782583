"""Landmark streams of reviewed videos, kept so that reviewing a video again (another stretch,
an edited spec, --routine, --posture) skips the model.

    cache = LandmarkCache.default()                  # DATA_DIR/landmarks, capped (LRU)
    key = cache.key(video, settings)                 # content hash + model hash + settings
    stream = cache.get(key)                          # None on a miss
    cache.put(key, stream, source=video)

The key is the sha256 of the video's bytes, the sha256 of the model file, the landmarker
settings that change what the model returns (people, confidences, census, the analysed size),
MediaPipe's version and the stream format: a changed file or another model is a miss, never a
wrong hit. Each entry also carries its own key, compared on every read, so an entry copied or
renamed under another key is refused.

Hashing costs about what reading the file costs (0.1 s of CPU per 100 MB here); `FileHashes`
remembers a file's hash by (path, size, mtime, ctime, inode) so a second review of an unchanged
file does not read it twice. The inode's change time moves with every write and every change of
the other times and cannot be set back, so a file edited in place with its old mtime put back
is still read again. The content hash is always the key: the memo only saves re-reading.

Entries are single .npz files named by the key, written under a temporary name and renamed;
the least recently used go first when the total passes the cap (`POSECHECK_CACHE_MB`, default
500 MB: about four hours of 30 fps video at 1.9 MB a minute).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from posecheck.errors import InputError
from posecheck.review.chunks import GRID, Grid
from posecheck.review.landmark_stream import FORMAT_VERSION, LandmarkStream
from posecheck.settings import EstimatorSettings

#: Environment variable for the cache's size cap in MB (0 keeps nothing).
CAP_ENV = "POSECHECK_CACHE_MB"
DEFAULT_CAP_MB = 500
FOLDER_NAME = "landmarks"


def file_sha256(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class FileHashes:
    """sha256 of files, remembered by (resolved path, size, mtime, ctime, device, inode) in a
    small JSON file, so an unchanged file is read once. Any change means reading it again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: dict[str, Any] = {}
        self._changed = False
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                self._known = json.loads(path.read_text())

    def sha256(self, file: Path) -> str:
        try:
            stat = file.stat()
        except OSError as exc:
            raise InputError(f"{file} cannot be read ({exc.strerror or exc}).") from None
        name = str(file.resolve())
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_dev, stat.st_ino]
        known = self._known.get(name)
        if isinstance(known, list) and len(known) == 2 and known[0] == stamp:
            return str(known[1])
        try:
            digest = file_sha256(file)
        except OSError as exc:
            raise InputError(f"{file} cannot be read ({exc.strerror or exc}).") from None
        self._known[name] = [stamp, digest]
        self._changed = True
        return digest

    def save(self) -> None:
        """Keep what was learnt for the next run (nothing is written when nothing is new)."""
        if self.path is None or not getattr(self, "_changed", False):
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = _partial(self.path)
            partial.write_text(json.dumps(self._known))
            partial.replace(self.path)
            self._changed = False


def _mediapipe_version() -> str:
    try:
        return version("mediapipe")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class CacheKey:
    """What a landmark stream depends on: the video's bytes, the model's bytes, and how the
    landmarker ran (canonical JSON of the settings that change its output)."""

    video_sha256: str
    model_sha256: str
    settings: str

    @property
    def name(self) -> str:
        text = f"{FORMAT_VERSION}:{self.video_sha256}:{self.model_sha256}:{self.settings}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def meta(self) -> dict[str, str]:
        return {"video_sha256": self.video_sha256, "model_sha256": self.model_sha256,
                "settings": self.settings}  # fmt: skip


def settings_fingerprint(
    settings: EstimatorSettings, max_side: int | None, grid: Grid | None = GRID
) -> str:
    """The landmarker settings that change what it returns (with the analysed size and where
    the tracker restarts), and the MediaPipe that ran it."""
    values: dict[str, Any] = {k: v for k, v in asdict(settings).items() if k != "model_path"}
    values["max_side"] = max_side
    values["grid"] = None if grid is None else [grid.chunk_ms, grid.preroll_ms]
    values["mediapipe"] = _mediapipe_version()
    return json.dumps(values, sort_keys=True, default=str)


@dataclass(frozen=True)
class CacheEntry:
    """One stored stream, as `posecheck cache list` shows it."""

    path: Path
    source: str
    frames: int
    size: int
    used: float


class LandmarkCache:
    """A folder of landmark streams with a size cap (least recently used go first)."""

    def __init__(self, folder: Path, cap_bytes: int = DEFAULT_CAP_MB << 20) -> None:
        self.folder = folder
        self.cap_bytes = cap_bytes
        self.hashes = FileHashes(folder / "hashes.json")
        self._model_hashes: dict[tuple[str, int, int], str] = {}

    @classmethod
    def default(cls) -> LandmarkCache:
        """The cache in posecheck's data folder, capped by $POSECHECK_CACHE_MB (default 500)."""
        from posecheck.store import data_dir

        raw = os.environ.get(CAP_ENV, "").strip()
        try:
            cap_mb = float(raw) if raw else DEFAULT_CAP_MB
        except ValueError:
            raise InputError(f"{CAP_ENV} must be a number of megabytes, got {raw!r}.") from None
        if cap_mb < 0:
            raise InputError(f"{CAP_ENV} must be 0 or more megabytes, got {raw!r}.")
        return cls(data_dir() / FOLDER_NAME, int(cap_mb * (1 << 20)))

    def model_sha256(self, model: Path) -> str:
        """The model file's hash, read once per (path, size, mtime) in this process."""
        stat = model.stat()
        stamp = (str(model.resolve()), stat.st_size, stat.st_mtime_ns)
        if stamp not in self._model_hashes:
            self._model_hashes[stamp] = file_sha256(model)
        return self._model_hashes[stamp]

    def key(
        self, video: Path, settings: EstimatorSettings, max_side: int | None,
        grid: Grid | None = GRID,
    ) -> CacheKey:  # fmt: skip
        try:
            model = self.model_sha256(settings.model_path)
        except OSError:
            model = "missing"  # the review itself says what is wrong with the model
        fingerprint = settings_fingerprint(settings, max_side, grid)
        return CacheKey(self.hashes.sha256(video), model, fingerprint)

    def _file(self, key: CacheKey) -> Path:
        return self.folder / f"{key.name}.npz"

    def get(self, key: CacheKey) -> LandmarkStream | None:
        path = self._file(key)
        try:
            stream, meta = LandmarkStream.load(path)
        except (OSError, ValueError):
            return None
        # The name is a hash of the key; the key inside is compared too, so a collision or an
        # entry copied under another name never hands back another video's landmarks.
        if any(meta.get(k) != v for k, v in key.meta().items()):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # "recently used", for the cap
        self.hashes.save()
        return stream

    def put(self, key: CacheKey, stream: LandmarkStream, source: Path) -> Path | None:
        """Store `stream`; None when the cap leaves no room or the folder cannot be written
        (the cache is an optimisation: a review never fails because of it)."""
        if self.cap_bytes <= 0:
            return None
        path = self._file(key)
        data = stream.to_bytes({**key.meta(), "source": str(source.resolve()),
                                "frames": str(len(stream))})  # fmt: skip
        if len(data) > self.cap_bytes:
            return None
        partial = _partial(path)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            partial.replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink()
            return None
        self.hashes.save()
        self.trim()
        return path

    def entries(self) -> list[CacheEntry]:
        """Every readable entry, most recently used first."""
        found = []
        for path in self.folder.glob("*.npz"):
            try:
                stat = path.stat()
                _, meta = LandmarkStream.load(path)
            except (OSError, ValueError):
                continue
            found.append(CacheEntry(path, meta.get("source", "?"), int(meta.get("frames", 0)),
                                    stat.st_size, stat.st_mtime))  # fmt: skip
        return sorted(found, key=lambda e: e.used, reverse=True)

    def total_bytes(self) -> int:
        total = 0
        for path in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def trim(self) -> int:
        """Remove the least recently used entries until the total fits the cap; bytes freed."""
        files = []
        for path in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        freed = 0
        for _, size, path in sorted(files):
            if total - freed <= self.cap_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                freed += size
        return freed

    def clear(self) -> tuple[int, int]:
        """Remove every entry (and the remembered file hashes): (entries, bytes) removed."""
        removed = size = 0
        for path in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):
                bytes_ = path.stat().st_size
                path.unlink()
                removed += 1
                size += bytes_
        for leftover in [*self.folder.glob(".*.partial"), self.folder / "hashes.json"]:
            with contextlib.suppress(OSError):
                leftover.unlink()
        return removed, size
