"""The History page with AppTest, on a temporary history database (POSECHECK_DATA_DIR)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posecheck.history import save_session
from posecheck.store import open_store
from tests.sessions import posture_summary, stretch_summary

HISTORY = str(Path(__file__).resolve().parents[2] / "app_pages" / "history.py")
NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path))
    return tmp_path


def _seed() -> list[int]:
    stretch = stretch_summary("cat-cow", 28.0, duration=40.0, in_position=35.0, setting_up=5.0)
    posture = posture_summary(450.0, 150.0, alerts=2)
    return [
        save_session(stretch, started_at=NOW - timedelta(days=1)),
        save_session(replace(stretch, stretch="kneeling-hip-flexor"), side="left", started_at=NOW),
        save_session(posture, started_at=NOW - timedelta(days=1)),
        save_session(posture, source="review", video="desk.mp4", started_at=NOW),
    ]


def _app() -> AppTest:
    at = AppTest.from_file(HISTORY, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_empty_history_says_where_sessions_come_from() -> None:
    at = _app()
    assert at.title[0].value == "History"
    assert "No sessions yet" in at.info[0].value


def test_sessions_are_listed_with_trend_charts_and_details() -> None:
    ids = _seed()
    at = _app()
    table = at.dataframe[0].value
    assert list(table["id"]) == [ids[3], ids[1], ids[2], ids[0]]  # newest first
    assert "Kneeling hip flexor stretch (left)" in set(table["session"]) or any(
        "(left)" in s for s in table["session"]
    )
    assert "video desk.mp4" in set(table["from"])
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # two trends and the chosen session's timeline
    labels = {m.label: m.value for m in at.metric}
    assert labels["Slouched"] == "150 s" and labels["Alerts"] == "2"


def test_delete_asks_for_confirmation_then_removes_the_session() -> None:
    ids = _seed()
    at = _app()
    chosen = at.selectbox(key="history_pick").value
    assert chosen == ids[3]
    at.button(key="history_delete").click().run()
    assert "for good?" in at.warning[0].value
    at.button(key="history_no").click().run()
    with open_store() as store:
        assert len(store.list_sessions()) == 4
    at.button(key="history_delete").click().run()
    at.button(key="history_yes").click().run()
    assert not at.exception
    assert at.success[0].value == f"Session #{ids[3]} deleted."
    with open_store() as store:
        assert [s.id for s in store.list_sessions()] == [ids[1], ids[2], ids[0]]
    assert at.selectbox(key="history_pick").value == ids[1]


def test_an_unreadable_history_gets_one_sentence(data_dir: Path) -> None:
    (data_dir / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    at = _app()
    assert len(at.error) == 1 and "history" in at.error[0].value.lower()


def test_a_link_to_a_session_opens_its_details_first() -> None:
    ids = _seed()
    at = AppTest.from_file(HISTORY, default_timeout=30)
    at.query_params["session"] = str(ids[0])
    at.run()
    assert not at.exception
    assert at.selectbox(key="history_pick").value == ids[0]
    headings = [h.value for h in at.subheader]
    assert headings.index("Details") < headings.index("Trends")
    # The person may pick another session afterwards; the link does not pull it back.
    at.selectbox(key="history_pick").set_value(ids[2]).run()
    assert at.selectbox(key="history_pick").value == ids[2]


@pytest.mark.parametrize(
    ("asked", "sentence"),
    [
        ("abc", "The link asks for session 'abc', which is not a session number."),
        ("9999", "Session #9999 is not in your history (it may have been deleted)."),
    ],
)
def test_a_link_to_no_session_says_so_and_shows_the_history(asked: str, sentence: str) -> None:
    ids = _seed()
    at = AppTest.from_file(HISTORY, default_timeout=30)
    at.query_params["session"] = asked
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [sentence]
    assert at.selectbox(key="history_pick").value == ids[3]  # the newest, as without a link
