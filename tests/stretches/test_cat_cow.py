"""Cat-cow: the real cat and cow photos in position with good form, one synthetic fault per
check, other poses rejected, a hidden hand reported as unknown, and the cycle counter (head pitch
against the trunk line: a spine proxy) driven through the Coach on a timeline alternating the
real cat and cow poses (no clip shows cat-cow), each cycle judged at its two ends; the
all-fours look-alike clip (fire hydrant) counts none."""

from __future__ import annotations

import pytest

from posecheck.coach import Coach, CoachSettings, FrameResult, Phase
from posecheck.metrics import Limb
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import fixture_pose
from tests.posing import (
    HEAD,
    adjusting,
    assert_good,
    assert_not_in_position,
    assert_only,
    hide,
    part,
    rotate,
    side_of,
)
from tests.stretches.sequences import play

ARM_PARTS = ("elbow", "wrist", "pinky", "index", "thumb")
HAND_PARTS = ("wrist", "pinky", "index", "thumb")
LEG_PARTS = ("knee", "ankle", "heel", "foot_index")


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "08_cat_cow.toml")


@pytest.fixture(scope="module")
def cat() -> Pose:
    return fixture_pose("cat_cow_side_cat")


@pytest.fixture(scope="module")
def cow() -> Pose:
    return fixture_pose("cat_cow_side_cow")


def near(pose: Pose) -> str:
    return side_of(pose, Limb.NEAR)


def head_pitch(spec: StretchSpec, pose: Pose) -> float:
    value = evaluate(spec, pose).measurements["head_pitch"].value
    assert value is not None
    return value


# --- real fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["cat_cow_side_cat", "cat_cow_side_cow", "fire_hydrant_allfours_t10_7"]
)
def test_real_all_fours_is_in_position_with_good_form(spec: StretchSpec, name: str) -> None:
    assert_good(spec, fixture_pose(name))


def test_real_tabletop_with_hands_ahead_fires_the_hands_check(spec: StretchSpec) -> None:
    # Passing through tabletop on the way to downdog, hands placed ahead (arm 24 from vertical).
    assert_only(spec, fixture_pose("childs_to_downdog_side_t4_8"), "hands-under-shoulders", "high")


def test_spine_proxy_tells_the_real_cat_from_the_real_cow(
    spec: StretchSpec, cat: Pose, cow: Pose
) -> None:
    reps = spec.reps
    assert reps is not None and reps.metric == "head_pitch" and reps.cycle is not None
    low, high = reps.cycle
    assert head_pitch(spec, cow) > high + 20  # head up: cow
    assert head_pitch(spec, cat) < low - 15  # head down: cat
    neutral = head_pitch(spec, fixture_pose("fire_hydrant_allfours_t10_7"))
    assert low < neutral < high  # a flat-backed tabletop is neither


# --- one fault at a time ------------------------------------------------------------------------


def test_hands_placed_ahead_of_the_shoulders(spec: StretchSpec, cat: Pose) -> None:
    side = near(cat)
    ahead = rotate(cat, part(side, "shoulder"), [part(side, p) for p in ARM_PARTS], 25)
    assert_only(spec, ahead, "hands-under-shoulders", "high")


def test_knees_behind_the_hips(spec: StretchSpec, cat: Pose) -> None:
    side = near(cat)
    behind = rotate(cat, part(side, "hip"), [part(side, p) for p in LEG_PARTS], -25)
    assert_only(spec, behind, "knees-under-hips", "high")


def test_unmodified_poses_fire_no_check(spec: StretchSpec, cat: Pose, cow: Pose) -> None:
    assert adjusting(evaluate(spec, cat)) == {}
    assert adjusting(evaluate(spec, cow)) == {}


# --- other poses are not cat-cow ----------------------------------------------------------------

OTHER_POSES = [
    "childs_pose_side",
    "childs_pose_clip_t9_0",
    "childs_to_downdog_side_t14_5",
    "downdog_side_pragya",
    "plank_forearm_woman_side",
    "plank_forearm_man_side",
    "sphinx_side_portrait_t9_5",
    "cobra_female_side_t5_6",
    "kneeling_hip_flexor_side",
    "lunges_side_t5_0",
    "deep_squat_side_small",
    "standing_forward_bend_small_t8_2",
    "seated_fold_grass_side",
    "knee_to_chest_bench_side_t34_9",
    "standing_side_upright_woman",
    "side_upright_chair_man",
    "tree_04",
    "warrior2_front_ooibowei",
    "goddess_14",
    "malasana_front",
]


@pytest.mark.parametrize("name", OTHER_POSES)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


# --- half visible ---------------------------------------------------------------------------------


@pytest.mark.parametrize("out_of_frame", [False, True])
def test_hidden_hand_leaves_the_hands_check_unknown_with_guidance(
    spec: StretchSpec, cat: Pose, out_of_frame: bool
) -> None:
    hidden = hide(cat, [part(near(cat), p) for p in HAND_PARTS], out_of_frame=out_of_frame)
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position  # the entry reads the upper arm, which is still seen
    hands = next(v for v in evaluation.verdicts if v.check.id == "hands-under-shoulders")
    assert hands.status is Status.UNKNOWN
    assert hands.cue is not None and "hands" in hands.cue
    assert adjusting(evaluation) == {}


# --- the cycle counter through the Coach --------------------------------------------------------


def run(
    spec: StretchSpec, phases: list[Pose], seconds_each: float, fps: float = 10.0
) -> list[FrameResult]:
    """Feed each pose in `phases` for `seconds_each`, in order, and return every FrameResult."""
    coach = Coach(spec)
    results = []
    t = 0.0
    for pose in phases:
        for _ in range(round(seconds_each * fps)):
            t += 1.0 / fps
            results.append(coach.update(pose, t))
    return results


def test_ten_real_cat_cow_cycles_count_ten_reps(spec: StretchSpec, cat: Pose, cow: Pose) -> None:
    timeline = [cat] + [cow, cat] * 10
    results = run(spec, timeline, 1.0)
    assert results[-1].reps == 10
    assert results[-1].reps_target == 10
    assert results[-1].phase is Phase.DONE
    counts = [r.reps for r in results]
    assert counts == sorted(counts)  # never goes back
    # A cycle is both ends: the first cat alone counts nothing; the cow after it completes one.
    assert results[9].reps == 0 and results[19].reps == 1 and results[29].reps == 1
    for n, rep in enumerate(results[-1].rep_log, 1):
        assert rep.form_ok
        assert rep.cue == f"Rep {n}: hands under shoulders, knees under hips"
    assert spec.goal == "10 slow cycles"


def test_a_cycle_with_the_hands_ahead_is_told_so(spec: StretchSpec, cat: Pose, cow: Pose) -> None:
    side = near(cat)
    ahead = [rotate(p, part(side, "shoulder"), [part(side, x) for x in ARM_PARTS], 25)
             for p in (cat, cow)]  # fmt: skip
    results = run(spec, [cat, cow, ahead[0], ahead[1]], 1.0)
    first, second = results[-1].rep_log
    assert first.form_ok
    assert second.fault == "hands-under-shoulders" and not second.form_ok
    assert second.cue == (
        "Rep 2 had the hands away from under the shoulders: place them right under"
    )


def test_the_fire_hydrant_all_fours_clip_counts_no_cycle(spec: StretchSpec) -> None:
    """All fours throughout (in position for cat-cow), head steady: never a cat or a cow."""
    results = play(spec, "fire_hydrant_allfours_seq")
    assert sum(r.in_position for r in results) > 50
    assert results[-1].reps == 0
    assert all(r.phase is not Phase.REP for r in results)


def test_before_the_first_cycle_it_asks_for_cycles_not_a_hold(
    spec: StretchSpec, cow: Pose
) -> None:
    level = level_head(spec, cow)
    results = run(spec, [level], 3.0)
    assert results[-1].phase is Phase.IN_POSITION  # not "holding": cat-cow is not held
    assert results[-1].cue == "In position: start your cycles."
    assert results[-1].hold_s == 0.0


def level_head(spec: StretchSpec, pose: Pose) -> Pose:
    """The pose with its head lowered about the shoulder until it is level with the trunk line."""
    shoulder = part(near(pose), "shoulder")
    for degrees in range(0, 180, 5):
        lowered = rotate(pose, shoulder, HEAD, -degrees)
        if abs(head_pitch(spec, lowered)) < 5:
            return lowered
    raise AssertionError("could not level the head")


def test_half_cycles_do_not_count(spec: StretchSpec, cat: Pose, cow: Pose) -> None:
    """Cow, then only back to a neutral head (never down into cat): no rep."""
    level = level_head(spec, cow)
    assert spec.reps is not None and spec.reps.cycle is not None
    assert spec.reps.cycle[0] < head_pitch(spec, level) < spec.reps.cycle[1]
    results = run(spec, [level] + [cow, level] * 5, 1.0)
    assert results[-1].reps == 0
    assert results[-1].phase is not Phase.DONE
    # From a cat, the first cow completes one cycle; the half cycles after it add none.
    results = run(spec, [cat] + [cow, level] * 5, 1.0)
    assert results[-1].reps == 1


def test_reps_are_not_counted_while_out_of_position(spec: StretchSpec, cat: Pose) -> None:
    standing = fixture_pose("standing_side_upright_woman")
    results = run(spec, [standing, cat] * 4, 1.0)
    assert results[-1].reps == 0


def test_quicker_cycles_count_with_smoothing_off(spec: StretchSpec, cat: Pose, cow: Pose) -> None:
    coach = Coach(spec, settings=CoachSettings(smoothing=False))
    t = 0.0
    result = None
    for pose in [cat] + [cow, cat] * 3:
        for _ in range(5):
            t += 0.1
            result = coach.update(pose, t)
    assert result is not None and result.reps == 3
