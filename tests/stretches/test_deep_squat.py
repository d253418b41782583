"""Deep squat: real side and front fixtures in position, one synthetic fault per check and
direction, view-only checks reported as unknown in the other view, other poses (chairs
included) rejected, and down-up reps counted on the real gym clip."""

from __future__ import annotations

import json

import pytest

from posecheck.coach import Coach
from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Limb, measure
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from posecheck.temporal import RepCounter
from tests.conftest import FIXTURES, fixture_pose
from tests.posing import (
    HEAD,
    assert_good,
    assert_not_in_position,
    assert_only,
    hide,
    part,
    rotate,
    shift,
    side_of,
    verdict,
)

HAND = ("elbow", "wrist", "pinky", "index", "thumb")
ARMS = [part(s, p) for s in ("left", "right") for p in HAND]
UPPER = [*HEAD, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, *ARMS]
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "02_deep_squat.toml")


@pytest.fixture(scope="module")
def side_pose() -> Pose:
    """Full-depth bodyweight squat seen side-on, facing image left, heels down."""
    return fixture_pose("deep_squat_side_small")


@pytest.fixture(scope="module")
def front_pose() -> Pose:
    """Garland pose (yogi squat) seen from the front, knees wide."""
    return fixture_pose("malasana_front")


# --- real fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deep_squat_side_small", "malasana_front"])
def test_real_deep_squats_are_in_position_with_good_form(spec: StretchSpec, name: str) -> None:
    assert_good(spec, fixture_pose(name))


def test_real_front_goblet_squat_at_the_bottom_is_in_position(spec: StretchSpec) -> None:
    evaluation = evaluate(spec, fixture_pose("goblet_squat_front_t3_2"))
    assert evaluation.view == "front"
    assert evaluation.in_position, evaluation.setup_cues


def test_knee_tracking_is_unknown_not_failed_side_on(spec: StretchSpec, side_pose: Pose) -> None:
    v = verdict(spec, side_pose, "knees-over-toes")
    assert v.status is Status.UNKNOWN
    assert v.cue is not None and "Face the camera" in v.cue
    assert not v.check.required
    assert evaluate(spec, side_pose).form_ok


@pytest.mark.parametrize("check_id", ["heels-down", "chest-up"])
def test_side_only_checks_are_unknown_from_the_front(
    spec: StretchSpec, front_pose: Pose, check_id: str
) -> None:
    v = verdict(spec, front_pose, check_id)
    assert v.status is Status.UNKNOWN
    assert v.cue is not None and "side-on" in v.cue
    assert evaluate(spec, front_pose).form_ok


# --- one fault at a time ---------------------------------------------------------------------


def test_hips_above_knees_is_flagged(spec: StretchSpec, side_pose: Pose) -> None:
    knee = part(side_of(side_pose, Limb.NEAR), "knee")
    # Swing hips and trunk up about the knee, counter-clockwise on screen (she faces left).
    raised = rotate(side_pose, knee, [*UPPER, *HIPS], 10)
    assert_only(spec, raised, "hips-below-knees", "low")


def test_lifted_heel_is_flagged(spec: StretchSpec, side_pose: Pose) -> None:
    s = side_of(side_pose, Limb.NEAR)
    lifted = rotate(side_pose, part(s, "foot_index"), [part(s, "heel")], 25)
    assert_only(spec, lifted, "heels-down", "high")


def test_chest_dropping_forward_is_flagged(spec: StretchSpec, side_pose: Pose) -> None:
    hip = part(side_of(side_pose, Limb.NEAR), "hip")
    leaning = rotate(side_pose, hip, UPPER, 25)
    assert_only(spec, leaning, "chest-up", "high")


def test_knees_caving_in_is_flagged_from_the_front(spec: StretchSpec, front_pose: Pose) -> None:
    lk, rk = front_pose.xy(Landmark.LEFT_KNEE), front_pose.xy(Landmark.RIGHT_KNEE)
    inward = (float(lk[0]) - float(rk[0])) * 0.3  # each knee a third of the way to the middle
    caved = shift(
        shift(front_pose, [Landmark.LEFT_KNEE], -inward, 0), [Landmark.RIGHT_KNEE], inward, 0
    )
    assert_only(spec, caved, "knees-over-toes", "low")


# --- not this stretch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "standing_side_upright_woman",
        "standing_front_woman",
        "squat_two_phase_side",
        "side_upright_chair_man",
        "side_slouch_woman_chair",
        "side_desk_laptop_woman",
        "side_man_sitting_chair",
        "side_reclined_angle_overlay",
        "kneeling_hip_flexor_side",
        "lunges_side_t5_0",
        "goddess_2",
        "warrior2_9",
        "tree_02",
        "downdog_side_pragya",
        "plank_forearm_woman_side",
        "bridge_side_physio_t1_2",
        "childs_pose_side",
        "seated_spinal_twist_t2_5",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


# --- cannot judge ----------------------------------------------------------------------------


def test_hidden_feet_make_the_heel_check_unknown(spec: StretchSpec, side_pose: Pose) -> None:
    s = side_of(side_pose, Limb.NEAR)
    hidden = hide(side_pose, [part(s, "heel"), part(s, "foot_index")], out_of_frame=True)
    evaluation = evaluate(spec, hidden)
    assert evaluation.in_position
    v = verdict(spec, hidden, "heels-down")
    assert v.status is Status.UNKNOWN
    assert v.cue is not None and "feet are in view" in v.cue


def test_hidden_knees_stop_the_depth_check(spec: StretchSpec, side_pose: Pose) -> None:
    hidden = hide(side_pose, [Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE], out_of_frame=True)
    evaluation = evaluate(spec, hidden)
    assert not evaluation.in_position
    assert any("knees are in view" in cue for cue in evaluation.setup_cues)


# --- over time -------------------------------------------------------------------------------


def _gym_clip() -> list[tuple[float, Pose | None]]:
    """(time in s, pose or None) for every frame of the real side-view squat clip."""
    data = json.loads((FIXTURES / "sequences" / "squats_gym_side_seq.json").read_text())
    size = (int(data["image_size"][0]), int(data["image_size"][1]))
    return [
        (f["t_ms"] / 1000, f["pose"] and Pose.from_json(f["pose"], size, f["t_ms"]))
        for f in data["frames"]
    ]


#: Down-up squats visible in squats_gym_side.mp4 (bottoms near 0.9, 3.1, 5.5, 8.0, 10.4, 12.6 s).
GYM_REPS = 6


def test_rep_band_counts_each_squat_in_the_gym_clip(spec: StretchSpec) -> None:
    assert spec.reps is not None
    counter = RepCounter(spec.reps.low, spec.reps.high, spec.reps.start)
    for _, pose in _gym_clip():
        if pose is not None:
            counter.update(measure(Context(pose), spec.reps.metric).value)
    assert counter.count == GYM_REPS


def test_coach_counts_the_reps_in_the_gym_clip(spec: StretchSpec) -> None:
    coach = Coach(spec)
    result = None
    for t, pose in _gym_clip():
        result = coach.update(pose, t)
    assert result is not None
    assert result.reps == GYM_REPS


def test_hold_timer_counts_only_time_at_depth(spec: StretchSpec, side_pose: Pose) -> None:
    knee = part(side_of(side_pose, Limb.NEAR), "knee")
    shallow = rotate(side_pose, knee, [*UPPER, *HIPS], 10)
    coach = Coach(spec)
    held = {}
    for i in range(1, 271):  # 9 s at 30 fps: deep, hips up 3-6 s, deep again
        t = i / 30
        result = coach.update(shallow if 3.0 <= t < 6.0 else side_pose, t)
        held[round(t, 2)] = result.hold_s
    assert 2.0 < held[3.0] <= 3.0
    assert held[6.0] - held[3.5] == pytest.approx(0.0)
    assert held[9.0] - held[6.0] == pytest.approx(3.0 - 0.5 - 0.3, abs=0.5)
