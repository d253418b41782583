"""Bridge: the real side-view clip lifted with good form, one synthetic fault per check, other
poses rejected, a hidden shoulder reported as unknown, and the real clip's one rep judged at
its paused top, before the way down, as it was seen by eye."""

from __future__ import annotations

import pytest

from posecheck.coach import Coach, CoachSettings, Phase
from posecheck.landmarks import Landmark
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import fixture_pose
from tests.posing import (
    adjusting,
    assert_good,
    assert_not_in_position,
    assert_only,
    hide,
    part,
    rotate,
    shift,
    verdict,
)
from tests.stretches.sequences import play, reps_by_eye

UPPER = [Landmark(i) for i in range(23)]
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
FEET = [part(s, p) for s in ("left", "right") for p in ("ankle", "heel", "foot_index")]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "11_bridge.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """Real: the top of the bridge, side view, near (right) leg seen, head at image left."""
    return fixture_pose("bridge_side_physio_t1_2")


# --- real fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bridge_side_physio_t1_2", "bridge_side_physio_t2_0"])
def test_real_bridge_top_is_good_form(spec: StretchSpec, name: str) -> None:
    assert_good(spec, fixture_pose(name))


def test_real_lying_before_the_lift_is_in_position_and_told_to_lift(spec: StretchSpec) -> None:
    evaluation = evaluate(spec, fixture_pose("bridge_side_physio_t0_0"))
    assert evaluation.in_position
    assert adjusting(evaluation)["hips-lifted"] == "low"
    assert evaluation.cues[0] == spec.check("hips-lifted").cue_low


# --- one synthetic fault per check and direction --------------------------------------------


def test_hips_sagging_fires_only_hips_lifted(spec: StretchSpec, pose: Pose) -> None:
    sagging = rotate(pose, part("right", "hip"), UPPER, -25)
    assert_only(spec, sagging, "hips-lifted", "low")


def test_hips_pushed_too_high_fires_only_over_arched(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "not-over-arched").status is Status.OK
    arched = shift(pose, HIPS, 0, -50)
    # Unsigned, this hip angle would read below 160 and also ask to lift: it must not.
    assert_only(spec, arched, "not-over-arched", "high")


@pytest.mark.parametrize(("degrees", "direction"), [(-25, "low"), (70, "high")])
def test_feet_too_close_or_too_far_fire_only_knee_bend(
    spec: StretchSpec, pose: Pose, degrees: float, direction: str
) -> None:
    assert verdict(spec, pose, "knee-bend").status is Status.OK
    moved = rotate(pose, part("right", "knee"), FEET, degrees)
    assert_only(spec, moved, "knee-bend", direction)


# --- other poses are not this stretch ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "standing_side_upright_woman",
        "side_man_sitting_chair",
        "tree_02",
        "warrior2_9",
        "downdog_side_pragya",
        "plank_forearm_man_side",
        "cobra_side",
        "sphinx_side_portrait_t19_0",
        "childs_pose_side",
        "cat_cow_side_cow",
        "fire_hydrant_allfours_t10_7",
        "knee_to_chest_bench_side_t24_5",
        "kneeling_hip_flexor_side",
        "squat_parallel_side",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


# --- half visible -------------------------------------------------------------------------------


def test_hidden_near_shoulder_is_unknown_with_guidance(spec: StretchSpec, pose: Pose) -> None:
    evaluation = evaluate(spec, hide(pose, [part("right", "shoulder")]))
    assert evaluation.in_position  # the trunk is still seen through the far shoulder
    for check_id in ("hips-lifted", "not-over-arched"):
        check = next(v for v in evaluation.verdicts if v.check.id == check_id)
        assert check.status is Status.UNKNOWN
        assert check.cue == "Turn so the camera can see your shoulders: they are hidden."
    assert "hips-lifted" not in adjusting(evaluation)
    assert not evaluation.form_ok


# --- the real clip: one rep, judged at the top ------------------------------------------------


def test_real_clip_is_one_rep_judged_at_its_paused_top(spec: StretchSpec) -> None:
    results = play(spec, "bridge_side_physio_seq")
    (rep,) = results[-1].rep_log
    (eye,) = reps_by_eye("bridge_side_physio_seq")
    assert eye.end_from <= rep.bottom_s <= eye.end_to  # the highest moment, within the top
    assert abs(rep.start_s - eye.start) <= 0.3
    assert rep.end_s is not None and eye.end is not None and abs(rep.end_s - eye.end) <= 0.3
    assert rep.form_ok and rep.cue == "Rep 1: hips up in line, no arching"
    values = {v.check.id: v.measurement.value for v in rep.verdicts}
    assert values["hips-lifted"] is not None and values["hips-lifted"] >= 175
    assert values["not-over-arched"] is not None and abs(values["not-over-arched"]) <= 2
    assert values["knee-bend"] is not None and 50 <= values["knee-bend"] <= 70
    # Judged once the top had settled, while still up: not on the way down.
    judged_at = next(r.t_s for r in results if r.cue == rep.cue)
    assert judged_at < eye.end_to
    # A 1.7 s top is a rep's pause, not a hold (that takes 3 s).
    assert results[-1].hold_s == 0.0
    assert results[-1].reps == 1 and results[-1].reps_target == 10
    assert spec.goal == "hold 20 s at the top, or 10 slow reps"


def test_lying_at_rest_before_the_lift_is_not_a_rep(spec: StretchSpec) -> None:
    results = play(spec, "bridge_side_physio_seq")
    assert all(r.reps == 0 and r.phase is not Phase.REP for r in results if r.t_s <= 0.4)


def test_the_knee_to_chest_clip_has_no_bridge_reps(spec: StretchSpec) -> None:
    """Hook-lying between the knee-to-chest holds is a bridge's start position, never a rep."""
    results = play(spec, "knee_to_chest_bench_side_seq")
    assert results[-1].reps == 0


def test_a_low_bridge_is_told_to_lift(spec: StretchSpec, pose: Pose) -> None:
    lying = fixture_pose("bridge_side_physio_t0_0")
    low = rotate(pose, part("right", "hip"), UPPER, -18)  # hips lifted to 157, short of 160
    coach = Coach(spec, settings=CoachSettings(smoothing=False))
    t = 0.0
    for frame, count in [(lying, 10), (low, 12), (lying, 10)]:
        for _ in range(count):
            t = round(t + 0.1, 3)
            result = coach.update(frame, t)
    (rep,) = result.rep_log
    assert rep.fault == "hips-lifted"
    assert rep.cue == "Rep 1 stopped low: lift until shoulders, hips and knees line up"
