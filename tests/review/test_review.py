"""The review pipeline on real clips (skipped without the shared media) and on small synthetic
videos: phases, holds, reps, posture totals, the outputs (H.264 video, CSV, thumbnails), the
batch review, and what happens with bad input or a review that fails halfway."""

from __future__ import annotations

import csv
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from posecheck.errors import InputError
from posecheck.pose import Pose
from posecheck.review import ReviewOutputs, ReviewResult, StretchReview, review
from posecheck.review.batch import collect_videos, output_stems, review_many
from posecheck.specs import get_stretch
from posecheck.video import VideoWriter
from tests.stretches.sequences import reps_by_eye

#: The keys PRODUCT.md's review contract promises in every summary.
CONTRACT = {"frames", "duration_s", "processing_fps", "in_position_s", "good_form_s", "reps",
            "segments", "checks"}  # fmt: skip


@pytest.fixture(autouse=True)
def _private_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))


def trimmed(source: Path, seconds: float, out: Path) -> Path:
    """The first `seconds` of `source`, re-encoded into `out` (a tmp folder)."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-an", str(out)],
        check=True,
    )  # fmt: skip
    return out


def blank_video(path: Path, frames: int = 20, size: tuple[int, int] = (160, 120)) -> Path:
    """A short video of an empty grey room: nobody in it."""
    with VideoWriter(path, fps=10) as out:
        for i in range(frames):
            image = np.full((size[1], size[0], 3), 90 + i, np.uint8)
            out.write(image)
    return path


def decoded(path: Path) -> tuple[str, int, tuple[int, int]]:
    """(codec, frame count, (width, height)) by decoding every frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = 0
        size = (0, 0)
        for frame in container.decode(stream):
            count += 1
            size = (frame.width, frame.height)
        return stream.codec_context.name, count, size


# --- real clips --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def childs_pose(media: Path, tmp_path_factory: pytest.TempPathFactory) -> ReviewResult:
    """The child's pose clip reviewed once with every output."""
    out = tmp_path_factory.mktemp("childs")
    outputs = ReviewOutputs(video=out / "annotated.mp4", csv=out / "frames.csv",
                            thumbnails=out / "thumbs")  # fmt: skip
    clip = media / "03_childs_pose" / "childs_pose_side.mp4"
    return review(clip, StretchReview(get_stretch("childs-pose")), outputs)


def test_summary_has_the_contract_keys(childs_pose: ReviewResult) -> None:
    summary = childs_pose.summary.to_json()
    assert set(summary) >= CONTRACT
    assert all(set(s) >= {"start_s", "end_s", "phase"} for s in summary["segments"])
    assert all("ok_fraction" in c for c in summary["checks"].values())
    assert summary["processing_fps"] > 0
    assert childs_pose.warning is None and "warning" not in summary


def test_childs_pose_is_in_position_for_its_latter_part(childs_pose: ReviewResult) -> None:
    summary = childs_pose.summary
    segments = summary.segments
    assert segments[0].label == "setting up"  # starts on all fours, folding back
    latter = [s for s in segments if s.end_s > 0.4 * summary.duration_s]
    assert latter and all(s.label in ("in position", "holding") for s in latter)
    assert summary.in_position_s > 0.6 * summary.duration_s
    assert summary.good_form_s > 0


def test_annotated_video_is_h264_with_every_frame(childs_pose: ReviewResult) -> None:
    assert childs_pose.outputs.video is not None
    codec, frames, size = decoded(childs_pose.outputs.video)
    assert codec == "h264"
    assert frames == childs_pose.summary.frames == 297
    assert size == (768, 432)
    assert not list(childs_pose.outputs.video.parent.glob(".*.partial"))


def test_csv_has_one_row_per_frame(childs_pose: ReviewResult) -> None:
    assert childs_pose.outputs.csv is not None
    with childs_pose.outputs.csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == childs_pose.summary.frames
    times = [float(r["t_s"]) for r in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert {"phase", "in_position", "hips-back", "hips-back_status"} <= set(rows[0])


def test_thumbnails_show_the_worst_moment_of_each_fault(childs_pose: ReviewResult) -> None:
    assert childs_pose.summary.review is not None
    faults = {f.fault for f in childs_pose.summary.review.faults}
    assert faults, "the clip folds back with the head up: some check needs adjusting"
    assert set(childs_pose.fault_thumbnails) == faults
    assert set(childs_pose.thumbnails) == set(childs_pose.fault_thumbnails.values())
    assert all(p.read_bytes()[:2] == b"\xff\xd8" for p in childs_pose.thumbnails)  # JPEG
    # Named after the video, the fault and its moment, so reviews of other clips (or of this
    # one again) in the same folder never overwrite them.
    for fault, path in childs_pose.fault_thumbnails.items():
        moment = next(f.t_s for f in childs_pose.summary.review.faults if f.fault == fault)
        assert path.name == f"childs_pose_side_{fault}_at_{moment:.1f}s.jpg"


def test_sphinx_portrait_clip_reports_a_hold(media: Path, tmp_path: Path) -> None:
    clip = trimmed(media / "06_cobra_sphinx" / "sphinx_side_portrait.mp4", 5, tmp_path / "s.mp4")
    summary = review(clip, StretchReview(get_stretch("sphinx"))).summary
    assert summary.review is not None
    video = summary.review.video
    assert video.width < video.height  # portrait, kept upright
    assert summary.good_form_s > 2.0
    assert summary.segments[-1].label == "holding"


def test_squat_clip_judges_each_rep_at_its_bottom(media: Path, tmp_path: Path) -> None:
    """Every frame of the real clip (25 fps): the six reps seen by eye, each judged at its
    bottom, full depth with the heels down; time in position is the reps' working range."""
    clip = media / "02_deep_squat" / "squats_gym_side.mp4"
    outputs = ReviewOutputs(csv=tmp_path / "squats.csv")
    summary = review(clip, StretchReview(get_stretch("deep-squat")), outputs).summary
    expected = reps_by_eye("squats_gym_side_seq")  # clip times, read from its frames
    assert summary.reps == len(summary.reps_detail) == len(expected) == 6
    for rep, eye in zip(summary.reps_detail, expected, strict=True):
        assert eye.end_from - 0.1 <= rep.bottom_s <= eye.end_to + 0.1, rep
        assert abs(rep.start_s - eye.start) <= 0.3 and rep.end_s is not None
        assert eye.end is not None and abs(rep.end_s - eye.end) <= 0.3
        assert rep.form_ok
        depth = next(c for c in rep.checks if c.id == "hips-below-knees")
        assert depth.value is not None and depth.value >= 0
    assert 6.0 < summary.in_position_s < 8.5
    assert summary.good_form_s == pytest.approx(summary.in_position_s)
    data = summary.to_json()
    assert [set(r) >= {"start_s", "bottom_s", "end_s", "form_ok", "checks"}
            for r in data["reps_detail"]] == [True] * 6  # fmt: skip
    with (tmp_path / "squats.csv").open() as f:
        rows = list(csv.DictReader(f))
    numbered = {int(r["rep"]) for r in rows if r["rep"]}
    assert numbered == {1, 2, 3, 4, 5, 6}
    assert {r["rep_phase"] for r in rows} >= {"rest", "out", "end range", "back"}


def test_two_people_in_view_are_reported(media: Path) -> None:
    clip = media / "12_exercise_videos" / "tai_chi_beach.mp4"
    result = review(clip, StretchReview(get_stretch("deep-squat")), landmarker="inline")
    assert result.summary.review is not None
    assert result.summary.review.multi_person_frames > 0.5 * result.summary.frames
    assert result.warning is not None and "Several people" in result.warning


def test_truncated_clip_keeps_what_decoded(media: Path, tmp_path: Path) -> None:
    source = media / "03_childs_pose" / "childs_pose_side.mp4"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(source.read_bytes()[:150_000])
    result = review(cut, StretchReview(get_stretch("childs-pose")),
                    ReviewOutputs(csv=tmp_path / "cut.csv"), landmarker="inline")  # fmt: skip
    assert 10 < result.summary.frames < 297
    assert result.warning is not None and "cut short" in result.warning
    assert result.summary.to_json()["warning"] == result.warning
    rows = (tmp_path / "cut.csv").read_text().splitlines()
    assert len(rows) == result.summary.frames + 1


def test_bridge_clip_is_one_rep_judged_at_the_top_the_same_in_both_modes(media: Path) -> None:
    clip = media / "12_exercise_videos" / "bridge_side_physio.mp4"
    summary = review(clip, StretchReview(get_stretch("bridge")), landmarker="process").summary
    (eye,) = reps_by_eye("bridge_side_physio_seq")
    (rep,) = summary.reps_detail
    assert eye.end_from <= rep.bottom_s <= eye.end_to and rep.form_ok
    # In position: the rep's working range, lifted from about 0.45 s to 2.6 s.
    assert 1.8 <= summary.in_position_s <= 2.4
    assert summary.good_form_s == pytest.approx(summary.in_position_s)
    assert summary.reps == 1
    assert "rep" in {s.label for s in summary.segments}
    # A batch worker's inline landmarker finds the same.
    inline = review(clip, StretchReview(get_stretch("bridge")), landmarker="inline").summary
    for key in ("frames", "reps", "in_position_s", "good_form_s", "segments", "checks"):
        assert getattr(inline, key) == getattr(summary, key), key


def test_batch_reviews_each_file_and_reports_the_bad_one(media: Path, tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    clips = [media / "12_exercise_videos" / "bridge_side_physio.mp4", bad,
             blank_video(tmp_path / "empty_room.mp4")]  # fmt: skip
    seen: list[Path] = []
    items = review_many(clips, partial(StretchReview, get_stretch("bridge")), workers=2,
                        out_dir=tmp_path / "out", on_done=lambda item: seen.append(item.path))
    assert [item.path for item in items] == clips and sorted(seen) == sorted(clips)
    good, failed, nobody = items
    assert good.ok and good.summary is not None and good.summary.reps == 1
    assert failed.error is not None and "not a video" in failed.error
    assert nobody.ok and nobody.warning is not None and "Nobody" in nobody.warning
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["bridge_side_physio.csv", "bridge_side_physio.json",
                       "empty_room.csv", "empty_room.json"]  # fmt: skip


# --- no media needed ---------------------------------------------------------------------------


def test_nobody_in_the_video_is_said_in_the_summary(tmp_path: Path) -> None:
    clip = blank_video(tmp_path / "room.mp4")
    result = review(clip, StretchReview(get_stretch("cobra")), landmarker="inline")
    assert result.summary.frames == 20
    assert result.summary.review is not None and result.summary.review.person_frames == 0
    assert result.warning == "Nobody was found in this video: check that one person is in view."


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", r"is empty \(0 bytes\)"), (b"hello, not a video", "is not a video posecheck can read")],
)
def test_not_a_video_fails_before_writing_anything(
    tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    outputs = ReviewOutputs(video=tmp_path / "a.mp4", csv=tmp_path / "a.csv")
    with pytest.raises(InputError, match=message):
        review(bad, StretchReview(get_stretch("cobra")), outputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


class _Breaks(StretchReview):
    """A stretch engine that fails on its 10th frame, as a disk or a bug might."""

    def update(self, pose: Pose | None, t_s: float) -> Any:
        self.seen = getattr(self, "seen", 0) + 1
        if self.seen == 10:
            raise InputError("Stopped on purpose.")
        return super().update(pose, t_s)


@pytest.mark.parametrize("landmarker", ["process", "inline"])
def test_a_review_failing_halfway_keeps_the_earlier_outputs(
    tmp_path: Path, landmarker: str
) -> None:
    clip = blank_video(tmp_path / "room.mp4")
    old_csv, old_video = tmp_path / "a.csv", tmp_path / "a.mp4"
    old_csv.write_text("earlier results\n")
    old_video.write_bytes(b"earlier video")
    with pytest.raises(InputError, match="Stopped on purpose"):
        review(clip, _Breaks(get_stretch("cobra")), ReviewOutputs(video=old_video, csv=old_csv),
               landmarker=landmarker)  # fmt: skip
    assert old_csv.read_text() == "earlier results\n"
    assert old_video.read_bytes() == b"earlier video"
    assert not list(tmp_path.glob(".*partial"))


def test_unknown_landmarker_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="landmarker must be one of"):
        review(tmp_path / "x.mp4", StretchReview(get_stretch("cobra")), landmarker="gpu")


def test_collect_videos_expands_folders_and_names_outputs_apart(tmp_path: Path) -> None:
    for name in ("a/one.mp4", "a/notes.txt", "b/one.MOV", "b/two.webm"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    videos = collect_videos([tmp_path / "a", tmp_path / "b", tmp_path / "a" / "one.mp4"])
    assert [v.relative_to(tmp_path).as_posix() for v in videos] == [
        "a/one.mp4", "b/one.MOV", "b/two.webm"
    ]
    assert output_stems(videos) == ["a_one", "b_one", "two"]
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InputError, match="holds no videos"):
        collect_videos([tmp_path / "nothing"])
    # A missing file is kept, to get its own error when reviewed while the others go on.
    assert collect_videos([tmp_path / "missing.mp4", tmp_path / "b"])[0].name == "missing.mp4"



# --- several people (issue 13) -------------------------------------------------------------------


def test_two_clips_side_by_side_are_flagged_with_a_count(media: Path, tmp_path: Path) -> None:
    clip = tmp_path / "two.mp4"
    scale = "fps=25,scale=640:360,setsar=1"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y",
         "-t", "4", "-i", str(media / "07_chest_opener" / "chest_opener_hands_behind_back.mp4"),
         "-t", "4", "-i", str(media / "07_chest_opener" / "shoulder_stretches_front.mp4"),
         "-filter_complex", f"[0:v]{scale}[a];[1:v]{scale}[b];[a][b]hstack=inputs=2",
         "-an", "-c:v", "libx264", "-preset", "ultrafast", str(clip)],
        check=True,
    )  # fmt: skip
    sides: list[bool] = []

    def observe(t_s: float, result: Any) -> None:
        if result.pose is not None:
            sides.append(float(np.median(result.pose.normalized[[11, 12, 23, 24], 0])) < 0.5)

    result = review(clip, StretchReview(get_stretch("chest-opener")), observe=observe,
                    landmarker="inline")  # fmt: skip
    facts = result.summary.review
    assert facts is not None
    # Before: the census saw the second person in none of its passes on this clip, and the
    # warning needed more than 25 % of frames.
    assert facts.multi_person_frames >= 0.4 * facts.person_frames
    assert result.warning is not None
    assert (f"Several people were in view in {facts.multi_person_frames} of "
            f"{facts.person_frames} frames") in result.warning  # fmt: skip
    assert result.summary.to_json()["multi_person_frames"] == facts.multi_person_frames
    assert len(set(sides)) == 1  # the same person followed throughout
