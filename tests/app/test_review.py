"""The Review page with AppTest: a real (trimmed) clip uploaded, reviewed with the real model,
and the summary, charts, video and downloads shown; a file that is not a video gets a sentence."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posecheck.store import open_store

REVIEW = str(Path(__file__).resolve().parents[2] / "app_pages" / "review.py")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _trim(source: Path, out: Path, seconds: float) -> bytes:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-t", str(seconds), "-i", str(source),
         "-c:v", "libx264", "-preset", "ultrafast", "-an", str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="module")
def lunge_clip(media: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("clips") / "lunges.mp4"
    return _trim(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", out, 3.5)


@pytest.fixture(scope="module")
def desk_clip(media: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("clips") / "desk.mp4"
    return _trim(media / "10_desk_sitting" / "side_desk_woman_video.mp4", out, 3.0)


def _app() -> AppTest:
    at = AppTest.from_file(REVIEW, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_invites_an_upload() -> None:
    at = _app()
    assert at.title[0].value == "Review a recording"
    assert "Choose a video" in at.info[0].value
    assert at.radio(key="review_kind").options == ["stretch", "whole routine", "desk posture"]


def test_a_stretch_video_gives_summary_charts_video_and_downloads(lunge_clip: bytes) -> None:
    at = _app()
    at.file_uploader(key="review_upload").set_value(("lunges.mp4", lunge_clip, "video/mp4")).run()
    at.button(key="review_go").click().run()
    assert not at.exception and not at.error
    labels = {m.label: m.value for m in at.metric}
    assert labels["Duration"] in ("3 s", "4 s")
    person, _, total = labels["Frames with a person"].partition(" of ")
    assert 85 <= int(total) <= 90 and int(person) >= 0.8 * int(total)  # 3.5 s at 25 fps
    assert len(at.get("vega_lite_chart")) >= 1
    assert len(at.get("video")) == 1
    downloads = [d.proto.label for d in at.get("download_button")]
    assert downloads == ["Per-frame CSV", "Summary JSON", "Annotated video (MP4)"]
    assert at.success[0].value == "Saved to your history."
    with open_store() as store:
        (session,) = store.list_sessions()
    assert session.source == "review" and session.video == "lunges.mp4"
    assert session.stretch_id == "kneeling-hip-flexor"
    # A rerun (a widget, a download) shows the same results without reviewing again.
    outcome = at.session_state["review_outcome"]
    at.run()
    assert at.session_state["review_outcome"] is outcome
    with open_store() as store:
        assert len(store.list_sessions()) == 1


def test_a_desk_video_gives_the_posture_summary(desk_clip: bytes) -> None:
    at = _app()
    at.radio(key="review_kind").set_value("desk posture").run()
    at.file_uploader(key="review_upload").set_value(("desk.mp4", desk_clip, "video/mp4")).run()
    at.button(key="review_go").click().run()
    assert not at.exception and not at.error
    labels = {m.label for m in at.metric}
    assert {"Good", "Slouched", "Alerts", "Longest slouch"} <= labels
    assert len(at.get("vega_lite_chart")) >= 1
    assert len(at.get("video")) == 1


def test_a_file_that_is_not_a_video_gets_one_clear_sentence() -> None:
    at = _app()
    at.file_uploader(key="review_upload").set_value(
        ("holiday.mp4", b"these are not the frames you are looking for", "video/mp4")
    ).run()
    at.button(key="review_go").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "holiday.mp4 is not a video posecheck can read "
        "(expected a video file such as mp4, mov, m4v, webm, mkv or avi)."
    ]
    assert not at.get("video")


# --- a whole routine (issue 11) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def squats_clip(media: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("clips") / "squats.mp4"
    return _trim(media / "02_deep_squat" / "squats_gym_side.mp4", out, 7.0)


def test_a_whole_routine_lists_each_stretch_found_and_saves_one_session_each(
    squats_clip: bytes,
) -> None:
    at = _app()
    at.radio(key="review_kind").set_value("whole routine").run()
    assert not [s for s in at.selectbox if s.key == "review_stretch"]
    at.file_uploader(key="review_upload").set_value(("squats.mp4", squats_clip, "video/mp4"))
    at.run()
    at.button(key="review_go").click().run()
    assert not at.exception and not at.error
    labels = {m.label: m.value for m in at.metric}
    assert labels["Stretches found"] == "1"
    (table,) = at.table
    rows = table.value.to_dict("records")
    assert rows[0]["stretch"] == "Deep squat (hip mobility drill)"
    assert rows[0]["reps"] == "3 (3 good)"  # the first three squats of the clip, by eye
    with open_store() as store:
        (session,) = store.list_sessions()
    assert session.stretch_id == "deep-squat" and session.reps == 3
