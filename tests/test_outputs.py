"""Writing outputs never destroys a user's file: not an input, not another output, not a device,
FIFO or symbolic link; temporary files are whole-or-nothing and cleaned up by later runs."""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from posecheck.outputs import (
    OutputError,
    PendingFile,
    check_distinct,
    clean_leftovers,
    output_target,
    write_bytes,
    write_json,
)


def test_a_regular_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    out.write_text("old")
    write_json(out, {"frames": 3})
    assert out.read_text() == '{\n "frames": 3\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_a_failed_write_leaves_the_earlier_file(tmp_path: Path) -> None:
    out = tmp_path / "frames.csv"
    out.write_text("complete earlier file")
    with PendingFile(output_target(out, "CSV file")) as pending, pending.open("w") as f:
        f.write("half of a new")
        # no commit: an error stopped the run here
    assert out.read_text() == "complete earlier file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.csv"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "no" / "such" / "out.json", "the folder .* does not exist"),
        (lambda d: d, "it is a folder"),
        (lambda d: _link(d / "dangling.json", d / "nothing-here"), "symbolic link to .*not exist"),
        (lambda d: _socket(d / "s.sock"), "it is a socket"),
    ],
    ids=["missing-folder", "folder", "dangling-link", "socket"],
)
def test_unwritable_targets_are_one_sentence(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(OutputError, match=message) as error:
        output_target(make(tmp_path), "JSON summary")
    assert "\n" not in str(error.value) and str(error.value).endswith(".")


def _link(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def test_a_block_device_is_refused() -> None:
    devices = [Path("/dev") / n for n in sorted(os.listdir("/dev"))]
    blocks = [d for d in devices if d.exists() and stat.S_ISBLK(d.stat().st_mode)]
    if not blocks:
        pytest.skip("no block device on this machine")
    with pytest.raises(OutputError, match="block device"):
        output_target(blocks[0], "JSON summary")


def test_the_null_device_is_written_not_replaced() -> None:
    target = output_target("/dev/null", "JSON summary")
    assert target.special
    write_json(target, {"frames": 1})
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_directly_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.json"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:  # like `cat stream.json` started beside the run
        with fifo.open("rb") as f:
            received.append(f.read())

    thread = threading.Thread(target=read)
    thread.start()
    write_json(fifo, {"frames": 2})  # waits a moment for the reader to open it
    thread.join(10)
    assert received == [b'{\n "frames": 2\n}\n']
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stream.json"]


def test_a_fifo_nobody_reads_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "nobody.csv"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO that nobody is reading"):
        write_bytes(output_target(fifo, "CSV file"), b"t_s\n")  # after a bounded wait
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_special_files_can_be_refused_for_outputs_that_need_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "video.mp4"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"FIFO \(named pipe\), and the annotated video needs"):
        output_target(fifo, "annotated video", special_ok=False)


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "results" / "summary.json"
    real.parent.mkdir()
    real.write_text("old")
    link = _link(tmp_path / "latest.json", real)
    write_json(link, {"frames": 5})
    assert link.is_symlink() and link.resolve() == real
    assert '"frames": 5' in real.read_text()
    assert sorted(p.name for p in real.parent.iterdir()) == ["summary.json"]


# --- one run's files are all different ---------------------------------------------------------


def test_an_output_that_is_an_input_is_refused_by_path_and_by_identity(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"recording")
    hard = tmp_path / "hard.csv"
    os.link(video, hard)
    soft = _link(tmp_path / "soft.csv", video)
    for output in (video, tmp_path / "." / "clip.mp4", hard, soft):
        with pytest.raises(OutputError, match=r"is the video being reviewed.*: writing it would"):
            check_distinct([("video being reviewed", video)], [("CSV file", output)])
    assert video.read_bytes() == b"recording"


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    with pytest.raises(OutputError, match="are the same file"):
        check_distinct([], [("JSON summary", out), ("CSV file", tmp_path / "x/../out.json")])
    check_distinct([], [("JSON summary", out), ("CSV file", tmp_path / "out.csv")])


# --- leftovers of interrupted runs ---------------------------------------------------------------


def test_leftovers_are_removed_but_a_running_writers_file_is_not(tmp_path: Path) -> None:
    stale_new = tmp_path / ".frames.csv.0a1b2c3d.partial"
    stale_old = tmp_path / ".summary.json.partial"  # the name earlier versions used
    for stale in (stale_new, stale_old):
        stale.write_text("half")
    unrelated = tmp_path / "notes.partial"
    unrelated.write_text("not ours")
    with PendingFile(output_target(tmp_path / "video.mp4", "annotated video")) as running:
        running.path.write_bytes(b"in progress")
        removed = clean_leftovers([tmp_path])
        assert sorted(removed) == sorted([stale_new, stale_old])
        assert running.path.exists()  # its writer holds the lock
    assert not running.path.exists()  # discarded when the writer gave up
    assert unrelated.exists()
