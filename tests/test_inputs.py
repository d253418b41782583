"""Files the user names are read only when they are regular files, within a size cap, and every
way one can be unusable is one sentence (never a hang on a FIFO, never a RecursionError)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from posecheck.errors import InputError
from posecheck.images import read_image
from posecheck.inputs import Unparsable, read_bytes, read_json, read_text
from posecheck.video import read_frames


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # nobody will ever write to it: reading it would block forever
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\), not an image file: "
                       r"posecheck reads only regular files\."):  # fmt: skip
        read_image(fifo)
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\), not a video file") as video:
        read_frames(fifo)
    assert "empty" not in str(video.value)


def test_a_device_and_a_folder_are_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"/dev/zero is a character device, not a spec file"):
        read_text("/dev/zero", "spec file")
    with pytest.raises(InputError, match=r"is a folder, not a baseline file\."):
        read_json(tmp_path, "baseline file")
    with pytest.raises(InputError, match=r"The review summary .* does not exist\."):
        read_json(tmp_path / "missing.json", "review summary")
    (tmp_path / "link.json").symlink_to(tmp_path / "gone.json")
    with pytest.raises(InputError, match=r"symbolic link to a file that does not exist"):
        read_json(tmp_path / "link.json", "review summary")


def test_json_nested_past_the_parsers_recursion_is_one_sentence(tmp_path: Path) -> None:
    deep = tmp_path / "profile.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(Unparsable, match=r"is nested too deeply to be a baseline file\.") as error:
        read_json(deep, "baseline file")
    assert error.value.reason == "nested too deeply"


def test_files_past_the_size_cap_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(5 * 1024 * 1024)  # sparse: 5 MB of nothing
    with pytest.raises(InputError, match=r"is 5\.2 MB, too large for a review summary"):
        read_json(big, "review summary", max_bytes=4 * 1024 * 1024)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}')
    assert read_json(path, "profile") == {"a": 1}
    assert read_bytes(path, "profile").startswith(b"\xef\xbb\xbf")
