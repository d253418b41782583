"""Figure four (piriformis) stretch. One real example: fedb_ankle_on_the_knee_1 (supine, pulled
in, left ankle on the right knee, head and shoulders curled up: in position, faulty). A good-form
pose is built from the nearest real supine pose (knee_to_chest_bench_side_t28_0: lying on the
back, left knee drawn in, right foot on the bench) by lifting the left shin level and folding the
right leg so its ankle rests on the left knee, in the image and in the world landmarks; then one
synthetic fault per check, the crossing gap's use of pixels and depth, other poses rejected
(that real pose among them: in the image its left ankle sits beside the right knee, in depth it
does not; and the real band hamstring photos), hidden landmarks unknown, and a hold timer that
counts only good-form time."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.coach import Coach, CoachSettings
from posecheck.landmarks import Landmark
from posecheck.metrics import Context
from posecheck.pose import Pose
from posecheck.rules import Status, evaluate
from posecheck.specs import CATALOG_DIR, StretchSpec, load_spec
from tests.conftest import fixture_pose, load_landmark_fixture
from tests.posing import (
    HEAD,
    adjusting,
    assert_good,
    assert_not_in_position,
    assert_only,
    hide,
    part,
    play,
    rotate,
    value_of,
    verdict,
)

SHIN = ("ankle", "heel", "foot_index")
LEFT_SHIN = [part("left", p) for p in SHIN]
RIGHT_SHIN = [part("right", p) for p in SHIN]
#: Face, shoulders, arms and hands: rotating these about a hip curls the trunk up.
UPPER_BODY = [Landmark(i) for i in range(23)]


def with_world(pose: Pose, moved: dict[Landmark, np.ndarray]) -> Pose:
    """The pose with some world landmarks (metres) replaced."""
    assert pose.world is not None
    world = pose.world.copy()
    for landmark, xyz in moved.items():
        world[landmark] = xyz
    return Pose(
        pose.normalized,
        pose.visibility,
        pose.presence,
        world,
        pose.image_size,
        pose.timestamp_ms,
        pose.people,
    )


def rest_right_ankle_on_left_knee(pose: Pose, offset: tuple[float, float, float]) -> Pose:
    """Put the right ankle, heel and toes at the left knee in the world landmarks, `offset`
    metres away from it (the image landmarks already show it there)."""
    assert pose.world is not None
    knee = pose.world[part("left", "knee")] + np.asarray(offset)
    moved = {lm: knee + (pose.world[lm] - pose.world[part("right", "ankle")]) for lm in RIGHT_SHIN}
    return with_world(pose, moved)


@pytest.fixture(scope="module")
def spec() -> StretchSpec:
    return load_spec(CATALOG_DIR / "14_figure_four.toml")


@pytest.fixture(scope="module")
def pose() -> Pose:
    """Substitute: left (supporting) shin lifted level (+20 about the knee), right leg folded
    (thigh +12 about the hip, shin -153 about the knee) so that its ankle lands on the left
    knee in the image, and put there in depth too (5 cm below the knee)."""
    p = rotate(fixture_pose("knee_to_chest_bench_side_t28_0"), part("left", "knee"), LEFT_SHIN, 20)
    p = rotate(p, part("right", "hip"), [part("right", "knee"), *RIGHT_SHIN], 12)
    p = rotate(p, part("right", "knee"), RIGHT_SHIN, -153)
    return rest_right_ankle_on_left_knee(p, (0.0, 0.05, 0.0))


# --- the substitute pose -----------------------------------------------------------------------


def test_substitute_is_the_stretch_in_good_form_on_the_crossed_right_leg(
    spec: StretchSpec, pose: Pose
) -> None:
    image_gap = np.linalg.norm(
        pose.pixels[part("right", "ankle"), :2] - pose.pixels[part("left", "knee"), :2]
    )
    assert image_gap < 3  # pixels
    assert value_of(spec, pose, "thigh-drawn-in") == pytest.approx(71.4, abs=0.5)
    assert_good(spec, pose)
    assert evaluate(spec, pose).side == "right"
    assert_good(spec, pose, side="right")


def test_real_ankle_beside_the_knee_only_in_the_image_is_not_crossed(spec: StretchSpec) -> None:
    real = fixture_pose("knee_to_chest_bench_side_t28_0")
    evaluation = evaluate(spec, real)
    assert not evaluation.in_position
    assert spec.entry[2].cue in evaluation.setup_cues


# --- the real photo ------------------------------------------------------------------------------


def test_real_photo_is_in_position_on_the_crossed_left_leg_with_head_and_shoulders_up(
    spec: StretchSpec,
) -> None:
    """fedb_ankle_on_the_knee_1: the crossing gap read 0.68 (full 3D over the crossed leg's
    own, foreshortened shin) and failed the entry; pixels across the image and world depth
    over the longer shin read 0.24. Head and shoulders curled up: the trunk is lifted 17.7, the
    neck against it only 25.7, so the fault is shoulders-down, not the neck's head-down."""
    real = fixture_pose("fedb_ankle_on_the_knee_1")
    evaluation = evaluate(spec, real)
    assert evaluation.in_position, evaluation.setup_cues
    assert evaluation.side == "left"  # the crossed leg, not the lower one (the supporting)
    assert value_of(spec, real, "ankle-on-knee") == pytest.approx(0.24, abs=0.02)
    assert value_of(spec, real, "thigh-drawn-in") == pytest.approx(80.0, abs=0.5)
    assert value_of(spec, real, "shoulders-down") == pytest.approx(17.7, abs=0.2)
    assert verdict(spec, real, "head-down").status is Status.OK
    assert_only(spec, real, "shoulders-down", "high")
    assert not evaluation.form_ok
    assert evaluation.cues == (spec.check("shoulders-down").cue_for("high"),)
    assert evaluation.cues[0].startswith("Head and shoulders down")


@pytest.mark.parametrize("name", ["fedb_hamstring_stretch_1", "fedb_hamstring_stretch_0"])
def test_real_band_hamstring_photos_are_not_crossed(spec: StretchSpec, name: str) -> None:
    evaluation = evaluate(spec, fixture_pose(name))
    assert spec.entry[2].cue in evaluation.setup_cues
    assert_not_in_position(spec, fixture_pose(name))


# --- the crossing gap: pixels across the image, world landmarks only for depth ------------------


def test_world_x_and_y_do_not_move_the_crossing_gap(spec: StretchSpec, pose: Pose) -> None:
    """MediaPipe's 3D skeleton put the real crossed ankle 0.16 m off the knee across the image
    plane where the pixels show it on the knee; only its depth counts."""
    assert pose.world is not None
    ankle = pose.world[part("right", "ankle")]
    moved = with_world(pose, {part("right", "ankle"): ankle + np.array([0.15, -0.1, 0.0])})
    assert value_of(spec, moved, "ankle-on-knee") == pytest.approx(
        value_of(spec, pose, "ankle-on-knee"), abs=1e-9
    )
    assert_good(spec, moved)


def test_foreshortened_crossed_shin_does_not_inflate_the_gap(spec: StretchSpec) -> None:
    """Each part of the gap is divided by the longer shin: MediaPipe's 3D already makes the
    real crossed shin the shorter one (0.26 m against 0.39 m), and shortening it further
    (its knee moved halfway to the ankle across the image plane, depth kept) changes nothing;
    over the crossed shin's own length the depth part would double."""
    real = fixture_pose("fedb_ankle_on_the_knee_1")
    assert real.world is not None
    knee, ankle = real.world[part("left", "knee")], real.world[part("left", "ankle")]
    short = with_world(real, {part("left", "knee"): ankle + (knee - ankle) * [0.5, 0.5, 1.0]})
    assert value_of(spec, short, "ankle-on-knee") == pytest.approx(
        value_of(spec, real, "ankle-on-knee"), abs=1e-9
    )
    assert evaluate(spec, short).in_position


def test_depth_alone_tells_resting_on_the_knee_from_held_off_it(
    spec: StretchSpec, pose: Pose
) -> None:
    """Same pixels, the crossed ankle moved along the camera axis only: on the knee it is good
    form, 15 cm nearer the camera it is still crossed and told to rest on the thigh. (A shin
    away in depth is not crossed at all: the real knee_to_chest_bench_side_t28_0 above.)"""
    assert_good(spec, rest_right_ankle_on_left_knee(pose, (0.0, 0.05, 0.0)))
    off = rest_right_ankle_on_left_knee(pose, (0.0, 0.05, -0.15))
    assert 0.35 < value_of(spec, off, "ankle-on-knee") < 0.6
    assert_only(spec, off, "ankle-on-knee", "high")


# --- one synthetic fault per check and direction --------------------------------------------


def test_ankle_off_the_knee_fires_only_ankle_on_knee(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "ankle-on-knee").status is Status.OK
    off = rest_right_ankle_on_left_knee(pose, (0.0, 0.05, 0.25))  # 25 cm off in depth
    assert 0.35 < value_of(spec, off, "ankle-on-knee") < 0.6
    assert_only(spec, off, "ankle-on-knee", "high")


def test_supporting_thigh_not_drawn_in_fires_only_thigh_drawn_in(
    spec: StretchSpec, pose: Pose
) -> None:
    assert verdict(spec, pose, "thigh-drawn-in").status is Status.OK
    # The supporting leg swings away from the chest and the crossed ankle goes with its knee.
    away = rotate(pose, part("left", "hip"), [part("left", "knee"), *LEFT_SHIN, *RIGHT_SHIN], -30)
    assert_only(spec, away, "thigh-drawn-in", "high")


def test_head_curled_up_fires_only_head_down(spec: StretchSpec, pose: Pose) -> None:
    assert verdict(spec, pose, "head-down").status is Status.OK
    assert_only(spec, rotate(pose, part("right", "shoulder"), HEAD, -55), "head-down", "high")


def test_shoulders_curled_up_fires_only_shoulders_down(spec: StretchSpec, pose: Pose) -> None:
    """Head at image left: turning the upper body clockwise about the hip lifts it."""
    assert verdict(spec, pose, "shoulders-down").status is Status.OK
    curled = rotate(pose, part("left", "hip"), UPPER_BODY, -15)
    assert value_of(spec, curled, "shoulders-down") > 10
    assert_only(spec, curled, "shoulders-down", "high")
    # Turned the other way the shoulders are only lower than the hips: not a curl.
    assert_good(spec, rotate(pose, part("left", "hip"), UPPER_BODY, 8))


# --- other poses are not this stretch ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "knee_to_chest_bench_side_t24_5",
        "knee_to_chest_bench_side_t10_5",
        "knee_to_chest_bench_side_t6_5",
        "bridge_side_physio_t0_0",
        "bridge_side_physio_t2_0",
        "bent_leg_twist_supine_t16_0",
        "tree_02",
        "tree_04",
        "seated_spinal_twist_t6_0",
        "side_man_sitting_chair",
        "standing_side_upright_woman",
        "downdog_side_pragya",
        "cobra_female_side_t5_6",
        "childs_pose_side",
        "fire_hydrant_allfours_t10_7",
        "fedb_pelvic_tilt_into_bridge_0",
        "fedb_piriformis_smr_0",
        "fedb_it_band_and_glute_stretch_1",
        "fedb_lying_crossover_0",
        "fedb_lying_crossover_1",
        "fedb_seated_glute_0",
    ],
)
def test_other_poses_are_not_in_position(spec: StretchSpec, name: str) -> None:
    assert_not_in_position(spec, fixture_pose(name))


def test_partner_assisted_seated_figure_four_is_judged_on_the_partner_and_rejected(
    spec: StretchSpec,
) -> None:
    """fedb_seated_glute_0/_1: a man sits in a figure four while a standing partner pushes his
    shoulders. The landmarker finds two people and keeps the larger body, the partner: its
    ankles are far below its hips (standing), not level with them (sitting on the mat). Not
    solved here; the check only must not take the partner for the stretch."""
    for name in ("fedb_seated_glute_0", "fedb_seated_glute_1"):
        assert load_landmark_fixture(name)["people"] == 2
        pose = fixture_pose(name)
        ctx = Context(pose)
        ankles_below_hips = float(ctx.mid("ANKLE")[1] - ctx.mid("HIP")[1])
        assert ankles_below_hips > ctx.trunk_length, name
        assert_not_in_position(spec, pose)


# --- half visible -------------------------------------------------------------------------------


def test_hidden_supporting_knee_is_unknown_with_guidance(spec: StretchSpec, pose: Pose) -> None:
    evaluation = evaluate(spec, hide(pose, [part("left", "knee")]))
    assert not evaluation.in_position
    assert "Turn so the camera can see your knees: they are hidden." in evaluation.setup_cues
    for check_id in ("ankle-on-knee", "thigh-drawn-in"):
        check = next(v for v in evaluation.verdicts if v.check.id == check_id)
        assert check.status is Status.UNKNOWN
    assert adjusting(evaluation) == {}


def test_no_world_landmarks_is_unknown_not_a_guess(spec: StretchSpec, pose: Pose) -> None:
    flat = Pose(pose.normalized, pose.visibility, pose.presence, None, pose.image_size)
    evaluation = evaluate(spec, flat)
    assert not evaluation.in_position
    assert any("3D" in cue for cue in evaluation.setup_cues)


# --- hold timer ---------------------------------------------------------------------------------


def test_hold_counts_only_good_form_time(spec: StretchSpec, pose: Pose) -> None:
    away = rotate(pose, part("left", "hip"), [part("left", "knee"), *LEFT_SHIN, *RIGHT_SHIN], -30)
    # The worked side follows the crossing leg (the ankle nearest the other knee), so it stays
    # the right one when the supporting thigh swings away with the crossed ankle on its knee.
    # (It used to follow the lower leg, which turned into the supporting one here.)
    assert evaluate(spec, away).side == "right"
    coach = Coach(spec, side="right", settings=CoachSettings(smoothing=False))
    runs = play(coach, [(pose, 40), (away, 30), (pose, 30)])
    held = [results[-1].hold_s for results in runs]
    result = runs[-1][-1]
    assert held[0] == pytest.approx(3.4, abs=0.25)
    assert held[1] - held[0] <= 0.45
    assert held[2] - held[1] == pytest.approx(2.7, abs=0.35)
    assert set(result.hold_by_side) == {"right"}
