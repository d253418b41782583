"""Child's pose: real fixtures in position with good form, one synthetic fault per check and
direction, other poses rejected, hidden landmarks reported as unknown, and a hold timer that
counts only good-form time on the real clip."""

from __future__ import annotations

import json

import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.metrics import Limb
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import FIXTURES, fixture_pose
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

ARM_PARTS = ("elbow", "wrist", "pinky", "index", "thumb")


def arms() -> list[Landmark]:
    return [part(s, p) for s in ("left", "right") for p in ARM_PARTS]


UPPER = [*HEAD, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, *arms()]
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "07_childs_pose.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """The textbook photo: extended child's pose, facing image right."""
    return fixture_pose("childs_pose_side")


def near(pose: Pose) -> str:
    return side_of(pose, Limb.NEAR)


# --- real fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["childs_pose_side", "childs_pose_clip_t9_0", "childs_to_downdog_side_t0_5"]
)
def test_real_childs_pose_is_in_position_with_good_form(spec: StretchSpec, name: str) -> None:
    assert_good(spec, fixture_pose(name))


def test_real_pose_values_match_the_calibration(spec: StretchSpec, pose: Pose) -> None:
    values = {v.check.id: v.measurement.value for v in evaluate(spec, pose).verdicts}
    assert values["hips-back"] == pytest.approx(28.0, abs=1.0)
    assert values["trunk-folded"] == pytest.approx(26.0, abs=1.0)
    assert values["arms-forward"] == pytest.approx(158.0, abs=1.0)
    assert values["head-down"] == pytest.approx(-21.0, abs=1.0)


def test_real_frame_with_head_lifted_is_in_position_but_not_good(spec: StretchSpec) -> None:
    # Folding back from all fours, still looking ahead, hips not yet back on the heels.
    evaluation = evaluate(spec, fixture_pose("childs_pose_clip_t2_8"))
    assert evaluation.in_position
    assert adjusting(evaluation) == {"hips-back": "high", "head-down": "high"}


# --- one fault at a time ------------------------------------------------------------------------


def test_hips_lifted_off_the_heels(spec: StretchSpec, pose: Pose) -> None:
    # Hips and everything above them swing up about the knee: the knee opens, nothing else moves.
    lifted = rotate(pose, part(near(pose), "knee"), [*HIPS, *UPPER], -25)
    assert_only(spec, lifted, "hips-back", "high")


def test_chest_raised_off_the_thighs(spec: StretchSpec, pose: Pose) -> None:
    raised = rotate(pose, part(near(pose), "hip"), UPPER, 40)
    assert_only(spec, raised, "trunk-folded", "high")


def test_arms_drawn_back(spec: StretchSpec, pose: Pose) -> None:
    side = near(pose)
    drawn = rotate(pose, part(side, "shoulder"), [part(side, p) for p in ARM_PARTS], -40)
    assert_only(spec, drawn, "arms-forward", "low")
    # Advisory only: the arms-beside-the-body form still counts as good form.
    assert evaluate(spec, drawn).form_ok


def test_head_lifted_to_look_ahead(spec: StretchSpec, pose: Pose) -> None:
    lifted = rotate(pose, part(near(pose), "shoulder"), HEAD, 60)
    assert_only(spec, lifted, "head-down", "high")


def test_unmodified_pose_fires_none_of_the_checks(spec: StretchSpec, pose: Pose) -> None:
    assert adjusting(evaluate(spec, pose)) == {}
    assert evaluate(spec, pose).form_ok


# --- other poses are not child's pose -----------------------------------------------------------

OTHER_POSES = [
    "cat_cow_side_cat",
    "cat_cow_side_cow",
    "fire_hydrant_allfours_t10_7",
    "childs_to_downdog_side_t4_8",  # tabletop
    "childs_to_downdog_side_t14_5",  # downward dog
    "downdog_side_pragya",
    "kneeling_hip_flexor_side",
    "sphinx_side_portrait_t9_5",
    "cobra_side",
    "plank_forearm_woman_side",
    "knee_to_chest_bench_side_t34_9",  # lying on the back, knees hugged in: folded, face up
    "seated_fold_grass_side",
    "deep_squat_side_small",
    "malasana_front",
    "standing_forward_bend_small_t8_2",
    "standing_side_upright_woman",
    "side_upright_chair_man",
    "tree_02",
    "warrior2_9",
    "goddess_2",
    "mediapipe_test_image",
]


@pytest.mark.parametrize("name", OTHER_POSES)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


def test_nobody_in_view_is_not_in_position(spec: StretchSpec) -> None:
    assert not evaluate(spec, None).in_position


# --- half visible ---------------------------------------------------------------------------------


def test_hidden_elbow_leaves_the_arm_check_unknown_with_guidance(
    spec: StretchSpec, pose: Pose
) -> None:
    hidden = hide(pose, [part(near(pose), "elbow")])
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    arms_check = verdict(spec, hidden, "arms-forward")
    assert arms_check.status is Status.UNKNOWN
    assert arms_check.cue is not None and "elbows" in arms_check.cue
    assert adjusting(evaluation) == {}


def test_head_out_of_frame_leaves_the_head_check_unknown_with_guidance(
    spec: StretchSpec, pose: Pose
) -> None:
    hidden = hide(pose, HEAD, out_of_frame=True)
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    head = verdict(spec, hidden, "head-down")
    assert head.status is Status.UNKNOWN
    assert head.cue is not None and "head" in head.cue and "view" in head.cue


# --- hold timer on the real clip ------------------------------------------------------------


def test_hold_timer_counts_only_the_head_down_part_of_the_real_clip(spec: StretchSpec) -> None:
    """childs_pose_clip_seq: folded into child's pose by about 1.5 s but looking ahead until
    about 5.5 s; the head rests down from about 6.5 s to the end (9.9 s)."""
    data = json.loads((FIXTURES / "sequences" / "childs_pose_clip_seq.json").read_text())
    size = tuple(data["image_size"])
    coach = Coach(spec)
    results = []
    for frame in data["frames"]:
        pose = Pose.from_json(frame["pose"], size) if frame["pose"] else None
        results.append(coach.update(pose, frame["t_ms"] / 1000))
    in_position_early = [r for r in results if 2.0 <= r.t_s <= 5.0]
    assert in_position_early and all(r.in_position for r in in_position_early)
    assert all(r.hold_s == 0.0 for r in results if r.t_s <= 5.5)
    # ... and the reason is the lifted head, which the coach says.
    for r in in_position_early:
        head = next(v for v in r.verdicts if v.check.id == "head-down")
        assert head.status is Status.ADJUST
    assert any(r.cue == spec.check("head-down").cue_high for r in results if r.t_s <= 6.5)
    final = results[-1]
    assert final.form_ok
    assert 2.5 <= final.hold_s <= 4.0
    # Held time never exceeds the time since form first became good.
    first_good = next(r.t_s for r in results if r.form_ok)
    assert final.hold_s <= final.t_s - first_good + 1e-6
