"""A bounded fuzz test: a short clip made here with ffmpeg, damaged in a few dozen deterministic
ways (cut short, bytes overwritten, zeroed, shuffled, a garbled index), then reviewed by the
real command line. Every file must end with a summary or one sentence: never a traceback, a
hang (each run has a time limit) or a worker killed by a signal."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

POSECHECK = Path(sys.executable).parent / "posecheck"


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


def damaged(source: bytes, rng: random.Random) -> dict[str, bytes]:
    """Named damaged copies of `source`, the same every run (the generator is seeded)."""
    size = len(source)
    out: dict[str, bytes] = {}
    for i, share in enumerate((0.01, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99)):
        out[f"cut_{i}"] = source[: int(size * share)]
    for i in range(8):
        at, length = rng.randrange(size), rng.randint(8, 512)
        out[f"noise_{i}"] = source[:at] + rng.randbytes(length) + source[at + length:]
    for i in range(4):
        at, length = rng.randrange(size), rng.randint(64, 2048)
        out[f"zeros_{i}"] = source[:at] + bytes(min(length, size - at)) + source[at + length:]
    for i in range(4):  # a stretch of the file cut out, or repeated
        at, length = rng.randrange(size // 2), rng.randint(100, 4000)
        out[f"hole_{i}"] = source[:at] + source[at + length:]
        out[f"repeat_{i}"] = source[:at] + source[at:at + length] * 3 + source[at + length:]
    index = source.find(b"moov")
    if index > 0:  # the MP4 index: sizes and offsets the demuxer trusts
        for i in range(4):
            at = index + rng.randrange(8, 400)
            out[f"index_{i}"] = source[:at] + rng.randbytes(16) + source[at + 16:]
    out["header_only"] = source[:64]
    out["bit_flips"] = bytes(b ^ (1 << rng.randrange(8)) if rng.random() < 0.002 else b
                             for b in source)  # fmt: skip
    out["random"] = rng.randbytes(size)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("damaged")
    made = folder / "made"
    made.mkdir()
    clip = made / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x72:rate=10", "-t", "2", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-movflags", "+faststart", clip)  # fmt: skip
    avi = made / "clip.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x72:rate=10", "-t", "2", "-c:v", "mpeg4", avi)
    videos = folder / "videos"
    videos.mkdir()
    rng = random.Random(13)
    for source, suffix in ((clip, ".mp4"), (avi, ".avi")):
        copies = damaged(source.read_bytes(), rng)
        if suffix == ".avi":  # fewer: the MP4 ones cover the same kinds of damage
            copies = {k: v for k, v in copies.items() if k.endswith(("_1", "_3"))}
        for name, data in copies.items():
            (videos / f"{name}{suffix}").write_bytes(data)
    return videos


def test_the_corpus_is_a_few_dozen_files(corpus: Path) -> None:
    assert 30 <= len(list(corpus.iterdir())) <= 50


def test_every_damaged_video_ends_with_a_summary_or_one_sentence(
    corpus: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "POSECHECK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [str(POSECHECK), "review", str(corpus), "--stretch", "cobra", "--workers", "2",
         "--no-history", "--json", "-"],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    reviews = json.loads(result.stdout)["reviews"]
    assert len(reviews) == len(list(corpus.iterdir()))
    for item in reviews:
        name = Path(item["file"]).name
        if item["ok"]:
            assert item["summary"]["frames"] >= 1, name
            continue
        error = item["error"]
        assert "\n" not in error and error.endswith("."), (name, error)
        # Neither a bug caught by the batch (its own wording) nor a worker killed by a signal.
        assert not error.startswith("posecheck failed on"), (name, error)
        assert "stopped unexpectedly" not in error, (name, error)
    # Some damage still leaves something to review, and some leaves nothing: both happened.
    assert any(item["ok"] for item in reviews) and not all(item["ok"] for item in reviews)


@pytest.mark.parametrize("name", ["cut_2.mp4", "index_0.mp4", "random.mp4", "noise_3.avi"])
def test_one_damaged_video_on_its_own_is_a_summary_or_one_sentence(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    env = {**os.environ, "POSECHECK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [str(POSECHECK), "review", str(corpus / name), "--stretch", "cobra", "--json", "-",
         "--no-history"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        assert json.loads(result.stdout)["frames"] >= 1
    else:
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("posecheck: "), result.stderr
