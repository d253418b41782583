"""The landmark cache: a hit for the same file and model, a miss after the file changes, never
another model's (or another file's, or other settings') landmarks; the size cap; and on a real
clip, a second review that skips the model and judges exactly as the first did."""

from __future__ import annotations

import os
import shutil
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from posecheck.review import PostureReview, ReviewOutputs, StretchReview
from posecheck.review.cache import FileHashes, LandmarkCache
from posecheck.review.landmark_stream import LandmarkStream, StreamBuilder
from posecheck.review.scale import review_video
from posecheck.settings import BUNDLED_MODEL, EstimatorSettings
from posecheck.specs import get_stretch


def stream(frames: int = 5) -> LandmarkStream:
    builder = StreamBuilder()
    for i in range(frames):
        builder.add(i * 40, None, (64, 48))
    return builder.build()


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Path, EstimatorSettings, LandmarkCache]:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"pretend video" * 100)
    model = tmp_path / "model.task"
    model.write_bytes(b"model one")
    return video, EstimatorSettings(model_path=model), LandmarkCache(tmp_path / "cache")


def test_hit_after_put(parts: tuple[Path, EstimatorSettings, LandmarkCache]) -> None:
    video, settings, cache = parts
    key = cache.key(video, settings, 1280)
    assert cache.get(key) is None
    cache.put(key, stream(), video)
    hit = cache.get(cache.key(video, settings, 1280))
    assert hit is not None and len(hit) == 5
    assert [e.source for e in cache.entries()] == [str(video.resolve())]


def test_a_changed_file_is_a_miss_even_with_the_same_size_and_time(
    parts: tuple[Path, EstimatorSettings, LandmarkCache],
) -> None:
    video, settings, cache = parts
    cache.put(cache.key(video, settings, 1280), stream(), video)
    stat = video.stat()
    data = bytearray(video.read_bytes())
    data[3] ^= 1
    # Rewritten in place (same inode), then the old times put back: only the bytes differ.
    with video.open("r+b") as f:
        f.write(data)
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert video.stat().st_size == stat.st_size
    # The hash remembered for this file (same path, size, mtime, inode) is not trusted: the
    # inode's change time moved, so the file is read again.
    assert cache.get(cache.key(video, settings, 1280)) is None
    assert LandmarkCache(cache.folder).get(LandmarkCache(cache.folder).key(
        video, settings, 1280)) is None  # fmt: skip


def test_another_models_landmarks_are_refused(
    parts: tuple[Path, EstimatorSettings, LandmarkCache], tmp_path: Path
) -> None:
    video, settings, cache = parts
    cache.put(cache.key(video, settings, 1280), stream(), video)
    other = tmp_path / "other.task"
    other.write_bytes(b"model two")
    assert cache.get(cache.key(video, EstimatorSettings(model_path=other), 1280)) is None
    # nor other landmarker settings, nor another analysed size (they change the landmarks)
    assert cache.get(cache.key(video, settings.overlay(max_people=1), 1280)) is None
    assert cache.get(cache.key(video, settings, 640)) is None


def test_an_entry_under_another_key_is_refused(
    parts: tuple[Path, EstimatorSettings, LandmarkCache], tmp_path: Path
) -> None:
    video, settings, cache = parts
    first = cache.put(cache.key(video, settings, 1280), stream(), video)
    assert first is not None
    other_video = tmp_path / "b.mp4"
    other_video.write_bytes(b"another")
    other_key = cache.key(other_video, settings, 1280)
    first.rename(cache.folder / f"{other_key.name}.npz")
    assert cache.get(other_key) is None


def test_the_cap_removes_the_least_recently_used(
    parts: tuple[Path, EstimatorSettings, LandmarkCache], tmp_path: Path
) -> None:
    _, settings, cache = parts
    keys = []
    for i in range(3):
        video = tmp_path / f"v{i}.mp4"
        video.write_bytes(bytes([i]) * 10)
        keys.append(cache.key(video, settings, 1280))
        path = cache.put(keys[-1], stream(200), video)
        assert path is not None
        os.utime(path, (1000 + i, 1000 + i))
        cache.cap_bytes = 2 * path.stat().st_size + 10  # room for two entries
    cache.trim()
    assert [cache.get(k) is not None for k in keys] == [False, True, True]
    assert cache.clear()[0] == 2 and cache.entries() == []


def test_file_hashes_are_read_again_when_the_file_changes(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"one")
    hashes = FileHashes(tmp_path / "hashes.json")
    first = hashes.sha256(video)
    video.write_bytes(b"two, longer")
    assert hashes.sha256(video) != first
    assert FileHashes(tmp_path / "hashes.json").sha256(video) == hashes.sha256(video)


# --- a real clip --------------------------------------------------------------------------------


def other_model(tmp_path: Path) -> Path:
    """The bundled model with one extra entry in its bundle: it finds the same landmarks, but
    it is another file, so it must never be served the bundled model's stored landmarks."""
    copy = tmp_path / "other.task"
    shutil.copy(BUNDLED_MODEL, copy)
    with zipfile.ZipFile(copy, "a") as bundle:
        bundle.writestr("note.txt", "another model")
    return copy


@pytest.mark.media
def test_a_second_review_skips_the_model_and_judges_the_same(media: Path, tmp_path: Path) -> None:
    clip = tmp_path / "bridge.mp4"
    shutil.copy(media / "12_exercise_videos" / "bridge_side_physio.mp4", clip)
    cache = LandmarkCache(tmp_path / "landmarks")
    bridge = partial(StretchReview, get_stretch("bridge"))
    first = review_video(clip, bridge, ReviewOutputs(csv=tmp_path / "a.csv"), cache=cache)
    assert first.route == "pipeline" and len(cache.entries()) == 1
    again = review_video(clip, bridge, ReviewOutputs(csv=tmp_path / "b.csv"), cache=cache)
    assert again.route == "cache"
    keys = ("frames", "reps", "in_position_s", "good_form_s", "segments", "checks")
    for key in keys:
        assert getattr(again.result.summary, key) == getattr(first.result.summary, key), key
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    # Another engine on the same stored landmarks: no model either.
    assert review_video(clip, PostureReview, cache=cache).route == "cache"

    # Another model: never the stored landmarks of this one.
    settings = EstimatorSettings(model_path=other_model(tmp_path))
    assert review_video(clip, bridge, cache=cache, settings=settings).route == "pipeline"

    # The file changes (same name): a miss, reviewed by the model again.
    with clip.open("r+b") as f:
        f.seek(-1000, os.SEEK_END)
        tail = bytearray(f.read())
        tail[500] ^= 0xFF
        f.seek(-1000, os.SEEK_END)
        f.write(tail)
    changed = review_video(clip, bridge, cache=LandmarkCache(cache.folder))
    assert changed.route == "pipeline"
    stored = LandmarkCache(cache.folder).entries()
    assert len(stored) == 3  # the bridge clip before and after the change, and the other model
    assert all(np.isfinite(s.size) for s in stored)
