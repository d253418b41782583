"""The `posecheck monitor` loop and camera calibration, run without a camera or a screen: a
stub camera and a stub estimator feed real fixture poses, and the window is replaced by a
function (layer: stub tracks). The missing-display path is the real check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from posecheck.cli.window import (
    NO_DISPLAY,
    WindowIO,
    format_summary,
    has_display,
    record_calibration,
    run_monitor,
)
from posecheck.desk import CalibrationError, PostureMonitor, calibrate
from posecheck.errors import InputError
from posecheck.overlay import PostureAnnotator
from posecheck.pose import Pose
from posecheck.settings import EstimatorSettings
from tests.conftest import fixture_pose
from tests.desk.test_desk import slouched


class StubCamera:
    def __init__(self, frames: int) -> None:
        self.left = frames
        self.released = False

    def read(self) -> tuple[bool, Any]:
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.zeros((240, 320, 3), np.uint8)

    def release(self) -> None:
        self.released = True


class StubEstimator:
    """Returns the planned poses one per frame."""

    def __init__(self, poses: list[Pose | None]) -> None:
        self.poses = iter(poses)

    def process(self, frame: Any, timestamp_ms: int | None = None) -> Pose | None:
        return next(self.poses)


def stub_factory(poses: list[Pose | None]) -> Any:
    @contextmanager
    def make(settings: EstimatorSettings) -> Iterator[StubEstimator]:
        yield StubEstimator(poses)

    return make


def clock_at(fps: float) -> Any:
    ticks = iter(np.arange(0, 10_000, 1 / fps))
    return lambda: float(next(ticks))


@pytest.fixture
def upright() -> Pose:
    return fixture_pose("side_upright_chair_man")


def test_monitor_loop_alerts_once_and_prints_statistics(
    upright: Pose, capsys: pytest.CaptureFixture[str]
) -> None:
    poses = [upright] * 30 + [slouched(upright)] * 150 + [upright] * 30
    camera = StubCamera(len(poses))
    shown: list[np.ndarray] = []
    bells: list[int] = []
    status = run_monitor(
        0,
        EstimatorSettings(),
        io=WindowIO(
            camera_factory=lambda i: camera,
            estimator_factory=stub_factory(poses),
            show=lambda frame: shown.append(frame) is None,
            clock=clock_at(10),
            bell=lambda: bells.append(1),
        ),
    )
    assert status == 0
    assert len(shown) == len(poses) and shown[0].shape == (240, 320, 3)
    assert bells == [1]
    assert camera.released
    out = capsys.readouterr()
    assert "1 alert(s)" in out.out and "longest bad stretch 15 s" in out.out
    assert "no baseline" in out.err


def test_monitor_stops_when_the_window_is_closed(upright: Pose) -> None:
    camera = StubCamera(100)
    shown = []
    run_monitor(
        0,
        EstimatorSettings(),
        baseline=calibrate([upright]),
        io=WindowIO(
            camera_factory=lambda i: camera,
            estimator_factory=stub_factory([upright] * 100),
            show=lambda frame: len(shown) < 5 and shown.append(frame) is None,
            clock=clock_at(10),
        ),
    )
    assert len(shown) == 5 and camera.released


def test_no_display_is_one_sentence_and_releases_the_camera() -> None:
    camera = StubCamera(10)
    with pytest.raises(InputError) as error:
        run_monitor(
            0,
            EstimatorSettings(),
            io=WindowIO(
                camera_factory=lambda i: camera,
                estimator_factory=stub_factory([]),
                display=lambda: False,
            ),
        )
    assert str(error.value) == NO_DISPLAY
    assert camera.released


def test_this_machine_has_no_display_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert has_display() is False


def test_camera_calibration_records_a_baseline(upright: Pose) -> None:
    frames: list[Pose | None] = [upright] * 40
    shown = []
    baseline = record_calibration(
        0,
        EstimatorSettings(),
        seconds=2.95,
        io=WindowIO(
            camera_factory=lambda i: StubCamera(40),
            estimator_factory=stub_factory(frames),
            show=lambda frame: shown.append(frame) is None,
            clock=clock_at(10),
        ),
    )
    # Frames at 0.1 .. 3.0 s: the one past 2.95 s ends the recording and is kept.
    assert baseline.view == "side" and baseline.frames == 30
    assert len(shown) == 29


def test_camera_calibration_refuses_an_empty_chair(upright: Pose) -> None:
    frames: list[Pose | None] = [upright] * 5 + [None] * 35
    with pytest.raises(CalibrationError, match="frames showed a person"):
        record_calibration(
            0,
            EstimatorSettings(),
            seconds=3,
            io=WindowIO(
                camera_factory=lambda i: StubCamera(40),
                estimator_factory=stub_factory(frames),
                show=lambda frame: True,
                clock=clock_at(10),
            ),
        )


def test_annotator_draws_status_and_boundaries_without_touching_the_input(upright: Pose) -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    monitor = PostureMonitor()
    result = monitor.update(slouched(upright), 0.0)
    out = PostureAnnotator().annotate(frame, result)
    assert not frame.any()
    assert out.shape == frame.shape and out.any()
    assert format_summary(PostureMonitor()) == "No frames were watched."


# --- the same loop coaching a stretch ----------------------------------------------------------


def test_live_coaching_loop_draws_each_frame_and_prints_the_hold(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from posecheck.cli.window import run_live
    from posecheck.specs import get_stretch

    pose = fixture_pose("childs_pose_side")
    camera = StubCamera(40)
    shown: list[np.ndarray] = []
    status = run_live(
        get_stretch("childs-pose"),
        None,
        0,
        EstimatorSettings(),
        io=WindowIO(
            camera_factory=lambda i: camera,
            estimator_factory=stub_factory([pose] * 40),
            show=lambda frame: shown.append(frame) is None,
            clock=clock_at(10),
        ),
    )
    assert status == 0 and camera.released
    assert len(shown) == 40 and all(frame.any() for frame in shown)  # the overlay is drawn
    # Held in good form from the moment it settled (0.5 s) to the last frame (3.9 s).
    assert capsys.readouterr().out == "Child's pose: hold 3 s.\n"


def test_live_loop_without_a_display_is_one_sentence_and_releases_the_camera() -> None:
    from posecheck.cli.window import run_live
    from posecheck.specs import get_stretch

    camera = StubCamera(10)
    with pytest.raises(InputError) as error:
        run_live(
            get_stretch("cobra"), None, 0, EstimatorSettings(),
            io=WindowIO(camera_factory=lambda i: camera, estimator_factory=stub_factory([]),
                        display=lambda: False),
        )  # fmt: skip
    assert str(error.value) == NO_DISPLAY
    assert camera.released


# --- a front webcam: the guided look-around and the bars (issue 10) ---------------------------


def _colour_near(image: np.ndarray, colour: tuple[int, int, int], x: int, y: int, r: int) -> bool:
    patch = image[max(0, y - r) : y + r, max(0, x - r) : x + r].astype(np.int16)
    return bool((np.abs(patch - np.array(colour, np.int16)).max(axis=2) < 10).any())


def test_camera_calibration_guides_the_look_around_and_records_a_front_baseline() -> None:
    from posecheck.overlay import ADJUST
    from tests.desk.test_desk import _jittered

    upright = fixture_pose("hcpg_good_posture")
    frames: list[Pose | None] = list(_jittered(upright, 110))
    shown: list[np.ndarray] = []
    baseline = record_calibration(
        0,
        EstimatorSettings(),
        sensitivity="high",
        io=WindowIO(
            camera_factory=lambda i: StubCamera(110),
            estimator_factory=stub_factory(frames),
            show=lambda frame: shown.append(frame) is None,
            clock=clock_at(10),
        ),
    )
    assert baseline.view == "front" and "head_gap" in baseline.bands
    assert len(shown) == 99  # 10 s at 10 frames a second: the default calibration
    # Five places in order, two seconds each: the middle, then the top left corner, ...
    height, width = shown[0].shape[:2]
    middle, top_left = (width // 2, height // 2), (round(0.08 * width), round(0.3 * height))
    assert _colour_near(shown[5], ADJUST, *middle, 6)
    assert not _colour_near(shown[5], ADJUST, *top_left, 6)
    assert _colour_near(shown[25], ADJUST, *top_left, 6)
    assert not _colour_near(shown[25], ADJUST, *middle, 6)


def test_monitor_with_a_front_profile_alerts_by_its_sensitivity() -> None:
    from tests.desk.test_front import drop_head

    upright = fixture_pose("hcpg_good_posture")
    baseline = calibrate([upright])
    poses = [upright] * 20 + [drop_head(upright, 0.08)] * 130
    bells: dict[str, int] = {}
    for sensitivity in ("low", "medium"):
        rang: list[int] = []
        ring = rang.append
        run_monitor(
            0,
            EstimatorSettings(),
            baseline=baseline,
            sensitivity=sensitivity,
            io=WindowIO(
                camera_factory=lambda i: StubCamera(len(poses)),
                estimator_factory=stub_factory(poses),
                show=lambda frame: True,
                clock=clock_at(10),
                bell=lambda ring=ring: ring(1),
            ),
        )
        bells[sensitivity] = len(rang)
    assert bells == {"low": 0, "medium": 1}


def test_annotator_draws_each_measure_against_its_calibrated_band() -> None:
    from posecheck.overlay import BAND, DEAD_ZONE, band_bar
    from tests.desk.test_front import drop_head

    upright = fixture_pose("hcpg_good_posture")
    looked_down = drop_head(upright, 0.04)  # the calibrated range has some width
    result = PostureMonitor(calibrate([upright, looked_down])).update(upright, 0.0)
    assert result.calibrated and "head_gap" in result.boundaries
    bar = band_bar(result.boundaries["head_gap"], result.metrics["head_gap"])
    assert bar.band is not None and bar.now is not None and bar.inside
    assert bar.ok[0] < bar.band[0] <= bar.now <= bar.band[1] and bar.ok[1] == 1.0
    out = PostureAnnotator().annotate(np.zeros((480, 640, 3), np.uint8), result)
    for colour in (BAND, DEAD_ZONE):
        assert (np.abs(out.astype(np.int16) - colour).max(axis=2) == 0).any(), colour
