"""The command line against hostile and unlucky input (issue 13), as a user runs it: a real
process each time, a tiny clip and photo made here (no shared media needed), and for every case
the exit status, the one sentence on stderr, and that no file of the user's was harmed.

Each row of CASES sets up a folder, runs one command and checks what it left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.outputs import PendingFile, output_target

POSECHECK = Path(sys.executable).parent / "posecheck"
TEMPLATE = Path(__file__).parents[2] / "posecheck" / "specs" / "stretches" / "13_cobra.toml"


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A one-second test-pattern clip (nobody in it: the review is quick) and a blank photo."""
    folder = tmp_path_factory.mktemp("made")
    clip = folder / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "1", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", clip)  # fmt: skip
    ok, photo = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    assert ok
    return {"clip.mp4": clip.read_bytes(), "photo.png": photo.tobytes()}


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "POSECHECK_DATA_DIR": str(cwd / "data"), **(env or {})}
    return subprocess.run(
        [str(POSECHECK), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=environment, check=False,
    )  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posecheck: "), result.stderr
    return lines[0]


@dataclass
class Case:
    """One hostile run: `setup` makes files in the folder and returns the command's arguments;
    `after` checks the folder afterwards (given the digests of the files made)."""

    name: str
    setup: Callable[[Path], list[str]]
    status: int
    stderr: str = ""  # expected in the one sentence (status 1), or "" for none
    after: Callable[[Path, dict[str, str]], None] = lambda folder, before: None
    env: dict[str, str] = field(default_factory=dict)


def unchanged(*names: str) -> Callable[[Path, dict[str, str]], None]:
    def check(folder: Path, before: dict[str, str]) -> None:
        for name in names:
            assert digest(folder / name) == before[name], f"{name} was changed"

    return check


def only(*names: str) -> Callable[[Path, dict[str, str]], None]:
    """Nothing was written but these (and the history folder)."""

    def check(folder: Path, before: dict[str, str]) -> None:
        assert sorted(p.name for p in folder.iterdir() if p.name != "data") == sorted(names)

    return check


def both(*checks: Callable[[Path, dict[str, str]], None]) -> Callable[[Path, dict[str, str]], None]:
    def check(folder: Path, before: dict[str, str]) -> None:
        for each in checks:
            each(folder, before)

    return check


def review(*extra: str) -> Callable[[Path], list[str]]:
    return lambda folder: ["review", "clip.mp4", "--stretch", "cobra", *extra]


def with_link(
    name: str, target: str, *argv: str, hard: bool = False
) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        if hard:
            os.link(folder / target, folder / name)
        else:
            (folder / name).symlink_to(folder / target)
        return list(argv)

    return setup


def spec_case(edit: Callable[[str], str], name: str = "mine.toml") -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        text = TEMPLATE.read_text().replace('id = "cobra"', 'id = "my-cobra"', 1)
        (folder / name).write_text(edit(text), encoding="utf-8")
        return ["check", "photo.png", "--stretch", name]

    return setup


def fifo(name: str, *argv: str) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        os.mkfifo(folder / name)
        return list(argv)

    return setup


def is_fifo(name: str) -> Callable[[Path, dict[str, str]], None]:
    return lambda folder, before: assert_fifo(folder / name)


def assert_fifo(path: Path) -> None:
    assert stat.S_ISFIFO(path.lstat().st_mode), f"{path} is no longer a FIFO"


def two_videos(folder: Path) -> list[str]:
    (folder / "more").mkdir()
    (folder / "more" / "clip.mp4").write_bytes((folder / "clip.mp4").read_bytes())
    return ["review", "clip.mp4", "more/clip.mp4"]


def deep_json(folder: Path) -> list[str]:
    (folder / "profile.json").write_text("[" * 100_000 + "]" * 100_000)
    return ["posture", "photo.png", "--baseline", "profile.json"]


CASES = [
    # 1. An output that is an input, or another output of the same run.
    Case("csv-over-the-video", review("--csv", "clip.mp4"), 1,
         "The CSV file clip.mp4 is the video being reviewed: writing it would destroy it",
         unchanged("clip.mp4")),
    Case("json-over-the-video", review("--json", "clip.mp4"), 1,
         "The JSON summary clip.mp4 is the video being reviewed", unchanged("clip.mp4")),
    Case("video-over-the-video", review("--video", "clip.mp4"), 1,
         "The annotated video clip.mp4 is the video being reviewed", unchanged("clip.mp4")),
    Case("csv-over-a-hard-link-of-the-video",
         with_link("copy.csv", "clip.mp4", *review("--csv", "copy.csv")(Path()), hard=True), 1,
         "is the video being reviewed clip.mp4 under another name", unchanged("clip.mp4")),
    Case("csv-over-a-symlink-to-the-video",
         with_link("latest.csv", "clip.mp4", *review("--csv", "latest.csv")(Path())), 1,
         "is the video being reviewed clip.mp4 under another name", unchanged("clip.mp4")),
    Case("json-and-csv-one-file", review("--json", "out.txt", "--csv", "out.txt"), 1,
         "The CSV file out.txt and the JSON summary out.txt are the same file",
         only("clip.mp4", "photo.png")),
    Case("check-draws-over-its-photo",
         lambda f: ["check", "photo.png", "--stretch", "cobra", "--out", "photo.png"], 1,
         "The drawn photo photo.png is the photo: writing it would destroy it",
         unchanged("photo.png")),
    Case("csv-into-the-history", review("--csv", "data/history.sqlite3"), 1,
         "is the history database"),
    Case("batch-into-the-folder-of-its-videos", lambda f: [
        *two_videos(f), "--stretch", "cobra", "--out-dir", ".", "--video-all"], 1,
         "The annotated video clip.mp4 is the video being reviewed", unchanged("clip.mp4")),
    # 2. Devices, FIFOs and symbolic links as outputs: written into, never replaced.
    Case("json-to-the-null-device", review("--json", "/dev/null"), 0,
         after=lambda f, b: assert_char_device("/dev/null")),
    Case("video-to-a-fifo", fifo("out.mp4", *review("--video", "out.mp4")(Path())), 1,
         "Cannot write the annotated video to out.mp4: it is a FIFO (named pipe), and the "
         "annotated video needs a regular file", is_fifo("out.mp4")),
    Case("csv-to-a-fifo-nobody-reads", fifo("rows.csv", *review("--csv", "rows.csv")(Path())),
         1, "it is a FIFO that nobody is reading", is_fifo("rows.csv")),
    Case("json-through-a-symlink", lambda f: (f / "results.json").write_text("{}") and with_link(
        "latest.json", "results.json", *review("--json", "latest.json")(Path()))(f), 0,
         after=lambda f, b: assert_link_to(f / "latest.json", f / "results.json")),
    Case("json-to-a-dangling-symlink", with_link("gone.json", "nowhere/x.json",
                                                 *review("--json", "gone.json")(Path())), 1,
         "it is a symbolic link to"),
    Case("thumbnails-folder-is-a-file", review("--thumbnails", "photo.png"), 1,
         "The thumbnails folder photo.png is a file, not a folder", unchanged("photo.png")),
    # 3. An empty data folder variable.
    Case("empty-data-dir", review("--json", "out.json"), 1,
         "POSECHECK_DATA_DIR is set but empty", only("clip.mp4", "photo.png"),
         env={"POSECHECK_DATA_DIR": ""}),
    Case("bad-history-wait", review(), 1, "POSECHECK_HISTORY_WAIT_S must be a number of seconds",
         env={"POSECHECK_HISTORY_WAIT_S": "soon"}),
    # 7. Numbers SQLite cannot hold.
    Case("huge-delete", lambda f: ["history", "delete", "9223372036854775808"], 1,
         "There is no session 9223372036854775808 in the history"),
    Case("huge-limit", lambda f: ["history", "--limit", "99999999999999999999999"], 1,
         "--limit must be a whole number from 0 to"),
    # 8. A profile nested past the parser's recursion.
    Case("deeply-nested-profile", deep_json, 1,
         "The profile file profile.json is damaged (nested too deeply)"),
    # 9. FIFOs and folders as inputs: refused at once, named for what they are.
    Case("fifo-as-the-photo", fifo("pipe.jpg", "landmarks", "pipe.jpg"), 1,
         "pipe.jpg is a FIFO (named pipe), not an image file: posecheck reads only regular files"),
    Case("fifo-as-the-video", fifo("pipe.mp4", "review", "pipe.mp4", "--stretch", "cobra"), 1,
         "pipe.mp4 is a FIFO (named pipe), not a video file"),
    Case("folder-as-the-spec", lambda f: (f / "specs").mkdir() or ["check", "photo.png",
                                                                   "--stretch", "specs"], 1,
         "specs is a folder, not a spec file"),
    Case("folder-as-the-baseline", lambda f: (f / "up").mkdir() or [
        "posture", "photo.png", "--baseline", "up"], 1, "up is a folder, not a baseline photo"),
    # 12. Specs that would judge nothing, or the impossible.
    Case("spec-without-checks", spec_case(lambda t: "checks = []\n" + t.split("[[checks]]")[0]),
         1, "mine.toml: checks: is empty"),
    Case("spec-without-entry", spec_case(
        lambda t: "entry = []\n" + "\n".join(
            block for block in t.split("\n[[") if not block.startswith("entry]]"))
        .replace("checks]]", "[[checks]]")), 1, "mine.toml: entry: is empty"),
    Case("spec-limit-outside-the-metric", spec_case(
        lambda t: t.replace("min = 25\nmax = 80", "min = 25\nmax = 250", 1)), 1,
         "checks[0].max: 250 is outside what chest_lift can measure (-90 to 90°)"),
    Case("spec-with-a-shipped-id", spec_case(lambda t: t.replace('"my-cobra"', '"cobra"')), 1,
         "mine.toml: id: 'cobra' is the id of the shipped stretch"),
    Case("spec-with-a-byte-order-mark", spec_case(lambda t: "\ufeff" + t), 0),
]


def assert_char_device(path: str) -> None:
    assert stat.S_ISCHR(os.stat(path).st_mode)


def assert_link_to(link: Path, target: Path) -> None:
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert json.loads(target.read_text())["frames"] == 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, made: dict[str, bytes], tmp_path: Path) -> None:
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "data").mkdir()
    argv = case.setup(tmp_path)
    before = {p.name: digest(p) for p in tmp_path.iterdir() if p.is_file() and not p.is_symlink()
              and stat.S_ISREG(p.stat().st_mode)}  # fmt: skip
    result = run(argv, tmp_path, case.env)
    assert result.returncode == case.status, result.stderr
    assert "Traceback" not in result.stderr
    if case.status == 1:
        assert case.stderr in one_sentence(result)
    case.after(tmp_path, before)
    assert not list(tmp_path.glob(".*.partial"))


# --- cases that need more than one command -----------------------------------------------------


@pytest.fixture
def folder(made: dict[str, bytes], tmp_path: Path) -> Path:
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_a_reader_that_stops_early_ends_the_command_quietly(folder: Path, reader: str) -> None:
    env = {**os.environ, "POSECHECK_DATA_DIR": str(folder / "data")}
    for command in ("stretches", "stretches --json", "history", "--help"):
        result = subprocess.run(
            f"set -o pipefail; '{POSECHECK}' {command} | {reader}", shell=True,
            executable="/bin/bash", capture_output=True, text=True, timeout=60, env=env,
            check=False,
        )  # fmt: skip
        assert result.stderr == "", (command, result.stderr)
        assert result.returncode in (0, 141), (command, result.returncode)


def test_a_newline_in_a_file_name_keeps_the_history_table_whole(folder: Path) -> None:
    odd = "two\nlines\x1b[31m.mp4"
    (folder / odd).write_bytes((folder / "clip.mp4").read_bytes())
    result = run(["review", odd, "--stretch", "cobra"], folder)
    assert result.returncode == 0, result.stderr
    assert "two\\nlines\\x1b[31m.mp4: Cobra" in result.stdout and "\x1b" not in result.stdout
    listed = run(["history"], folder)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2
    assert listed.stdout.splitlines()[1].endswith("two\\nlines\\x1b[31m.mp4")
    missing = run(["review", "no\nsuch.mp4", "--stretch", "cobra"], folder)
    assert "no\\nsuch.mp4 does not exist" in one_sentence(missing)


def test_leftovers_of_an_interrupted_run_are_removed_by_the_next_run(folder: Path) -> None:
    out = folder / "results"
    out.mkdir()
    stale = out / ".old-run.csv.0123abcd.partial"  # a run killed with SIGKILL left this
    stale.write_text("half a CSV")
    # A run that is still writing (here: this test, holding the lock) keeps its file.
    with PendingFile(output_target(out / "busy.json", "JSON summary")) as running:
        result = run(["review", "clip.mp4", "--stretch", "cobra", "--json", "results/new.json",
                      "--no-history"], folder)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert not stale.exists()
        assert running.path.exists()
    assert sorted(p.name for p in out.iterdir()) == ["new.json"]


def test_sigterm_removes_the_partial_outputs(folder: Path) -> None:
    long = folder / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "60", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", long)  # fmt: skip
    env = {**os.environ, "POSECHECK_DATA_DIR": str(folder / "data")}
    process = subprocess.Popen(
        [str(POSECHECK), "review", "long.mp4", "--stretch", "cobra", "--csv", "rows.csv",
         "--video", "drawn.mp4", "--no-history"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Wait (bounded) until the review is writing its outputs, then stop it as a service
        # manager or `kill` would.
        for _ in range(600):
            if len(list(folder.glob(".*.partial"))) == 2 or process.poll() is not None:
                break
            time.sleep(0.1)
        assert process.poll() is None, "the review ended before it could be stopped"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert not list(folder.glob(".*.partial"))
    assert not (folder / "rows.csv").exists() and not (folder / "drawn.mp4").exists()


def test_a_review_that_found_the_history_locked_can_be_imported_later(folder: Path) -> None:
    (folder / "data").mkdir()
    assert run(["history"], folder).returncode == 0  # creates the database
    locker = sqlite3.connect(folder / "data" / "history.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        result = run(["review", "clip.mp4", "--stretch", "cobra", "--json", "summary.json"],
                     folder, env={"POSECHECK_HISTORY_WAIT_S": "0.5"})  # fmt: skip
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.returncode == 3, result.stderr
    assert "was not saved to the history" in result.stderr
    assert "add it later with `posecheck history import summary.json`" in result.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["history_id"] is None and summary["started_at"]
    imported = run(["history", "--json", "import", "summary.json"], folder)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["sessions"][0]["added"] is True
    again = run(["history", "import", "summary.json"], folder)
    assert "Already in the history as session 1" in again.stdout
    listed = json.loads(run(["history", "--json"], folder).stdout)["sessions"]
    assert [(s["stretch_id"], s["video"]) for s in listed] == [
        ("cobra", str((folder / "clip.mp4").resolve()))
    ]
    assert listed[0]["started_at"] == summary["started_at"]


def test_calibrating_on_a_photo_with_two_people_warns(media: Path, folder: Path) -> None:
    photo = media / "02_deep_squat" / "squat_two_phase_side.jpg"  # one man drawn twice
    result = run(["calibrate", str(photo), "--profile", "shared"], folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"posecheck: warning: {photo} shows 2 people, and the largest was measured; calibrate "
        "on photos of you alone.\n"
    )
    alone = run(["calibrate", "photo.png", "--profile", "alone"], folder)
    assert "warning" not in alone.stderr
