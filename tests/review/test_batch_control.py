"""A batch review that a page drives: progress after every frame, and a cancel that stops the
video under review within a frame, starts no other and keeps what had finished."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

import pytest

from posecheck.review import ReviewOutputs, StretchReview
from posecheck.review.batch import CANCELLED, review_many
from posecheck.specs import get_stretch
from tests.review.test_review import blank_video


@pytest.fixture
def rooms(tmp_path: Path) -> list[Path]:
    return [blank_video(tmp_path / f"room{i}.mp4", frames=30) for i in range(3)]


def test_progress_is_reported_after_every_frame_of_each_video(
    rooms: list[Path], tmp_path: Path
) -> None:
    seen: list[tuple[Path, int, int | None]] = []
    items = review_many(rooms[:2], partial(StretchReview, get_stretch("cobra")),
                        landmarker="inline", progress=lambda *a: seen.append(a))  # fmt: skip
    assert all(item.ok for item in items)
    for room in rooms[:2]:
        frames = [done for path, done, _ in seen if path == room]
        assert frames == list(range(1, 31))
    assert {total for _, _, total in seen} == {30}


def test_cancel_stops_the_review_under_way_and_starts_no_other(
    rooms: list[Path], tmp_path: Path
) -> None:
    cancel = threading.Event()
    done: list[Path] = []

    def progress(path: Path, frames: int, total: int | None) -> None:
        if path == rooms[1] and frames == 10:
            cancel.set()  # the person presses Cancel during the second video

    items = review_many(
        rooms, partial(StretchReview, get_stretch("cobra")), landmarker="inline",
        out_dir=tmp_path / "out", cancel=cancel, progress=progress,
        on_done=lambda item: done.append(item.path),
    )  # fmt: skip
    assert [item.path for item in items] == rooms
    first, second, third = items
    assert first.ok and first.summary is not None and first.summary.frames == 30
    assert second.error == CANCELLED and third.error == CANCELLED
    assert second.summary is None and second.outputs == ReviewOutputs()
    assert done == [rooms[0]]
    # The interrupted review leaves no half-written file; the finished one keeps its outputs.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["room0.csv", "room0.json"]


def test_a_batch_cancelled_before_it_starts_reviews_nothing(rooms: list[Path]) -> None:
    cancel = threading.Event()
    cancel.set()
    items = review_many(rooms, partial(StretchReview, get_stretch("cobra")), cancel=cancel)
    assert [item.error for item in items] == [CANCELLED] * 3


def test_cancel_reaches_the_workers_of_a_pool(rooms: list[Path], tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()  # set before the workers start: they stop at their first frame
    items = review_many(rooms, partial(StretchReview, get_stretch("cobra")), workers=2,
                        cancel=cancel)  # fmt: skip
    assert [item.error for item in items] == [CANCELLED] * 3
