"""One long video in chunks: the grid, frame-exact seeking (a synthetic video, no model), and
on real clips a chunked review against a sequential one.

Every review restarts its tracker on the same grid (posecheck.review.chunks), so a chunked
review and a sequential one find the same landmarks bit for bit and their verdict timelines are
identical: stricter than the issue's tolerance (same phase on at least 99 % of frames, the same
reps, good-form time within 0.2 s). Against one unbroken tracker, which a chunk cannot
reproduce, the tolerance is what holds, and not on every clip: see the last test.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posecheck.review import PostureReview, StretchReview, review
from posecheck.review.chunks import Chunk, Grid, landmark_chunk, plan_chunks
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.specs import get_stretch
from posecheck.video import VideoWriter, probe, read_frames


def test_the_grid_covers_the_video_once_whatever_the_workers() -> None:
    chunks = plan_chunks(75_000, Grid(30_000, 1000))
    assert [(c.start_ms, c.end_ms, c.preroll_ms, c.first_ms) for c in chunks] == [
        (0, 30_000, 0, 0), (30_000, 60_000, 1000, 29_000), (60_000, None, 1000, 59_000)]
    assert plan_chunks(30_000) == [Chunk(0, 0, None, 0)]  # not longer than a chunk: one pass
    assert all(sum(c.holds(t) for c in chunks) == 1 for t in range(0, 80_000, 7))
    with pytest.raises(ValueError, match="preroll_ms < chunk_ms"):
        Grid(1000, 1000)


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 25 fps, every frame its own grey level, a keyframe every 12 frames and B-frames,
    so a seek lands mid-file and frames come out of the decoder reordered."""
    folder = tmp_path_factory.mktemp("chunks")
    with VideoWriter(folder / "plain.mp4", fps=25) as out:
        for i in range(100):
            out.write(np.full((96, 128, 3), 2 * i + 20, np.uint8))
    path = folder / "numbered.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(folder / "plain.mp4"),
                    "-c:v", "libx264", "-g", "12", "-bf", "2", "-an", str(path)],
                   check=True)  # fmt: skip
    return path


@pytest.mark.parametrize("start_ms", [0, 40, 1000, 1980, 2500, 3960])
def test_starting_partway_gives_the_sequential_frames(numbered: Path, start_ms: int) -> None:
    with read_frames(numbered) as reader:
        expected = [(f.t_ms, f.image) for f in reader if f.t_ms >= start_ms]
    with read_frames(numbered, start_ms=start_ms) as reader:
        got = [(f.t_ms, f.image) for f in reader]
        assert reader.warning is None
    assert [t for t, _ in got] == [t for t, _ in expected]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, expected, strict=True))


# --- real clips ----------------------------------------------------------------------------------

#: Chunks of 4 s put two to four boundaries into each clip (the product's chunks are 30 s).
GRID = Grid(4000, 1000)


def engine(stretch: str) -> Any:
    return PostureReview() if stretch == "posture" else StretchReview(get_stretch(stretch))


def timeline(
    path: Path, stretch: str, *, poses: LandmarkStream | None = None, grid: Grid | None = GRID
) -> tuple[Any, list[str], LandmarkStream | None]:
    """The review's summary, each frame's phase (posture: status) and its landmarks."""
    labels: list[str] = []

    def observe(_t: float, result: Any) -> None:
        labels.append((result.phase if hasattr(result, "phase") else result.status).value)

    result = review(path, engine(stretch), poses=poses, landmarker="inline", observe=observe,
                    keep_landmarks=poses is None, grid=grid)  # fmt: skip
    return result.summary, labels, result.landmarks


@dataclass
class Reviewed:
    sequential: tuple[Any, list[str], LandmarkStream | None]
    chunked: tuple[Any, list[str], LandmarkStream | None]
    unbroken: tuple[Any, list[str], LandmarkStream | None]


#: A squat (reps), a child's pose (a hold) and a desk clip whose hips the desk hides.
CLIPS = {
    "squats": ("02_deep_squat/squats_gym_side.mp4", "deep-squat"),
    "childs": ("03_childs_pose/childs_pose_side.mp4", "childs-pose"),
    "desk": ("10_desk_sitting/side_desk_woman_video.mp4", "posture"),
}


@pytest.fixture(scope="module", params=list(CLIPS))
def reviewed(
    request: pytest.FixtureRequest, media: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Reviewed]:
    """Each clip's first 9 s (the same packets, copied) reviewed three ways: sequentially (on
    the grid), in chunks of the grid (each computed on its own, as a worker would), and with
    one unbroken tracker."""
    clip, stretch = CLIPS[request.param]
    path = tmp_path_factory.mktemp("clip") / Path(clip).name
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(media / clip), "-t", "9",
                    "-c", "copy", "-an", str(path)], check=True)  # fmt: skip
    chunks = plan_chunks(round((probe(path).duration_s or 0) * 1000), GRID)
    assert len(chunks) >= 3
    joined = LandmarkStream.concat([landmark_chunk(path, c, grid=GRID).stream for c in chunks])
    return request.param, Reviewed(
        timeline(path, stretch), timeline(path, stretch, poses=joined),
        timeline(path, stretch, grid=None),
    )


def test_a_chunked_review_equals_the_sequential_review(reviewed: tuple[str, Reviewed]) -> None:
    _, r = reviewed
    (summary, labels, landmarks), (chunked, chunked_labels, _) = r.sequential, r.chunked
    assert landmarks is not None
    assert labels == chunked_labels and len(labels) == summary.frames
    # The issue's tolerance, met with room to spare: every frame agrees.
    assert chunked.reps == summary.reps
    assert chunked.good_form_s == summary.good_form_s
    assert chunked.segments == summary.segments and chunked.checks == summary.checks


def test_against_one_unbroken_tracker_the_issues_tolerance(reviewed: tuple[str, Reviewed]) -> None:
    """What the grid costs against one tracker that never restarts: on the squat and child's
    pose clips the issue's tolerance holds; on the desk clip, where the desk hides the hips and
    the tracker's guess of them depends on its history, the trunk angle differs by up to 4.5
    degrees for half a second after a boundary and the status differs on about 4 % of frames
    (docs/PERFORMANCE.md). Asserted as measured, so a change either way is noticed."""
    name, r = reviewed
    (grid, labels, _), (unbroken, unbroken_labels, _) = r.sequential, r.unbroken
    same = float(np.mean([a == b for a, b in zip(labels, unbroken_labels, strict=True)]))
    assert grid.reps == unbroken.reps
    if name == "desk":
        assert 0.9 <= same < 0.99, f"the same status on {same:.1%} of frames"
        return
    assert same >= 0.99, f"the same phase on only {same:.1%} of frames"
    assert abs(grid.good_form_s - unbroken.good_form_s) <= 0.2


@pytest.mark.media
def test_the_grid_gives_the_same_landmarks_wherever_its_chunks_run(media: Path) -> None:
    """Chunks computed in any order, in any process, give the same stream bit for bit (the
    landmarker is deterministic): what makes two workers, eight or a remote cluster agree."""
    path = media / "12_exercise_videos" / "bridge_side_physio.mp4"
    grid = Grid(1500, 500)
    chunks = plan_chunks(3000, grid)
    one = LandmarkStream.concat([landmark_chunk(path, c, grid=grid).stream for c in chunks])
    backwards = {c.index: landmark_chunk(path, c, grid=grid).stream for c in reversed(chunks)}
    again = LandmarkStream.concat([backwards[c.index] for c in chunks])
    np.testing.assert_array_equal(one.t_ms, again.t_ms)
    np.testing.assert_array_equal(one.landmarks, again.landmarks)
    np.testing.assert_array_equal(one.world, again.world)
    bridge = partial(StretchReview, get_stretch("bridge"))
    first, second = review(path, bridge(), poses=one), review(path, bridge(), poses=again)
    assert first.summary.to_json() | {"processing_fps": 0} == (
        second.summary.to_json() | {"processing_fps": 0})  # fmt: skip


class _Tracker:
    """Stands in for MediaPipe's tracker: its "pose" says which frame it started on, which is
    all that decides a real (deterministic) tracker's answer for a given frame."""

    def __init__(self, *_args: object) -> None:
        self.started: int | None = None

    def process(self, _frame: object, t_ms: int) -> tuple[int, int]:
        if self.started is None:
            self.started = t_ms
        return self.started, t_ms

    def close(self) -> None:
        pass


@pytest.mark.parametrize("times", [
    list(range(0, 20_000, 40)),                                   # 25 fps
    [t for t in range(0, 20_000, 33) if not 3_900 < t < 4_100],   # frames missing at a boundary
    [t for t in range(0, 20_000, 50) if not 6_500 < t < 8_600],   # a gap over a whole pre-roll
])  # fmt: skip
def test_a_whole_review_and_its_chunks_use_the_same_trackers(
    monkeypatch: pytest.MonkeyPatch, times: list[int]
) -> None:
    """Every frame's pose comes from a tracker started on the same frame, whether the video is
    reviewed whole (restarting on the grid) or chunk by chunk (each chunk on its own)."""
    import posecheck.review.chunks as chunks

    monkeypatch.setattr(chunks, "Estimator", _Tracker)
    grid = Grid(2000, 500)
    whole = chunks.GridTracker(None, grid)
    expected = {t: whole.process(None, t) for t in times}  # type: ignore[arg-type]
    for chunk in plan_chunks(times[-1] - 700, grid):  # a header a little short: the last runs on
        tracker = chunks.GridTracker(None, grid, chunk.start_ms, chunk.end_ms)
        for t in times:
            if t < chunk.first_ms or (chunk.end_ms is not None and t >= chunk.end_ms):
                continue
            pose = tracker.process(None, t)  # type: ignore[arg-type]
            if chunk.holds(t):
                assert pose == expected[t], (chunk, t)
    starts = sorted({started for started, _ in expected.values()})
    assert len(starts) >= 8  # it did restart, once per grid cell


@pytest.mark.media
def test_a_file_cut_short_says_so_once_in_chunks_too(media: Path, tmp_path: Path) -> None:
    """Its header promises 9.9 s, its frames stop after 2.2 s: the chunks planned past the
    end find nothing, and the chunk that reached the end says how far the file went."""
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((media / "03_childs_pose" / "childs_pose_side.mp4").read_bytes()[:150_000])
    grid = Grid(2000, 500)
    chunks = plan_chunks(round((probe(cut).duration_s or 0) * 1000), grid)
    assert len(chunks) == 5
    joined = LandmarkStream.concat([landmark_chunk(cut, c, grid=grid).stream for c in chunks])
    sequential = review(cut, engine("childs-pose"), landmarker="inline", grid=grid,
                        keep_landmarks=True)  # fmt: skip
    assert sequential.landmarks is not None
    np.testing.assert_array_equal(joined.t_ms, sequential.landmarks.t_ms)
    assert joined.warning == sequential.warning
    assert joined.warning is not None and "cut short: analysed the first 2.2 s" in joined.warning
