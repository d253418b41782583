"""Tests for posecheck.video: decoding real clips in every container, rotation, downscaling,
damaged and wrong inputs, flat memory, and the browser-playable H.264 writer.

Clips are made from the shared media with the ffmpeg CLI in temporary folders (never in the
repository); tests that need either are skipped with a reason when it is absent.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import tracemalloc
import weakref
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posecheck.errors import InputError
from posecheck.video import VideoFrame, VideoWriter, probe, read_frames

CLIP = "03_childs_pose/childs_pose_side.mp4"  # 768x432, 29.97 fps, 297 frames, 9.9 s
LONG_CLIP = "03_childs_pose/childs_to_downdog_side.mp4"  # 640x360, 801 frames


def _ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg") or (
        "/usr/bin/ffmpeg" if Path("/usr/bin/ffmpeg").exists() else None
    )


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    path = _ffmpeg_path()
    if path is None:
        pytest.skip("the ffmpeg command is not installed (apt-get install ffmpeg)")
    return path


def run_ffmpeg(ffmpeg: str, *args: str | Path) -> None:
    """Run ffmpeg quietly; skip the test (with ffmpeg's reason) when it cannot make the clip."""
    done = subprocess.run(
        [ffmpeg, "-v", "error", "-y", *map(str, args)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"ffmpeg could not make the test clip: {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="session")
def clip(media: Path) -> Path:
    path = media / CLIP
    if not path.is_file():
        pytest.skip(f"{path} is missing from the shared media")
    return path


@pytest.fixture(scope="session")
def faststart_clip(clip: Path, ffmpeg: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip with its index first, so that cutting its tail leaves the index whole."""
    out = tmp_path_factory.mktemp("faststart") / "clip.mp4"
    run_ffmpeg(ffmpeg, "-i", clip, "-c", "copy", "-movflags", "+faststart", out)
    return out


def first_image(path: Path) -> np.ndarray:
    with read_frames(path) as frames:
        return next(frames).image


def cut(source: Path, fraction: float, out: Path) -> Path:
    data = source.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def one_sentence(message: str) -> bool:
    """One line ending in a full stop (messages may start with the file's path)."""
    return "\n" not in message and message.endswith(".") and message.count(". ") == 0


# --- a real clip ---------------------------------------------------------------------------


@pytest.mark.media
def test_probe_describes_the_real_clip(clip: Path) -> None:
    info = probe(clip)
    assert (info.width, info.height, info.rotation) == (768, 432, 0)
    assert info.codec == "h264"
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.duration_s == pytest.approx(9.91, abs=0.01)
    assert info.frame_count == 297
    assert info.path == clip


@pytest.mark.media
def test_real_clip_decodes_every_frame_with_increasing_stream_times(clip: Path) -> None:
    reader = read_frames(clip)
    count, last_t, last_index = 0, -1, -1
    for frame in reader:
        assert isinstance(frame, VideoFrame)
        assert frame.image.shape == (432, 768, 3)
        assert frame.image.dtype == np.uint8 and frame.image.flags.c_contiguous
        assert frame.t_ms > last_t
        assert frame.index == last_index + 1
        last_t, last_index = frame.t_ms, frame.index
        count += 1
    assert count == 297 == reader.frames
    # 29.97 fps: frame 296 starts at 296 * 1001 / 30 ms, not at 296 * 33 or 296 / 30 s.
    assert last_t == round(296 * 1001 / 30)
    assert not reader.truncated and reader.warning is None
    assert reader.dropped == 0


@pytest.mark.media
@pytest.mark.parametrize(
    ("suffix", "codec_args"),
    [
        ("webm", ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")),
        ("avi", ("-c:v", "mpeg4", "-q:v", "4")),
        ("mov", ("-c:v", "libx264", "-pix_fmt", "yuv420p")),
        ("mkv", ("-c:v", "libx264", "-pix_fmt", "yuv420p")),
        ("mp4", ("-c:v", "mpeg4", "-q:v", "4")),
    ],
)
def test_every_container_ffmpeg_decodes_is_read(
    clip: Path, ffmpeg: str, tmp_path: Path, suffix: str, codec_args: tuple[str, ...]
) -> None:
    out = tmp_path / f"clip.{suffix}"
    run_ffmpeg(ffmpeg, "-t", "2", "-i", clip, "-an", *codec_args, out)
    info = probe(out)
    assert (info.width, info.height) == (768, 432)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    reader = read_frames(out)
    times = [frame.t_ms for frame in reader]
    assert len(times) == 60
    assert times[0] == 0
    assert all(b > a for a, b in itertools.pairwise(times))
    assert times[-1] == pytest.approx(59 * 1001 / 30, abs=1.5)
    assert not reader.truncated and reader.warning is None


# --- rotation and size ---------------------------------------------------------------------

# Pixels stored turned one way plus metadata asking the player to turn them back: a phone clip.
# ffmpeg's transpose filter turns the stored pixels; the display rotation is counter-clockwise.
ROTATIONS = [
    (90, "transpose=clock"),
    (270, "transpose=cclock"),
    (180, "hflip,vflip"),
]


def make_rotated(ffmpeg: str, clip: Path, out: Path, degrees: int, turn: str) -> Path:
    stored = out.with_name(f"stored_{degrees}.mp4")
    run_ffmpeg(
        ffmpeg,
        "-t",
        "0.5",
        "-i",
        clip,
        "-an",
        "-vf",
        turn,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        stored,
    )
    # FFmpeg 6.1+ sets display matrices with -display_rotation (counter-clockwise); older
    # releases only through the legacy "rotate" tag, which their MP4 muxer writes the same way.
    help_text = subprocess.run(
        [ffmpeg, "-hide_banner", "-h", "full"], capture_output=True, text=True
    ).stdout
    if "display_rotation" in help_text:
        run_ffmpeg(ffmpeg, "-display_rotation", str(degrees), "-i", stored, "-c", "copy", out)
    else:
        run_ffmpeg(ffmpeg, "-i", stored, "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", out)
    return out


def ffmpeg_first_frame(ffmpeg: str, path: Path, size: tuple[int, int]) -> np.ndarray:
    """The first frame as the ffmpeg command shows it (it applies rotation itself)."""
    raw = subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    width, height = size
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


@pytest.mark.media
@pytest.mark.parametrize(("degrees", "turn"), ROTATIONS)
def test_rotation_metadata_turns_frames_upright(
    clip: Path, ffmpeg: str, tmp_path: Path, degrees: int, turn: str
) -> None:
    rotated = make_rotated(ffmpeg, clip, tmp_path / f"rotated_{degrees}.mp4", degrees, turn)
    info = probe(rotated)
    assert info.rotation == degrees
    assert (info.width, info.height) == (768, 432)
    upright = first_image(clip).astype(np.int16)
    with read_frames(rotated) as frames:
        images = [frame.image for frame in frames]
    assert all(image.shape == (432, 768, 3) for image in images)
    # Same picture as the unrotated source, up to one re-encoding; a wrong turn is far off.
    assert np.abs(images[0].astype(np.int16) - upright).mean() < 4
    assert np.abs(np.rot90(images[0], 2).astype(np.int16) - upright).mean() > 20
    # And the way FFmpeg itself shows the file.
    shown = ffmpeg_first_frame(ffmpeg, rotated, (768, 432)).astype(np.int16)
    assert np.abs(images[0].astype(np.int16) - shown).mean() < 2


@pytest.mark.media
def test_max_side_shrinks_the_longer_side_after_rotation(
    clip: Path, ffmpeg: str, tmp_path: Path
) -> None:
    rotated = make_rotated(ffmpeg, clip, tmp_path / "rotated.mp4", 90, "transpose=clock")
    with read_frames(rotated, max_side=320) as frames:
        image = next(frames).image
    assert image.shape == (180, 320, 3)
    full = cv2.resize(first_image(clip), (320, 180), interpolation=cv2.INTER_AREA)
    assert np.abs(image.astype(np.int16) - full.astype(np.int16)).mean() < 6


@pytest.mark.media
def test_max_side_never_enlarges_and_is_validated(clip: Path) -> None:
    with read_frames(clip, max_side=4000) as frames:
        assert next(frames).image.shape == (432, 768, 3)
    with read_frames(clip, max_side=100) as frames:
        assert next(frames).image.shape == (56, 100, 3)
    with pytest.raises(ValueError, match="max_side"):
        read_frames(clip, max_side=0)


# --- inputs that are not (whole) videos ----------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as caught:
        read_frames(tmp_path / "nothing.mp4")
    assert one_sentence(str(caught.value))


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty \(0 bytes\)") as caught:
        probe(empty)
    assert one_sentence(str(caught.value))


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        read_frames(tmp_path)


def test_text_file_named_like_a_video(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("These are my notes, not a video.\n" * 20)
    with pytest.raises(InputError, match="not a video posecheck can read") as caught:
        read_frames(text)
    assert one_sentence(str(caught.value))


@pytest.mark.parametrize("encoding", [".jpg", ".png"])
def test_still_image_renamed_mp4_is_not_a_video(tmp_path: Path, encoding: str) -> None:
    picture = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    ok, data = cv2.imencode(encoding, picture)
    assert ok
    renamed = tmp_path / "photo.mp4"
    renamed.write_bytes(data.tobytes())
    with pytest.raises(InputError, match="single still image, not a video") as caught:
        read_frames(renamed)
    assert one_sentence(str(caught.value))


def test_audio_only_file_has_no_video_stream(ffmpeg: str, tmp_path: Path) -> None:
    audio = tmp_path / "tone.m4a"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=d=1", audio)
    with pytest.raises(InputError, match="no video stream") as caught:
        probe(audio)
    assert one_sentence(str(caught.value))


# --- damaged files -------------------------------------------------------------------------


@pytest.mark.media
def test_truncated_mp4_keeps_the_frames_before_the_cut(
    faststart_clip: Path, tmp_path: Path
) -> None:
    broken = cut(faststart_clip, 0.6, tmp_path / "cut.mp4")
    reader = read_frames(broken)
    kept = [frame.t_ms for frame in reader]  # iterating never raises for damage
    assert 0 < len(kept) < 297
    assert reader.truncated
    assert reader.warning is not None and one_sentence(reader.warning)
    match = re.fullmatch(
        r"The video was cut short: analysed the first (\d+\.\d) s\.", reader.warning
    )
    assert match is not None
    assert float(match[1]) == pytest.approx(kept[-1] / 1000, abs=0.1)


@pytest.mark.media
def test_mp4_cut_before_its_first_frame_is_an_input_error(
    faststart_clip: Path, tmp_path: Path
) -> None:
    broken = cut(faststart_clip, 0.05, tmp_path / "cut.mp4")
    with pytest.raises(InputError, match=r"No frame of .* could be decoded") as caught:
        read_frames(broken)
    assert one_sentence(str(caught.value))


@pytest.mark.media
@pytest.mark.parametrize(
    ("suffix", "codec_args"),
    [
        # Matroska keeps a duration in its header; an AVI cut before its index only has the
        # frame count in its header (FFmpeg then guesses the duration from what is left).
        ("webm", ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8")),
        ("avi", ("-c:v", "mpeg4", "-q:v", "4")),
    ],
)
def test_truncation_is_noticed_in_other_containers(
    clip: Path, ffmpeg: str, tmp_path: Path, suffix: str, codec_args: tuple[str, ...]
) -> None:
    whole = tmp_path / f"whole.{suffix}"
    run_ffmpeg(ffmpeg, "-t", "5", "-i", clip, "-an", *codec_args, whole)
    reader = read_frames(cut(whole, 0.6, tmp_path / f"cut.{suffix}"))
    assert 0 < sum(1 for _ in reader) < 150
    assert reader.truncated
    assert reader.warning is not None and reader.warning.startswith("The video was cut short")


def test_frames_whose_timestamp_does_not_advance_are_dropped_and_counted(tmp_path: Path) -> None:
    """Two frames 0.4 ms after their predecessor land on the same millisecond: dropped."""
    path = tmp_path / "dense.mp4"
    time_base = Fraction(1, 10_000)
    pts = [0, 4, 330, 334, 660, 990]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = time_base
        for i, p in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(
                np.full((48, 64, 3), 40 * i, dtype=np.uint8), format="bgr24"
            )
            frame.pts, frame.time_base = p, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    reader = read_frames(path)
    times = [frame.t_ms for frame in reader]
    assert times == [0, 33, 66, 99]
    assert reader.dropped == 2
    assert [f.index for f in read_frames(path)] == [0, 1, 2, 3]


# --- resources -----------------------------------------------------------------------------


def _rss_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@pytest.mark.media
def test_memory_stays_flat_however_long_the_clip(media: Path) -> None:
    """800 frames of 640x360 are 550 MB if kept: the reader must hold on to none of them."""
    path = media / LONG_CLIP
    if not path.is_file():
        pytest.skip(f"{path} is missing from the shared media")
    early: list[weakref.ref[np.ndarray]] = []
    rss_start, rss_growth = _rss_bytes(), 0
    tracemalloc.start()
    try:
        reader = read_frames(path)
        for frame in reader:
            if frame.index < 5:
                early.append(weakref.ref(frame.image))
            if frame.index % 50 == 0 and rss_start is not None:
                rss_growth = max(rss_growth, (_rss_bytes() or 0) - rss_start)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reader.frames >= 300
    assert all(ref() is None for ref in early), "the reader kept old frames alive"
    assert peak < 16 * 640 * 360 * 3  # a handful of frames' worth of Python allocations
    if rss_start is not None:
        assert rss_growth < 100_000_000


@pytest.mark.media
def test_closing_early_ends_iteration_and_releases_the_file(clip: Path) -> None:
    reader = read_frames(clip)
    next(reader)
    reader.close()
    assert list(reader) == []
    assert not reader.truncated  # stopping early is the caller's choice, not damage
    with read_frames(clip) as frames:
        for frame in frames:
            if frame.index == 3:
                break
    assert list(frames) == []


# --- writing -------------------------------------------------------------------------------


def test_writer_makes_browser_playable_h264(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    rng = np.random.default_rng(1)
    with VideoWriter(out, fps=30) as writer:
        for i in range(30):
            writer.write(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), i * 1000 / 30)
    assert writer.frames == 30
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (320, 240)
        assert sum(1 for _ in container.decode(stream)) == 30
    data = out.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat"), "faststart puts the index first"


def test_writer_keeps_variable_frame_times(tmp_path: Path) -> None:
    out = tmp_path / "vfr.mp4"
    times = [0, 33, 70, 100, 180, 181, 250, 400, 433, 466]
    with VideoWriter(out, fps=30) as writer:
        for i, t in enumerate(times):
            writer.write(np.full((64, 96, 3), 20 * i, dtype=np.uint8), t)
    assert [frame.t_ms for frame in read_frames(out)] == times


def test_writer_without_times_steps_by_fps_and_evens_odd_sizes(tmp_path: Path) -> None:
    out = tmp_path / "steady.mp4"
    with VideoWriter(out, fps=25) as writer:
        for _ in range(10):
            writer.write(np.zeros((101, 151, 3), dtype=np.uint8))
    info = probe(out)
    assert (info.width, info.height) == (150, 100)
    assert info.fps == pytest.approx(25)
    assert [frame.t_ms for frame in read_frames(out)] == [40 * i for i in range(10)]


def test_writer_rejects_misuse(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "x.mp4") as writer:
        writer.write(np.zeros((32, 32, 3), dtype=np.uint8), 0)
        with pytest.raises(ValueError, match="increase"):
            writer.write(np.zeros((32, 32, 3), dtype=np.uint8), 0)
        with pytest.raises(ValueError, match="size"):
            writer.write(np.zeros((64, 64, 3), dtype=np.uint8), 40)
        with pytest.raises(ValueError, match="BGR"):
            writer.write(np.zeros((32, 32), dtype=np.uint8), 80)
    with pytest.raises(RuntimeError, match="closed"):
        writer.write(np.zeros((32, 32, 3), dtype=np.uint8), 120)
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "y.mp4", fps=0)
    with pytest.raises(InputError, match="Cannot write the video") as caught:
        VideoWriter(tmp_path / "no" / "such" / "folder" / "z.mp4")
    assert one_sentence(str(caught.value))
