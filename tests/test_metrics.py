"""The measuring context and metric registry on real poses: facing, limb roles from geometry,
signed angles that keep their meaning lying down, and guidance instead of NaN."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Limb, get_metric, measure
from tests.conftest import fixture_pose
from tests.posing import hide, mirror


def test_back_thigh_of_the_kneeling_stretch_is_31_degrees_behind_the_trunk() -> None:
    ctx = Context(fixture_pose("kneeling_hip_flexor_side"))
    back = measure(ctx, "hip_extension", Limb.BACK)
    front = measure(ctx, "hip_flexion", Limb.FRONT)
    unsigned = measure(ctx, "hip_angle", Limb.BACK)
    assert back.value == pytest.approx(31.4, abs=0.5)
    assert unsigned.value == pytest.approx(149, abs=1)  # the unsigned angle cannot tell
    assert front.value is not None and front.value > 60
    assert back.vertex is not None and back.landmarks


def test_roles_follow_geometry_not_labels() -> None:
    pose = fixture_pose("kneeling_hip_flexor_side")
    ctx, flipped = Context(pose), Context(mirror(pose))
    assert ctx.facing == -flipped.facing
    # Mirroring keeps each leg's labels, so the same labelled leg is still the back one.
    assert ctx.side_of(Limb.BACK) == flipped.side_of(Limb.BACK) == "right"
    assert ctx.side_of(Limb.FRONT) == "left"
    assert measure(flipped, "hip_extension", Limb.BACK).value == pytest.approx(
        measure(ctx, "hip_extension", Limb.BACK).value, abs=1e-6
    )


def test_facing_falls_back_to_the_feet_when_the_head_is_hidden() -> None:
    pose = fixture_pose("kneeling_hip_flexor_side")
    head = [lm for lm in Landmark if lm <= Landmark.MOUTH_RIGHT]
    assert Context(hide(pose, head)).facing == Context(pose).facing


def test_lying_on_the_back_keeps_flexion_positive() -> None:
    drawn = Context(fixture_pose("knee_to_chest_bench_side_t24_5"))
    assert drawn.lying_on_back
    # A knee pulled to the chest is deep hip flexion, not extension.
    value = measure(drawn, "hip_flexion", Limb.RAISED).value
    assert value is not None and value > 100
    for prone in ("cobra_female_side_t5_6", "sphinx_side_portrait_t9_5", "cat_cow_side_cow"):
        assert not Context(fixture_pose(prone)).lying_on_back, prone


def test_unseen_landmarks_give_guidance_not_nan() -> None:
    pose = fixture_pose("kneeling_hip_flexor_side")
    feet = [Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX]
    out = measure(Context(hide(pose, feet, out_of_frame=True)), "knee_angle", Limb.LEFT)
    assert out.value is None
    assert out.reason == "Step back or lower the camera so your feet are in view."
    hidden = measure(Context(hide(pose, feet)), "knee_angle", Limb.LEFT)
    assert hidden.reason == "Turn so the camera can see your feet: they are hidden."


def test_unknown_metric_names_list_the_valid_ones() -> None:
    with pytest.raises(KeyError, match=r"valid metrics: .*knee_angle"):
        get_metric("knee_angel")


def test_views_from_world_landmarks() -> None:
    assert Context(fixture_pose("kneeling_hip_flexor_side")).view == "side"
    assert Context(fixture_pose("standing_front_woman")).view == "front"


def test_crossed_leg_is_the_ankle_on_the_other_knee_whatever_its_height() -> None:
    """The real figure four: the crossed (left) leg's ankle sits up on the right knee, so the
    right leg is the lower one; the crossing role follows the ankle, in a mirror too."""
    pose = fixture_pose("fedb_ankle_on_the_knee_1")
    ctx = Context(pose)
    assert ctx.side_of(Limb.CROSSED) == "left"
    assert ctx.side_of(Limb.LOWER) == "right"
    side, gap = ctx.crossing
    assert side == "left" and gap == pytest.approx(0.24, abs=0.02)
    assert Context(mirror(pose)).crossing == pytest.approx(ctx.crossing)
    # Not crossed: the ankle beside the other knee in the image but a shin away in depth.
    _, apart = Context(fixture_pose("knee_to_chest_bench_side_t28_0")).crossing
    assert apart > 0.8


def test_every_metric_stays_within_its_declared_values() -> None:
    """The bounds the spec validation holds limits to (`Metric.bounds`) are values the metric
    can really take: checked on random poses, every limb role."""
    from posecheck.metrics import METRICS
    from posecheck.pose import Pose

    rng = np.random.default_rng(13)
    roles = [Limb.LEFT, Limb.RIGHT, Limb.FRONT, Limb.BACK, Limb.RAISED, Limb.LOWER, Limb.NEAR,
             Limb.FAR, Limb.DRAWN, Limb.CROSSED]  # fmt: skip
    for _ in range(60):
        normalized = rng.uniform(-0.3, 1.3, (33, 3))
        size = (int(rng.integers(50, 2000)), int(rng.integers(50, 2000)))
        pose = Pose(normalized, np.ones(33), np.ones(33), rng.uniform(-1, 1, (33, 3)), size)
        for metric in METRICS.values():
            low, high = metric.bounds
            for role in roles if metric.limb else [None]:
                value = measure(Context(pose, worked=Limb.BACK), metric.name, role).value
                if value is None:
                    continue
                assert low is None or value >= low - 1e-9, (metric.name, value)
                assert high is None or value <= high + 1e-9, (metric.name, value)


def test_every_metric_declares_the_values_it_can_take() -> None:
    from posecheck.metrics import METRICS
    from posecheck.metrics.registry import VALUE_RANGES

    missing = sorted(set(METRICS) - set(VALUE_RANGES))
    assert missing == [], f"add {missing} to VALUE_RANGES in posecheck/metrics/registry.py"
