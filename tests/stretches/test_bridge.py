"""Bridge: the real side-view clip lifted with good form, one synthetic fault per check, other
poses rejected, a hidden shoulder reported as unknown, and the real clip counted as one rep
with only the lifted time held."""

from __future__ import annotations

import json

import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import FIXTURES, fixture_pose
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


# --- the real clip: one rep, held only while lifted ------------------------------------------


def test_real_clip_counts_one_rep_and_holds_only_the_lifted_time(spec: StretchSpec) -> None:
    data = json.loads((FIXTURES / "sequences" / "bridge_side_physio_seq.json").read_text())
    size = tuple(data["image_size"])
    coach = Coach(spec)
    held_while_down = 0.0
    for frame in data["frames"]:
        pose = Pose.from_json(frame["pose"], size) if frame["pose"] else None
        t = frame["t_ms"] / 1000
        result = coach.update(pose, t)
        if t <= 0.4:
            held_while_down = result.hold_s
    assert result.reps == 1
    assert result.reps_target == 10
    assert held_while_down == 0.0
    # Lifted (hip angle >= 160) from about 0.5 s to 2.4 s of the 3 s clip.
    assert 1.2 <= result.hold_s <= 1.95
