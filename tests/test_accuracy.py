"""The accuracy table (stretches and desk posture) must not get worse, and docs/ACCURACY.md must
be the script's output."""

from __future__ import annotations

import json

import pytest

from benchmarks.accuracy import (
    BASELINE,
    DOCS,
    POSTURE_ROWS,
    Outcome,
    PostureOutcome,
    fixture_pose,
    markdown,
    posture_summary,
    run,
    run_posture,
    summary,
)

SOURCE = "on the committed landmark fixtures derived from the shared media"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return run(fixture_pose)


@pytest.fixture(scope="module")
def posture() -> list[PostureOutcome]:
    return run_posture(fixture_pose)


def test_no_row_is_worse_than_the_committed_baseline(outcomes: list[Outcome]) -> None:
    baseline = json.loads(BASELINE.read_text())
    now = summary(outcomes)
    worse = []
    for stretch, before in baseline.items():
        if stretch == "posture":  # the desk posture rows, checked below
            continue
        after = now.get(stretch)
        assert after is not None, f"{stretch} vanished from the catalog"
        for key in ("recognised", "rejected", "form_agrees"):
            if after[key] < before[key]:
                worse.append(f"{stretch}: {key} {after[key]} < {before[key]}")
    assert not worse, "accuracy got worse: " + "; ".join(worse)


def test_no_posture_row_is_worse_than_the_committed_baseline(
    posture: list[PostureOutcome],
) -> None:
    baseline = json.loads(BASELINE.read_text())["posture"]
    now = posture_summary(posture)
    assert set(baseline) == set(POSTURE_ROWS), "a posture row vanished or appeared: rerun"
    worse = [
        f"{row}: {now[row]['agree']}/{now[row]['cases']} < {before['agree']}/{before['cases']}"
        for row, before in baseline.items()
        if now[row]["agree"] < before["agree"] or now[row]["cases"] < before["cases"]
    ]
    assert not worse, "posture accuracy got worse: " + "; ".join(worse)


def test_posture_rows_are_not_empty(posture: list[PostureOutcome]) -> None:
    rows = posture_summary(posture)
    assert rows["upright"]["cases"] >= 5 and rows["bad"]["cases"] >= 5
    assert rows["calibrated"]["cases"] == 3


def test_the_published_table_is_up_to_date(
    outcomes: list[Outcome], posture: list[PostureOutcome]
) -> None:
    published = (DOCS / "ACCURACY.md").read_text()
    assert published.startswith("# Accuracy")
    fresh = markdown(outcomes, SOURCE, posture)
    # The media run writes the same numbers with another source line: compare the tables.
    assert published.split("## Stretches", 1)[1] == fresh.split("## Stretches", 1)[1], (
        "docs/ACCURACY.md is stale: run `.venv/bin/python -m benchmarks.accuracy`"
    )


def test_every_catalog_stretch_has_real_cases(outcomes: list[Outcome]) -> None:
    rows = summary(outcomes)
    for stretch, row in rows.items():
        assert row["negatives"] > 0, f"{stretch} is never tested against other poses"
