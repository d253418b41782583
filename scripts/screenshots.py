"""Take screenshots of the app's pages in headless Chromium (Debian's /usr/bin/chromium).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts its own Streamlit server on a free port, uploads a real photo from the shared media,
and saves PNGs for the README.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from posecheck.media import media_dir
from posecheck.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
PHOTO = "01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
         "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True,
                viewport={"width": 1400, "height": 900},
                args=["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-default-browser-check"],
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Choose a photo").wait_for(timeout=30_000)
            page.locator("input[type=file]").set_input_files(str(media_dir() / PHOTO))
            page.get_by_text("not visible from this side").wait_for(timeout=60_000)
            page.locator("[data-testid=stImage] img").first.wait_for(timeout=30_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(args.out / "photo.png"), full_page=True)
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
