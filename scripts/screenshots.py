"""Take screenshots of every page of the app in headless Chromium (Debian's /usr/bin/chromium).

    make screenshots          # runs this inside a private network namespace (live pages)
    scripts/in-netns.sh .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts its own Streamlit server on a free port with a temporary history folder, plays real
clips from the shared media through Chromium's fake camera for the live pages (Coach, Desk) and
stops them for their end-of-session cards, reviews a real clip and a folder of trimmed clips by
path, then shows the History those sessions made and checks a real photo. The live pages need
the namespace's second loopback address (127.0.0.2): see ENVIRONMENT.md.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Frame, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from posecheck.media import media_dir
from posecheck.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
PHOTO = "01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg"
COACH_CLIP = "03_childs_pose/childs_pose_side.mp4"  # reaches "Holding" after about 6 s
DESK_CLIP = "10_desk_sitting/side_desk_woman_video.mp4"
REVIEW_CLIP = "07_chest_opener/chest_opener_hands_behind_back.mp4"
#: A folder reviewed by path: (clip, seconds kept, name in the folder).
FOLDER = [
    ("07_chest_opener/chest_opener_hands_behind_back.mp4", 12, "monday.mp4"),
    ("07_chest_opener/shoulder_stretches_front.mp4", 8, "tuesday.mp4"),
    ("07_chest_opener/chest_opener_hands_behind_back.mp4", 6, "week2/thursday.mov"),
]
ARGS = [
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--no-default-browser-check", "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, data: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
         "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "POSECHECK_DATA_DIR": str(data)},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                if r.read() == b"ok":
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the Streamlit server did not start within 30 s")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True, timeout=300)


def camera(clip: Path, out: Path, seconds: float = 40.0) -> Path:
    """A y4m file for Chromium's fake camera: 640x480 at 30 fps (the clip loops)."""
    ffmpeg("-t", str(seconds), "-i", str(clip), "-vf", "scale=640:480", "-pix_fmt", "yuv420p",
           "-r", "30", str(out))  # fmt: skip
    return out


@contextmanager
def browser(fake_camera: Path | None = None) -> Iterator[Page]:
    args = list(ARGS)
    if fake_camera is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_camera}")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, permissions=["camera"],
            viewport={"width": 1400, "height": 1000}, args=args,
        )  # fmt: skip
        try:
            yield context.new_page()
        finally:
            context.close()


def webrtc(page: Page) -> Frame:
    handle = page.wait_for_selector("iframe[title*='webrtc']", timeout=30_000)
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (type to filter, Enter to choose)."""
    page.locator("[data-testid=stSelectbox]").filter(has_text=label).first.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def shoot(page: Page, path: Path) -> None:
    """Screenshot the whole page: Streamlit scrolls inside its main block, so the window is
    made as tall as that block's content first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 900), 4000)})
    page.wait_for_timeout(1_500)
    page.screenshot(path=str(path))


def start(frame: Frame) -> None:
    frame.get_by_role("button", name=re.compile("start", re.I)).click()


def stop(page: Page, frame: Frame) -> None:
    frame.get_by_role("button", name=re.compile("stop", re.I)).click()
    page.get_by_text(re.compile("Saved to your history|nothing was saved")).wait_for(
        timeout=30_000
    )
    page.wait_for_timeout(1_500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    media = media_dir()
    with tempfile.TemporaryDirectory(prefix="posecheck-shots-") as tmp:
        work = Path(tmp)
        port = free_port()
        server = start_server(port, work / "data")
        url = f"http://127.0.0.1:{port}"
        try:
            with browser(camera(media / COACH_CLIP, work / "coach.y4m")) as page:
                page.goto(url)
                page.get_by_text("Stretch coach").first.wait_for(timeout=30_000)
                choose(page, "Stretch", "Child's pose")
                page.get_by_text(re.compile("at mat height")).first.wait_for(timeout=30_000)
                frame = webrtc(page)
                start(frame)
                page.set_viewport_size({"width": 1400, "height": 1400})
                holding = page.locator("h3").filter(has_text="Holding")
                for _ in range(5):  # catch a moment the panel says "Holding"
                    try:
                        holding.wait_for(timeout=90_000)
                    except PlaywrightTimeoutError:  # a busy machine: too few frames processed
                        print("The coach never said Holding; coach.png shows another phase.")
                        page.screenshot(path=str(args.out / "coach.png"))
                        break
                    page.screenshot(path=str(args.out / "coach.png"))
                    if holding.count():
                        break
                page.wait_for_timeout(8_000)  # a longer hold for the card
                stop(page, frame)
                page.get_by_text("What you just did").wait_for(timeout=30_000)
                page.set_viewport_size({"width": 1400, "height": 1000})
                page.wait_for_timeout(1_000)
                page.screenshot(path=str(args.out / "coach-end.png"))

            with browser(camera(media / DESK_CLIP, work / "desk.y4m")) as page:
                page.goto(f"{url}/desk")
                page.get_by_text("Desk posture").first.wait_for(timeout=30_000)
                frame = webrtc(page)
                start(frame)
                page.get_by_text("Longest slouch").wait_for(timeout=60_000)
                page.wait_for_timeout(8_000)
                page.set_viewport_size({"width": 1400, "height": 900})
                page.screenshot(path=str(args.out / "desk.png"))
                stop(page, frame)
                page.get_by_text("Your desk session").wait_for(timeout=30_000)
                page.set_viewport_size({"width": 1400, "height": 1000})
                page.wait_for_timeout(1_000)
                page.screenshot(path=str(args.out / "desk-end.png"))

            with browser() as page:
                clip = work / "review.mp4"
                ffmpeg("-i", str(media / REVIEW_CLIP), "-c:v", "libx264", "-preset", "veryfast",
                       "-an", str(clip))  # fmt: skip
                page.goto(f"{url}/review")
                page.get_by_text("Choose a video").wait_for(timeout=30_000)
                choose(page, "Stretch", "Chest opener")
                page.locator("input[type=file]").set_input_files(str(clip))
                page.get_by_role("button", name=re.compile("Review the video")).click()
                page.get_by_role("heading", name="Angles over time").wait_for(timeout=180_000)
                page.get_by_text("Saved to your history.").wait_for(timeout=30_000)
                page.wait_for_timeout(2_000)
                shoot(page, args.out / "review.png")
                page.set_viewport_size({"width": 1400, "height": 1000})

                folder = work / "recordings"
                for source, seconds, name in FOLDER:
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    ffmpeg("-t", str(seconds), "-i", str(media / source), "-c:v", "libx264",
                           "-preset", "veryfast", "-an", str(folder / name))  # fmt: skip
                page.goto(f"{url}/review")
                page.get_by_text("Choose a video").wait_for(timeout=30_000)
                choose(page, "Stretch", "Chest opener")
                page.get_by_text("A file or folder on this computer").click()
                box = page.get_by_role("textbox", name="Path of a video, or of a folder of videos")
                box.fill(str(folder))
                box.press("Enter")
                page.get_by_role("button", name="Review", exact=True).click()
                progress = page.get_by_text(re.compile(r"Reviewing \S+ \(2 of 3\): frame"))
                progress.wait_for(timeout=180_000)
                page.wait_for_timeout(1_500)
                page.screenshot(path=str(args.out / "review-folder-progress.png"))
                page.get_by_text(re.compile(r"Reviewed 3 of 3 recordings")).wait_for(
                    timeout=300_000
                )
                page.wait_for_timeout(2_000)
                page.screenshot(path=str(args.out / "review-folder.png"))

                page.goto(f"{url}/history")
                page.get_by_text("Trends").wait_for(timeout=30_000)
                page.wait_for_timeout(2_000)
                shoot(page, args.out / "history.png")
                page.set_viewport_size({"width": 1400, "height": 1000})

                page.goto(f"{url}/photo")
                page.get_by_text("Choose a photo").wait_for(timeout=30_000)
                page.locator("input[type=file]").set_input_files(str(media / PHOTO))
                page.get_by_text("not visible from this side").wait_for(timeout=60_000)
                page.locator("[data-testid=stImage] img").first.wait_for(timeout=30_000)
                page.wait_for_timeout(2000)
                page.screenshot(path=str(args.out / "photo.png"))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
