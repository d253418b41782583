"""The live pages in a real browser: Chromium's fake camera plays a real clip, the app processes
it over WebRTC and the page shows the overlay, cues and timers; STOP replaces the live panel
with a card of the session. The time from START to the first skeleton drawn on the returned
video is measured in the page itself and recorded with the frame rate (never asserted: the
machines are shared)."""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Frame, Page, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM, make_camera

pytestmark = pytest.mark.e2e

ARGS = [
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--no-default-browser-check", "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def squat_camera(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("camera") / "squats.y4m"
    return make_camera(media / "02_deep_squat" / "squats_gym_side.mp4", out)


def open_page(camera: Path) -> Iterator[Page]:
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, permissions=["camera"],
            viewport={"width": 1400, "height": 1000},
            args=[*ARGS, f"--use-file-for-fake-video-capture={camera}"],
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def webrtc_frame(page: Page, timeout_s: float = 30.0) -> Frame:
    """The streamer's iframe. A rerun (choosing a stretch) replaces it, so an iframe found
    while the old one is being removed may have no frame any more: look again until one has."""
    deadline = time.monotonic() + timeout_s
    while True:
        handle = page.wait_for_selector("iframe[title*='webrtc']", timeout=30_000)
        frame = handle.content_frame() if handle is not None else None
        if frame is not None:
            return frame
        assert time.monotonic() < deadline, "the webrtc iframe never settled"
        page.wait_for_timeout(200)


@pytest.fixture(scope="module")
def desk_camera(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("camera") / "desk.y4m"
    return make_camera(media / "10_desk_sitting" / "side_desk_woman_video.mp4", out)


STATS = re.compile(r"([\d.]+) frames/s processed, ([\d.]+) ms per frame, (\d+) dropped")
#: Where the measured numbers go (for docs/PERFORMANCE.md); printed as well.
PERF_FILE = Path(
    os.environ.get("POSECHECK_E2E_PERF", Path(tempfile.gettempdir()) / "posecheck-e2e-perf.json")
)


def record(name: str, **numbers: float | None) -> None:
    """Add measured numbers to PERF_FILE (and print them) with the machine's load average."""
    load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    shown = ", ".join(f"{k} {v}" for k, v in numbers.items())
    print(f"\nE2E {name}: {shown} (load average {load:.1f})")
    data = json.loads(PERF_FILE.read_text()) if PERF_FILE.exists() else {}
    data.setdefault(name, {}).update({**numbers, "load_1min": round(load, 2)})
    PERF_FILE.write_text(json.dumps(data, indent=1))


def measure(page: Page, name: str, seconds: int = 10) -> tuple[float, float]:
    """Median processed frames/s and callback ms over `seconds`, read from the page's own
    stream statistics (the numbers StreamHolder measures on the server)."""
    fps, ms = [], []
    for _ in range(seconds):
        page.wait_for_timeout(1000)
        text = page.get_by_text(STATS).inner_text()
        match = STATS.search(text)
        assert match is not None, text
        fps.append(float(match[1]))
        ms.append(float(match[2]))
    result = (statistics.median(fps), statistics.median(ms))
    record(name, fps=round(result[0], 1), callback_ms=round(result[1], 1))
    return result


#: Installed in the webrtc iframe before START: notes the click on START, then looks at every
#: displayed frame of the returned video until one shows the overlay's colours (overlay.py's
#: NEUTRAL, OK and ADJUST, as RGB) on more than 0.1 % of its pixels; the raw clips have none.
FIRST_SKELETON_PROBE = """
() => {
  const probe = window.__firstSkeleton = {click: null, video: null, skeleton: null};
  document.addEventListener('click', event => {
    const button = event.target.closest && event.target.closest('button');
    if (button && /start/i.test(button.innerText) && probe.click === null) {
      probe.click = performance.now();
    }
  }, true);
  const colours = [[135, 206, 235], [60, 200, 80], [255, 110, 40]];
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const look = () => {
    const video = document.querySelector('video');
    if (probe.click !== null && video && video.readyState >= 2 && video.videoWidth) {
      if (probe.video === null) probe.video = performance.now();
      const w = canvas.width = video.videoWidth, h = canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const d = context.getImageData(0, 0, w, h).data;
      let hits = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (colours.some(c => Math.abs(d[i] - c[0]) < 30 && Math.abs(d[i + 1] - c[1]) < 30
                              && Math.abs(d[i + 2] - c[2]) < 30)) hits++;
      }
      if (hits > 0.001 * w * h) { probe.skeleton = performance.now(); return; }
    }
    setTimeout(look, 10);
  };
  look();
}
"""


def start_and_time_first_skeleton(page: Page, frame: Frame, name: str) -> float:
    """Click START and return the seconds until the returned video first shows the skeleton
    (recorded with the time until the video showed at all); fails after 60 s."""
    frame.evaluate(FIRST_SKELETON_PROBE)
    frame.get_by_role("button", name=re.compile("start", re.I)).click()
    frame.wait_for_function("() => window.__firstSkeleton.skeleton !== null", timeout=60_000,
                            polling=100)  # fmt: skip
    probe = frame.evaluate("() => window.__firstSkeleton")
    first = (probe["skeleton"] - probe["click"]) / 1000
    video = (probe["video"] - probe["click"]) / 1000
    record(name, first_skeleton_s=round(first, 2), first_video_s=round(video, 2))
    return first


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (type to filter, Enter to choose)."""
    page.locator("[data-testid=stSelectbox]").filter(has_text=label).first.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def overlay_seen(frame: Frame, tries: int = 10) -> bool:
    """Whether the returned video shows the skeleton overlay in one of a few samples a second
    apart (a person can be out of frame for a moment in the clip)."""
    for _ in range(tries):
        if overlay_pixels(frame) > 0.002:
            return True
        frame.page.wait_for_timeout(1000)
    return False


def overlay_pixels(frame: Frame) -> float:
    """Share of the received video's pixels in the skeleton colours the overlay draws."""
    png = frame.locator("video").screenshot()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    colours = np.array([[235, 206, 135], [80, 200, 60], [40, 110, 255]], np.int16)
    diff = np.abs(image[:, :, None, :].astype(np.int16) - colours[None, None]).max(axis=3)
    return float((diff.min(axis=2) < 30).mean())


def test_coach_live_video_then_the_card_of_the_session(server: str, squat_camera: Path) -> None:
    for page in open_page(squat_camera):
        page.goto(server)
        page.get_by_text("Stretch coach").wait_for(timeout=30_000)
        choose(page, "Stretch", "Deep squat")
        page.get_by_text(re.compile("Put the camera at knee to hip")).wait_for(timeout=30_000)
        # The model loads while the person reads the set-up steps.
        page.get_by_text("Pose model loaded").first.wait_for(timeout=60_000)
        frame = webrtc_frame(page)
        start_and_time_first_skeleton(page, frame, "coach")
        # The feedback panel replaces its invitation once results cross from the callback.
        page.get_by_text(re.compile(r"Reps: \d+ of 10")).wait_for(timeout=60_000)
        assert overlay_seen(frame), "no skeleton drawn on the returned video"
        fps, _ = measure(page, "coach")
        assert fps > 0  # frames are processed; the rate is recorded, never asserted (load varies)
        # A squat's phases: setting up, then each rep's part ("Going down", "At the bottom",
        # "Coming up") and the rest between reps.
        phase = page.locator("h3").filter(has_text=re.compile(
            "Setting up|Holding|In position|Rep under way|Between reps|Going down|At the bottom|"
            "Coming up"))  # fmt: skip
        assert phase.count() >= 1
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-coach-e2e.png"))
        frame.get_by_role("button", name=re.compile("stop", re.I)).click()
        # A stream stopped halfway saves what was measured, and says what that was.
        saved = page.get_by_text(re.compile(r"Saved to your history: .* of Deep squat "
                                            r"\(hip mobility drill\), \d+ of 10 reps"))
        saved.wait_for(timeout=30_000)
        page.get_by_text("What you just did").wait_for(timeout=10_000)
        # (How many of the clip's squats are counted depends on how busy the machine is: the
        # exact count is checked frame by frame in tests/app/test_session_end.py.)
        # The live panel is gone (Streamlit removes a rerun's stale elements when the rerun
        # ends, a moment after the card shows): no phase heading, rep bar or frame-rate line.
        expect(phase).to_have_count(0, timeout=5_000)
        expect(page.get_by_text(STATS)).to_have_count(0, timeout=5_000)
        expect(page.get_by_text(re.compile(r"Reps: \d+ of 10"))).to_have_count(0, timeout=5_000)
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-coach-card-e2e.png"))
        page.get_by_role("link", name="This session in your history").click()
        page.get_by_role("heading", name="Details").wait_for(timeout=30_000)
        assert "session=" in page.url
        page.get_by_role("heading", name="Trends").wait_for(timeout=30_000)
        headings = page.locator("h3").all_inner_texts()
        assert headings.index("Details") < headings.index("Trends"), "that session comes first"
        page.get_by_text("Everything recorded for this session").wait_for(timeout=10_000)


def test_desk_live_video_shows_status_statistics_and_calibrates(
    server: str, desk_camera: Path
) -> None:
    for page in open_page(desk_camera):
        page.goto(f"{server}/desk")
        page.get_by_text("Desk posture").first.wait_for(timeout=30_000)
        # (A rerun may still show its stale copy of the line: any one will do.)
        page.get_by_text("Pose model loaded").first.wait_for(timeout=60_000)
        frame = webrtc_frame(page)  # after the page has settled: a rerun replaces the iframe
        start_and_time_first_skeleton(page, frame, "desk")
        status = re.compile("Good posture|Slouching|Away from the desk|Can't judge right now")
        page.locator("h3").filter(has_text=status).first.wait_for(timeout=60_000)
        page.get_by_text("Longest slouch").wait_for(timeout=10_000)
        page.wait_for_timeout(3_000)
        assert overlay_seen(frame), "no skeleton drawn on the returned video"
        fps, _ = measure(page, "desk")
        assert fps > 0
        page.get_by_role("button", name="Calibrate").click()
        page.get_by_text(re.compile("Calibrating: sit upright")).wait_for(timeout=10_000)
        outcome = re.compile(r"Calibrated \(\w+ view\)|Calibration refused\.")
        page.get_by_text(outcome).wait_for(timeout=30_000)
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-desk-e2e.png"))
        frame.get_by_role("button", name=re.compile("stop", re.I)).click()
        saved = page.get_by_text(re.compile(r"Saved to your history: .* at the desk: "))
        saved.wait_for(timeout=30_000)
        page.get_by_text("Your desk session").wait_for(timeout=10_000)
        expect(page.locator("h3").filter(has_text=status)).to_have_count(0, timeout=5_000)
        expect(page.get_by_text(STATS)).to_have_count(0, timeout=5_000)
        page.get_by_text("No earlier day of desk sessions to compare with yet.").wait_for()
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-desk-card-e2e.png"))
