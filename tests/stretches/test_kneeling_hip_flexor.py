"""Kneeling hip flexor stretch: the textbook photo in position with good form on the right side,
one synthetic fault per check and direction, other poses rejected (a raised back foot too),
hidden feet reported as setup guidance, a hold timer that counts only good-form time, and the
"moving forward without tilting" trend on Coach timelines."""

from __future__ import annotations

import json

import pytest

from posecheck.coach import Coach, CoachSettings, FrameResult
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
    mirror,
    part,
    rotate,
    side_of,
    value_of,
)

ARM_PARTS = ("elbow", "wrist", "pinky", "index", "thumb")
SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
UPPER = [*HEAD, *SHOULDERS, *(part(s, p) for s in ("left", "right") for p in ARM_PARTS)]
FOOT_PARTS = ("ankle", "heel", "foot_index")
LEG_PARTS = ("knee", *FOOT_PARTS)


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "01_kneeling_hip_flexor.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """The textbook photo: right knee down behind, left foot ahead, facing image right."""
    return fixture_pose("kneeling_hip_flexor_side")


def front(pose: Pose) -> str:
    return side_of(pose, Limb.FRONT)


def back(pose: Pose) -> str:
    return side_of(pose, Limb.BACK)


# --- real fixtures ---------------------------------------------------------------------------


def test_textbook_photo_is_in_position_with_good_form_on_the_right(
    spec: StretchSpec, pose: Pose
) -> None:
    assert_good(spec, pose)
    evaluation = evaluate(spec, pose)
    assert evaluation.side == "right"
    assert evaluation.form_ok
    assert value_of(spec, pose, "pelvic-tilt") == pytest.approx(31.4, abs=1.0)
    assert value_of(spec, pose, "front-knee") == pytest.approx(56.0, abs=1.0)


def test_mirrored_photo_is_judged_the_same(spec: StretchSpec, pose: Pose) -> None:
    mirrored = mirror(pose)
    assert_good(spec, mirrored)
    assert evaluate(spec, mirrored).side == "right"
    assert value_of(spec, mirrored, "pelvic-tilt") == pytest.approx(
        value_of(spec, pose, "pelvic-tilt")
    )


@pytest.mark.parametrize(
    ("name", "side"), [("lunges_side_t5_0", "left"), ("lunges_side_t12_0", "right")]
)
def test_bottom_of_a_lunge_is_in_position_without_the_pelvic_tilt(
    spec: StretchSpec, name: str, side: str
) -> None:
    """Dynamic lunges: knee down behind, trunk upright, but the back thigh stays under the hip
    (extension -4 and 1): in position, the tilt cue fires and nothing else."""
    evaluation = evaluate(spec, fixture_pose(name))
    assert evaluation.in_position
    assert evaluation.side == side
    assert adjusting(evaluation) == {"pelvic-tilt": "low"}


def test_the_side_can_be_given(spec: StretchSpec, pose: Pose) -> None:
    assert evaluate(spec, pose, side="right").side == "right"


# --- one fault at a time ------------------------------------------------------------------------


def test_front_knee_far_past_the_toes(spec: StretchSpec, pose: Pose) -> None:
    side = front(pose)
    tucked = rotate(pose, part(side, "knee"), [part(side, p) for p in FOOT_PARTS], -15)
    assert_only(spec, tucked, "front-knee", "low")


def test_front_foot_too_far_ahead(spec: StretchSpec, pose: Pose) -> None:
    side = front(pose)
    reached = rotate(pose, part(side, "knee"), [part(side, p) for p in FOOT_PARTS], 60)
    assert_only(spec, reached, "front-knee", "high")


def test_trunk_leaning_back(spec: StretchSpec, pose: Pose) -> None:
    leaning = rotate(pose, part(back(pose), "hip"), UPPER, 20)
    assert_only(spec, leaning, "trunk-upright", "low")


def test_trunk_leaning_forward(spec: StretchSpec, pose: Pose) -> None:
    # Lean forward 25 and swing the back thigh back with it, so the thigh stays 31 behind the
    # trunk line: only the lean is at fault.
    side = back(pose)
    leaning = rotate(pose, part(side, "hip"), UPPER, -25)
    leaning = rotate(leaning, part(side, "hip"), [part(side, p) for p in LEG_PARTS], -25)
    assert value_of(spec, leaning, "pelvic-tilt") == pytest.approx(31.4, abs=1.0)
    assert_only(spec, leaning, "trunk-upright", "high")


def test_back_thigh_not_behind_the_trunk(spec: StretchSpec, pose: Pose) -> None:
    # The back knee comes forward under the hip: no hip extension, no tilt.
    side = back(pose)
    untucked = rotate(pose, part(side, "hip"), [part(side, p) for p in LEG_PARTS], 25)
    assert_only(spec, untucked, "pelvic-tilt", "low")
    assert spec.check("pelvic-tilt").proxy  # reported as a proxy


def test_unmodified_pose_fires_no_check(spec: StretchSpec, pose: Pose) -> None:
    assert adjusting(evaluate(spec, pose)) == {}


# --- other poses are not this stretch ----------------------------------------------------------

OTHER_POSES = [
    # A foot raised behind instead of a knee down: the back shin points up (130 and 140).
    "rear_foot_elevated_lunge_chair",
    "standing_quad_stretch_wall_t3_3",
    "warrior2_9",
    "warrior2_front_ooibowei",
    "tree_02",
    "tree_04",
    "goddess_2",
    "standing_side_upright_woman",
    "standing_front_woman",
    "side_upright_chair_man",
    "side_man_sitting_chair",
    "deep_squat_side_small",
    "squat_parallel_side",
    "cat_cow_side_cow",
    "fire_hydrant_allfours_t10_7",
    "childs_pose_side",
    "downdog_side_pragya",
    "cobra_side",
    "sphinx_side_portrait_t9_5",
    "knee_to_chest_bench_side_t28_0",
    "seated_fold_grass_side",
    "mediapipe_test_image",
]


@pytest.mark.parametrize("name", OTHER_POSES)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


def test_raised_back_foot_gets_the_knee_down_cue(spec: StretchSpec) -> None:
    evaluation = evaluate(spec, fixture_pose("rear_foot_elevated_lunge_chair"))
    assert evaluation.setup_cues == (spec.entry[0].cue,)


# --- half visible ---------------------------------------------------------------------------------


def test_front_foot_out_of_frame_is_setup_guidance_not_a_fault(
    spec: StretchSpec, pose: Pose
) -> None:
    """Every check's landmarks are also needed to recognise the stretch, so a hidden foot
    leaves the person 'setting up' with guidance, and no check claims a fault."""
    side = front(pose)
    hidden = hide(pose, [part(side, p) for p in FOOT_PARTS], out_of_frame=True)
    evaluation = evaluate(spec, hidden)
    assert not evaluation.in_position
    assert "Step back or lower the camera so your feet are in view." in evaluation.setup_cues
    knee = next(v for v in evaluation.verdicts if v.check.id == "front-knee")
    assert knee.status is Status.UNKNOWN
    assert adjusting(evaluation) == {}


def test_hidden_shoulders_is_setup_guidance(spec: StretchSpec, pose: Pose) -> None:
    hidden = hide(pose, SHOULDERS)
    evaluation = evaluate(spec, hidden)
    assert not evaluation.in_position
    assert any("shoulders" in cue for cue in evaluation.setup_cues)
    assert adjusting(evaluation) == {}


# --- hold timer -------------------------------------------------------------------------------


def feed(coach: Coach, frames: list[tuple[Pose, float]], fps: float = 10.0) -> list[FrameResult]:
    results = []
    t = 0.0
    for frame, seconds in frames:
        for _ in range(round(seconds * fps)):
            t += 1 / fps
            results.append(coach.update(frame, t))
    return results


def test_hold_timer_counts_only_good_form_time(spec: StretchSpec, pose: Pose) -> None:
    side = back(pose)
    untucked = rotate(pose, part(side, "hip"), [part(side, p) for p in LEG_PARTS], 25)
    results = feed(Coach(spec), [(pose, 5.0), (untucked, 5.0), (pose, 5.0)])
    during_fault = results[50:100]
    assert all(r.in_position for r in during_fault)
    assert not during_fault[-1].form_ok
    held_before, held_after_fault = results[49].hold_s, results[99].hold_s
    assert 4.0 <= held_before <= 5.0
    # Smoothing and the 0.3 s status filter let under a second through after the change.
    assert held_after_fault - held_before < 1.0
    final = results[-1]
    assert 8.0 <= final.hold_s <= 10.0
    assert set(final.hold_by_side) == {"right"}


def test_the_real_lunges_clip_never_counts_as_held(spec: StretchSpec) -> None:
    """lunges_side_seq: two dynamic lunges; in position near each bottom, but the back thigh
    never gets behind the trunk line for long, so no good-form time accrues."""
    data = json.loads((FIXTURES / "sequences" / "lunges_side_seq.json").read_text())
    size = tuple(data["image_size"])
    coach = Coach(spec)
    results = [
        coach.update(Pose.from_json(f["pose"], size) if f["pose"] else None, f["t_ms"] / 1000)
        for f in data["frames"]
    ]
    assert any(r.in_position for r in results)
    assert results[-1].hold_s == 0.0


# --- the "moving forward without tilting" trend ---------------------------------------------------

TREND_CUE = "Moving your hips forward alone changes nothing: tilt your pelvis back first."


def moved_forward(pose: Pose, degrees: float, *, tilt: bool) -> Pose:
    """The hips travel forward: the body above the back knee swings forward about it by
    `degrees`. Without tilt the whole body goes along rigidly (no angle changes, as the article
    warns); with tilt the trunk is brought back upright, so the back thigh ends up further behind
    the trunk line (hip extension grows by `degrees`)."""
    side = back(pose)
    moved = rotate(pose, part(side, "knee"), [*HIPS, *UPPER], -degrees)
    if tilt:
        moved = rotate(moved, part(side, "hip"), UPPER, degrees)
    return moved


def trend_timeline(spec: StretchSpec, pose: Pose, *, tilt: bool) -> list[FrameResult]:
    """2 s still, 1.5 s moving forward by 15 degrees about the back knee, 2.5 s still; the cue
    picker shows the top cue at once so that the test sees what the coach wants to say."""
    coach = Coach(spec, settings=CoachSettings(cue_min_s=0.0))
    fps, results, t = 10, [], 0.0
    steps = [0.0] * 20 + [15.0 * (i + 1) / 15 for i in range(15)] + [15.0] * 25
    for degrees in steps:
        t += 1 / fps
        frame = moved_forward(pose, degrees, tilt=tilt) if degrees else pose
        results.append(coach.update(frame, t))
    return results


def measured(result: FrameResult, key: str) -> float:
    value = result.measurements[key].value
    assert value is not None
    return value


@pytest.mark.parametrize("tilt", [False, True])
def test_trend_timelines_move_the_hips_forward(spec: StretchSpec, pose: Pose, tilt: bool) -> None:
    results = trend_timeline(spec, pose, tilt=tilt)
    ahead = [measured(r, "hip_ahead_of_knee:back") for r in results]
    extension = [measured(r, "hip_extension:back") for r in results]
    assert ahead[-1] - ahead[0] >= 0.17  # well past the trend's 0.15 thigh lengths
    assert all(r.in_position for r in results[10:])
    if tilt:
        assert extension[-1] - extension[0] >= 12
    else:
        assert abs(extension[-1] - extension[0]) < 1.0


def test_moving_forward_without_tilting_fires_the_trend_cue(spec: StretchSpec, pose: Pose) -> None:
    assert spec.trends[0].cue == TREND_CUE
    results = trend_timeline(spec, pose, tilt=False)
    fired = [r for r in results if r.cue == TREND_CUE]
    assert fired
    assert all(not r.form_ok for r in fired)  # trend time is not good-form time
    assert all(r.cue != TREND_CUE for r in results[:20])  # not before the hips move


def test_moving_forward_with_the_pelvis_tilting_does_not_fire_the_trend(
    spec: StretchSpec, pose: Pose
) -> None:
    results = trend_timeline(spec, pose, tilt=True)
    assert all(r.cue != TREND_CUE for r in results)
