"""End-to-end fixtures: a real Streamlit server and Debian's Chromium with a fake camera fed by
a real clip, inside a private network namespace (see `make e2e` and ENVIRONMENT.md).

aiortc's ICE skips 127.0.0.1, so the namespace's loopback also carries 127.0.0.2; nothing
leaves the machine and ports cannot clash with anything outside.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from posecheck.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")


def _in_namespace() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _requirements() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (make test installs it with apt-get)")
    if not _in_namespace():
        pytest.skip("end-to-end tests run inside a network namespace with 127.0.0.2: `make e2e`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("posecheck-data")


@pytest.fixture(scope="session")
def server(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    env = {**__import__("os").environ, "POSECHECK_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
         "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.terminate()
        raise RuntimeError(f"Streamlit did not start; see {log.name}")
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def make_camera(clip: Path, out: Path, seconds: float = 20.0) -> Path:
    """A y4m file for Chromium's fake camera: 640x480 at 30 fps from a real clip."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-t", str(seconds), "-i", str(clip),
         "-vf", "scale=640:480", "-pix_fmt", "yuv420p", "-r", "30", str(out)],
        check=True, timeout=120,
    )
    return out
