"""The Desk page with a laptop webcam in front (issue 10), in a real browser: Chromium's fake
camera plays a clip made here from the 13_front_webcam pair (the same man upright, then sunk
down in his chair, then upright with his head turned away), the page calibrates on the upright
part, reaches the slouch alert, and does not judge the head turn.

The clip is built with ffmpeg into a temporary folder from the shared media; nothing of the
media is written into the repository. No photo of this man with his head turned exists, so the
turn is made from his upright photo: his head is modelled as an ellipsoid through his ears
(deeper than wide, with a nose bump), rotated about the vertical axis and re-projected with a
depth buffer, so the near cheek widens, the far side narrows and the nose moves past the cheek;
the side of the head that comes into view is filled in from its surroundings. MediaPipe reads
such a made turn as smaller than it is (a 48 degree one read as 21-28 in the research), still
well past the user's own calibrated yaw range: the range where the old rules took the smaller
face for reclining.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Page

from posecheck.landmarks import Landmark as L
from tests.conftest import fixture_pose
from tests.e2e.test_live import open_page, webrtc_frame

pytestmark = pytest.mark.e2e

SIZE = (640, 480)
FPS = 30
TURN_DEG = 40.0
#: (what, seconds): the clip's segments in order. The test presses Calibrate once the page
#: judges frames (the connection and the landmarker's start take a few seconds, more on a busy
#: machine; if that is too late, at the clip's next loop), and the calibration takes 10 s: the
#: upright part is long enough for both. The
#: slouch lasts well past the 10 s alert delay (a busy machine sees a frame a second or less,
#: and only bad time between frames close together counts); the turn lasts longer than the
#: delay too, so it would alert if it were judged bad.
SEGMENTS = (("upright", 40.0), ("slouched", 20.0), ("upright", 4.0), ("turned", 12.0),
            ("upright", 3.0))  # fmt: skip


# --- the head turn -------------------------------------------------------------------------------

DEPTH = 1.3  # the face's depth in front of the ear line, in half ear spans
NOSE_BUMP = 0.25  # the nose's extra depth, in half ear spans
SUPERSAMPLE = 4


@dataclass(frozen=True)
class Head:
    """Where the head is in the image (pixels): its ellipse, the nose and the chin."""

    cx: float
    cy: float
    rx: float
    ry: float
    half_span: float
    nose: tuple[float, float]
    face_h: float
    chin: float


def head_of(image: np.ndarray) -> Head:
    """The upright man's head in `image`, from his committed landmarks (normalized coordinates
    do not depend on the image size)."""
    pose = fixture_pose("hcpg_good_posture")
    h, w = image.shape[:2]

    def xy(landmark: L) -> np.ndarray:
        return pose.normalized[landmark, :2] * np.array([w, h])

    ears = (xy(L.LEFT_EAR) + xy(L.RIGHT_EAR)) / 2
    half_span = float(np.hypot(*(xy(L.LEFT_EAR) - xy(L.RIGHT_EAR)))) / 2
    eye_y = float(xy(L.LEFT_EYE)[1] + xy(L.RIGHT_EYE)[1]) / 2
    mouth_y = float(xy(L.MOUTH_LEFT)[1] + xy(L.MOUTH_RIGHT)[1]) / 2
    face_h = mouth_y - eye_y
    top, chin = eye_y - 1.9 * face_h, mouth_y + 0.8 * face_h
    nose = xy(L.NOSE)
    return Head(float(ears[0]), (top + chin) / 2, 1.15 * half_span, (chin - top) / 2, half_span,
                (float(nose[0]), float(nose[1])), face_h, chin)  # fmt: skip


def turn_head(image: np.ndarray, head: Head, degrees: float) -> np.ndarray:
    """`image` with the head turned by `degrees` (positive: the nose toward the image's right)."""
    h, w = image.shape[:2]
    y0, y1 = max(0, int(head.cy - head.ry)), min(h, int(head.cy + head.ry) + 1)
    x0, x1 = max(0, int(head.cx - head.rx)), min(w, int(head.cx + head.rx) + 1)
    u, v = np.meshgrid(np.arange(x0, x1, 1 / SUPERSAMPLE, dtype=np.float32),
                       np.arange(y0, y1, dtype=np.float32))  # fmt: skip
    half = head.rx * np.sqrt(np.clip(1 - ((v - head.cy) / head.ry) ** 2, 0, 1))
    x = u - head.cx
    z = DEPTH * np.sqrt(np.clip(half**2 - x**2, 0, None))
    bump = np.exp(-(((u - head.nose[0]) / (0.22 * head.half_span)) ** 2
                    + ((v - head.nose[1]) / (0.45 * head.face_h)) ** 2))  # fmt: skip
    z = z + NOSE_BUMP * head.half_span * bump
    # The jaw turns with the head; the turn fades out toward the neck.
    weight = np.clip((head.chin + 0.15 * head.face_h - v) / (0.5 * head.face_h), 0, 1)
    theta = np.radians(degrees) * weight
    x_turned = x * np.cos(theta) + z * np.sin(theta)
    z_turned = -x * np.sin(theta) + z * np.cos(theta)
    colours = cv2.remap(image, u, v, cv2.INTER_LINEAR)
    keep = (np.abs(x) < half) & (z_turned >= 0)
    du = np.rint(x_turned + head.cx).astype(np.int64)[keep]
    dv = v.astype(np.int64)[keep]
    depth, colour = z_turned[keep], colours[keep]
    inside = (du >= 0) & (du < w)
    du, dv, depth, colour = du[inside], dv[inside], depth[inside], colour[inside]
    key = dv * w + du
    order = np.lexsort((depth, key))  # by pixel, then the nearest sample last
    key, colour = key[order], colour[order]
    nearest = np.r_[key[1:] != key[:-1], True]
    out = image.copy()
    out.reshape(-1, 3)[key[nearest]] = colour[nearest]
    # Pixels of the head that nothing landed on: the side of the head now in view.
    yy, xx = np.mgrid[0:h, 0:w]
    ellipse = ((xx - head.cx) / head.rx) ** 2 + ((yy - head.cy) / head.ry) ** 2 < 1
    hit = np.zeros(h * w, bool)
    hit[key[nearest]] = True
    holes = (ellipse & ~hit.reshape(h, w)).astype(np.uint8)
    return cv2.inpaint(out, holes, 5, cv2.INPAINT_TELEA) if holes.any() else out


# --- the clip ------------------------------------------------------------------------------------


def _photo(media: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(media / "13_front_webcam" / f"{name}.png"), cv2.IMREAD_COLOR)
    assert image is not None, name
    return cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)


def build_clip(media: Path, out: Path) -> Path:
    """The clip as Motion JPEG (Chromium's fake camera plays .mjpeg files, 4:2:0 only, at 30
    frames a second; a tenth of the size of y4m), with light noise over time as a real camera
    has."""
    upright, setup = _photo(media, "hcpg_good_posture"), _photo(media, "hcpg_setup")
    slouch = _photo(media, "hcpg_bad_posture")
    head = head_of(upright)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp)

        def still(name: str, image: np.ndarray) -> Path:
            path = work / f"{name}.png"
            if not path.exists():
                cv2.imwrite(str(path), image)
            return path

        def turned(k: int, degrees: float) -> Path:
            return still(f"turn{k:02d}", turn_head(upright, head, degrees))

        entries: list[tuple[Path, float]] = []
        ramp = [TURN_DEG * (0.5 - 0.5 * math.cos(math.pi * (k + 1) / FPS)) for k in range(FPS)]
        for what, seconds in SEGMENTS:
            if what == "upright" and seconds > 5:
                # Two real upright photos a second apart: a stand-in for looking around.
                for i in range(round(seconds)):
                    entries.append((still("upright" if i % 2 == 0 else "setup",
                                          upright if i % 2 == 0 else setup), 1.0))  # fmt: skip
            elif what == "upright":
                entries.append((still("upright", upright), seconds))
            elif what == "slouched":
                entries.append((still("slouch", slouch), seconds))
            else:  # turned over a second, held, turned back over a second
                entries += [(turned(k, d), 1 / FPS) for k, d in enumerate(ramp)]
                entries.append((turned(FPS - 1, TURN_DEG), seconds - 2.0))
                entries += [(turned(k, d), 1 / FPS) for k, d in reversed(list(enumerate(ramp)))]
        listing = work / "list.txt"
        lines = []
        for path, seconds in entries:
            lines += [f"file '{path}'", f"duration {seconds:.6f}"]
        lines.append(f"file '{entries[-1][0]}'")  # the concat demuxer drops the last duration
        listing.write_text("\n".join(lines) + "\n")
        total = sum(seconds for _, seconds in SEGMENTS)
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i",
             str(listing), "-vf", f"fps={FPS},noise=alls=3:allf=t,format=yuvj420p",
             "-t", f"{total:g}", "-q:v", "4", "-f", "mjpeg", str(out)],
            check=True, timeout=300,
        )  # fmt: skip
    return out


@pytest.fixture(autouse=True)
def _own_profile(data_dir: Path) -> Iterator[None]:
    """The front-webcam profile this test calibrates is removed afterwards: the other browser
    tests share the server and its data folder, and a side-view camera judged against a front
    profile is (rightly) not judged at all."""
    yield
    for leftover in (data_dir / "profiles").glob("*.json"):
        leftover.unlink()


@pytest.fixture(scope="module")
def front_camera(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clip(media, tmp_path_factory.mktemp("camera") / "front.mjpeg")


# --- the page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """What the page shows at one moment."""

    t: float
    status: str
    text: str
    metrics: dict[str, str]


def sample(page: Page) -> Sample:
    status = page.locator("h3").filter(
        has_text=re.compile("Good posture|Slouching|Away from the desk|Can't judge right now")
    )
    heading = status.first.inner_text() if status.count() else ""
    metrics = {}
    for block in page.locator("[data-testid='stMetric']").all_inner_texts():
        label, _, shown = block.partition("\n")
        if shown.strip():
            metrics[label.strip()] = shown.strip()
    return Sample(time.monotonic(), heading, page.locator("body").inner_text(), metrics)


def bars_show(page: Page, text: str, tries: int = 6) -> bool:
    """Whether the measure bars show `text` (asked a few times: the panel redraws twice a
    second)."""
    for _ in range(tries):
        html = page.locator("div.desk-bar").evaluate_all("els => els.map(e => e.outerHTML)")
        if any(text in h for h in html):
            return True
        page.wait_for_timeout(300)
    return False


def watch(page: Page, seconds: float) -> Iterator[Sample]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield sample(page)
        page.wait_for_timeout(500)


CLIP_S = sum(seconds for _, seconds in SEGMENTS)


def clip_time(started: float) -> float:
    """Where the fake camera is in the clip (it plays in real time from START, and loops)."""
    return (time.monotonic() - started) % CLIP_S


def calibrate_on_the_upright_part(page: Page, started: float, data: Path) -> float:
    """Press Calibrate once frames are judged, in time for the 10 s calibration to fit in the
    clip's upright part, follow the guide to the outcome; returns where in the clip the
    calibration finished."""
    # Uncalibrated, a front view says it needs calibrating: frames are being judged.
    page.get_by_text("Calibrate first").first.wait_for(timeout=90_000)
    latest_start = SEGMENTS[0][1] - 10 - 5  # 10 s of calibration, 5 s for a busy machine
    if clip_time(started) > latest_start:
        page.wait_for_timeout(1000 * (CLIP_S - clip_time(started) + 1))  # the next loop
    page.get_by_role("button", name="Calibrate").click()
    page.mouse.move(0, 0)  # the button's help tooltip would cover the video
    # The guide, step by step (frames may come in bursts on a busy machine, so not every step
    # is on screen long enough to be seen here; tests/app/test_desk.py checks each).
    page.get_by_text(re.compile(r"Step [1-5] of 5")).first.wait_for(timeout=90_000)
    outcome = re.compile(r"Calibrated \(\w+ view\)|Calibration refused|Calibrated for this")
    page.get_by_text(outcome).first.wait_for(timeout=40_000)
    calibrated_at = clip_time(started)
    body = page.locator("body").inner_text()
    assert "Calibrated (front view)" in body, body
    # It saw only the upright part: the head-to-shoulder gap moved by a few percent (the two
    # upright photos), not by the slouch's nine.
    profile = json.loads((data / "profiles" / "default.json").read_text())
    low, high = profile["ranges"]["head_gap"]
    spread = (high - low) / profile["metrics"]["head_gap"]
    assert spread < 0.06, f"calibrated {calibrated_at:.0f} s into the clip, range {spread:.1%}"
    return calibrated_at


def test_a_front_webcam_calibrates_alerts_on_the_slouch_and_not_on_the_head_turn(
    server: str, front_camera: Path, data_dir: Path
) -> None:
    for page in open_page(front_camera):
        page.goto(f"{server}/desk")
        page.get_by_text("Desk posture").first.wait_for(timeout=30_000)
        frame = webrtc_frame(page)
        frame.get_by_role("button", name=re.compile("start", re.I)).click()
        started = time.monotonic()  # the fake camera starts the clip now
        try:
            calibrated_at = calibrate_on_the_upright_part(page, started, data_dir)

            # The slouch: bad for 10 s, then the alert.
            alerted = next((s for s in watch(page, 45) if s.metrics.get("Alerts") == "1"), None)
            assert alerted is not None, "no slouch alert"
            load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
            print(f"\nE2E desk-front: calibrated {calibrated_at:.0f} s and alerted "
                  f"{(alerted.t - started) % CLIP_S:.0f} s into the clip (slouch from "
                  f"{SEGMENTS[0][1]:g} s; load average {load:.1f})")  # fmt: skip
            assert "Slouching" in alerted.status and "slouched" in alerted.status
            assert bars_show(page, 'data-measure="head_gap" data-state="outside"'), "no why"

            # Then upright, then the head turn: not judged, no bad time, no new alert.
            # (A sample taken while the panel redraws has no numbers: left out.)
            after = [s for s in watch(page, 26) if "Slouched" in s.metrics]
            turned = [s for s in after if "Can't judge right now" in s.status]
            assert len(turned) >= 10, [s.status for s in after]
            assert all("Head turned away" in s.text for s in turned)
            during = after[after.index(turned[0]) : after.index(turned[-1]) + 1]
            assert not [s for s in during if "Slouching" in s.status], [s.status for s in during]
            assert {s.metrics["Slouched"] for s in turned} == {turned[0].metrics["Slouched"]}
            assert {s.metrics["Alerts"] for s in after} == {"1"}
        except Exception:
            # What the page showed, for whoever reads the failure.
            failed = Path(tempfile.gettempdir()) / "posecheck-desk-front-failed.png"
            page.screenshot(path=str(failed))
            raise
        page.screenshot(path=str(Path(tempfile.gettempdir()) / "posecheck-desk-front-e2e.png"))
        frame.get_by_role("button", name=re.compile("stop", re.I)).click()
        page.get_by_text(re.compile("Saved to your history")).wait_for(timeout=30_000)
