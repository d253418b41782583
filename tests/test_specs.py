"""Spec files: the catalog loads, a user's own file loads the same way, and a bad file gets an
error naming the file, the key at fault and the valid choices."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from posecheck.errors import InputError
from posecheck.metrics import get_metric
from posecheck.specs import CATALOG_DIR, SpecError, catalog, get_stretch, load_spec, parse_spec

TEMPLATE = CATALOG_DIR / "01_kneeling_hip_flexor.toml"


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = TEMPLATE.read_text()
    assert old in text, old
    path = tmp_path / "mine.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_catalog_loads_with_unique_ids_and_every_check_has_its_cues() -> None:
    specs = catalog()
    assert "kneeling-hip-flexor" in specs
    for spec in specs.values():
        assert spec.checks and spec.entry and spec.setup
        for check in spec.checks:
            assert (check.target.min is None) or check.cue_low
            assert (check.target.max is None) or check.cue_high


def test_a_users_own_file_loads_like_the_catalog(tmp_path: Path) -> None:
    path = edited(tmp_path, 'id = "kneeling-hip-flexor"', 'id = "my-hip-flexor"')
    mine = get_stretch(str(path))
    assert mine.id == "my-hip-flexor"
    assert replace(mine, id="kneeling-hip-flexor") == get_stretch("kneeling-hip-flexor")


def test_a_users_file_may_not_take_a_shipped_id(tmp_path: Path) -> None:
    # Its sessions would be stored under the shipped stretch and mixed into its trends.
    path = tmp_path / "mine.toml"
    shutil.copy(TEMPLATE, path)
    with pytest.raises(SpecError, match=r"mine\.toml: id: 'kneeling-hip-flexor' is the id of "
                       r"the shipped stretch") as error:  # fmt: skip
        get_stretch(str(path))
    assert str(error.value).startswith(str(path))
    # The shipped file itself, named by its path, is the shipped stretch.
    assert get_stretch(str(TEMPLATE)) == get_stretch("kneeling-hip-flexor")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "hold_s = 30",
            'hold_s = 30\ncolour = "red"',
            r"spec: unknown key 'colour'; valid keys: .*camera",
        ),
        (
            'metric = "knee_angle"',
            'metric = "knee_angel"',
            r"checks\[0\]\.metric: unknown metric 'knee_angel'; valid metrics: .*knee_angle",
        ),
        (
            'limb = "front"\nmin = 50',
            'limb = "forward"\nmin = 50',
            r"checks\[0\]: unknown limb 'forward'; valid limbs: left, right, front, back",
        ),
        (
            'metric = "trunk_incline"\nmin',
            'metric = "trunk_incline"\nlimb = "left"\nmin',
            r"is not measured on one side: remove limb",
        ),
        ("min = 50\nmax = 110", "min = 110\nmax = 50", r"min \(110\) must be below max \(50\)"),
        (
            'cue_high = "Bring your front foot back',
            'note = "Bring your front foot back',
            r"unknown key 'note'",
        ),
        (
            'views = ["side", "three-quarter"]',
            'views = ["sideways"]',
            r"unknown view 'sideways'; valid views: side, front, three-quarter, any",
        ),
        ('worked = "back"\n', "", r"worked: a stretch with sides needs worked"),
        (
            "min = 10\ndescription",
            'min = "ten"\ndescription',
            r"checks\[2\]\.min: expected a number",
        ),
    ],
    ids=[
        "unknown-key",
        "metric-typo",
        "limb",
        "limb-not-allowed",
        "range",
        "cue-missing",
        "view",
        "worked",
        "number",
    ],
)
def test_bad_spec_errors_name_the_key_and_the_valid_choices(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = edited(tmp_path, old, new)
    with pytest.raises(SpecError, match=message) as error:
        load_spec(path)
    assert str(error.value).startswith(str(path))


def test_broken_toml_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("id = 'x\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(InputError, match=r"does not exist"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(InputError, match=r"Unknown stretch 'splits'; choose one of: .*kneeling"):
        get_stretch("splits")


def test_the_cli_reports_a_bad_spec_in_one_sentence(tmp_path: Path) -> None:
    path = edited(tmp_path, 'metric = "knee_angle"', 'metric = "knee_angel"')
    photo = tmp_path / "p.png"
    photo.write_bytes(b"")
    posecheck = Path(sys.executable).parent / "posecheck"
    result = subprocess.run(
        [str(posecheck), "check", str(photo), "--stretch", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "unknown metric 'knee_angel'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- moving stretches: mode, [reps], per-check views and rep words --------------------------

SQUAT = CATALOG_DIR / "02_deep_squat.toml"


def squat_edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SQUAT.read_text()
    assert old in text, old
    path = tmp_path / "squat.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_catalogs_moving_stretches_say_how_they_are_done() -> None:
    specs = catalog()
    modes = {k: s.mode for k, s in specs.items() if s.mode != "hold"}
    assert modes == {
        "deep-squat": "reps-then-hold", "cat-cow": "reps", "pelvic-tilt": "reps",
        "bridge": "hold-or-reps",
    }  # fmt: skip
    assert specs["knee-to-chest"].mode == "hold"  # held in the clip and in the articles
    goals = {k: specs[k].goal for k in modes}
    assert goals == {
        "deep-squat": "10 slow reps, then hold 30 s at the bottom",
        "cat-cow": "10 slow cycles",
        "pelvic-tilt": "10 slow reps",
        "bridge": "hold 20 s at the top, or 10 slow reps",
    }
    assert specs["knee-to-chest"].goal == "hold 30 s on each side"
    for spec in specs.values():
        for other in spec.looks_like:
            assert other.stretch in specs, (spec.id, other.stretch)


def test_the_goal_is_met_as_the_mode_says() -> None:
    squat, bridge, cat_cow = (get_stretch(i) for i in ("deep-squat", "bridge", "cat-cow"))
    assert not squat.done(30, 9) and not squat.done(29, 10) and squat.done(30, 10)
    assert bridge.done(20, 0) and bridge.done(0, 10) and not bridge.done(19, 9)
    assert cat_cow.done(0, 10) and not cat_cow.done(999, 9)


def test_a_first_format_reps_table_still_loads(tmp_path: Path) -> None:
    old = 'toward = "high"\nrest = -0.85\nreach = -0.35\nturn = 0.1\n'
    path = squat_edited(tmp_path, old, "low = -0.15\nhigh = 0.0\n")
    reps = load_spec(path).reps
    assert reps is not None
    assert (reps.toward, reps.rest, reps.reach) == ("high", -0.15, 0.0)
    assert reps.turn == pytest.approx(0.075)


def test_a_spec_without_a_mode_is_done_as_what_it_has(tmp_path: Path) -> None:
    path = squat_edited(tmp_path, 'mode = "reps-then-hold"\n', "")
    assert load_spec(path).mode == "hold-or-reps"  # a hold and reps: either counts


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('mode = "reps-then-hold"', 'mode = "both"',
         r"mode: unknown mode 'both'; valid modes: hold, reps, reps-then-hold"),
        ('mode = "reps-then-hold"', 'mode = "hold"', r"mode 'hold' has no reps"),
        ('mode = "reps-then-hold"', 'mode = "reps"', r"mode 'reps' has no hold: set hold_s"),
        ('toward = "high"', 'toward = "down"', r"reps\.toward: expected 'high' or 'low'"),
        ("reach = -0.35", "reach = -0.9", r"reach \(-0\.9\) must lie beyond rest"),
        ("turn = 0.1\n", "", r"reps: missing key 'turn'"),
        ("turn = 0.1", "turn = 0.1\ncycle = [-1, 1]", r"a cycle has two ends"),
        ("turn = 0.1", "turn = 0.1\nlow = 0", r"give either low/high/start"),
        ("target = 10", "target = 0", r"reps\.target: expected a whole number"),
        ('views = ["side"]', 'views = ["profile"]',
         r"checks\[1\]\.views: unknown view 'profile'; valid views"),
        ('rep_ok = "full depth"', 'rep_high = "too deep"', r"rep_high: the check has no max"),
        ('phase_names = ["Going down", "At the bottom", "Coming up"]',
         'phase_names = ["Down", "Up"]', r"reps\.phase_names: expected three names"),
    ],
    ids=["mode", "hold-with-reps", "reps-with-hold", "toward", "reach", "turn", "cycle",
         "mixed-formats", "target", "check-views", "rep-words", "phase-names"],
)
def test_bad_reps_keys_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = squat_edited(tmp_path, old, new)
    with pytest.raises(SpecError, match=message) as error:
        load_spec(path)
    assert str(error.value).startswith(str(path))


def test_looks_like_must_name_another_stretch_with_a_note(tmp_path: Path) -> None:
    text = (CATALOG_DIR / "12_sphinx.toml").read_text()
    path = tmp_path / "sphinx.toml"
    path.write_text(text.replace('stretch = "cobra"', 'stretch = "sphinx"'))
    with pytest.raises(SpecError, match=r"looks_like\[0\]\.stretch: a stretch cannot look like"):
        load_spec(path)
    path.write_text(text.replace("note = ", "why = "))
    with pytest.raises(SpecError, match=r"looks_like\[0\]: unknown key 'why'"):
        load_spec(path)


# --- hostile and careless specs (issue 13) -----------------------------------------------------


def _template() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(TEMPLATE.read_text())
    data["id"] = "my-hip-flexor"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(checks=[]), r"mine\.toml: checks: is empty; give at least one form "
         r"check .*or every pose in position would count as good form"),
        (lambda d: d.update(entry=[]), r"mine\.toml: entry: is empty; give at least one entry "
         r"condition .*or every pose would count as in position"),
        (lambda d: d.update(checks="none"), r"mine\.toml: checks: expected a list of tables"),
        (lambda d: d["checks"][0].update(min=250, max=260),
         r"mine\.toml: checks\[0\]\.min: 250 is outside what knee_angle can measure "
         r"\(0 to 180°\), so the limit could never be met"),
        (lambda d: d["entry"][3].update(max=-5), r"entry\[3\]\.max: -5 is outside what trunk_lean"),
        (lambda d: d.update(trends={}), r"trends: expected a list of tables"),
    ],
    ids=["no-checks", "no-entry", "checks-not-a-list", "min-250-on-an-angle", "negative-lean",
         "trends-not-a-list"],
)
def test_specs_that_would_judge_nothing_or_the_impossible_are_refused(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = _template()
    change(data)
    with pytest.raises(SpecError, match=message):
        parse_spec(data, "mine.toml")


def test_every_shipped_limit_lies_within_its_metrics_possible_values() -> None:
    for spec in catalog().values():
        for limit in [*spec.entry, *spec.checks]:
            low, high = get_metric(limit.metric).bounds
            for value in (limit.target.min, limit.target.max):
                if value is not None:
                    assert low is None or value >= low, (spec.id, limit)
                    assert high is None or value <= high, (spec.id, limit)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = edited(tmp_path, 'id = "kneeling-hip-flexor"', 'id = "my-hip-flexor"')
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Windows Notepad saves UTF-8
    assert load_spec(path).id == "my-hip-flexor"


def test_a_folder_a_fifo_and_deep_nesting_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "specs.toml"
    folder.mkdir()
    with pytest.raises(InputError, match=r"specs\.toml is a folder, not a spec file\.$"):
        get_stretch(str(folder))
    with pytest.raises(InputError, match=r"is a folder, not a spec file"):
        get_stretch(str(tmp_path))  # no .toml in the name: still a path, not an unknown id
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\), not a spec file"):
        get_stretch(str(fifo))
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecError, match=r"deep\.toml: not a usable spec file: its values are "
                       r"nested too deeply"):  # fmt: skip
        load_spec(deep)
