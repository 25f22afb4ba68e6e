"""How the answer moves: sweeps agree with direct solves, breakpoints where the active set
changes, bad --vary specs are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import solve_checked

from cfe_opt import load_scenario
from cfe_opt.analysis.sweep import parse_vary, sweep
from cfe_opt.cli import main
from cfe_opt.errors import CfeOptError
from cfe_opt.scenario import with_changes

MODELS = Path(__file__).resolve().parent.parent / "models"
TALKS = MODELS / "talks_1998.yaml"
FIELD = "parties.RUS.positions.flank_acv_active.target"


def test_parse_vary():
    assert parse_vary("a.b=580:1000:140") == ("a.b", [580, 720, 860, 1000])
    assert parse_vary("a=0:1:0.25") == ("a", [0, 0.25, 0.5, 0.75, 1])
    assert parse_vary("a=1:2:5")[1] == [1]


@pytest.mark.parametrize(("spec", "phrase"), [
    ("a.b", "expected FIELD=FROM:TO:STEP"), ("a=1:2", "expected FIELD=FROM:TO:STEP"),
    ("a=x:2:1", "must be numbers"), ("a=1:2:0", "STEP must be a positive"),
    ("a=3:2:1", "TO must not be below FROM"), ("a=0:100000:1", "at most"),
])
def test_parse_vary_errors(spec, phrase):
    with pytest.raises(CfeOptError, match=phrase):
        parse_vary(spec)


def test_sweep_matches_direct_solves_and_marks_the_breakpoint():
    """Minimax on the flank: Russia's target T for its active ACVs against the 580 Turkey holds
    jointly with Norway. Up to 580 nobody concedes; above it they split: level (T − a)/T =
    (a − 580)/580, i.e. a = 2·580·T/(T + 580) and each deviation (T − 580)/(T + 580) — Norway's
    too, holding the position jointly — as long as that level is above Central Europe's largest
    deviation (0.0917, so for T above 697)."""
    scenario = load_scenario(TALKS, case="base")
    values = [500, 580, 1000, 2000, 2600]
    table = sweep(scenario, FIELD, values, objective="minimax")
    deviations = table.xs("deviation", level="measure")["number"].unstack("item")
    for target in values:
        expected = max(0.0, (target - 580) / (target + 580))
        for party in ("RUS", "TUR", "NOR"):
            assert deviations.loc[target, party] == pytest.approx(expected, abs=1e-6)
        direct = solve_checked(with_changes(scenario, {FIELD: target}), objective="minimax")
        assert table.loc[(target, "objective", "minimax"), "number"] == pytest.approx(
            direct.objective, abs=1e-9)
    ceiling = table.xs("ceiling", level="measure").loc[(2000, "TSCa RUS.flank acv"), "number"]
    assert ceiling == pytest.approx(2 * 580 * 2000 / 2580, abs=1e-5)
    assert table.attrs["breakpoints"] == [1000]  # the first value after Russia starts conceding


def test_sweep_marks_infeasible_values():
    """Sweeping Russia's red-line floor in the deadlock variant: feasible up to Turkey's 580."""
    scenario = load_scenario(MODELS / "talks_1998_flank_deadlock.yaml")
    table = sweep(scenario, "parties.RUS.red_lines.flank_acv_active_floor.value",
                  [500, 580, 700])
    status = table.xs("status", level="measure")["number"].droplevel("item")
    assert list(status) == [1.0, 1.0, 0.0]


def test_sweep_unknown_field_is_an_error():
    with pytest.raises(CfeOptError, match="no such field"):
        sweep(load_scenario(TALKS), "parties.RUS.positions.nope.target", [1])


def test_sweep_command_writes_table_and_figure(tmp_path, capsys):
    code = main(["sweep", str(TALKS), "--vary", f"{FIELD}=1200:2000:400", "--out",
                 str(tmp_path), "--objective", "minimax", "--case", "base"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Breakpoints" in out
    assert (tmp_path / "sweep.csv").read_text().startswith("value,measure,item,number")
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    code = main(["sweep", str(TALKS), "--vary", "oops"])
    assert code == 2 and "FIELD=FROM:TO:STEP" in capsys.readouterr().err
