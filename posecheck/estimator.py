"""The pose estimator: BGR frames in, a `Pose` (or None when nobody is there) out.

The only module that imports mediapipe. It converts BGR to RGB exactly once, here, and turns
MediaPipe's result types into `Pose` values so that nothing downstream depends on MediaPipe.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import weakref
import zipfile
from collections.abc import Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from posecheck.errors import ModelError, TimestampError
from posecheck.pose import DEFAULT_VISIBILITY, Pose
from posecheck.settings import BUNDLED_MODEL, BUNDLED_MODEL_SHA256, MODEL_ENV, EstimatorSettings

#: The two graphs a pose landmarker bundle must contain.
BUNDLE_ENTRIES = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


#: Estimators not yet closed. MediaPipe's own finalizer fails noisily when it runs during
#: interpreter shutdown, so whatever is still open is closed at exit, while modules still exist.
_OPEN: weakref.WeakSet[Estimator] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for estimator in list(_OPEN):
        estimator.close()


class RunningMode(Enum):
    """IMAGE: every frame on its own. VIDEO: frames of one stream, tracked between frames."""

    IMAGE = "image"
    VIDEO = "video"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model(path: Path) -> Path:
    """Return `path` if it holds a usable pose landmarker bundle, else raise `ModelError`.

    The bundled model must match its recorded checksum; a user's own file (an official
    `pose_landmarker_*.task`) only has to be a bundle with both graphs in it.
    """
    fix = f"run `make model` to rebuild it, or set {MODEL_ENV} to an official pose landmarker file"
    if not path.exists():
        raise ModelError(f"The pose model {path} does not exist; {fix}.")
    if not path.is_file():
        raise ModelError(f"The pose model {path} is not a file; {fix}.")
    if path.resolve() == BUNDLED_MODEL.resolve():
        actual = _sha256(path)
        if actual != BUNDLED_MODEL_SHA256:
            raise ModelError(
                f"The pose model {path} is damaged (sha256 {actual[:12]}..., expected "
                f"{BUNDLED_MODEL_SHA256[:12]}...); {fix}."
            )
        return path
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ModelError(f"The pose model {path} is not a MediaPipe .task bundle; {fix}.") from None
    missing = [name for name in BUNDLE_ENTRIES if name not in names]
    if missing:
        raise ModelError(
            f"The model {path} is not a pose landmarker bundle "
            f"(it lacks {', '.join(missing)}); {fix}."
        )
    return path


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """MediaPipe's C++ side prints start-up chatter on fd 2; keep the CLI's stderr for our words.

    Only wrapped around creation (single-threaded at that point); POSECHECK_DEBUG=1 keeps it.
    """
    if os.environ.get("POSECHECK_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _main_person_index(candidates: Sequence[NDArray[np.float64]], size: tuple[int, int]) -> int:
    """Choose the main person among several: the one whose visible body covers the largest area.

    The person using posecheck is almost always the one nearest the camera, so the largest
    bounding box (in pixels, visible landmarks only) wins; bodies within 10 % of that size count
    as a tie, which goes to the one nearer the image centre. Input rows are (x, y, visibility),
    normalized.
    """
    width, height = size
    areas, offsets = [], []
    for rows in candidates:
        seen = rows[rows[:, 2] >= DEFAULT_VISIBILITY]
        if len(seen) < 2:
            seen = rows
        xs, ys = seen[:, 0] * width, seen[:, 1] * height
        areas.append(float((xs.max() - xs.min()) * (ys.max() - ys.min())))
        offsets.append(float(np.hypot(xs.mean() - width / 2, ys.mean() - height / 2)))
    largest = max(areas)
    near_largest = [i for i, area in enumerate(areas) if area >= 0.9 * largest]
    return min(near_largest, key=lambda i: offsets[i])


class Estimator:
    """MediaPipe's pose landmarker behind posecheck's own types.

    Use as a context manager (or call `close()`): the native graph holds threads and memory.

        with Estimator(RunningMode.VIDEO) as estimator:
            pose = estimator.process(frame_bgr, timestamp_ms)
    """

    def __init__(
        self,
        mode: RunningMode = RunningMode.IMAGE,
        settings: EstimatorSettings | None = None,
    ) -> None:
        if not isinstance(mode, RunningMode):
            raise TypeError(f"mode must be a RunningMode (IMAGE or VIDEO), got {mode!r}")
        self.mode = mode
        self.settings = settings or EstimatorSettings()
        model = check_model(self.settings.model_path)
        self._last_timestamp_ms: int | None = None
        self._landmarker: Any = None

        import mediapipe as mp

        self._mp = mp
        self._census: Any = None
        self._census_due_ms = 0
        self._census_people = 1
        settings = self.settings
        if mode is RunningMode.IMAGE:
            self._landmarker = self._create(model, "image", settings.max_people)
        else:
            # Track one person; count everyone now and then with a still-image pass (see
            # EstimatorSettings.census_interval_ms for the cost this avoids).
            self._landmarker = self._create(model, "video", 1)
            if settings.max_people > 1 and settings.census_interval_ms > 0:
                self._census = self._create(model, "image", settings.max_people)
        _OPEN.add(self)

    def _create(self, model: Path, mode: str, people: int) -> Any:
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model)),
            running_mode=vision.RunningMode.IMAGE if mode == "image" else vision.RunningMode.VIDEO,
            num_poses=people,
            min_pose_detection_confidence=self.settings.min_detection_confidence,
            min_pose_presence_confidence=self.settings.min_presence_confidence,
            min_tracking_confidence=self.settings.min_tracking_confidence,
        )
        try:
            with quiet_native_logs():
                return vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"MediaPipe could not load the pose model {model} ({exc}); "
                f"run `make model` or set {MODEL_ENV} to an official pose_landmarker .task file."
            ) from None

    def __enter__(self) -> Estimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the native landmarker; safe to call twice."""
        for name in ("_landmarker", "_census"):
            landmarker = getattr(self, name, None)
            if landmarker is not None:
                landmarker.close()
                setattr(self, name, None)

    def process(self, frame_bgr: NDArray[np.uint8], timestamp_ms: int | None = None) -> Pose | None:
        """Find the main person in one BGR frame (OpenCV's channel order).

        IMAGE mode takes no timestamp; VIDEO mode needs one, strictly greater than the last.
        Returns None when nobody is found. The main person: in IMAGE mode the largest visible
        body (see `_main_person_index`); in VIDEO mode the person MediaPipe is tracking, with
        `Pose.people` from the latest census.
        """
        if self._landmarker is None:
            raise RuntimeError("this Estimator is closed")
        image = self._to_mp_image(frame_bgr)
        if self.mode is RunningMode.IMAGE:
            if timestamp_ms is not None:
                raise ValueError("IMAGE mode takes no timestamp; use RunningMode.VIDEO for streams")
            result = self._landmarker.detect(image)
        else:
            if timestamp_ms is None:
                raise ValueError("VIDEO mode needs the frame's timestamp_ms")
            timestamp_ms = int(timestamp_ms)
            if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
                raise TimestampError(
                    f"Frame timestamps must increase: got {timestamp_ms} ms after "
                    f"{self._last_timestamp_ms} ms."
                )
            result = self._landmarker.detect_for_video(image, timestamp_ms)
            self._last_timestamp_ms = timestamp_ms
            if self._census is not None and timestamp_ms >= self._census_due_ms:
                self._census_people = max(1, len(self._census.detect(image).pose_landmarks))
                self._census_due_ms = timestamp_ms + self.settings.census_interval_ms
        height, width = frame_bgr.shape[:2]
        census = self._census_people if self._census is not None else 1
        return self._to_pose(result, (width, height), timestamp_ms, census)

    def _to_mp_image(self, frame_bgr: NDArray[np.uint8]) -> Any:
        if not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            shape = getattr(frame_bgr, "shape", type(frame_bgr).__name__)
            raise ValueError(f"expected a BGR frame of shape (height, width, 3), got {shape}")
        if frame_bgr.dtype != np.uint8:
            raise ValueError(f"expected a uint8 frame, got {frame_bgr.dtype}")
        # The one BGR -> RGB conversion in posecheck (cvtColor also makes it contiguous).
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)

    @staticmethod
    def _to_pose(
        result: Any, size: tuple[int, int], timestamp_ms: int | None, census: int = 1
    ) -> Pose | None:
        people = result.pose_landmarks
        if not people:
            return None
        arrays = [
            np.array([(p.x, p.y, p.z, p.visibility or 0.0, p.presence or 0.0) for p in person])
            for person in people
        ]
        main = _main_person_index([a[:, [0, 1, 3]] for a in arrays], size)
        rows = arrays[main]
        world = None
        if result.pose_world_landmarks and len(result.pose_world_landmarks) > main:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[main]])
        return Pose(
            normalized=rows[:, :3],
            visibility=rows[:, 3],
            presence=rows[:, 4],
            world=world,
            image_size=size,
            timestamp_ms=timestamp_ms,
            people=max(len(people), census),
        )
