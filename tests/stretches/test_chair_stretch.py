"""90 degree chair stretch. The shared media has no real example, so the base pose is the
nearest real one (a flat-backed hip hinge on straight legs, standing_forward_bend_small at 2.0 s)
with its near arm reaching forward in line with the trunk, as if resting on a chair back. From
there: one synthetic fault per check and direction, other poses rejected (the unmodified hinge
with folded arms included), hidden heels reported as unknown, and a hold timer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.metrics import Limb
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import fixture_pose
from tests.posing import (
    HEAD,
    assert_good,
    assert_not_in_position,
    assert_only,
    hide,
    part,
    rotate,
    side_of,
)

HAND = ("wrist", "pinky", "index", "thumb")
FEET = ("ankle", "heel", "foot_index")


def _screen_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Direction of a->b, counter-clockwise on screen from image +x, in degrees."""
    return math.degrees(math.atan2(-(b[1] - a[1]), b[0] - a[0]))


def reach_forward(pose: Pose, side: str) -> Pose:
    """The arm on `side` straightened and pointing on from the hip-shoulder line."""
    shoulder, elbow = part(side, "shoulder"), part(side, "elbow")
    target = _screen_angle(pose.xy(part(side, "hip")), pose.xy(shoulder))
    arm = [elbow, *(part(side, p) for p in HAND)]
    pose = rotate(pose, shoulder, arm, target - _screen_angle(pose.xy(shoulder), pose.xy(elbow)))
    turn = target - _screen_angle(pose.xy(elbow), pose.xy(part(side, "wrist")))
    return rotate(pose, elbow, arm[1:], turn)


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "03_chair_stretch.toml")


@pytest.fixture(scope="module")
def hinge() -> Pose:
    """The real hinge, facing image right, arms folded at the chest."""
    return fixture_pose("standing_forward_bend_small_t2_0")


@pytest.fixture(scope="module")
def pose(hinge: Pose) -> Pose:
    return reach_forward(hinge, side_of(hinge, Limb.NEAR))


def near(pose: Pose) -> str:
    return side_of(pose, Limb.NEAR)


def upper(side: str) -> list[Landmark]:
    arms = [part(s, p) for s in ("left", "right") for p in ("elbow", *HAND)]
    return [*HEAD, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, *arms]


#: Everything that leans when the whole body tips about the ankles.
ABOVE_ANKLES = [
    lm for lm in Landmark if lm not in {part(s, f) for s in ("left", "right") for f in FEET}
]


# --- the substitute pose ---------------------------------------------------------------------


def test_real_hinge_with_arms_reaching_is_in_position_with_good_form(
    spec: StretchSpec, pose: Pose
) -> None:
    assert_good(spec, pose)


def test_real_hinge_with_folded_arms_is_told_to_reach(spec: StretchSpec, hinge: Pose) -> None:
    evaluation = evaluate(spec, hinge)
    assert not evaluation.in_position
    assert evaluation.setup_cues == (spec.entry[-1].cue,)


# --- one fault at a time ---------------------------------------------------------------------


@pytest.mark.parametrize(("degrees", "direction"), [(-20, "low"), (20, "high")])
def test_back_not_level_is_flagged(
    spec: StretchSpec, pose: Pose, degrees: float, direction: str
) -> None:
    s = near(pose)
    # Facing right: counter-clockwise lifts the chest and opens the hip angle ("high").
    tilted = rotate(pose, part(s, "hip"), upper(s), degrees)
    assert_only(spec, tilted, "flat-back-hinge", direction)


def test_bent_knees_are_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    # Knee pushed forward (she faces +x) with hip and foot where they were.
    bent = rotate(pose, part(s, "ankle"), [part(s, "knee")], -12)
    assert_only(spec, bent, "straight-legs", "low")


@pytest.mark.parametrize(("degrees", "direction"), [(8, "low"), (-17, "high")])
def test_hips_off_the_heels_are_flagged(
    spec: StretchSpec, pose: Pose, degrees: float, direction: str
) -> None:
    s = near(pose)
    leaned = rotate(pose, part(s, "ankle"), ABOVE_ANKLES, degrees)
    assert_only(spec, leaned, "hips-over-heels", direction)


def test_arms_dropping_below_the_trunk_line_are_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    dropped = rotate(pose, part(s, "shoulder"), [part(s, p) for p in ("elbow", *HAND)], -35)
    assert_only(spec, dropped, "long-arms", "low")


def test_bent_elbows_are_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    bent = rotate(pose, part(s, "elbow"), [part(s, p) for p in HAND], -40)
    assert_only(spec, bent, "straight-elbows", "low")


def test_lifted_head_is_flagged(spec: StretchSpec, pose: Pose) -> None:
    lifted = rotate(pose, part(near(pose), "shoulder"), HEAD, 50)
    assert_only(spec, lifted, "head-between-arms", "high")


# --- not this stretch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "standing_side_upright_woman",
        "standing_front_arms_overhead",
        "standing_forward_bend_small_t8_2",
        "downdog_side_pragya",
        "childs_to_downdog_side_t14_5",
        "plank_forearm_woman_side",
        "cat_cow_side_cow",
        "bird_dog_side",
        "deep_squat_side_small",
        "squat_parallel_side",
        "side_hunchback_desk_man",
        "kneeling_hip_flexor_side",
        "warrior2_9",
        "childs_pose_side",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


# --- cannot judge ----------------------------------------------------------------------------


def test_hidden_heel_makes_the_hips_over_heels_check_unknown(spec: StretchSpec, pose: Pose) -> None:
    hidden = hide(pose, [part(near(pose), "heel")])
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    v = next(v for v in evaluation.verdicts if v.check.id == "hips-over-heels")
    assert v.status is Status.UNKNOWN
    assert v.cue is not None and "feet" in v.cue
    assert not evaluation.form_ok


# --- over time -------------------------------------------------------------------------------


def test_hold_timer_counts_only_good_form(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    folded = rotate(pose, part(s, "hip"), upper(s), -20)
    coach = Coach(spec)
    held = {}
    for i in range(1, 271):  # 9 s at 30 fps: good, chest folded down 3-6 s, good again
        t = i / 30
        result = coach.update(folded if 3.0 <= t < 6.0 else pose, t)
        held[round(t, 2)] = result.hold_s
    assert 2.0 < held[3.0] <= 3.0
    assert held[6.0] - held[3.5] == pytest.approx(0.0)
    assert held[9.0] - held[6.0] == pytest.approx(2.5, abs=0.5)
