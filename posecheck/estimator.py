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


# --- several people: who is who ----------------------------------------------------------------
#
# MediaPipe's pose landmarker fits one 33-point skeleton to the region it tracks. When two
# people are close in the picture that region can cover both, and the skeleton can take one
# person's head and another's legs; nothing in its output says so. Two checks, measured on real
# clips placed side by side (docs/RELIABILITY.md has the numbers):
#
# - shared limbs: whenever the landmarker reports more than one skeleton (the still-image pass
#   of the census, or the tracker of several people), a skeleton one of whose arms or legs lies
#   on another skeleton's arm or leg while its trunk is elsewhere is a mix of two people.
#   Skeletons whose trunks coincide are one person found twice, not two people.
# - proportions: a trunk several times longer than every limb, or a limb several times longer
#   than the trunk, is no one's body (the trunk then runs from one person to the other).

#: Trunks closer than this (in trunk lengths, the larger one) belong to the same person.
SAME_PERSON_TRUNKS = 1.0
#: A limb lies on another skeleton's limb when both its joints are this close (trunk lengths,
#: the smaller one).
SHARED_LIMB_TRUNKS = 0.25
#: No one body has a trunk (shoulder midpoint to hip midpoint, in the picture) this many times
#: longer than its longest visible limb bone, or a limb bone this many times the trunk.
MAX_TRUNK_PER_LIMB = 3.0
MAX_LIMB_PER_TRUNK = 3.0

_TRUNK = (11, 12, 23, 24)
#: Limbs as (upper joint, lower joint): elbow and wrist, knee and ankle.
_LIMBS = ((13, 15), (14, 16), (25, 27), (26, 28))
_MIRROR = {13: 14, 14: 13, 15: 16, 16: 15, 25: 26, 26: 25, 27: 28, 28: 27}
_BONES = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28))


def _pixels(rows: NDArray[np.float64], size: tuple[int, int]) -> NDArray[np.float64]:
    return rows[:, :2] * np.array(size, dtype=np.float64)


def _seen(rows: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (rows[:, 3] >= DEFAULT_VISIBILITY) & (rows[:, 4] >= DEFAULT_VISIBILITY)


def _trunk(xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """The trunk's centre and length (shoulder midpoint to hip midpoint), in pixels."""
    shoulders, hips = (xy[11] + xy[12]) / 2, (xy[23] + xy[24]) / 2
    return (shoulders + hips) / 2, float(np.linalg.norm(shoulders - hips))


def skeleton_relation(
    a: NDArray[np.float64], b: NDArray[np.float64], size: tuple[int, int]
) -> str:
    """How skeleton `a` stands to skeleton `b` in one frame (rows of x, y, z, visibility,
    presence, normalized): "same" (one person found twice: the trunks coincide), "mixed" (an
    arm or leg of `a` lies on one of `b`'s while the trunks are apart: `a` took a limb of the
    person `b` is) or "apart" (two people)."""
    xa, xb = _pixels(a, size), _pixels(b, size)
    floor = 0.01 * float(np.hypot(*size))
    (ca, la), (cb, lb) = _trunk(xa), _trunk(xb)
    if float(np.linalg.norm(ca - cb)) < SAME_PERSON_TRUNKS * max(la, lb, floor):
        return "same"
    near = SHARED_LIMB_TRUNKS * max(min(la, lb), floor)
    sa, sb = _seen(a), _seen(b)
    for joints in _LIMBS:
        if not all(sa[j] for j in joints):
            continue
        for theirs in (joints, tuple(_MIRROR[j] for j in joints)):
            if all(sb[j] for j in theirs) and all(
                float(np.linalg.norm(xa[j] - xb[k])) < near
                for j, k in zip(joints, theirs, strict=True)
            ):
                return "mixed"
    return "apart"


def implausible_body(rows: NDArray[np.float64], size: tuple[int, int]) -> bool:
    """Proportions no single body has (seen trunk and limbs only): see MAX_TRUNK_PER_LIMB."""
    seen = _seen(rows)
    if not all(seen[j] for j in _TRUNK):
        return False
    xy = _pixels(rows, size)
    _, trunk = _trunk(xy)
    bones = [float(np.linalg.norm(xy[i] - xy[j])) for i, j in _BONES if seen[i] and seen[j]]
    if len(bones) < 4 or trunk <= 0:
        return False
    longest = max(bones)
    return trunk > MAX_TRUNK_PER_LIMB * longest or longest > MAX_LIMB_PER_TRUNK * trunk


def count_people(candidates: Sequence[NDArray[np.float64]], size: tuple[int, int]) -> int:
    """How many different people the skeletons are (a person found twice counts once)."""
    distinct: list[NDArray[np.float64]] = []
    for rows in candidates:
        if all(skeleton_relation(rows, other, size) != "same" for other in distinct):
            distinct.append(rows)
    return len(distinct)


def is_mixed(
    main: NDArray[np.float64], others: Sequence[NDArray[np.float64]], size: tuple[int, int]
) -> bool:
    """Whether the main skeleton's limbs appear to belong to different people."""
    if implausible_body(main, size):
        return True
    return any(skeleton_relation(main, other, size) == "mixed" for other in others)


def _continuing_index(
    candidates: Sequence[NDArray[np.float64]],
    previous: NDArray[np.float64],
    size: tuple[int, int],
    gap_ms: int,
) -> int | None:
    """The candidate that continues the previous main person: its trunk nearest to where that
    trunk was `gap_ms` ago, within half a trunk length plus two per second of gap (at most
    1.5), or None when none does (the person followed is not among them)."""
    before, length = _trunk(_pixels(previous, size))
    trunks = min(1.5, 0.5 + 2.0 * max(gap_ms, 0) / 1000)
    reach = trunks * max(length, 0.01 * float(np.hypot(*size)))
    distances = [float(np.linalg.norm(_trunk(_pixels(c, size))[0] - before)) for c in candidates]
    if not distances:
        return None
    best = int(np.argmin(distances))
    return best if distances[best] <= reach else None


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
        self._model = model
        self._census: Any = None
        self._census_due_ms = 0
        self._census_people = 1
        # Several people in view (VIDEO mode): a tracker of several people, made when first
        # needed, runs instead of the one-person tracker until the others have gone.
        self._crowd: Any = None
        self._crowded = False
        self._alone_since_ms: int | None = None
        # The main person of the previous frame, to keep following the same one.
        self._previous: NDArray[np.float64] | None = None
        self._previous_ms: int | None = None
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
        for name in ("_landmarker", "_census", "_crowd"):
            landmarker = getattr(self, name, None)
            if landmarker is not None:
                landmarker.close()
                setattr(self, name, None)

    def process(self, frame_bgr: NDArray[np.uint8], timestamp_ms: int | None = None) -> Pose | None:
        """Find the main person in one BGR frame (OpenCV's channel order).

        IMAGE mode takes no timestamp; VIDEO mode needs one, strictly greater than the last.
        Returns None when nobody is found. The main person: in IMAGE mode the largest visible
        body (see `_main_person_index`); in VIDEO mode the person MediaPipe is tracking, with
        `Pose.people` from the latest census, until the census finds several people: then all
        of them are tracked and the main person is the one continuing the previous frame's
        (the largest when none does), so a review follows one person throughout. `Pose.mixed`
        says when the skeleton appears to take limbs from two people.
        """
        if self._landmarker is None:
            raise RuntimeError("this Estimator is closed")
        image = self._to_mp_image(frame_bgr)
        height, width = frame_bgr.shape[:2]
        size = (width, height)
        if self.mode is RunningMode.IMAGE:
            if timestamp_ms is not None:
                raise ValueError("IMAGE mode takes no timestamp; use RunningMode.VIDEO for streams")
            candidates, worlds = _people(self._landmarker.detect(image))
            if not candidates:
                return None
            main = _main_person_index([c[:, [0, 1, 3]] for c in candidates], size)
            others: list[NDArray[np.float64]] = []
            if self.settings.max_people > 1 and count_people(candidates, size) <= 1:
                others = self._second_look(self._landmarker, image, candidates[main])
            return self._pose(candidates, worlds, main, size, None, others=others)
        if timestamp_ms is None:
            raise ValueError("VIDEO mode needs the frame's timestamp_ms")
        timestamp_ms = int(timestamp_ms)
        if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
            raise TimestampError(
                f"Frame timestamps must increase: got {timestamp_ms} ms after "
                f"{self._last_timestamp_ms} ms."
            )
        self._last_timestamp_ms = timestamp_ms
        if self._crowded:
            return self._process_crowd(image, size, timestamp_ms)
        return self._process_one(image, size, timestamp_ms)

    def _process_one(self, image: Any, size: tuple[int, int], timestamp_ms: int) -> Pose | None:
        """VIDEO mode with one person tracked, and the census now and then."""
        tracked, worlds = _people(self._landmarker.detect_for_video(image, timestamp_ms))
        others: list[NDArray[np.float64]] = []
        if self._census is not None and timestamp_ms >= self._census_due_ms:
            census, _ = _people(self._census.detect(image))
            if tracked and count_people([*tracked, *census], size) <= 1:
                census += self._second_look(self._census, image, tracked[0])
            self._census_people = max(1, count_people([*tracked, *census], size))
            self._census_due_ms = timestamp_ms + self.settings.census_interval_ms
            others = census
            if self._census_people > 1:
                # From the next frame on, follow everyone: the main person is then chosen
                # frame by frame, and every frame is checked for a skeleton mixing people.
                self._crowded, self._alone_since_ms = True, None
        if not tracked:
            return None
        people = self._census_people if self._census is not None else 1
        pose = self._pose(tracked, worlds, 0, size, timestamp_ms, others=others, people=people)
        return pose

    def _second_look(
        self, detector: Any, image: Any, main: NDArray[np.float64]
    ) -> list[NDArray[np.float64]]:
        """Skeletons of other people in `image` once the main person is covered up.

        MediaPipe's person detector often reports only the most prominent of two people (on
        clips placed side by side it found the second in 0 to 60 % of frames); with the main
        person's box painted grey it finds the other one far more often.
        """
        rgb = np.array(image.numpy_view(), copy=True)
        height, width = rgb.shape[:2]
        seen = main[_seen(main)]
        if len(seen) < 4:
            return []
        x0, x1 = float(seen[:, 0].min()), float(seen[:, 0].max())
        y0, y1 = float(seen[:, 1].min()), float(seen[:, 1].max())
        pad_x, pad_y = 0.15 * (x1 - x0) + 0.02, 0.15 * (y1 - y0) + 0.02
        left, right = max(0, int((x0 - pad_x) * width)), min(width, int((x1 + pad_x) * width) + 1)
        top = max(0, int((y0 - pad_y) * height))
        bottom = min(height, int((y1 + pad_y) * height) + 1)
        if right <= left or bottom <= top:
            return []
        rgb[top:bottom, left:right] = 127
        masked = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        others, _ = _people(detector.detect(masked))
        # Only skeletons mostly outside the grey box are other people (not remnants of the main
        # person's limbs sticking out of it).
        box = np.array([left / width, top / height, right / width, bottom / height])
        return [o for o in others if _outside_share(o, box) >= 0.5]

    def _process_crowd(self, image: Any, size: tuple[int, int], timestamp_ms: int) -> Pose | None:
        """VIDEO mode while several people are in view: all of them tracked, and the main one
        kept the same from frame to frame. Back to one tracker once the others have been gone
        for a census interval."""
        if self._crowd is None:
            self._crowd = self._create(self._model, "video", self.settings.max_people)
        candidates, worlds = _people(self._crowd.detect_for_video(image, timestamp_ms))
        people = count_people(candidates, size)
        if people > 1:
            self._alone_since_ms = None
        else:
            if self._alone_since_ms is None:
                self._alone_since_ms = timestamp_ms
            if timestamp_ms - self._alone_since_ms >= self.settings.census_interval_ms:
                self._crowded, self._census_people = False, 1
                self._census_due_ms = timestamp_ms + self.settings.census_interval_ms
        previous, since = self._previous, self._previous_ms
        if previous is None or since is None or timestamp_ms - since > _CONTINUITY_MS:
            # Nobody followed lately: the largest person, as in a photo.
            if not candidates:
                return None
            largest = _main_person_index([c[:, [0, 1, 3]] for c in candidates], size)
            return self._pose(candidates, worlds, largest, size, timestamp_ms, people=people)
        gap = timestamp_ms - since
        main = _continuing_index(candidates, previous, size, gap)
        if main is None:
            # The trackers of several people have not (yet) found the person followed so far;
            # the one-person tracker was following them.
            found = self._landmarker.detect_for_video(image, timestamp_ms)
            tracked, tracked_worlds = _people(found)
            if not tracked or _continuing_index(tracked, previous, size, gap) is None:
                return None  # out of sight for now; another person is not taken in their place
            candidates, worlds, main = tracked + candidates, tracked_worlds + worlds, 0
            people = count_people(candidates, size)
        return self._pose(candidates, worlds, main, size, timestamp_ms, people=people)

    def _pose(
        self,
        candidates: Sequence[NDArray[np.float64]],
        worlds: Sequence[NDArray[np.float64] | None],
        main: int,
        size: tuple[int, int],
        timestamp_ms: int | None,
        *,
        others: Sequence[NDArray[np.float64]] = (),
        people: int | None = None,
    ) -> Pose:
        """The main skeleton as a `Pose`, with how many people there are and whether its limbs
        appear to belong to different people (checked against every other skeleton found)."""
        rows = candidates[main]
        rest = [c for i, c in enumerate(candidates) if i != main] + list(others)
        found = count_people([*candidates, *others], size)
        self._previous, self._previous_ms = rows, timestamp_ms
        return Pose(
            normalized=rows[:, :3],
            visibility=rows[:, 3],
            presence=rows[:, 4],
            world=worlds[main] if main < len(worlds) else None,
            image_size=size,
            timestamp_ms=timestamp_ms,
            people=max(found, people or 1),
            mixed=is_mixed(rows, rest, size),
        )

    def _to_mp_image(self, frame_bgr: NDArray[np.uint8]) -> Any:
        if not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            shape = getattr(frame_bgr, "shape", type(frame_bgr).__name__)
            raise ValueError(f"expected a BGR frame of shape (height, width, 3), got {shape}")
        if frame_bgr.dtype != np.uint8:
            raise ValueError(f"expected a uint8 frame, got {frame_bgr.dtype}")
        # The one BGR -> RGB conversion in posecheck (cvtColor also makes it contiguous).
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)



#: The main person is followed from frame to frame across gaps up to this long.
_CONTINUITY_MS = 1000


def _outside_share(rows: NDArray[np.float64], box: NDArray[np.float64]) -> float:
    """The share of a skeleton's seen landmarks outside `box` (x0, y0, x1, y1, normalized)."""
    seen = rows[_seen(rows)]
    if len(seen) == 0:
        return 0.0
    inside = (
        (seen[:, 0] >= box[0]) & (seen[:, 0] <= box[2])
        & (seen[:, 1] >= box[1]) & (seen[:, 1] <= box[3])
    )  # fmt: skip
    return float(1.0 - inside.mean())


def _people(result: Any) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64] | None]]:
    """MediaPipe's result as arrays: per skeleton (33, 5) rows of x, y, z, visibility, presence
    (normalized), and its (33, 3) world landmarks (None where missing)."""
    skeletons = [
        np.array([(p.x, p.y, p.z, p.visibility or 0.0, p.presence or 0.0) for p in person],
                 dtype=np.float64)
        for person in result.pose_landmarks or ()
    ]  # fmt: skip
    worlds: list[NDArray[np.float64] | None] = [
        np.array([(p.x, p.y, p.z) for p in person], dtype=np.float64)
        for person in result.pose_world_landmarks or ()
    ]
    worlds += [None] * (len(skeletons) - len(worlds))
    return skeletons, worlds
