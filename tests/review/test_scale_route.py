"""How one long video is reviewed on a local cluster: in chunks, except when an annotated video
is asked for and there is no core to spare for its second decode (the single pipeline is
faster there: docs/PERFORMANCE.md, review at scale)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from posecheck.review import ReviewOutputs, StretchReview, scale
from posecheck.review.chunks import Grid
from posecheck.specs import get_stretch
from tests.review.test_review import trimmed


def test_chunks_pay_off_without_a_video_or_with_a_core_to_spare() -> None:
    analysis, drawn = ReviewOutputs(csv=Path("a.csv")), ReviewOutputs(video=Path("a.mp4"))
    assert scale.chunks_pay_off(analysis, 2)
    assert not scale.chunks_pay_off(drawn, 2)
    assert not scale.chunks_pay_off(drawn, 1)
    assert scale.chunks_pay_off(drawn, 4)


@pytest.mark.media
def test_an_annotated_video_on_two_cores_takes_the_single_pipeline(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers asked for on a two-core machine, with the annotated video: reviewed by the
    pipeline (no cluster started), with the video written."""
    monkeypatch.setattr(scale, "usable_cores", lambda: 2)
    clip = trimmed(media / "03_childs_pose" / "childs_pose_side.mp4", 5, tmp_path / "c.mp4")
    outputs = ReviewOutputs(video=tmp_path / "drawn.mp4")
    reviewed = scale.review_video(
        clip, partial(StretchReview, get_stretch("childs-pose")), outputs, workers=2,
        grid=Grid(2000, 500),
    )  # fmt: skip
    assert reviewed.route == "pipeline" and not reviewed.chunks
    assert (tmp_path / "drawn.mp4").stat().st_size > 0
