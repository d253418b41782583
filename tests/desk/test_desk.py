"""The desk posture engine: real side-view photos judged upright versus bad, the spec's validation,
calibration, the front view with and without a baseline, and synthetic timelines for the
alerting rules (a glance down never alerts, a lasting slouch alerts once, cooldown, exclusions,
breaks). Timelines run at 10 frames a second on synthetic variants of a real upright pose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np
import pytest

from posecheck.desk import (
    CALIBRATE_CUE,
    Baseline,
    CalibrationError,
    PostureMonitor,
    PostureResult,
    PostureStatus,
    assess,
    calibrate,
    detect_view,
)
from posecheck.landmarks import Landmark as L
from posecheck.pose import Pose
from posecheck.specs import SpecError, catalog
from posecheck.specs.desk import (
    POSTURE_SPEC,
    PROBLEMS,
    PostureSettings,
    parse_posture_spec,
    posture_spec,
)
from tests.conftest import FIXTURES, fixture_pose
from tests.posing import rotate, shift

UPPER = [L(i) for i in range(0, 23)]  # head, shoulders, arms: everything above the hips
HEAD = [L(i) for i in range(0, 11)]
FPS = 10

# --- (a) real photos -----------------------------------------------------------------------

EXAMPLES = tomllib.loads((FIXTURES / "examples.toml").read_text())
EXPECTED_PROBLEM = {"slouched": "slouched", "forward-head": "forward head", "reclined": "reclined"}

#: Photos whose verdict disagrees with the label by eye, and why (see desk.toml's notes).
KNOWN_DISAGREEMENTS = {
    "side_desk_upright_woman_2": "trunk 13.3 forward while typing, just past the 12 limit; "
    "raising it to 15 would miss side_slouch_woman_chair at 14.6",
    "side_reclined_angle_overlay": "a 110 degree backrest recline measures -11.6, inside the "
    "product's 15 degree recline allowance (an upright desk photo measures -13.0)",
}


def _posture_cases() -> list[object]:
    cases = []
    for name, info in EXAMPLES.items():
        if info.get("kind") != "posture" or info["expected"] == "unclear":
            continue
        marks = []
        if name in KNOWN_DISAGREEMENTS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DISAGREEMENTS[name]))
        cases.append(pytest.param(name, info["expected"], id=name, marks=marks))
    return cases


def _side_rules_apply(name: str) -> bool:
    return detect_view(fixture_pose(name)) == "side"


@pytest.mark.parametrize(("name", "expected"), _posture_cases())
def test_real_photos_upright_versus_bad_without_a_baseline(name: str, expected: str) -> None:
    judgement = assess(fixture_pose(name))
    if not _side_rules_apply(name):
        # A front view cannot judge slouching without a baseline: it must say so, not guess.
        # Only its absolute tilt rules judge, so a photo of a sideways lean may already be bad.
        if expected == "leaning-sideways" and judgement.status is PostureStatus.BAD:
            assert set(judgement.problems) <= {"leaning sideways", "head tilted"}
            assert CALIBRATE_CUE in judgement.cues
            return
        assert judgement.status is PostureStatus.UNKNOWN
        assert CALIBRATE_CUE in judgement.cues
        return
    if expected == "upright":
        assert judgement.status is PostureStatus.GOOD, (judgement.problems, judgement.metrics)
    else:
        assert judgement.status is PostureStatus.BAD, judgement.metrics
        assert judgement.problems


@pytest.mark.parametrize(
    "name",
    [
        "side_hunchback_desk_man",
        "side_recline_man",
        "side_desk_ball_chair_forward_head",
        "text_neck_phone_side",
        "front_recline_student",
        "front_slumped_office",
    ],
)
def test_real_bad_photos_name_the_labelled_problem(name: str) -> None:
    expected = EXPECTED_PROBLEM[EXAMPLES[name]["expected"]]
    assert expected in assess(fixture_pose(name)).problems


def test_same_man_upright_and_hunched_differ_and_his_baseline_catches_both_faults() -> None:
    upright = fixture_pose("side_upright_chair_man")
    baseline = calibrate([upright])
    assert assess(upright).status is PostureStatus.GOOD
    assert assess(upright, baseline).status is PostureStatus.GOOD
    hunched = assess(fixture_pose("side_hunchback_desk_man"), baseline)
    reclined = assess(fixture_pose("side_recline_man"), baseline)
    assert hunched.calibrated and hunched.status is PostureStatus.BAD
    assert set(hunched.problems) == {"forward head", "slouched"}
    assert reclined.problems == ("reclined",)


def test_slumped_back_with_the_face_turned_is_reclined_not_leaning_forward() -> None:
    # The nose points the wrong way in this photo; the thighs give the facing when seated.
    judgement = assess(fixture_pose("front_slumped_office"))
    trunk = judgement.metrics["trunk_forward"]
    assert trunk is not None and trunk < -45
    assert judgement.problems == ("reclined",)


def test_no_person_is_unknown_with_a_sentence() -> None:
    judgement = assess(None)
    assert judgement.to_json() == {
        "person": False,
        "view": None,
        "calibrated": False,
        "status": "unknown",
        "problems": [],
        "metrics": {},
        "cues": list(judgement.cues),
    }
    assert judgement.cues and judgement.cues[0].endswith(".")


# --- the spec --------------------------------------------------------------------------------


def _spec_data() -> dict[str, object]:
    return tomllib.loads(POSTURE_SPEC.read_text())


def test_shipped_spec_holds_the_product_starting_values() -> None:
    spec = posture_spec()
    side = {(r.problem, r.metric): r for r in spec.rules_for("side")}
    assert side[("forward head", "neck_forward")].max == 30
    assert side[("slouched", "trunk_forward")].max == 12
    assert side[("reclined", "trunk_forward")].min == -15
    # Front-view slouch and lean have no absolute limits: they need a baseline.
    front = spec.rules_for("front")
    assert all(not r.absolute for r in front if r.problem in ("slouched", "forward head"))
    s = spec.settings
    assert (s.alert_after_s, s.break_after_min) == (10, 45)
    assert {r.problem for r in spec.rules} <= set(PROBLEMS)


def test_break_routine_names_catalog_stretches() -> None:
    missing = [i for i in posture_spec().settings.break_routine if i not in catalog()]
    assert not missing, f"not in the catalog: {missing}"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["side"][0].update(problem="hunchback"), "valid problems: forward head"),
        (lambda d: d["side"][0].update(metric="neck_angle"), "valid metrics:"),
        (lambda d: d["side"][0].update(colour="red"), "unknown key 'colour'; valid keys:"),
        (lambda d: d["side"][0].pop("cue"), "missing key 'cue'"),
        (lambda d: d["front"][0].pop("below_range"), "give min/max"),
        (lambda d: d["front"][0].update(below_range={"low": 0.1}), "missing key 'medium'"),
        (
            lambda d: d["front"][0].update(below_range={"low": 0.02, "medium": 0.06, "high": 0.1}),
            "low must allow at least as much as medium",
        ),
        (lambda d: d["front"][0].update(deviation_min=-0.1), "not both"),
        (lambda d: d["side"][0].update(fallback="face_size"), "is not measured like"),
        (lambda d: d["side"][2].update(deviation_min=5), "expected 0 or below"),
        (lambda d: d["settings"].update(sensitivity="max"), "valid presets: low, medium, high"),
        (lambda d: d["settings"].update(profile_yaw_min=30), "must rise in that order"),
        (lambda d: d["calibration"].update(smooth_frames=4), "odd whole number"),
        (lambda d: d["settings"].update(alert_after_s="ten"), "settings.alert_after_s"),
        (lambda d: d["settings"].update(break_routine=["Chest Opener"]), "not a stretch id"),
        (lambda d: d["settings"].update(bystander_scale=1.5), "bystander_scale"),
        (lambda d: d["side"][2].update(min=20, max=10), "must be below max"),
    ],
)
def test_spec_errors_name_the_key_and_the_choices(
    edit: Callable[[dict[str, object]], object], message: str
) -> None:
    data = _spec_data()
    edit(data)
    with pytest.raises(SpecError, match=r"my\.toml") as error:
        parse_posture_spec(data, "my.toml")
    assert message in str(error.value)


def test_settings_overlay_rejects_unknown_names() -> None:
    settings = posture_spec().settings
    assert settings.overlay(alert_after_s=5, cooldown_s=None).alert_after_s == 5
    with pytest.raises(ValueError, match="valid settings"):
        settings.overlay(alert_after=5)
    with pytest.raises(ValueError, match="alert_after_s"):
        settings.overlay(alert_after_s=0)


# --- calibration ---------------------------------------------------------------------------


def _jittered(pose: Pose, n: int, px: float = 1.0, seed: int = 0) -> list[Pose]:
    """`n` copies of `pose` with landmark noise of about `px` pixels, like a camera stream."""
    rng = np.random.default_rng(seed)
    width, height = pose.image_size
    out = []
    for _ in range(n):
        normalized = pose.normalized.copy()
        normalized[:, 0] += rng.normal(0, px / width, len(normalized))
        normalized[:, 1] += rng.normal(0, px / height, len(normalized))
        out.append(replace_pose(pose, normalized=normalized))
    return out


def replace_pose(pose: Pose, **changes: object) -> Pose:
    fields = {
        "normalized": pose.normalized,
        "visibility": pose.visibility,
        "presence": pose.presence,
        "world": pose.world,
        "image_size": pose.image_size,
        "timestamp_ms": pose.timestamp_ms,
        "people": pose.people,
    }
    fields.update(changes)
    return Pose(**fields)  # type: ignore[arg-type]


def test_calibration_is_the_median_and_ignores_an_outlier_frame() -> None:
    upright = fixture_pose("side_upright_chair_man")
    frames: list[Pose | None] = [*_jittered(upright, 30), slouched(upright)]
    baseline = calibrate(frames)
    alone = calibrate([upright])
    assert baseline.view == "side" and baseline.frames == 31
    for metric, value in alone.metrics.items():
        assert baseline.metrics[metric] == pytest.approx(value, abs=1.0), metric
    assert baseline.scale is not None and baseline.scale > 0


def test_calibration_refuses_when_too_few_frames_show_a_person() -> None:
    upright = fixture_pose("side_upright_chair_man")
    with pytest.raises(CalibrationError, match=r"Only 3 of 10 frames showed a person"):
        calibrate([upright] * 3 + [None] * 7)


def test_calibration_refuses_when_the_person_moved() -> None:
    upright = fixture_pose("side_upright_chair_man")
    moving = [rotate(upright, L.LEFT_HIP, UPPER, d) for d in np.linspace(-20, 20, 20)]
    with pytest.raises(CalibrationError, match="moved too much"):
        calibrate(moving)


def test_calibration_warns_when_the_baseline_breaks_the_general_rules() -> None:
    baseline = calibrate([fixture_pose("side_hunchback_desk_man")])
    assert baseline.warnings and "forward head" in baseline.warnings[0]


def test_baseline_json_round_trip_and_validation() -> None:
    baseline = calibrate([fixture_pose("side_upright_chair_man")])
    again = Baseline.from_json(baseline.to_json())
    assert again.view == baseline.view and again.frames == 1
    assert again.metrics == pytest.approx(baseline.metrics, abs=1e-5)
    broken = baseline.to_json() | {"metrics": {"neck_angle": 3.0}}
    with pytest.raises(ValueError, match="valid metrics"):
        Baseline.from_json(broken)
    with pytest.raises(ValueError, match="not a posecheck posture baseline"):
        Baseline.from_json({"view": "side"})


# --- (c) the front view ---------------------------------------------------------------------

FRONT = "business_person_front_upper"


def _scaled(pose: Pose, landmarks: Iterable[L], factor: float, about: L | None = None) -> Pose:
    """Scale landmarks about a point (default: the shoulder midpoint) in pixel space."""
    px = pose.pixels[:, :2].copy()
    centre = (px[L.LEFT_SHOULDER] + px[L.RIGHT_SHOULDER]) / 2 if about is None else px[about].copy()
    width, height = pose.image_size
    normalized = pose.normalized.copy()
    for lm in landmarks:
        x, y = centre + (px[lm] - centre) * factor
        normalized[lm, 0], normalized[lm, 1] = x / width, y / height
    return replace_pose(pose, normalized=normalized)


def _head_dropped(pose: Pose, share: float) -> Pose:
    """Front view: the head sunk toward the shoulders by `share` of its height above them."""
    shoulders_y = (pose.xy(L.LEFT_SHOULDER)[1] + pose.xy(L.RIGHT_SHOULDER)[1]) / 2
    eyes_y = (pose.xy(L.LEFT_EYE)[1] + pose.xy(L.RIGHT_EYE)[1]) / 2
    return shift(pose, HEAD, 0.0, share * (shoulders_y - eyes_y))


def test_front_view_without_a_baseline_asks_for_calibration() -> None:
    pose = fixture_pose(FRONT)
    judgement = assess(pose)
    assert judgement.view == "front"
    assert judgement.calibrated is False
    assert judgement.status is PostureStatus.UNKNOWN
    assert CALIBRATE_CUE in judgement.cues
    # Even a sunk head is not guessed at without a baseline.
    assert assess(_head_dropped(pose, 0.3)).status is PostureStatus.UNKNOWN


def test_front_view_with_a_baseline_catches_slouching_and_leaning_in() -> None:
    # Synthetic changes of a real front pose; the real webcam pairs are in test_front.py.
    pose = fixture_pose(FRONT)
    baseline = calibrate(_jittered(pose, 20))
    assert baseline.view == "front"
    upright = assess(pose, baseline)
    assert upright.calibrated and upright.status is PostureStatus.GOOD, upright.problems
    assert assess(_head_dropped(pose, 0.03), baseline).status is PostureStatus.GOOD
    slumped = assess(_head_dropped(pose, 0.3), baseline)
    assert slumped.status is PostureStatus.BAD and slumped.problems == ("slouched",)
    leaning_in = assess(_scaled(pose, UPPER, 1.35), baseline)
    assert leaning_in.problems == ("forward head",), leaning_in.metrics
    leaning_back = assess(_scaled(pose, UPPER, 0.75), baseline)
    assert leaning_back.problems == ("reclined",), leaning_back.metrics
    assert assess(_scaled(pose, UPPER, 1.02), baseline).status is PostureStatus.GOOD


def test_front_view_tilts_are_judged_without_a_baseline() -> None:
    pose = fixture_pose(FRONT)
    tilted = rotate(pose, L.NOSE, HEAD, 25)
    judgement = assess(tilted)
    assert "head tilted" in judgement.problems
    assert judgement.status is PostureStatus.BAD
    assert CALIBRATE_CUE in judgement.cues  # slouch still needs the baseline


def test_front_view_head_turned_far_is_not_judged() -> None:
    pose = fixture_pose(FRONT)
    ears = (pose.xy(L.LEFT_EAR)[0] + pose.xy(L.RIGHT_EAR)[0]) / 2
    half = abs(pose.xy(L.LEFT_EAR)[0] - pose.xy(L.RIGHT_EAR)[0]) / 2
    dx = ears + 1.3 * half - pose.xy(L.NOSE)[0]
    turned = shift(pose, [L.NOSE], dx, 0.0)
    judgement = assess(_head_dropped(turned, 0.3), calibrate(_jittered(pose, 20)))
    assert judgement.excluded == "head turned"
    assert judgement.status is PostureStatus.UNKNOWN and not judgement.problems


def test_view_override_beats_detection() -> None:
    pose = fixture_pose("side_upright_chair_man")
    assert assess(pose).view == "side"
    assert assess(pose, view="front").view == "front"


# --- (b) timelines --------------------------------------------------------------------------


def slouched(pose: Pose, degrees: float = 25) -> Pose:
    """Side view: the whole upper body tipped forward about the hips (trunk and neck lean)."""
    return rotate(pose, L.LEFT_HIP, UPPER, degrees)


def head_down(pose: Pose, degrees: float = 30) -> Pose:
    """Side view: a glance down at the desk, the head pitched forward about the shoulders."""
    return rotate(pose, L.LEFT_SHOULDER, HEAD, degrees)


def head_to_camera(pose: Pose) -> Pose:
    """Side view: the face turned toward the camera (nose between the ears), as when talking
    to someone beside the desk."""
    ears = (pose.normalized[L.LEFT_EAR] + pose.normalized[L.RIGHT_EAR]) / 2
    normalized = pose.normalized.copy()
    normalized[L.NOSE, 0] = ears[0]
    normalized[L.LEFT_EAR, 0] = ears[0] - 0.03
    normalized[L.RIGHT_EAR, 0] = ears[0] + 0.03
    return replace_pose(pose, normalized=normalized)


def smaller(pose: Pose, factor: float = 0.45) -> Pose:
    """Another, smaller person further back: the whole body scaled about the image centre."""
    normalized = pose.normalized.copy()
    normalized[:, :2] = 0.5 + (normalized[:, :2] - 0.5) * factor
    world = None if pose.world is None else pose.world * factor
    return replace_pose(pose, normalized=normalized, world=world, people=2)


Plan = list[tuple[float, Pose | None]]


def run(monitor: PostureMonitor, plan: Plan, start: float = 0.0) -> list[PostureResult]:
    """Feed `plan` (seconds, pose) segments at 10 fps; returns every frame's result."""
    results = []
    t = start
    for seconds, pose in plan:
        for _ in range(round(seconds * FPS)):
            results.append(monitor.update(pose, round(t, 3)))
            t += 1 / FPS
    return results


def alert_times(results: list[PostureResult]) -> list[float]:
    return [r.t_s for r in results if r.alert]


@pytest.fixture
def upright() -> Pose:
    return fixture_pose("side_upright_chair_man")


def test_upright_sitting_is_good_and_never_alerts(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(30, upright)])
    assert {r.status for r in results} == {PostureStatus.GOOD}
    assert alert_times(results) == []
    assert monitor.summary().posture.good_s == pytest.approx(29.9, abs=0.01)


def test_a_three_second_glance_down_never_alerts(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(5, upright), (3, head_down(upright)), (20, upright)])
    glance = results[50:80]
    assert all(r.status is PostureStatus.BAD for r in glance)
    assert glance[0].problems == ("forward head",)
    assert alert_times(results) == []
    assert results[-1].status is PostureStatus.GOOD


def test_repeated_glances_with_good_posture_between_never_alert(upright: Pose) -> None:
    plan: Plan = [(5, upright)]
    for _ in range(8):
        plan += [(3, head_down(upright)), (4, upright)]
    assert alert_times(run(PostureMonitor(), plan)) == []


def test_a_fifteen_second_slouch_alerts_exactly_once(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(5, upright), (15, slouched(upright)), (10, upright)])
    times = alert_times(results)
    assert len(times) == 1
    # 10 s of slouching counted between frames: the 101st slouched frame, at 5 + 10 s.
    assert times[0] == pytest.approx(15.0, abs=0.01)
    alert = next(r for r in results if r.alert)
    assert set(alert.problems) == {"forward head", "slouched"}
    assert alert.cue in {rule.cue for rule in posture_spec().rules}
    assert monitor.summary().posture.alerts == 1


def test_recovery_clears_the_slouch(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(5, upright), (15, slouched(upright)), (5, upright)])
    last = results[-1]
    assert last.status is PostureStatus.GOOD
    assert last.bad_for_s == 0.0  # the episode ended after good posture held
    assert last.stats.longest_bad_s == pytest.approx(14.9, abs=0.01)
    # A fresh short glance after recovering starts from zero and does not alert.
    more = run(monitor, [(3, head_down(upright)), (5, upright)], start=25.0)
    assert alert_times(more) == []


def test_clearing_needs_good_posture_held_not_one_good_frame(upright: Pose) -> None:
    # Slouch 8 s, sit up 1 s (less than the 3 s clear time), slouch 3 s: 11 s of one slouch.
    monitor = PostureMonitor()
    results = run(
        monitor, [(2, upright), (8, slouched(upright)), (1, upright), (3, slouched(upright))]
    )
    assert len(alert_times(results)) == 1


def test_hysteresis_keeps_a_problem_until_well_inside_the_limit(upright: Pose) -> None:
    # trunk_forward: upright -9.8; +23 -> 13.2 (over 12); +20.5 -> 10.7 (inside 12, not by 3).
    monitor = PostureMonitor()
    over = rotate(upright, L.LEFT_HIP, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 23)
    just_inside = rotate(upright, L.LEFT_HIP, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 20.5)
    assert assess(just_inside).status is PostureStatus.GOOD
    results = run(monitor, [(1, over), (1, just_inside), (1, upright)])
    assert "slouched" in results[9].problems
    assert "slouched" in results[19].problems  # still inside the margin
    assert "slouched" not in results[29].problems


def test_away_pauses_without_counting_bad_time_or_alerting(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(5, slouched(upright)), (30, None), (4, slouched(upright))])
    assert results[60].status is PostureStatus.AWAY
    assert alert_times(results) == []
    summary = monitor.summary()
    assert summary.posture is not None
    assert summary.posture.away_s == pytest.approx(30.0, abs=0.01)
    assert summary.posture.bad_s == pytest.approx(8.9, abs=0.01)
    assert [s.label for s in summary.segments] == ["bad", "away", "bad"]
    assert summary.segments[1].start_s == pytest.approx(5.0)
    assert summary.segments[1].end_s == pytest.approx(35.0)


def test_a_brief_dropout_does_not_restart_the_slouch(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(6, slouched(upright)), (0.5, None), (6, slouched(upright))])
    assert len(alert_times(results)) == 1


def test_a_turned_head_is_ignored(upright: Pose) -> None:
    monitor = PostureMonitor()
    turned = head_to_camera(slouched(upright))
    assert assess(turned).excluded == "head turned"
    results = run(monitor, [(5, upright), (20, turned), (5, upright)])
    assert alert_times(results) == []
    assert {r.status for r in results[50:250]} == {PostureStatus.UNKNOWN}
    assert monitor.summary().posture.bad_s == 0.0


def test_a_bystander_is_ignored_with_a_baseline(upright: Pose) -> None:
    monitor = PostureMonitor(calibrate([upright]))
    results = run(monitor, [(5, upright), (20, smaller(slouched(upright))), (5, upright)])
    assert alert_times(results) == []
    assert {r.excluded for r in results[50:250]} == {"bystander"}
    assert monitor.summary().posture.bad_s == 0.0


def test_a_bystander_is_ignored_without_a_baseline_once_the_user_was_seen(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(5, upright), (20, smaller(slouched(upright))), (5, upright)])
    assert alert_times(results) == []
    assert results[100].excluded == "bystander"


def test_another_person_in_frame_with_a_normal_sized_user_is_fine(upright: Pose) -> None:
    monitor = PostureMonitor(calibrate([upright]))
    crowd = replace_pose(slouched(upright), people=2)
    results = run(monitor, [(15, crowd)])
    assert len(alert_times(results)) == 1
    assert results[-1].excluded is None


def test_the_cooldown_holds_a_second_slouch_until_it_ends(upright: Pose) -> None:
    monitor = PostureMonitor()  # cooldown 60 s
    bad = slouched(upright)
    results = run(monitor, [(15, bad), (5, upright), (60, bad)])
    times = alert_times(results)
    assert times[0] == pytest.approx(10.0, abs=0.01)
    # The second slouch reaches 10 s at t = 30 but waits for the cooldown: t = 70.
    assert times[1:] == [pytest.approx(70.0, abs=0.01)]


def test_alert_after_is_configurable(upright: Pose) -> None:
    settings = posture_spec().settings.overlay(alert_after_s=4)
    results = run(PostureMonitor(settings=settings), [(3, slouched(upright)), (3, upright)])
    assert alert_times(results) == []
    results = run(PostureMonitor(settings=settings), [(5, slouched(upright))])
    assert alert_times(results) == [pytest.approx(4.0, abs=0.01)]


def test_a_break_is_suggested_after_the_seated_time(upright: Pose) -> None:
    settings = posture_spec().settings.overlay(break_after_min=1, break_reset_min=0.5)
    monitor = PostureMonitor(settings=settings)
    results = run(monitor, [(59, upright), (2, upright)])
    assert not results[580].break_due
    assert results[-1].break_due
    assert results[-1].routine == ("chest-opener", "kneeling-hip-flexor", "cat-cow")
    assert "stretch break" in (results[-1].cue or "")
    # A short absence does not reset the seated clock; one of break_reset_min does.
    assert run(monitor, [(10, None), (1, upright)], start=61)[-1].break_due
    after = run(monitor, [(31, None), (1, upright)], start=72)
    assert not after[-1].break_due
    assert after[-1].stats.seated_s < 2


def test_statistics_add_up_and_serialise(upright: Pose) -> None:
    monitor = PostureMonitor()
    results = run(monitor, [(10, upright), (12, slouched(upright)), (5, None), (3, upright)])
    last = results[-1]
    summary = monitor.summary()
    s = summary.posture
    assert s is not None
    assert s.good_s + s.bad_s + s.away_s + s.unknown_s == pytest.approx(summary.duration_s)
    assert summary.duration_s == pytest.approx(29.9, abs=0.01)
    assert summary.frames == len(results)
    assert summary.in_position_s == pytest.approx(s.good_s + s.bad_s)
    assert s.alerts == 1 and s.longest_bad_s == pytest.approx(11.9, abs=0.01)
    body = last.to_json()
    assert body["stats"]["alerts"] == 1
    assert set(body["boundaries"]) == {"neck_forward", "trunk_forward"}
    assert body["boundaries"]["trunk_forward"] == {
        "min": -15.0,
        "max": 12.0,
        "reference": "absolute",
    }
    assert summary.to_json()["segments"][0] == {"start_s": 0.0, "end_s": 10.0, "phase": "good"}
    assert summary.checks["slouched"].frames == summary.checks["forward head"].frames > 0


def test_calibrated_boundaries_follow_the_baseline(upright: Pose) -> None:
    baseline = calibrate([upright])
    result = PostureMonitor(baseline).update(upright, 0.0)
    neck = baseline.metrics["neck_forward"]
    assert result.calibrated
    assert result.boundaries["neck_forward"].target.max == pytest.approx(neck + 12)
    assert result.boundaries["neck_forward"].reference == "baseline"


def test_time_must_increase_and_reset_starts_over(upright: Pose) -> None:
    monitor = PostureMonitor()
    monitor.update(upright, 1.0)
    with pytest.raises(ValueError, match="time must increase"):
        monitor.update(upright, 1.0)
    monitor.reset()
    assert monitor.update(upright, 0.5).stats.good_s == 0.0


def test_monitor_validates_its_view() -> None:
    with pytest.raises(ValueError, match="side, front"):
        PostureMonitor(view="top")


def test_settings_are_the_spec_defaults() -> None:
    assert PostureMonitor().settings == posture_spec().settings
    assert isinstance(posture_spec().settings, PostureSettings)
    assert replace(posture_spec().settings, cooldown_s=5).cooldown_s == 5


def test_the_readme_documents_the_sensitivity_presets_as_the_rules_have_them() -> None:
    from posecheck.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    lines = [line.strip() for line in readme.splitlines()]
    rows = {
        line.split("|")[1].split(":")[0].strip(): [c.strip() for c in line.split("|")[2:5]]
        for line in lines
        if line.startswith("| ") and line.count("|") == 5 and ":" in line.split("|")[1]
    }
    front = {r.problem: r for r in posture_spec().rules_for("front")}
    for problem, rule in front.items():
        tolerance = rule.below_range or rule.above_range
        assert tolerance is not None
        ratio = rule.metric in ("head_gap", "head_shoulder_size")
        want = [
            f"{100 * v:g} %" if ratio else f"{v:g}°"
            for v in (tolerance.low, tolerance.medium, tolerance.high)
        ]
        assert rows[problem] == want, problem
    assert posture_spec().settings.sensitivity == "medium"
