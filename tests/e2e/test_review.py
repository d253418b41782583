"""The Review page in a real browser: upload a real clip, wait for the progress to finish, the
angle charts to draw and the annotated video to play; and review a folder on this computer by
its path, with its table of results."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clip(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clip") / "lunges.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-t", "4", "-i",
         str(media / "01_hip_flexor_low_lunge" / "lunges_side.mp4"),
         "-c:v", "libx264", "-preset", "ultrafast", "-an", str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    return out


def test_review_uploads_a_clip_and_plays_the_annotated_video(server: str, clip: Path) -> None:
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True,
            viewport={"width": 1400, "height": 1000},
            args=["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        try:
            page = context.new_page()
            page.goto(f"{server}/review")
            page.get_by_text("Choose a video").wait_for(timeout=30_000)
            page.locator("input[type=file]").set_input_files(str(clip))
            page.get_by_role("button", name=re.compile("Review the video")).click()
            page.get_by_role("heading", name="Angles over time").wait_for(timeout=120_000)
            page.locator("[data-testid=stVegaLiteChart] canvas, "
                         "[data-testid=stVegaLiteChart] svg").first.wait_for(timeout=30_000)
            page.get_by_text("Saved to your history.").wait_for(timeout=10_000)
            video = page.locator("video").first
            video.wait_for(timeout=30_000)
            video.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => (document.querySelector('video') || {readyState: 0}).readyState >= 2",
                timeout=30_000,
            )
            start = video.evaluate("v => { v.muted = true; v.play(); return v.currentTime }")
            page.wait_for_timeout(1500)
            now = video.evaluate("v => v.currentTime")
            assert now > start, "the annotated video does not play"
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-review-e2e.png"),
                            full_page=True)
        finally:
            context.close()


@pytest.fixture(scope="module")
def folder(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real recordings, one in a subfolder, and a file that only claims to be a video."""
    out = tmp_path_factory.mktemp("recordings")
    (out / "tuesday").mkdir()
    for source, seconds, target in (
        ("01_hip_flexor_low_lunge/lunges_side.mp4", 3, out / "monday.mp4"),
        ("03_childs_pose/childs_pose_side.mp4", 3, out / "tuesday" / "childs.mov"),
    ):
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-t", str(seconds), "-i", str(media / source),
             "-c:v", "libx264", "-preset", "ultrafast", "-an", str(target)],
            check=True, timeout=120,
        )  # fmt: skip
    (out / "broken.mp4").write_text("not a video")
    return out


def test_review_a_folder_by_its_path_with_a_table_of_results(server: str, folder: Path) -> None:
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, accept_downloads=True,
            viewport={"width": 1400, "height": 1000}, args=["--disable-gpu", "--no-first-run"],
        )  # fmt: skip
        try:
            page = context.new_page()
            page.goto(f"{server}/review")
            page.get_by_text("Choose a video").wait_for(timeout=30_000)
            page.get_by_text("A file or folder on this computer").click()
            box = page.get_by_role("textbox", name="Path of a video, or of a folder of videos")
            box.fill(str(folder / "nothing-here"))
            box.press("Enter")
            page.get_by_role("button", name="Review", exact=True).click()
            page.get_by_text(f"{folder / 'nothing-here'} does not exist.").wait_for()
            box.fill(str(folder))
            box.press("Enter")
            page.get_by_role("button", name="Review", exact=True).click()
            # Progress while it works, then one sentence and the table.
            page.get_by_text(re.compile(r"Reviewing \S+ \(\d of 3\): frame \d+")).wait_for(
                timeout=60_000)  # fmt: skip
            done = page.get_by_text(re.compile(r"Reviewed 2 of 3 recordings in "))
            done.wait_for(timeout=240_000)
            assert "1 could not be reviewed (see the table)" in done.inner_text()
            assert "2 saved to your history" in done.inner_text()
            # One results table (a rerun's stale copy goes when the rerun ends).
            expect(page.locator("[data-testid=stDataFrame]")).to_have_count(1, timeout=10_000)
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-folder-e2e.png"),
                            full_page=True)  # fmt: skip
            with page.expect_download() as download:
                page.get_by_role("button", name=re.compile("Results table")).click()
            rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
            assert [r["recording"] for r in rows] == ["broken.mp4", "monday.mp4", "childs.mov"]
            results = {r["recording"]: r["result"] for r in rows}
            assert "is not a video posecheck can read" in results["broken.mp4"]
            assert results["monday.mp4"] == "done" and results["childs.mov"] == "done"
            assert all(r["length"] for r in rows[1:])
        finally:
            context.close()
