"""The Desk page with AppTest: no stream, so poses are injected into the page's `DeskLink` (the
object the frame callback feeds) and the page is rerun, as its 0.5 s fragment would be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from posecheck.store import open_store
from tests.conftest import fixture_pose

ROOT = Path(__file__).resolve().parents[2]
DESK = str(ROOT / "app_pages" / "desk.py")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import streamlit_webrtc.component

    monkeypatch.setattr(streamlit_webrtc.component, "get_this_session_info", lambda: None)
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path))
    return tmp_path


def _app(page: str = DESK) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _feed(link: Any, pose: Any, start: float, seconds: float, fps: float = 30.0) -> float:
    t = start
    while t < start + seconds:
        link.update(pose, t)
        t += 1 / fps
    return t


def test_without_calibration_the_page_says_how_it_judges() -> None:
    at = _app()
    assert at.title[0].value == "Desk posture"
    assert at.radio(key="desk_view").options == ["detect", "side", "front"]
    assert any("Not calibrated" in c.value for c in at.caption)
    assert "Press START" in at.info[0].value
    assert at.button(key="desk_calibrate").label == "Calibrate"


def test_calibrate_records_shows_the_boundaries_and_saves_a_profile(tmp_path: Path) -> None:
    at = _app()
    at.button(key="desk_calibrate").click().run()
    link = at.session_state["desk_link"]
    assert "Waiting for the camera" in at.info[0].value
    upright = fixture_pose("side_upright_chair_man")
    t = _feed(link, upright, 0.0, 2.0)
    at.run()
    assert any("Calibrating" in m.value for m in at.markdown)
    assert at.table, "the boundaries are shown while the calibration records"
    _feed(link, upright, t, 4.0)
    at.run()
    assert not at.exception
    assert at.success[0].value.startswith(
        "Calibrated (side view) and saved as camera profile 'default'."
    )
    assert link.baseline is not None and link.baseline.view == "side"
    saved = json.loads((tmp_path / "profiles" / "default.json").read_text())
    assert saved["profile"] == "default" and saved["view"] == "side"
    assert at.button(key="desk_calibrate").label == "Recalibrate"
    assert any("Judged against your calibration" in c.value for c in at.caption)


def test_a_refused_calibration_gets_a_clear_sentence(tmp_path: Path) -> None:
    at = _app()
    at.button(key="desk_calibrate").click().run()
    link = at.session_state["desk_link"]
    _feed(link, None, 0.0, 5.5)
    at.run()
    assert at.error[0].value.startswith("Calibration refused. Only 0 of ")
    assert link.baseline is None
    assert not (tmp_path / "profiles" / "default.json").exists()


def test_live_status_and_running_statistics() -> None:
    at = _app()
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("side_upright_chair_man"), 0.0, 3.0)
    at.run()
    assert any("Good posture" in m.value for m in at.markdown)
    labels = {m.label: m.value for m in at.metric}
    assert set(labels) == {"Good", "Slouched", "Away", "Alerts", "Longest slouch"}
    assert labels["Good"] == "0:02" or labels["Good"] == "0:03"


def test_a_persistent_slouch_alerts_once_with_a_beep() -> None:
    at = _app()
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("side_hunchback_desk_man"), 0.0, 12.0)
    at.run()
    assert any("Slouching" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Alerts"] == "1"
    beeps = [h for h in at.get("html") if "AudioContext" in str(h.proto)]
    assert len(beeps) == 1
    at.run()
    assert not [h for h in at.get("html") if "AudioContext" in str(h.proto)], "beeps once"


def test_the_break_button_opens_the_coach_with_the_routine() -> None:
    at = _app(str(ROOT / "app.py"))
    at.switch_page("app_pages/desk.py").run()
    link = at.session_state["desk_link"]
    link.begin()
    upright = fixture_pose("side_upright_chair_man")
    link.update(upright, 0.0)
    link.update(upright, 46 * 60.0)  # 46 minutes seated
    at.run()
    assert any("time for a stretch break" in w.value for w in at.warning)
    at.button(key="desk_break").click().run()
    assert not at.exception
    assert at.title[0].value == "Stretch coach"
    assert at.session_state["routine"] == ["chest-opener", "kneeling-hip-flexor", "cat-cow"]
    assert at.selectbox(key="coach_stretch").value == "chest-opener"
    assert any("Stretch break" in i.value for i in at.info)
    # The monitor's seated clock starts again with the next frame.
    assert not link.update(upright, 46 * 60.0 + 1).break_due


def test_stopping_the_stream_saves_the_session(tmp_path: Path) -> None:
    at = _app(str(ROOT / "app.py"))  # the end-of-session card links to the History page
    at.switch_page("app_pages/desk.py").run()
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("side_upright_chair_man"), 0.0, 3.0)
    link.ended()
    at.run()
    assert any(s.value.startswith("Saved to your history: 3 s at the desk: ") for s in at.success)
    with open_store() as store:
        (session,) = store.list_sessions()
    assert session.kind == "posture" and session.source == "live"
    assert session.good_s is not None and session.good_s > 2


def test_a_failed_save_says_why_and_keeps_the_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _app()
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("side_upright_chair_man"), 0.0, 3.0)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(blocker))
    link.ended()
    at.run()
    not_saved = "Not saved to your history (3 s at the desk: "
    assert any(w.value.startswith(not_saved) for w in at.warning)
    assert {m.label for m in at.metric} >= {"Good", "Slouched"}
