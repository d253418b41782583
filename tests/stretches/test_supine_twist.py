"""Lying (supine) twist: the real held twist from a raised three-quarter angle and from low
beside the body, one synthetic fault per check (world landmarks turned with the image ones),
other poses rejected, hidden landmarks reported as unknown, and a hold timer per side that counts
only good-form time."""

from __future__ import annotations

import pytest

from posecheck.coach import Coach, CoachSettings
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
    play,
    rotate,
    verdict,
)

LEGS = [part(s, p) for s in ("left", "right") for p in ("knee", "ankle", "heel", "foot_index")]
HAND = ("wrist", "pinky", "index", "thumb")
RIGHT_ARM = [part("right", p) for p in ("elbow", *HAND)]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "09_supine_twist.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """Real: knees together dropped to her left, arms in a T, seen from a raised 3/4 angle."""
    return fixture_pose("lying_twist_stretch_t12_0")


def shoulder_lifted(pose: Pose) -> Pose:
    """The right shoulder (and its arm) turned up about the left one: the shoulder line tilts."""
    return rotate(pose, part("left", "shoulder"), [part("right", "shoulder"), *RIGHT_ARM], 20)


# --- real fixtures ---------------------------------------------------------------------------


def test_real_twist_from_above_is_good_form_on_the_left(spec: StretchSpec, pose: Pose) -> None:
    assert_good(spec, pose)
    assert evaluate(spec, pose).side == "left"
    assert_good(spec, pose, side="left")


def test_real_twist_from_low_beside_is_in_position_with_its_hidden_arm_unknown(
    spec: StretchSpec,
) -> None:
    evaluation = evaluate(spec, fixture_pose("lying_twist_stretch_t25_0"))
    assert evaluation.in_position and evaluation.side == "left"
    assert adjusting(evaluation) == {}
    arms = next(v for v in evaluation.verdicts if v.check.id == "arms-out")
    assert arms.status is Status.UNKNOWN
    assert arms.cue == "Turn so the camera can see your hands: they are hidden."
    assert evaluation.form_ok  # the arms are advisory


# --- one synthetic fault per check and direction --------------------------------------------


def test_knees_not_lowered_fires_only_knees_lowered(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "knees-lowered").status is Status.OK
    raised = rotate(pose, part("left", "hip"), LEGS, -50)
    assert_only(spec, raised, "knees-lowered", "low")


def test_opposite_shoulder_lifted_fires_only_shoulder_down(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "shoulder-down").status is Status.OK
    assert_only(spec, shoulder_lifted(pose), "shoulder-down", "high")


def test_opposite_arm_along_the_body_fires_only_arms_out(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "arms-out").status is Status.OK
    tucked = rotate(pose, part("right", "shoulder"), RIGHT_ARM, -60)
    assert_only(spec, tucked, "arms-out", "low")


def test_the_arm_checked_is_the_one_opposite_the_knees(spec: StretchSpec, pose: Pose) -> None:
    tucked = rotate(pose, part("right", "shoulder"), RIGHT_ARM, -60)
    # Worked side given as right: the opposite arm is then the left one, still out in a T.
    assert verdict(spec, tucked, "arms-out", side="right").status is Status.OK


# --- other poses are not this stretch ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "standing_front_woman",
        "standing_front_arms_overhead",
        "seated_spinal_twist_t2_5",
        "seated_spinal_twist_t6_0",
        "goddess_2",
        "warrior2_front_ooibowei",
        "tree_02",
        "malasana_front",
        "goblet_squat_front_t3_2",
        "front_recline_student",
        "mediapipe_test_image",
        "plank_forearm_man_side",
        "childs_pose_clip_t1_5",
        "lunges_side_t12_0",
        "standing_quad_stretch_wall_t3_3",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


def test_side_view_of_a_lying_twist_is_not_accepted(spec: StretchSpec) -> None:
    evaluation = evaluate(spec, fixture_pose("bent_leg_twist_supine_t16_0"))
    assert evaluation.view == "side"
    assert not evaluation.in_position


# --- half visible -------------------------------------------------------------------------------


def test_hidden_knees_are_unknown_with_guidance(spec: StretchSpec, pose: Pose) -> None:
    evaluation = evaluate(spec, hide(pose, [part("left", "knee"), part("right", "knee")]))
    assert not evaluation.in_position
    assert "Turn so the camera can see your knees: they are hidden." in evaluation.setup_cues
    knees = next(v for v in evaluation.verdicts if v.check.id == "knees-lowered")
    assert knees.status is Status.UNKNOWN
    assert adjusting(evaluation) == {}


def test_hidden_opposite_hand_is_unknown_not_a_fault(spec: StretchSpec, pose: Pose) -> None:
    evaluation = evaluate(spec, hide(pose, [part("right", p) for p in HAND], out_of_frame=True))
    assert evaluation.in_position
    arms = next(v for v in evaluation.verdicts if v.check.id == "arms-out")
    assert arms.status is Status.UNKNOWN
    assert arms.cue == "Step back or raise the camera so your hands are in view."


# --- hold timer ---------------------------------------------------------------------------------


def test_hold_counts_only_good_form_time_on_the_knees_side(spec: StretchSpec, pose: Pose) -> None:
    coach = Coach(spec, settings=CoachSettings(smoothing=False))
    lifted = shoulder_lifted(pose)
    runs = play(coach, [(pose, 40), (lifted, 30), (pose, 30)])
    held = [results[-1].hold_s for results in runs]
    result = runs[-1][-1]
    assert held[0] == pytest.approx(3.4, abs=0.25)
    assert held[1] - held[0] <= 0.45
    assert held[2] - held[1] == pytest.approx(2.7, abs=0.35)
    assert set(result.hold_by_side) == {"left"}
