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
    assert at.radio(key="desk_view").options == ["detect", "side", "front", "three-quarter"]
    assert at.radio(key="desk_sensitivity").options == ["low", "medium", "high"]
    assert at.radio(key="desk_sensitivity").value == "medium"
    # The presets' numbers come from the rules (desk.toml), not a copy of them.
    assert "slouched 10 / 6 / 4 %" in at.radio(key="desk_sensitivity").help
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
    _feed(link, upright, t, 8.5)
    at.run()
    assert not at.exception
    assert at.success[0].value.startswith(
        "Calibrated (side view) and saved as camera profile 'default'"
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
    _feed(link, None, 0.0, 10.5)
    at.run()
    assert at.error[0].value.startswith("Calibration refused. Only 0 of ")
    assert link.baseline is None
    assert not (tmp_path / "profiles" / "default.json").exists()


def _bars(at: AppTest) -> str:
    return "".join(h.proto.body for h in at.get("html") if "desk-bar" in h.proto.body)


def _calibrate_front(at: AppTest, start: float = 0.0) -> float:
    """Click Calibrate and feed ten seconds of the real upright webcam man, checking the guide
    walks from the middle of the screen to its corners."""
    at.button(key="desk_calibrate").click().run()
    link = at.session_state["desk_link"]
    upright, setup = fixture_pose("hcpg_good_posture"), fixture_pose("hcpg_setup")
    t = _feed(link, upright, start, 1.0)
    at.run()
    assert any("Step 1 of 5. Sit upright and look at the middle of your screen." in m.value
               for m in at.markdown)  # fmt: skip
    assert any("where to look" in str(h.proto) for h in at.get("html"))
    t = _feed(link, setup, t, 2.5)
    at.run()
    assert any("Step 2 of 5. Sit upright and look at the top left corner of your screen."
               in m.value for m in at.markdown)  # fmt: skip
    assert 'data-measure="head_gap"' in _bars(at), "the range shows as it forms"
    t = _feed(link, upright, t, 7.0)
    at.run()  # the page's 0.5 s fragment takes the recording and calibrates
    return t


def test_a_front_webcam_calibrates_guided_then_shows_each_measure_against_its_range(
    tmp_path: Path,
) -> None:
    at = _app()
    t = _calibrate_front(at)
    assert not at.exception
    message = at.success[0].value
    assert message.startswith("Calibrated (front view) and saved as camera profile 'default'")
    assert "medium sensitivity" in message
    saved = json.loads((tmp_path / "profiles" / "default.json").read_text())
    assert saved["view"] == "front" and saved["sensitivity"] == "medium"
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("hcpg_setup"), t, 2.0)
    at.run()
    assert any("Good posture" in m.value for m in at.markdown)
    bars = _bars(at)
    assert 'data-measure="head_gap" data-state="inside"' in bars
    assert "green: your calibrated range" in bars
    assert {"measure", "now", "your range", "ok when"} <= set(at.table[0].value.columns)


def test_the_sunk_down_man_alerts_and_the_bar_shows_why() -> None:
    at = _app()
    t = _calibrate_front(at)
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, fixture_pose("hcpg_bad_posture"), t, 11.0)
    at.run()
    assert any("Slouching]: slouched" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Alerts"] == "1"
    assert 'data-measure="head_gap" data-state="outside"' in _bars(at)


def test_a_turned_head_is_not_judged_on_the_page() -> None:
    from tests.desk.test_front import drop_head, turn_nose

    at = _app()
    t = _calibrate_front(at)
    link = at.session_state["desk_link"]
    link.begin()
    _feed(link, drop_head(turn_nose(fixture_pose("hcpg_good_posture"), 30), 0.15), t, 12.0)
    at.run()
    assert any("Can't judge right now" in m.value for m in at.markdown)
    assert any("Head turned away" in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Alerts"] == "0"


def test_the_sensitivity_applies_live_and_comes_back_with_the_profile(tmp_path: Path) -> None:
    at = _app()
    at.radio(key="desk_sensitivity").set_value("low").run()
    t = _calibrate_front(at)
    assert "low sensitivity" in at.success[0].value
    link = at.session_state["desk_link"]
    link.begin()
    t = _feed(link, fixture_pose("hcpg_bad_posture"), t, 2.0)
    at.run()
    assert any("Good posture" in m.value for m in at.markdown)  # low misses a small sink
    at.radio(key="desk_sensitivity").set_value("high").run()
    _feed(link, fixture_pose("hcpg_bad_posture"), t, 2.0)
    at.run()
    assert any("Slouching]: slouched" in m.value for m in at.markdown)
    # A new visit loads the profile with the sensitivity it was calibrated with.
    again = _app()
    assert again.radio(key="desk_sensitivity").value == "low"


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
    # Not calibrated: the bars' key names no calibrated range that is not drawn.
    bars = _bars(at)
    assert "desk-bar" in bars and "amber: within the general limits" in bars
    assert "calibrated range" not in bars


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


def test_an_old_profile_is_refused_with_a_sentence_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "default.json").write_text(json.dumps({
        "format": "posecheck-posture-baseline", "version": 1, "view": "front",
        "metrics": {"head_height": 0.7}, "spread": {"head_height": 0.01}, "scale": 0.3,
        "frames": 30,
    }))  # fmt: skip
    at = _app()
    (warning,) = [w.value for w in at.warning]
    assert "older posecheck" in warning
    assert warning.endswith("recalibrate with `posecheck calibrate --profile default`.")
    assert at.button(key="desk_calibrate").label == "Calibrate"
    assert at.session_state["desk_link"].baseline is None
