"""The desk monitor from a front or three-quarter webcam (issue 10): the real laptop-webcam pairs
judged against their own upright photo on every sensitivity preset, the calibrated look-around
range, head turns judged against the user's own yaw, a second person, the view and the camera
angle a calibration records, and synthetic timelines for the dead zone, glances, head turns
and the presets through the monitor's alarm (10 frames a second on variants of a real pose)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace

import numpy as np
import pytest

from posecheck.desk import (
    Baseline,
    CalibrationError,
    PostureMonitor,
    PostureResult,
    PostureStatus,
    assess,
    calibrate,
    detect_view,
    look_prompt,
)
from posecheck.landmarks import Landmark as L
from posecheck.metrics import Context, measure
from posecheck.metrics.desk import HEAD_YAW_GAIN
from posecheck.pose import Pose
from posecheck.specs.desk import SENSITIVITIES, posture_spec
from tests.conftest import FIXTURES, fixture_pose, load_landmark_fixture
from tests.posing import shift

EXAMPLES = tomllib.loads((FIXTURES / "examples.toml").read_text())
HEAD = [L(i) for i in range(0, 11)]
UPPER = [L(i) for i in range(0, 23)]
FPS = 10

#: Every front-webcam photo with its upright baseline photo (same person, camera and room).
PAIRS = {
    name: info["baseline"]
    for name, info in EXAMPLES.items()
    if info.get("kind") == "posture" and "baseline" in info
}
#: The problems each label may be named by (a sideways lean tips the shoulders or the head).
PROBLEM = {
    "slouched": {"slouched"},
    "forward-head": {"forward head"},
    "leaning-sideways": {"leaning sideways", "head tilted"},
}


def value(pose: Pose, metric: str) -> float:
    result = measure(Context(pose), metric).value
    assert result is not None, metric
    return result


def baseline_of(*poses: str | Pose) -> Baseline:
    return calibrate([fixture_pose(p) if isinstance(p, str) else p for p in poses])


# --- the real pairs ----------------------------------------------------------------------------


def test_every_front_pair_is_in_the_examples() -> None:
    assert PAIRS == {
        "hcpg_setup": "hcpg_good_posture",
        "hcpg_bad_posture": "hcpg_good_posture",
        "pds_bad_posture": "pds_good_posture",
        "posturecv_debug2": "posturecv_debug1",
    }


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_medium_judges_each_real_pair_like_the_eye(name: str) -> None:
    expected = EXAMPLES[name]["expected"]
    judgement = assess(fixture_pose(name), baseline_of(PAIRS[name]))
    assert judgement.calibrated and judgement.view == "front"
    assert judgement.excluded is None
    if expected == "upright":
        assert judgement.status is PostureStatus.GOOD, judgement.metrics
    else:
        assert judgement.status is PostureStatus.BAD, judgement.metrics
        assert PROBLEM[expected] & set(judgement.problems), judgement.problems


#: The verdict on each pair per preset, written from the pictures and the documented numbers:
#: low is meant to miss a sink as small as hcpg_bad_posture's (8.5-9.7 % against 10 %).
PRESET_TABLE = {
    ("hcpg_good_posture", "hcpg_setup"): ("good", "good", "good"),
    ("hcpg_setup", "hcpg_good_posture"): ("good", "good", "good"),
    ("hcpg_good_posture", "hcpg_bad_posture"): ("good", "bad", "bad"),
    ("hcpg_setup", "hcpg_bad_posture"): ("good", "bad", "bad"),
    ("posturecv_debug1", "posturecv_debug2"): ("bad", "bad", "bad"),
    ("pds_good_posture", "pds_bad_posture"): ("bad", "bad", "bad"),
}


@pytest.mark.parametrize(("base", "frame"), sorted(PRESET_TABLE))
def test_each_pair_on_each_preset(base: str, frame: str) -> None:
    baseline = baseline_of(base)
    got = tuple(
        assess(fixture_pose(frame), baseline, sensitivity=s).status.value for s in SENSITIVITIES
    )
    assert got == PRESET_TABLE[(base, frame)]


def test_the_sunk_down_man_is_caught_with_both_upright_photos_as_the_calibration() -> None:
    # Two upright photos widen the calibrated range; the sink is still past it.
    baseline = baseline_of("hcpg_good_posture", "hcpg_setup")
    assert baseline.frames == 2
    assert assess(fixture_pose("hcpg_bad_posture"), baseline).problems == ("slouched",)
    assert assess(fixture_pose("hcpg_setup"), baseline).status is PostureStatus.GOOD


def test_the_held_out_sideways_lean_is_named() -> None:
    # The pds pair was held out from tuning: no threshold was set from it.
    judgement = assess(fixture_pose("pds_bad_posture"), baseline_of("pds_good_posture"))
    assert {"leaning sideways", "head tilted"} <= set(judgement.problems)


def test_each_upright_photo_against_itself_is_good_with_every_measure_inside_its_band() -> None:
    for name in ("hcpg_good_posture", "pds_good_posture", "posturecv_debug1"):
        judgement = assess(fixture_pose(name), baseline_of(name), sensitivity="high")
        assert judgement.status is PostureStatus.GOOD, name
        assert set(judgement.boundaries) == {
            "head_gap", "head_shoulder_size", "shoulder_tilt", "head_tilt",
        }  # fmt: skip
        for metric, boundary in judgement.boundaries.items():
            now = judgement.metrics[metric]
            assert boundary.band is not None and now is not None
            assert boundary.band.min == pytest.approx(now) == boundary.band.max
            assert boundary.target.contains(now)


# --- synthetic changes of the real upright man ------------------------------------------------


def drop_head(pose: Pose, share: float) -> Pose:
    """The head (landmarks 0-10) lowered by `share` of its height above the shoulder line."""
    shoulders = (pose.xy(L.LEFT_SHOULDER)[1] + pose.xy(L.RIGHT_SHOULDER)[1]) / 2
    head = ((pose.xy(L.LEFT_EYE)[1] + pose.xy(L.RIGHT_EYE)[1]) / 2 + pose.xy(L.NOSE)[1]) / 2
    return shift(pose, HEAD, 0.0, share * float(shoulders - head))


def turn_nose(pose: Pose, degrees: float) -> Pose:
    """The nose moved across so that `head_yaw` reads about `degrees` more."""
    half = float(np.hypot(*(pose.xy(L.LEFT_EAR) - pose.xy(L.RIGHT_EAR)))) / 2
    now = math.radians(value(pose, "head_yaw"))
    dx = HEAD_YAW_GAIN * half * (math.tan(now + math.radians(degrees)) - math.tan(now))
    return shift(pose, [L.NOSE], dx, 0.0)


def turn_body(pose: Pose, degrees: float) -> Pose:
    """The world landmarks turned about the vertical axis (the view and camera angle change;
    the image stays the same)."""
    assert pose.world is not None
    theta = math.radians(degrees)
    world = pose.world.copy()
    x, z = world[:, 0].copy(), world[:, 2].copy()
    world[:, 0] = x * math.cos(theta) - z * math.sin(theta)
    world[:, 2] = x * math.sin(theta) + z * math.cos(theta)
    return replace(pose, world=world)


def scaled(pose: Pose, factor: float) -> Pose:
    """Head and shoulders scaled about the shoulder midpoint: nearer (> 1) or further (< 1)."""
    px = pose.pixels[:, :2].copy()
    centre = (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER]) / 2
    width, height = pose.image_size
    normalized = pose.normalized.copy()
    for lm in UPPER:
        x, y = centre + (px[lm] - centre) * factor
        normalized[lm, 0], normalized[lm, 1] = x / width, y / height
    return replace(pose, normalized=normalized)


@pytest.fixture
def upright() -> Pose:
    return fixture_pose("hcpg_good_posture")


@pytest.mark.parametrize(
    ("drop", "low", "medium", "high"),
    [(0.03, "good", "good", "good"), (0.05, "good", "good", "bad"),
     (0.08, "good", "bad", "bad"), (0.13, "bad", "bad", "bad")],
)  # fmt: skip
def test_presets_catch_a_sinking_head_at_their_documented_share(
    upright: Pose, drop: float, low: str, medium: str, high: str
) -> None:
    baseline = baseline_of(upright)
    frame = drop_head(upright, drop)
    got = {s: assess(frame, baseline, sensitivity=s).status.value for s in SENSITIVITIES}
    assert got == {"low": low, "medium": medium, "high": high}


@pytest.mark.parametrize(
    ("factor", "problem"),
    [(1.08, "forward head"), (1.03, None), (0.97, None), (0.85, "reclined")],
)
def test_leaning_in_and_back_against_the_calibrated_size(
    upright: Pose, factor: float, problem: str | None
) -> None:
    judgement = assess(scaled(upright, factor), baseline_of(upright))
    assert judgement.problems == ((problem,) if problem else ())


def test_the_face_alone_judges_leaning_in_when_the_shoulders_are_out_of_frame(
    upright: Pose,
) -> None:
    baseline = baseline_of(upright)
    near = scaled(upright, 1.12)
    hidden = near.visibility.copy()
    hidden[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = 0.1
    judgement = assess(replace(near, visibility=hidden), baseline)
    assert judgement.metrics["head_shoulder_size"] is None
    assert "forward head" in judgement.problems
    assert "face_size" in judgement.boundaries


def test_unknown_presets_are_refused_with_the_choices(upright: Pose) -> None:
    with pytest.raises(ValueError, match="low, medium, high"):
        assess(upright, baseline_of(upright), sensitivity="max")
    with pytest.raises(ValueError, match="low, medium, high"):
        PostureMonitor(sensitivity="loud")


# --- calibration: the look-around range -------------------------------------------------------


def test_a_glance_seen_while_calibrating_is_inside_the_range_and_more_is_not(
    upright: Pose,
) -> None:
    # Looking at the bottom corners lowers the head by 5 % for a while.
    look_around = [upright] * 6 + [drop_head(upright, 0.05)] * 6 + [upright] * 6
    baseline = baseline_of(*look_around)
    assert assess(drop_head(upright, 0.05), baseline).status is PostureStatus.GOOD
    late = assess(drop_head(upright, 0.05 + 0.08), baseline)
    assert late.problems == ("slouched",)


def test_one_odd_calibration_frame_does_not_widen_the_range(upright: Pose) -> None:
    baseline = baseline_of(*([upright] * 8 + [drop_head(upright, 0.3)] + [upright] * 8))
    gap = baseline.bands["head_gap"]
    assert gap.low == pytest.approx(gap.high)


def test_calibration_refuses_a_slouch_in_the_middle_of_it(upright: Pose) -> None:
    with pytest.raises(CalibrationError, match="head moved up and down"):
        baseline_of(*([upright] * 10 + [drop_head(upright, 0.35)] * 10))


def test_calibration_refuses_looking_far_away(upright: Pose) -> None:
    with pytest.raises(CalibrationError, match="turned your head far away"):
        baseline_of(*([upright] * 10 + [turn_nose(upright, 50)] * 10))


def test_calibration_records_the_view_and_the_camera_angle() -> None:
    baseline = baseline_of("pds_good_posture")
    assert baseline.view == "front"
    assert baseline.camera_yaw == pytest.approx(value(fixture_pose("pds_good_posture"),
                                                      "shoulder_yaw"))  # fmt: skip
    assert baseline.describe().startswith("front view, camera 11° to your")
    # A side calibration keeps today's side judgement and its own view.
    assert baseline_of("side_upright_chair_man").view == "side"


def test_calibrating_with_someone_else_in_view_warns(upright: Pose) -> None:
    crowd = replace(upright, people=2)
    baseline = baseline_of(*([upright] * 5 + [crowd] * 5))
    assert any("Someone else was in view" in w for w in baseline.warnings)
    assert not baseline_of(*([upright] * 9 + [crowd])).warnings


def test_the_prompts_walk_the_corners_and_the_middle_in_order() -> None:
    cal = posture_spec().calibration
    steps = [look_prompt(t, cal) for t in np.arange(0, cal.seconds + 1, 0.5)]
    indices = [i for i, _ in steps]
    assert indices == sorted(indices) and set(indices) == set(range(len(cal.look_at)))
    assert steps[0][1] == "Sit upright and look at the middle of your screen."
    assert "corner" in steps[-1][1]


def test_the_baseline_json_keeps_the_ranges_and_refuses_an_old_profile(upright: Pose) -> None:
    baseline = replace(baseline_of(upright, drop_head(upright, 0.04)), sensitivity="high")
    data = baseline.to_json()
    assert data["version"] == 2 and data["sensitivity"] == "high"
    again = Baseline.from_json(data)
    assert again.view == "front" and again.sensitivity == "high"
    assert again.camera_yaw == pytest.approx(baseline.camera_yaw, abs=1e-3)
    for name, b in baseline.bands.items():
        assert again.bands[name].low == pytest.approx(b.low, abs=1e-5)
        assert again.bands[name].high == pytest.approx(b.high, abs=1e-5)
    with pytest.raises(ValueError, match="older posecheck"):
        Baseline.from_json({**data, "version": 1})
    with pytest.raises(ValueError, match="must hold its median"):
        Baseline.from_json({**data, "ranges": {**data["ranges"], "head_gap": [2.0, 3.0]}})


# --- head turns, relative to the baseline's own yaw -------------------------------------------


def test_a_head_turn_is_not_judged_and_never_a_slouch(upright: Pose) -> None:
    baseline = baseline_of(upright)
    judgement = assess(drop_head(turn_nose(upright, 25), 0.15), baseline)
    assert judgement.status is PostureStatus.UNKNOWN and judgement.excluded == "head turned"
    assert not judgement.problems
    assert assess(turn_nose(upright, 8), baseline).status is PostureStatus.GOOD


def test_a_user_who_calibrated_with_the_head_turned_is_judged_at_that_yaw(
    upright: Pose,
) -> None:
    # An offset webcam: the face is always seen 25 degrees turned. That is "your camera".
    turned = turn_nose(upright, 25)
    baseline = baseline_of(turned)
    assert assess(turned, baseline).status is PostureStatus.GOOD
    assert assess(drop_head(turned, 0.1), baseline).problems == ("slouched",)
    # ... and facing the camera squarely is now the turn.
    assert assess(upright, baseline).excluded == "head turned"


# --- someone else -----------------------------------------------------------------------------


def man_in_full_frame() -> Pose:
    """The man of webcam_front_two_people, found in a crop, in the full frame's coordinates."""
    data = load_landmark_fixture("webcam_front_two_people_man")
    x0, y0, x1, y1 = data["crop"]
    full = fixture_pose("webcam_front_two_people").image_size
    crop = fixture_pose("webcam_front_two_people_man")
    n = crop.normalized.copy()
    n[:, 0] = (n[:, 0] * (x1 - x0) + x0) / full[0]
    n[:, 1] = (n[:, 1] * (y1 - y0) + y0) / full[1]
    return Pose(n, crop.visibility, crop.presence, crop.world, full)


def test_the_person_beside_the_calibrated_user_is_someone_else() -> None:
    man = man_in_full_frame()
    baseline = baseline_of(man)
    assert assess(man, baseline).status is PostureStatus.GOOD
    # The landmarker's main person in the full frame is the woman beside him.
    judgement = assess(fixture_pose("webcam_front_two_people"), baseline)
    assert judgement.excluded == "bystander" and not judgement.problems
    assert "Someone else" in judgement.cues[0]


def test_a_much_smaller_face_is_someone_else_not_a_recline(upright: Pose) -> None:
    x = upright.normalized.copy()
    centre = x[:, :2].mean(axis=0)
    x[:, :2] = centre + 0.5 * (x[:, :2] - centre)
    judgement = assess(replace(upright, normalized=x), baseline_of(upright))
    assert judgement.excluded == "bystander"


# --- views and camera positions ---------------------------------------------------------------


def _desk_photos(view: str) -> list[str]:
    return [
        name
        for name, info in EXAMPLES.items()
        if info.get("kind") == "posture" and info["setting"] == "sitting" and info["view"] == view
    ]


@pytest.mark.parametrize("name", _desk_photos("side"))
def test_seated_side_photos_stay_side(name: str) -> None:
    assert detect_view(fixture_pose(name)) == "side"


@pytest.mark.parametrize("name", [n for n in _desk_photos("front") if not n.startswith("front_")])
def test_laptop_webcam_photos_are_front(name: str) -> None:
    assert detect_view(fixture_pose(name)) == "front"


@pytest.mark.parametrize(
    "name", ["front_high_desk_woman", "front_recline_student", "front_recline_student_2",
             "front_slumped_office"],
)  # fmt: skip
def test_stock_photos_filed_as_front_but_seen_in_profile_keep_the_side_rules(name: str) -> None:
    # A raised camera at the front-left, the face in profile: the side rules judge them right.
    assert detect_view(fixture_pose(name)) == "side"


def test_a_three_quarter_webcam_with_the_face_to_the_camera_is_not_a_side_view(
    upright: Pose,
) -> None:
    assert detect_view(turn_body(upright, 45)) == "three-quarter"
    assert detect_view(turn_body(upright, 62)) == "three-quarter"  # face to the camera
    assert detect_view(turn_nose(turn_body(upright, 62), 50)) == "side"  # face in profile
    assert detect_view(turn_body(upright, 75)) == "side"


def test_an_offset_webcam_is_your_camera_once_calibrated(upright: Pose) -> None:
    offset = turn_body(upright, 48)
    baseline = baseline_of(offset)
    assert baseline.view == "three-quarter"
    assert baseline.camera_yaw is not None and abs(baseline.camera_yaw) > 35
    assert baseline.describe().startswith("three-quarter view, camera ")
    judged = assess(offset, baseline)
    assert judged.calibrated and judged.status is PostureStatus.GOOD
    assert assess(drop_head(offset, 0.1), baseline).problems == ("slouched",)
    # A frame that alone reads as a side view is judged while the shoulders stay near the
    # calibrated camera angle: world yaw is noisy, the calibration decides.
    near = turn_body(upright, 60)
    assert assess(near, baseline).calibrated
    # Swivelled well away: not judged, never a slouch.
    swivel = assess(drop_head(turn_body(upright, 20), 0.2), baseline)
    assert swivel.excluded == "body turned" and not swivel.problems


@pytest.mark.parametrize("name", ["side_upright_chair_man", "front_recline_student"])
def test_a_front_profile_on_a_side_photo_says_to_calibrate_again(name: str) -> None:
    judgement = assess(fixture_pose(name), baseline_of("hcpg_good_posture"))
    assert judgement.status is PostureStatus.UNKNOWN and judgement.excluded == "view"
    assert not judgement.calibrated
    (cue,) = judgement.cues
    assert "calibrate again for this camera position" in cue and "someone" not in cue.lower()


def test_a_side_profile_on_a_front_photo_says_to_calibrate_again() -> None:
    judgement = assess(fixture_pose("hcpg_good_posture"), baseline_of("side_upright_chair_man"))
    assert judgement.excluded == "view" and not judgement.calibrated
    assert "calibrate again" in judgement.cues[0]


# --- over time: the monitor's alarm on front frames -------------------------------------------

Plan = list[tuple[float, Pose | None]]


def run(monitor: PostureMonitor, plan: Plan, start: float = 0.0) -> list[PostureResult]:
    results, t = [], start
    for seconds, pose in plan:
        for _ in range(round(seconds * FPS)):
            results.append(monitor.update(pose, round(t, 3)))
            t += 1 / FPS
    return results


def alerts(results: list[PostureResult]) -> list[float]:
    return [r.t_s for r in results if r.alert]


def test_a_sink_inside_the_dead_zone_never_alerts_and_one_past_it_alerts_once(
    upright: Pose,
) -> None:
    monitor = PostureMonitor(baseline_of(upright))  # medium: 6 % past the range
    results = run(monitor, [(5, upright), (20, drop_head(upright, 0.04)), (5, upright)])
    assert alerts(results) == [] and monitor.summary().posture.bad_s == 0.0
    results = run(monitor, [(15, drop_head(upright, 0.12)), (5, upright)], start=30.0)
    assert alerts(results) == [pytest.approx(40.0, abs=0.01)]
    assert results[-1].status is PostureStatus.GOOD


def test_glances_down_at_the_keyboard_never_alert(upright: Pose) -> None:
    plan: Plan = [(5, upright)]
    for _ in range(8):
        plan += [(3, drop_head(upright, 0.2)), (4, upright)]
    results = run(PostureMonitor(baseline_of(upright)), plan)
    assert any(r.status is PostureStatus.BAD for r in results)  # each glance is seen ...
    assert alerts(results) == []  # ... and none lasts


def test_a_long_head_turn_with_the_head_low_never_alerts(upright: Pose) -> None:
    monitor = PostureMonitor(baseline_of(upright))
    turned = drop_head(turn_nose(upright, 30), 0.15)
    results = run(monitor, [(5, upright), (30, turned), (5, upright)])
    assert alerts(results) == []
    assert {r.excluded for r in results[50:350]} == {"head turned"}
    totals = monitor.summary().posture
    assert totals.bad_s == 0.0 and totals.unknown_s == pytest.approx(30.0, abs=0.01)


@pytest.mark.parametrize(("sensitivity", "alerted"), [("low", False), ("medium", True),
                                                      ("high", True)])  # fmt: skip
def test_the_presets_decide_whether_a_lasting_small_sink_alerts(
    upright: Pose, sensitivity: str, alerted: bool
) -> None:
    monitor = PostureMonitor(baseline_of(upright), sensitivity=sensitivity)
    results = run(monitor, [(5, upright), (15, drop_head(upright, 0.08))])
    assert bool(alerts(results)) is alerted


def test_the_sensitivity_follows_the_profile_and_can_change_between_frames(
    upright: Pose,
) -> None:
    baseline = replace(baseline_of(upright), sensitivity="low")
    monitor = PostureMonitor(baseline)
    assert monitor.sensitivity == "low"
    sink = drop_head(upright, 0.08)
    assert monitor.update(sink, 0.0).status is PostureStatus.GOOD
    monitor.sensitivity = "high"
    assert monitor.update(sink, 0.1).status is PostureStatus.BAD
    with pytest.raises(ValueError, match="low, medium, high"):
        monitor.sensitivity = "extreme"


def test_a_front_slouch_clears_only_well_inside_its_limit(upright: Pose) -> None:
    baseline = baseline_of(upright)
    monitor = PostureMonitor(baseline)
    # Medium's limit is 6 % below the calibrated gap; the clearing margin 3 % more.
    past, just_inside = drop_head(upright, 0.09), drop_head(upright, 0.05)
    assert assess(just_inside, baseline).status is PostureStatus.GOOD
    results = run(monitor, [(1, past), (1, just_inside), (1, upright)])
    assert "slouched" in results[9].problems
    assert "slouched" in results[19].problems  # inside the limit, not yet by the margin
    assert "slouched" not in results[29].problems


def test_a_front_profile_on_side_frames_is_not_silently_ignored() -> None:
    monitor = PostureMonitor(baseline_of("hcpg_good_posture"))
    results = run(monitor, [(3, fixture_pose("side_hunchback_desk_man"))])
    assert {r.excluded for r in results} == {"view"}
    assert monitor.summary().posture.calibrated is False
    (note,) = monitor.notes()
    assert "does not fit this camera position (side view)" in note


def test_a_fitting_profile_marks_the_session_calibrated(upright: Pose) -> None:
    monitor = PostureMonitor(baseline_of(upright))
    run(monitor, [(1, upright)])
    assert monitor.summary().posture.calibrated is True and monitor.notes() == ()


def test_a_lasting_slouch_alerts_on_a_busy_machine_that_sees_a_frame_every_1_5_s(
    upright: Pose,
) -> None:
    monitor = PostureMonitor(baseline_of(upright))
    sink = drop_head(upright, 0.12)
    times = [0.0, 1.5, 3.0, *np.arange(4.5, 20.0, 1.5)]
    results = [monitor.update(upright if t < 4 else sink, t) for t in times]
    assert [r.t_s for r in results if r.alert] == [pytest.approx(15.0)]
    # A longer gap (the stream stalled) counts for nothing.
    stalled = PostureMonitor(baseline_of(upright))
    assert not any(stalled.update(sink, t).alert for t in np.arange(0.0, 40.0, 2.5))
