"""The app's pages with Streamlit's AppTest: real script runs, real model, no browser.

AppTest cannot start a WebRTC stream (the live path is tested in tests/e2e and, frame by frame,
in tests/test_stream.py); `get_this_session_info` is patched as streamlit-webrtc needs outside a
browser session.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PHOTO = str(ROOT / "app_pages" / "photo.py")
COACH = str(ROOT / "app_pages" / "coach.py")


@pytest.fixture(autouse=True)
def _no_browser_session(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit_webrtc.component

    monkeypatch.setattr(streamlit_webrtc.component, "get_this_session_info", lambda: None)


def _app(page: str = PHOTO) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def test_page_invites_an_upload() -> None:
    at = _app()
    assert at.title[0].value == "Photo check"
    assert len(at.file_uploader) == 1
    assert "Choose a photo" in at.info[0].value


def test_a_photo_shows_the_skeleton_and_joint_angles(media: Path) -> None:
    at = _app()
    photo = media / "01_hip_flexor_low_lunge" / "kneeling_hip_flexor_side.jpg"
    at.file_uploader[0].set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
    assert not at.exception and not at.error
    table = at.table[0].value
    rows = dict(zip(table["joint"], table["angle"], strict=True))
    # The back hip of the kneeling stretch: an unsigned angle of about 149 degrees.
    assert abs(int(rows["right hip"].rstrip("°")) - 149) <= 3
    assert rows["left elbow"] == "not visible"
    assert any("not visible from this side" in c.value for c in at.caption)


def test_a_photo_with_nobody_says_so() -> None:
    at = _app()
    blank = _png(np.full((240, 320, 3), 200, np.uint8))
    at.file_uploader[0].set_value(("wall.png", blank, "image/png")).run()
    assert not at.exception
    assert "No person found" in at.warning[0].value


def test_a_file_that_is_not_an_image_gets_one_clear_sentence() -> None:
    at = _app()
    at.file_uploader[0].set_value(("holiday.jpg", b"this is not a jpeg", "image/jpeg")).run()
    assert not at.exception
    assert at.error[0].value == (
        "holiday.jpg is not an image posecheck can read (JPEG, PNG, WebP, BMP or TIFF)."
    )


def test_the_app_opens_on_the_coach() -> None:
    at = _app(str(ROOT / "app.py"))
    assert at.title[0].value == "Stretch coach"


def test_coach_lists_the_catalog_and_guides_the_setup() -> None:
    from posecheck.specs import catalog

    at = _app(COACH)
    box = at.selectbox(key="coach_stretch")
    assert list(box.options) == [spec.name for spec in catalog().values()]
    hip = catalog()["kneeling-hip-flexor"]
    assert any(hip.camera in m.value for m in at.markdown)
    assert at.radio(key="coach_side").options == ["detect", "left", "right"]
    assert "Press START" in at.info[0].value
    assert at.session_state["coach_key"] == "coach-kneeling-hip-flexor-both"


def test_choosing_a_stretch_and_side_makes_a_new_engine() -> None:
    at = _app(COACH)
    first = at.session_state["coach_holder"]
    at.radio(key="coach_side").set_value("right").run()
    assert at.session_state["coach_key"] == "coach-kneeling-hip-flexor-right"
    assert at.session_state["coach_holder"] is not first


def test_stopping_the_coach_saves_what_was_measured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from posecheck.store import open_store
    from tests.conftest import fixture_pose

    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path))
    at = _app(str(ROOT / "app.py"))  # the end-of-session card links to the History page
    link = at.session_state["coach_link"]
    link.begin()
    pose = fixture_pose("kneeling_hip_flexor_side")
    for i in range(90):  # 3 s of a 30 s hold: stopped halfway
        link.update(pose, i / 30)
    link.ended()
    at.run()
    assert not at.exception
    message = at.success[0].value
    assert message.startswith("Saved to your history: 3 s of Kneeling hip flexor")
    assert message.endswith("held in good form (goal 30 s not reached).")
    with open_store() as store:
        (session,) = store.list_sessions()
    assert session.kind == "stretch" and session.stretch_id == "kneeling-hip-flexor"
    assert session.source == "live" and session.duration_s == pytest.approx(89 / 30, abs=0.01)


def test_a_coach_stream_with_nobody_in_view_is_not_saved(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path))
    at = _app(COACH)
    link = at.session_state["coach_link"]
    link.begin()
    for i in range(30):
        link.update(None, i / 30)
    link.ended()
    at.run()
    assert at.warning[0].value == "Nobody was in view, so nothing was saved to your history."
    assert not (tmp_path / "history.sqlite3").exists()


def test_the_photo_page_can_check_a_stretch(media: Path) -> None:
    at = _app()
    at.selectbox(key="photo_stretch").set_value("kneeling-hip-flexor").run()
    photo = media / "01_hip_flexor_low_lunge" / "kneeling_hip_flexor_side.jpg"
    at.file_uploader[0].set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert at.success[0].value == "In position, good form."
    table = at.table[0].value
    assert list(table["check"]) == ["front-knee", "trunk-upright", "pelvic-tilt"]
    assert set(table["status"]) == {"ok"}
    at.selectbox(key="photo_stretch").set_value("cobra").run()
    assert "Not in position for this stretch" in at.warning[0].value
