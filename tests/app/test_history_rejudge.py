"""The History page judges a reviewed video again from its stored landmarks: another stretch
or desk posture, in a moment, without the model; and says so when it cannot."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posecheck.history import save_session
from posecheck.review import StretchReview
from posecheck.review.cache import LandmarkCache
from posecheck.review.scale import review_video
from posecheck.specs import get_stretch
from posecheck.store import open_store

HISTORY = str(Path(__file__).resolve().parents[2] / "app_pages" / "history.py")


@pytest.fixture
def reviewed(media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bridge clip reviewed once (its landmarks stored) and saved to a fresh history."""
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))
    clip = tmp_path / "bridge.mp4"
    shutil.copy(media / "12_exercise_videos" / "bridge_side_physio.mp4", clip)
    result = review_video(clip, partial(StretchReview, get_stretch("bridge")),
                          cache=LandmarkCache.default()).result  # fmt: skip
    save_session(result.summary, source="review", video=clip.resolve())
    return clip


def _judge(as_what: str) -> AppTest:
    at = AppTest.from_file(HISTORY, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="rejudge_as_1").set_value(as_what)
    at.button(key="rejudge_go_1").click()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.media
def test_a_reviewed_video_is_judged_again_and_saved(reviewed: Path) -> None:
    at = _judge("Desk posture")
    assert not at.error, [e.value for e in at.error]
    assert {m.label for m in at.metric} >= {"Good", "Slouched", "Alerts"}
    at.button(key="rejudge_save_1").click()
    at.run()
    assert "Saved as session #2" in at.success[0].value
    with open_store() as store:
        kinds = [(r.kind, r.source, r.video) for r in store.list_sessions()]
    assert kinds == [("posture", "review", str(reviewed.resolve())),
                     ("stretch", "review", str(reviewed.resolve()))]  # fmt: skip


@pytest.mark.media
def test_a_changed_video_is_not_judged_from_old_landmarks(reviewed: Path) -> None:
    reviewed.write_bytes(reviewed.read_bytes()[:-100])
    at = _judge("Cobra")
    assert "are not stored" in at.error[0].value
    reviewed.unlink()
    at = _judge("Cobra")
    assert "no longer there" in at.error[0].value
