"""The photo page's logic with Streamlit's AppTest: a real script run, real model, no browser."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def test_page_invites_an_upload() -> None:
    at = _app()
    assert at.title[0].value == "posecheck"
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
