"""The rule vocabulary: units, ranges with signed margins, one judge, one way to write a limit."""

from __future__ import annotations

import pytest

from posecheck.limits import Margins, Range, Status, Unit, judge


def test_units_write_values_and_changes_as_a_person_reads_them() -> None:
    assert Unit.DEG.text(92.4) == "92°" and Unit.RATIO.text(0.3456) == "0.35"
    assert Unit.RATIO.text(0.3456, 3) == "0.346"
    assert Unit.DEG.text(-0.3) == "0°" and Unit.RATIO.text(-0.001) == "0.00"
    assert Unit.DEG.text(-0.6) == "-1°"
    assert Unit.DEG.format_change(3.24, 40.0) == "3.2°"
    assert Unit.RATIO.format_change(0.03, 0.25) == "12 %"
    assert Unit.DEG.scale(40.0) == 1.0 and Unit.RATIO.scale(-0.25) == 0.25


@pytest.mark.parametrize(
    ("target", "words", "plain"),
    [
        (Range(50, 110), "50° to 110°", "50-110°"),
        (Range(min=10), "at least 10°", ">= 10°"),
        (Range(max=15), "at most 15°", "<= 15°"),
    ],
)
def test_one_way_to_write_a_limit(target: Range, words: str, plain: str) -> None:
    assert target.describe(Unit.DEG, words=True) == words
    assert target.describe(Unit.DEG) == plain
    assert Range(0.123, None).describe(Unit.RATIO, words=True, decimals=2) == "at least 0.12"


def test_a_positive_margin_widens_and_a_negative_one_narrows() -> None:
    target = Range(50, 110)
    assert judge(target, 47.0) == (Status.ADJUST, "low")
    assert judge(target, 47.0, margin=3.0) == (Status.OK, None)  # stays ok near the edge
    assert judge(target, 112.0) == (Status.ADJUST, "high")
    # Narrowed: inside the exact range but not yet clearly back in: still out, nearer side.
    assert judge(target, 108.0, margin=-3.0) == (Status.ADJUST, "high")
    assert judge(target, 52.0, margin=-3.0) == (Status.ADJUST, "low")
    assert judge(target, 80.0, margin=-3.0) == (Status.OK, None)
    assert judge(target, None) == (Status.UNKNOWN, None)


def test_margins_are_per_unit_and_ratio_margins_scale_with_the_reference() -> None:
    margins = Margins(deg=3.0, ratio=0.05)
    assert margins.of(Unit.DEG, 40.0) == 3.0
    assert margins.of(Unit.RATIO) == 0.05
    assert margins.of(Unit.RATIO, 0.2) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="0 or more"):
        Margins(-1.0, 0.0)
