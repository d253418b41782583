"""Landmark streams: poses in, the same poses out (bit for bit, through the file format too,
with the people count and the mixed-skeleton flag), frame times that must increase, chunks
that join, files of another format refused."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.errors import InputError
from posecheck.pose import Pose
from posecheck.review.landmark_stream import FORMAT_VERSION, LandmarkStream, StreamBuilder
from tests.conftest import fixture_pose


def poses() -> list[Pose | None]:
    """Real poses (committed fixtures), with nobody in one frame and no world landmarks in one."""
    a, b = fixture_pose("kneeling_hip_flexor_side"), fixture_pose("childs_pose_side")

    def f32(p: Pose, t_ms: int, people: int = 1, world: bool = True, mixed: bool = False) -> Pose:
        """As MediaPipe's own outputs are: float32 values."""
        return Pose(
            normalized=p.normalized.astype(np.float32), visibility=p.visibility.astype(np.float32),
            presence=p.presence.astype(np.float32),
            world=None if p.world is None or not world else p.world.astype(np.float32),
            image_size=(640, 360), timestamp_ms=t_ms, people=people, mixed=mixed,
        )  # fmt: skip

    return [f32(a, 0), None, f32(b, 80, people=2, mixed=True), f32(a, 120, world=False)]


TIMES = [0, 40, 80, 120]


def built() -> LandmarkStream:
    builder = StreamBuilder()
    for t, pose in zip(TIMES, poses(), strict=True):
        builder.add(t, pose)
    return builder.build("The video was cut short: analysed the first 0.2 s.")


def assert_same_poses(stream: LandmarkStream) -> None:
    for (t, got), want, t_want in zip(stream.poses(), poses(), TIMES, strict=True):
        assert t == t_want
        if want is None:
            assert got is None
            continue
        assert got is not None
        for name in ("normalized", "visibility", "presence"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
        if want.world is None:
            assert got.world is None
        else:
            np.testing.assert_array_equal(got.world, want.world)
        assert (got.people, got.image_size, got.timestamp_ms) == (want.people, (640, 360), t)
        # A skeleton that mixed two people stays excluded when re-judged from the stream.
        assert got.mixed == want.mixed


def test_poses_come_back_bit_for_bit_through_the_file_format() -> None:
    stream = built()
    assert_same_poses(stream)
    again, meta = LandmarkStream.from_bytes(stream.to_bytes({"source": "clip.mp4"}))
    assert_same_poses(again)
    assert meta == {"source": "clip.mp4"}
    assert again.warning == stream.warning
    assert again.pose_at(80) is not None and again.pose_at(40) is None
    with pytest.raises(InputError, match=r"no frame at 0\.050 s"):
        again.pose_at(50)


def test_frame_times_must_increase() -> None:
    builder = StreamBuilder()
    builder.add(40, None)
    with pytest.raises(ValueError, match="must increase"):
        builder.add(40, None)
    stream = built()
    with pytest.raises(ValueError, match="increase strictly"):
        LandmarkStream(stream.t_ms[::-1].copy(), stream.present, stream.landmarks, stream.world,
                       stream.has_world, stream.people, stream.mixed,
                       stream.image_size)  # fmt: skip


def test_chunks_join_in_time_order() -> None:
    whole = built()
    halves = []
    for times in (TIMES[:2], TIMES[2:]):
        builder = StreamBuilder()
        for t in times:
            builder.add(t, poses()[TIMES.index(t)])
        halves.append(builder.build())
    joined = LandmarkStream.concat(halves)
    np.testing.assert_array_equal(joined.t_ms, whole.t_ms)
    np.testing.assert_array_equal(joined.landmarks, whole.landmarks)
    np.testing.assert_array_equal(joined.people, whole.people)


def test_a_builder_grows_past_one_block_and_builds_empty() -> None:
    builder = StreamBuilder()
    assert len(builder.build()) == 0
    pose = poses()[0]
    for i in range(2500):
        builder.add(i * 33, pose if i % 3 else None)
    stream = builder.build()
    assert len(stream) == 2500 and int(stream.present.sum()) == 1666
    assert stream.nbytes < 2500 * 1100  # about 1 KB a frame


def test_another_format_or_a_damaged_file_is_refused() -> None:
    raw = built().to_bytes()
    with pytest.raises(ValueError, match="not a landmark stream"):
        LandmarkStream.from_bytes(raw[: len(raw) // 2])
    import io

    with np.load(io.BytesIO(raw)) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["version"] = np.array(FORMAT_VERSION + 1)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(ValueError, match="format"):
        LandmarkStream.from_bytes(buffer.getvalue())
