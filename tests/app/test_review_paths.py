"""The Review page's review by path with AppTest: what a visitor may name (anything for the
person at this computer; only the allowed folders when the app is served to other computers,
where `..` and links must not lead out), the one-sentence errors, the folder review with its
table of results on real clips, the cancel button, and the settings that list the folders."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from posecheck.file_access import AppSettings, save_settings
from posecheck.store import open_store
from tests.review.test_review import blank_video

REVIEW = str(Path(__file__).resolve().parents[2] / "app_pages" / "review.py")


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def served_remotely() -> Iterator[None]:
    """The app as the README's remote set-up starts it: --server.address 0.0.0.0."""
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        config.set_option("server.address", before)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """An allowed folder with a video, a text file and links out; a secret folder beside it."""
    allowed, secret = tmp_path / "allowed", tmp_path / "secret"
    (allowed / "empty").mkdir(parents=True)
    secret.mkdir()
    blank_video(allowed / "room.mp4", frames=10)
    blank_video(secret / "private.mp4", frames=10)
    (allowed / "notes.txt").write_text("not a video")
    (allowed / "fake.mp4").write_text("not a video either")
    (allowed / "out.mp4").symlink_to(secret / "private.mp4")
    (allowed / "outside").symlink_to(secret, target_is_directory=True)
    return {"allowed": allowed, "secret": secret}


def _app() -> AppTest:
    at = AppTest.from_file(REVIEW, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _by_path(at: AppTest) -> AppTest:
    at.radio(key="review_source").set_value("path").run()
    return at


def _review(at: AppTest, path: str | Path) -> AppTest:
    at.text_input(key="review_path").set_value(str(path)).run()
    at.button(key="review_path_go").click().run()
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


# --- the person at this computer --------------------------------------------------------------


def test_on_this_computer_the_page_offers_uploads_and_paths() -> None:
    at = _app()
    assert at.radio(key="review_source").options == [
        "Upload (up to 200 MB)", "A file or folder on this computer",
    ]  # fmt: skip
    assert at.radio(key="review_source").value == "upload"
    assert len(at.file_uploader) == 1
    _by_path(at)
    assert not at.file_uploader and at.text_input(key="review_path") is not None


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("missing.mp4", "{p} does not exist."),
        ("empty", "The folder {p} holds no videos (mp4, mov, m4v, webm, mkv, avi files)."),
        ("notes.txt", "{p} is not a video: posecheck reviews mp4, mov, m4v, webm, mkv, avi files."),
        ("fake.mp4", "{p} is not a video posecheck can read "
                     "(expected a video file such as mp4, mov, m4v, webm, mkv or avi)."),
    ],
)  # fmt: skip
def test_a_bad_path_gets_one_sentence(tree: dict[str, Path], name: str, sentence: str) -> None:
    at = _review(_by_path(_app()), tree["allowed"] / name)
    assert _errors(at) == [sentence.format(p=tree["allowed"] / name)]
    assert "review_job" not in at.session_state


def test_a_relative_path_or_nothing_is_refused() -> None:
    at = _review(_by_path(_app()), "Videos/session.mp4")
    assert _errors(at) == ["Videos/session.mp4 is not a full path: start it with /."]
    at = _review(at, "   ")
    assert _errors(at) == ["Type the full path of a video, or of a folder of videos."]


# --- served to other computers ----------------------------------------------------------------


@pytest.mark.usefixtures("served_remotely")
def test_served_remotely_without_allowed_folders_there_is_no_path_option() -> None:
    at = _app()
    assert all(r.key != "review_source" for r in at.radio)
    assert not at.text_input and len(at.file_uploader) == 1
    assert not at.text_area, "visitors never see the folder settings to edit"


@pytest.mark.usefixtures("served_remotely")
def test_served_remotely_only_the_allowed_folders_can_be_read(tree: dict[str, Path]) -> None:
    allowed, secret = tree["allowed"], tree["secret"]
    save_settings(AppSettings((allowed,)))
    at = _by_path(_app())
    assert any(str(allowed) in c.value for c in at.caption)
    outside = (f"{{p}} is outside the folders this app may read ({allowed}); ask the person "
               "at this computer to add it in the app's settings.")  # fmt: skip
    for path in (secret / "private.mp4",            # plainly outside
                 f"{allowed}/../secret/private.mp4",  # .. leading out
                 allowed / "out.mp4",               # a link to a file outside
                 allowed / "outside",               # a link to a folder outside
                 allowed / "outside" / "private.mp4",
                 secret / "no-such-file.mp4",       # outside: not even whether it exists
                 "/etc/passwd"):  # fmt: skip
        at = _review(at, path)
        assert _errors(at) == [outside.format(p=path)], path
    assert not at.text_area, "only the person at this computer edits the allowed folders"
    # Inside, `..` that stays inside is fine, and listing the folder skips the links out.
    at = _review(at, f"{allowed}/empty/..")
    assert not _errors(at)
    job = at.session_state["review_job"]
    assert job.videos == (allowed / "fake.mp4", allowed / "room.mp4")
    job.join(120)


@pytest.mark.usefixtures("served_remotely")
def test_behind_a_proxy_on_this_machine_the_visitor_is_remote_too(tree: dict[str, Path]) -> None:
    from posecheck.file_access import PathAccess

    local = PathAccess.for_request(server_address="127.0.0.1", client_ip=None)
    proxied = PathAccess.for_request(server_address="127.0.0.1", client_ip=None, forwarded=True)
    lan = PathAccess.for_request(server_address="127.0.0.1", client_ip="192.168.1.7")
    assert local.anywhere and not proxied.offered and not lan.offered
    everywhere = PathAccess.for_request(server_address="", client_ip=None)
    assert not everywhere.offered


# --- a folder reviewed by path ----------------------------------------------------------------


def _trim(source: Path, out: Path, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-t", str(seconds), "-i", str(source),
         "-c:v", "libx264", "-preset", "ultrafast", "-an", str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    return out


def test_a_folder_is_reviewed_with_a_table_of_results(media: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clients"
    (folder / "week2").mkdir(parents=True)
    _trim(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", folder / "monday.mp4", 2.0)
    _trim(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4", folder / "week2" / "tue.mov", 1.5)
    (folder / "broken.mp4").write_text("not a video")
    at = _review(_by_path(_app()), folder)
    job = at.session_state["review_job"]
    assert [p.name for p in job.videos] == ["broken.mp4", "monday.mp4", "tue.mov"]
    job.join(300)
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["recording"]) == ["broken.mp4", "monday.mp4", "tue.mov"]
    results = dict(zip(table["recording"], table["result"], strict=True))
    assert "is not a video posecheck can read" in results["broken.mp4"]
    assert results["monday.mp4"] == "done" and results["tue.mov"] == "done"
    assert not at.success, "a failed recording makes it a warning"
    assert at.warning[0].value.startswith("Reviewed 2 of 3 recordings in ")
    assert "1 could not be reviewed (see the table)" in at.warning[0].value
    with open_store() as store:
        sessions = store.list_sessions()
    assert sorted(Path(s.video or "").name for s in sessions) == ["monday.mp4", "tue.mov"]
    links = [d for d in table["details"] if isinstance(d, str)]
    assert sorted(links) == sorted(f"history?session={s.id}" for s in sessions)
    assert [d.proto.label for d in at.get("download_button")] == ["Results table (CSV)"]


def test_a_review_under_way_can_be_cancelled(tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    for name in ("a", "b", "c"):
        blank_video(folder / f"{name}.mp4", frames=160)
    at = _review(_by_path(_app()), folder).run()
    assert at.button(key="review_path_go").disabled, "one review at a time"
    at.button(key="review_cancel").click().run()
    job = at.session_state["review_job"]
    job.join(120)
    at.run()
    table = at.dataframe[0].value
    assert list(table["result"])[-1] == "cancelled"
    assert "cancelled before the rest" in at.warning[0].value


# --- the settings -----------------------------------------------------------------------------


def test_the_person_at_this_computer_lists_the_allowed_folders(tree: dict[str, Path]) -> None:
    from posecheck.file_access import load_settings

    at = _app()
    at.text_area(key="review_allowed").set_value(f"{tree['allowed']}\n\n{tree['allowed']}\n").run()
    at.button(key="review_allowed_save").click().run()
    assert at.success[0].value == f"Saved. Folders other computers may review: {tree['allowed']}."
    assert load_settings().allowed_folders == (tree["allowed"].resolve(),)
    at.text_area(key="review_allowed").set_value(str(tree["allowed"] / "notes.txt")).run()
    at.button(key="review_allowed_save").click().run()
    assert _errors(at) == [f"{tree['allowed'] / 'notes.txt'} is not a folder on this computer."]
    assert load_settings().allowed_folders == (tree["allowed"].resolve(),)  # unchanged
