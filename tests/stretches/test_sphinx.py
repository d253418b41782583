"""Sphinx: the real clip frames in position with good form, one synthetic fault per check and
direction, other poses (cobra above all) rejected, hidden ears reported as unknown, and a hold
timer that counts only good-form time."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Limb, measure
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
    mirror,
    part,
    rotate,
    shift,
    side_of,
    value_of,
)

ARM_PARTS = ("elbow", "wrist", "pinky", "index", "thumb")
SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
BOTH_ARMS = [part(s, p) for s in ("left", "right") for p in ARM_PARTS]
UPPER = [*HEAD, *SHOULDERS, *BOTH_ARMS]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "12_sphinx.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """sphinx_side_portrait.mp4 at 9.5 s: on the forearms, facing image left."""
    return fixture_pose("sphinx_side_portrait_t9_5")


def near(pose: Pose) -> str:
    return side_of(pose, Limb.NEAR)


# --- real fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sphinx_side_portrait_t9_5", "sphinx_side_portrait_t19_0"])
def test_real_sphinx_is_in_position_with_good_form(spec: StretchSpec, name: str) -> None:
    assert_good(spec, fixture_pose(name))


def test_mirrored_sphinx_is_judged_the_same(spec: StretchSpec, pose: Pose) -> None:
    mirrored = mirror(pose)
    assert_good(spec, mirrored)
    for check in ("elbows-under-shoulders", "chest-lift", "hips-down", "neck-long"):
        assert value_of(spec, mirrored, check) == pytest.approx(value_of(spec, pose, check))


def test_real_values_match_the_calibration(spec: StretchSpec, pose: Pose) -> None:
    assert value_of(spec, pose, "elbows-under-shoulders") == pytest.approx(0.1, abs=1.0)
    assert value_of(spec, pose, "chest-lift") == pytest.approx(28.3, abs=1.0)
    assert value_of(spec, pose, "hips-down") == pytest.approx(8.1, abs=1.0)


def forearm_lift(pose: Pose) -> float | None:
    return measure(Context(pose), "forearm_lift", Limb.NEAR).value


def test_forearm_lift_metric(pose: Pose) -> None:
    """The new floor metric: wrist-to-elbow above the horizontal, the same either way round."""
    side = near(pose)
    flat = forearm_lift(pose)
    assert flat is not None and abs(flat) < 5  # forearm on the mat
    # Raise the elbow 40 degrees about the wrist (counter-clockwise on screen: she faces image
    # left, so her elbow is right of her wrist): the forearm now slopes up to the elbow.
    raised = forearm_lift(rotate(pose, part(side, "wrist"), [part(side, "elbow")], 40))
    assert raised == pytest.approx(flat + 40, abs=0.5)
    assert forearm_lift(mirror(pose)) == pytest.approx(flat)
    hidden = measure(Context(hide(pose, [part(side, "wrist")])), "forearm_lift", Limb.NEAR)
    assert hidden.value is None and "hands" in hidden.reason


# --- one fault at a time ------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [1, -1])
def test_elbows_away_from_under_the_shoulders(
    spec: StretchSpec, pose: Pose, direction: int
) -> None:
    # Slide the elbow and the forearm along the floor, ahead of or behind the shoulder.
    side = near(pose)
    px = pose.pixels
    upper_arm = float(np.hypot(*(px[part(side, "shoulder"), :2] - px[part(side, "elbow"), :2])))
    slid = shift(pose, [part(side, p) for p in ARM_PARTS], direction * 0.5 * upper_arm, 0)
    assert_only(spec, slid, "elbows-under-shoulders", "high")


def test_chest_too_low(spec: StretchSpec, pose: Pose) -> None:
    lowered = rotate(pose, part(near(pose), "hip"), UPPER, 16)
    assert_only(spec, lowered, "chest-lift", "low")


def test_chest_too_high(spec: StretchSpec, pose: Pose) -> None:
    raised = rotate(pose, part(near(pose), "hip"), UPPER, -16)
    assert_only(spec, raised, "chest-lift", "high")


def test_hips_lifted_off_the_mat(spec: StretchSpec, pose: Pose) -> None:
    lifted = shift(pose, [*HIPS, *UPPER], 0, -30)
    assert_only(spec, lifted, "hips-down", "high")


def test_head_cranked_back(spec: StretchSpec, pose: Pose) -> None:
    cranked = rotate(pose, part(near(pose), "shoulder"), HEAD, -50)
    assert_only(spec, cranked, "neck-long", "high")


def test_unmodified_pose_fires_no_check(spec: StretchSpec, pose: Pose) -> None:
    assert adjusting(evaluate(spec, pose)) == {}


# --- other poses are not a sphinx ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["cobra_female_side_t5_6", "cobra_closeup_side_t10_3", "cobra_side"]
)
def test_cobra_on_the_hands_is_not_a_sphinx(spec: StretchSpec, name: str) -> None:
    """Same face-down chest lift, but the forearms are up off the floor (37-78 degrees)."""
    evaluation = evaluate(spec, fixture_pose(name))
    assert not evaluation.in_position
    assert "Lower onto your forearms, elbows under your shoulders." in evaluation.setup_cues


OTHER_POSES = [
    "plank_forearm_woman_side",  # elbows under the shoulders too, but the body is straight
    "plank_forearm_man_side",
    "childs_pose_side",
    "cat_cow_side_cow",
    "downdog_side_pragya",
    "kneeling_hip_flexor_side",
    "knee_to_chest_bench_side_t6_5",
    "bridge_side_physio_t0_0",
    "lying_twist_stretch_t25_0",
    "seated_fold_grass_side",
    "side_recline_man",
    "side_upright_chair_man",
    "standing_side_upright_woman",
    "tree_02",
    "warrior2_9",
    "goddess_2",
    "mediapipe_test_image",
]


@pytest.mark.parametrize("name", OTHER_POSES)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


# --- half visible ---------------------------------------------------------------------------------


def test_hidden_head_leaves_the_neck_check_unknown_with_guidance(
    spec: StretchSpec, pose: Pose
) -> None:
    hidden = hide(pose, [Landmark.LEFT_EAR, Landmark.RIGHT_EAR])
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    neck = next(v for v in evaluation.verdicts if v.check.id == "neck-long")
    assert neck.status is Status.UNKNOWN
    assert neck.cue is not None and "head" in neck.cue
    assert adjusting(evaluation) == {}


def test_hidden_elbow_is_setup_guidance_not_a_fault(spec: StretchSpec, pose: Pose) -> None:
    # The forearm's lift is what tells a sphinx from a cobra: without the elbow, say so.
    hidden = hide(pose, [part(near(pose), "elbow")])
    evaluation = evaluate(spec, hidden)
    assert not evaluation.in_position
    assert any("elbows" in cue for cue in evaluation.setup_cues)
    assert adjusting(evaluation) == {}


# --- hold timer -------------------------------------------------------------------------------


def test_hold_timer_counts_only_good_form_time(spec: StretchSpec, pose: Pose) -> None:
    cranked = rotate(pose, part(near(pose), "shoulder"), HEAD, -50)
    coach = Coach(spec)
    t, fps = 0.0, 10
    result = None
    for frame, seconds in ((pose, 4.0), (cranked, 4.0), (pose, 4.0)):
        for _ in range(int(seconds * fps)):
            t += 1 / fps
            result = coach.update(frame, t)
        if frame is cranked:
            assert result is not None and not result.form_ok
            held_after_fault = result.hold_s
    assert result is not None
    # About 3.5 s before the fault (position debounce), nothing during it, then about 3.5 s.
    assert 3.0 <= held_after_fault <= 4.0
    assert 6.0 <= result.hold_s <= 8.0
