"""Chest opener: the real hips-up clip in position (good form at 4.0 s, hands sagging at 9.5 s),
one synthetic fault per check and direction, nothing that needs the legs, other poses
rejected, hidden arms reported as unknown, and a hold timer that counts only good form."""

from __future__ import annotations

import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.metrics import Limb, get_metric
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
    verdict,
)

HAND = ("wrist", "pinky", "index", "thumb")
LEGS = [Landmark(i) for i in range(23, 33)]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "04_chest_opener.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """Hands clasped behind the back, arms long and lifted, facing image left; legs out of frame."""
    return fixture_pose("chest_opener_hands_behind_back_t4_0")


def near(pose: Pose) -> str:
    return side_of(pose, Limb.NEAR)


def upper(side: str) -> list[Landmark]:
    """Head, shoulders and both arms: everything that leans when the trunk leans."""
    arms = [part(s, p) for s in ("left", "right") for p in ("elbow", *HAND)]
    return [*HEAD, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, *arms]


# --- real fixtures ---------------------------------------------------------------------------


def test_real_clip_is_in_position_with_good_form(spec: StretchSpec, pose: Pose) -> None:
    assert_good(spec, pose)


def test_real_clip_with_the_hands_sagging_gets_only_the_lift_cue(spec: StretchSpec) -> None:
    assert_only(spec, fixture_pose("chest_opener_hands_behind_back_t9_5"), "hands-lifted", "low")


def test_works_without_legs(spec: StretchSpec, pose: Pose) -> None:
    """The clip is hips-up: no entry condition or check may need a leg landmark."""
    no_legs = hide(pose, LEGS[4:], out_of_frame=True)  # knees, ankles, feet out of frame
    assert_good(spec, no_legs)
    for metric in [c.metric for c in spec.entry] + [c.metric for c in spec.checks]:
        assert "knee" not in metric and "ankle" not in metric and "heel" not in metric
        assert get_metric(metric).name == metric


# --- one fault at a time ---------------------------------------------------------------------


def test_bent_elbows_are_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    bent = rotate(pose, part(s, "elbow"), [part(s, p) for p in HAND], 40)
    assert_only(spec, bent, "straight-arms", "low")


def test_hands_resting_on_the_back_are_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    # She faces left, so her hands are to the right of the trunk: clockwise brings them in.
    lowered = rotate(pose, part(s, "shoulder"), [part(s, p) for p in ("elbow", *HAND)], -10)
    assert_only(spec, lowered, "hands-lifted", "low")


def test_leaning_back_is_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    leaning = rotate(pose, part(s, "hip"), upper(s), -12)
    assert_only(spec, leaning, "trunk-upright", "low")


def test_bending_forward_is_flagged(spec: StretchSpec, pose: Pose) -> None:
    s = near(pose)
    bent = rotate(pose, part(s, "hip"), upper(s), 20)
    level_head = rotate(bent, part(s, "shoulder"), HEAD, -20)
    assert_only(spec, level_head, "trunk-upright", "high")


def test_head_pushed_forward_is_flagged(spec: StretchSpec, pose: Pose) -> None:
    forward = rotate(pose, part(near(pose), "shoulder"), HEAD, 15)
    assert_only(spec, forward, "ears-over-shoulders", "high")


# --- not this stretch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "standing_side_upright_woman",
        "standing_side_businessman",
        "standing_side_woman_front_label",
        "text_neck_phone_side",
        "lunges_side_t5_0",
        "side_upright_chair_man",
        "side_desk_laptop_woman",
        "kneeling_hip_flexor_side",
        "warrior2_9",
        "tree_02",
        "downdog_side_pragya",
        "plank_forearm_woman_side",
        "cobra_side",
        "deep_squat_side_small",
        "standing_quad_stretch_wall_t20_0",
        "standing_quad_stretch_wall_t26_0",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


@pytest.mark.parametrize(
    "name", ["standing_quad_stretch_wall_t20_0", "standing_quad_stretch_wall_t26_0"]
)
def test_a_quad_stretch_holding_the_foot_behind_is_told_apart_by_the_other_hand(
    spec: StretchSpec, name: str
) -> None:
    """One hand behind the back holding the foot passes the wrist-behind condition; the other
    hand on the wall, far from it, is what tells it from hands clasped behind the back."""
    evaluation = evaluate(spec, fixture_pose(name))
    assert evaluation.setup_cues == ("Clasp both hands together behind your back.",)
    gap = evaluation.measurements["wrist_gap"].value
    assert gap is not None and gap > 1.0


# --- cannot judge ----------------------------------------------------------------------------


def test_hidden_elbow_makes_the_arm_checks_unknown(spec: StretchSpec, pose: Pose) -> None:
    hidden = hide(pose, [part(near(pose), "elbow")])
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    assert adjusting(evaluation) == {}
    for check_id in ("straight-arms", "hands-lifted"):
        v = verdict(spec, hidden, check_id)
        assert v.status is Status.UNKNOWN
        assert v.cue is not None and "elbows" in v.cue
    assert not evaluation.form_ok


def test_hidden_hands_give_setup_guidance(spec: StretchSpec, pose: Pose) -> None:
    hidden = hide(pose, [part(s, "wrist") for s in ("left", "right")])
    evaluation = evaluate(spec, hidden)
    assert not evaluation.in_position
    assert any("hands" in cue for cue in evaluation.setup_cues)


# --- over time -------------------------------------------------------------------------------


def test_hold_timer_counts_only_good_form(spec: StretchSpec, pose: Pose) -> None:
    sagging = fixture_pose("chest_opener_hands_behind_back_t9_5")
    coach = Coach(spec)
    held = {}
    for i in range(1, 271):  # 9 s at 30 fps: good, hands sagging 3-6 s, good again
        t = i / 30
        result = coach.update(sagging if 3.0 <= t < 6.0 else pose, t)
        held[round(t, 2)] = result.hold_s
    assert 2.0 < held[3.0] <= 3.0
    assert held[6.0] - held[3.5] == pytest.approx(0.0)
    assert held[9.0] - held[6.0] == pytest.approx(2.5, abs=0.5)
