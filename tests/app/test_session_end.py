"""The end of a live session with AppTest: when the stream stops, the live panel gives way to a
card of what was just done, saved to the history, compared with the session before it and
linked to its details on the History page. Poses go into the page's engine link (the object
the frame callback feeds), as in tests/app/test_desk.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from posecheck.history import save_session
from posecheck.pose import Pose
from posecheck.store import open_store
from tests.conftest import FIXTURES, fixture_pose
from tests.sessions import posture_summary, stretch_summary

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import streamlit_webrtc.component

    monkeypatch.setattr(streamlit_webrtc.component, "get_this_session_info", lambda: None)
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path))
    return tmp_path


def _app(page: str | None = None) -> AppTest:
    """The whole app (the cards link to the History page, which only exists in its navigation),
    opened on `page`."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _squats(until_s: float = 1e9) -> list[tuple[float, Pose | None]]:
    """(time, pose) for the frames of the real side-view squat clip (six down-up squats)."""
    data = json.loads((FIXTURES / "sequences" / "squats_gym_side_seq.json").read_text())
    size = (int(data["image_size"][0]), int(data["image_size"][1]))
    return [
        (f["t_ms"] / 1000, f["pose"] and Pose.from_json(f["pose"], size, f["t_ms"]))
        for f in data["frames"]
        if f["t_ms"] / 1000 <= until_s
    ]


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta or "") for m in at.metric}


def _links(at: AppTest) -> dict[str, str]:
    return {link.proto.label: link.proto.query_string for link in at.get("page_link")}


def _live_panel_shown(at: AppTest) -> bool:
    phases = ("Setting up", "In position", "Holding", "Nobody in view", "Done")
    return any(m.value.startswith("### :") and any(p in m.value for p in phases)
               for m in at.markdown) or bool(at.get("progress"))  # fmt: skip


def _feed(link: Any, frames: list[tuple[float, Pose | None]]) -> None:
    link.begin()
    for t, pose in frames:
        link.update(pose, t)


def test_after_stop_the_coach_shows_what_was_done_instead_of_the_live_panel() -> None:
    at = _app()
    at.selectbox(key="coach_stretch").set_value("deep-squat").run()
    link = at.session_state["coach_link"]
    _feed(link, _squats())
    at.run()
    assert _live_panel_shown(at), "the live panel while the stream runs"
    link.ended()
    at.run()
    assert not at.exception
    assert not _live_panel_shown(at), "no stale phase, cue or rep bar after STOP"
    assert not at.table, "no stale checks table after STOP"
    assert not any("frames/s processed" in c.value for c in at.caption)
    message = at.success[0].value
    assert message.startswith("Saved to your history: ")
    # What was done, not only the hold time.
    assert "of Deep squat (hip mobility drill), 6 of 10 reps, " in message
    metrics = _metrics(at)
    assert metrics["Reps"] == ("6 of 10", "")
    assert {"Time", "Held in good form", "Best hold"} <= set(metrics)
    held = float(metrics["Held in good form"][0].removesuffix(" s"))
    best = float(metrics["Best hold"][0].removesuffix(" s"))
    assert 0 <= best <= held
    assert any("Your first Deep squat (hip mobility drill) session" in c.value for c in at.caption)
    with open_store() as store:
        (session,) = store.list_sessions()
    assert session.reps == 6
    assert _links(at) == {"This session in your history": f"session={session.id}"}


def test_the_card_compares_with_the_last_session_of_the_same_stretch() -> None:
    earlier = stretch_summary("deep-squat", 2.0, reps=3, duration=20.0)
    last_id = save_session(earlier, started_at=datetime.now(UTC) - timedelta(days=1))
    save_session(stretch_summary("cobra", 50.0), started_at=datetime.now(UTC) - timedelta(hours=1))
    at = _app()
    at.selectbox(key="coach_stretch").set_value("deep-squat").run()
    link = at.session_state["coach_link"]
    _feed(link, _squats())
    link.ended()
    at.run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Reps"] == ("6 of 10", "+3")
    assert metrics["Held in good form"][1].endswith(" s")
    compared = "**Compared with your last Deep squat (hip mobility drill) session**"
    assert any(m.value.startswith(compared) and "2 s held in good form, 3 reps then" in m.value
               for m in at.markdown)  # fmt: skip
    links = _links(at)
    assert links["Details of that session"] == f"session={last_id}"
    assert links["This session in your history"] != f"session={last_id}"


def test_a_second_start_replaces_the_card_with_the_new_stream() -> None:
    at = _app()
    link = at.session_state["coach_link"]
    _feed(link, [(i / 30, fixture_pose("kneeling_hip_flexor_side")) for i in range(60)])
    link.ended()
    at.run()
    assert at.success[0].value.startswith("Saved to your history: ")
    link.begin()
    link.update(fixture_pose("kneeling_hip_flexor_side"), 0.0)
    at.run()
    assert not at.success, "the old card goes when a new stream starts"
    assert _live_panel_shown(at)


def test_the_history_link_opens_that_session() -> None:
    at = _app()
    link = at.session_state["coach_link"]
    _feed(link, [(i / 30, fixture_pose("kneeling_hip_flexor_side")) for i in range(60)])
    link.ended()
    at.run()
    with open_store() as store:
        (session,) = store.list_sessions()
    save_session(stretch_summary("cobra", 5.0))  # a newer one, which the page would show first
    query = _links(at)["This session in your history"]
    history = AppTest.from_file(APP, default_timeout=60)
    history.query_params["session"] = query.removeprefix("session=")
    history.run()
    history.switch_page("app_pages/history.py").run()
    assert not history.exception
    assert history.selectbox(key="history_pick").value == session.id


def test_after_stop_the_desk_shows_the_session_and_compares_with_yesterday() -> None:
    save_session(posture_summary(300.0, 100.0, alerts=1),
                 started_at=datetime.now(UTC) - timedelta(days=1))  # fmt: skip
    at = _app("app_pages/desk.py")
    link = at.session_state["desk_link"]
    link.begin()
    t = 0.0
    for pose, seconds in ((fixture_pose("side_upright_chair_man"), 6.0),
                          (fixture_pose("side_hunchback_desk_man"), 12.0)):  # fmt: skip
        end = t + seconds
        while t < end:
            link.update(pose, t)
            t += 1 / 30
    at.run()
    assert any("Slouching" in m.value for m in at.markdown)
    link.ended()
    at.run()
    assert not at.exception
    assert not any("Slouching" in m.value for m in at.markdown), "no stale live status"
    assert not at.get("progress")
    message = at.success[0].value
    assert message.startswith("Saved to your history: 18 s at the desk: ")
    assert message.endswith(" slouched, 1 alert.")
    metrics = _metrics(at)
    assert metrics["Alerts"][0] == "1"
    assert {"Good", "Slouched", "Away", "Longest slouch"} <= set(metrics)
    share, delta = metrics["Time slouched, share of judged time"]
    assert share.endswith("%") and delta.endswith("points against yesterday")
    assert any(c.value.startswith("Yesterday: 25% slouched") for c in at.caption)
    with open_store() as store:
        newest = store.list_sessions()[0]
    assert _links(at) == {"This session in your history": f"session={newest.id}"}


def test_a_desk_session_without_an_earlier_day_says_so() -> None:
    at = _app("app_pages/desk.py")
    link = at.session_state["desk_link"]
    link.begin()
    for i in range(90):
        link.update(fixture_pose("side_upright_chair_man"), i / 30)
    link.ended()
    at.run()
    assert any("No earlier day of desk sessions" in c.value for c in at.caption)
