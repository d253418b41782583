"""A batch review on its own thread, as the Review page runs it: snapshots while it works, each
finished review saved to the history, and a cancel."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from posecheck.review import StretchReview
from posecheck.review.background import BackgroundBatch
from posecheck.review.batch import CANCELLED
from posecheck.specs import get_stretch
from posecheck.store import open_store
from tests.review.test_review import blank_video


@pytest.fixture(autouse=True)
def _private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))


def test_a_batch_reports_as_it_goes_and_saves_each_review(tmp_path: Path) -> None:
    videos = [blank_video(tmp_path / f"room{i}.mp4", frames=20) for i in range(2)]
    job = BackgroundBatch(videos, partial(StretchReview, get_stretch("cobra")))
    assert job.snapshot().fraction == 0.0
    job.start()
    job.join(120)
    snap = job.snapshot()
    assert not snap.running and snap.error is None and snap.fraction == 1.0
    assert [item.path for item in snap.items] == videos and snap.finished == 2
    with open_store() as store:
        sessions = {s.id: s for s in store.list_sessions()}
    assert set(snap.saved.values()) == set(sessions)
    assert {sessions[i].video for i in snap.saved.values()} == {str(v) for v in videos}


def test_a_cancelled_batch_keeps_what_finished(tmp_path: Path) -> None:
    videos = [blank_video(tmp_path / f"room{i}.mp4", frames=160) for i in range(3)]
    job = BackgroundBatch(videos, partial(StretchReview, get_stretch("cobra")), history=False)
    job.start()
    job.cancel()
    job.join(120)
    snap = job.snapshot()
    assert snap.cancelled and not snap.running and not snap.saved
    assert [item.error for item in snap.items][-1] == CANCELLED
    assert len(snap.items) == 3


def test_an_empty_batch_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one video"):
        BackgroundBatch([], partial(StretchReview, get_stretch("cobra")))
