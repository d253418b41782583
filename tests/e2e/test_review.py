"""The Review page in a real browser: upload a real clip, wait for the progress to finish, the
angle charts to draw and the annotated video to play."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

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
