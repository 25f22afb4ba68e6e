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
# the sweep's mechanics (invalid values, defaults, paths, figures) on the frozen pre-issue-7
# talks files, hand-derived there
FROZEN = Path(__file__).resolve().parent / "fixtures" / "talks_1998_before_issue_7"
OLD_TALKS = FROZEN / "talks_1998.yaml"
OLD_FIELD = "parties.RUS.positions.flank_acv.target"


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
    found = sweep(scenario, FIELD, values, objective="minimax")
    table = found.table
    deviations = table.xs("deviation", level="measure")["number"].unstack("item")
    concessions = table.xs("concession", level="measure")["number"].unstack("item")
    for target in values:
        expected = max(0.0, (target - 580) / (target + 580))
        for party in ("RUS", "TUR", "NOR"):
            assert deviations.loc[target, party] == pytest.approx(expected, abs=1e-6)
        a = 2 * 580 * target / (target + 580) if target > 580 else target
        assert concessions.loc[target, "RUS.flank_acv_active"] == pytest.approx(
            max(0, target - a), abs=1e-5)
        assert concessions.loc[target, "TUR.no_new_flank_numbers_acv"] == pytest.approx(
            max(0, a - 580), abs=1e-5)
        direct = solve_checked(with_changes(scenario, {FIELD: target}), objective="minimax")
        assert found.points.loc[target, "objective"] == pytest.approx(direct.objective,
                                                                      abs=1e-9)
    ceiling = table.xs("ceiling", level="measure").loc[(2000, "TSCa RUS.flank acv")]
    assert ceiling["number"] == pytest.approx(2 * 580 * 2000 / 2580, abs=1e-5)
    assert ceiling["unit"] == "ACVs"
    assert table.xs("concession", level="measure").loc[
        (2000, "RUS.flank_acv_active"), "unit"] == "ACVs"
    # the active set changes where Russia starts conceding: exactly at 580 (by bisection),
    # not at the first swept value after it
    first = found.breakpoints.iloc[0]
    assert first["at"] == pytest.approx(580, abs=1e-3) and first["kind"] == "exact"
    # just above 580 Central Europe's 0.0917 sets the level, and the weighted stage prices a
    # unit of Russia's miss at 1/T and of the joint position's at 1/580, a tie at T = 580: which
    # side concedes first there is the tie-break's; one of the two does
    assert any(f"concedes on {name}" in first["entered"]
               for name in ("flank_acv_active", "no_new_flank_numbers_acv"))


def test_breakpoint_between_grid_values_is_located_exactly():
    """Weighted, Russia's target from 500 by 100: the old report gave the first grid value
    after the change (600); the change is at 580 itself, where Russia starts to concede."""
    found = sweep(load_scenario(TALKS, case="base"), FIELD, list(range(500, 3001, 100)))
    row = found.breakpoints.iloc[0]
    assert row["at"] == pytest.approx(580, abs=1e-3)
    assert row["after"] == pytest.approx(580, abs=1e-3) and 580 < row["before"] <= 580 + 1e-3


def test_sweep_marks_infeasible_values_and_keeps_going():
    """Sweeping Russia's red-line floor (a whole number) in the deadlock variant: feasible up
    to Turkey's 580, no package from 581; both changes located."""
    scenario = load_scenario(MODELS / "talks_1998_flank_deadlock.yaml")
    found = sweep(scenario, "parties.RUS.red_lines.flank_acv_active_floor.value",
                  [500, 580, 700])
    assert list(found.points["status"]) == ["optimal", "optimal", "infeasible"]
    assert found.points.loc[700, "reason"] == "no package meets every hard limit"
    assert 700 not in found.table.index.get_level_values("value")  # no rows, no zeros
    last = found.breakpoints.iloc[-1]
    assert (last["after"], last["before"], last["kind"]) == (580, 581, "whole")
    assert last["entered"] == "no package meets every hard limit"


def test_an_invalid_value_is_recorded_and_the_sweep_goes_on():
    """ETD variant: Russia's target may not pass its stated range max 1,883."""
    scenario = load_scenario(FROZEN / "talks_1998_etd.yaml")
    field = "parties.RUS.positions.central_europe_permitted_tanks.target"
    found = sweep(scenario, field, [1800, 1900, 1850])
    assert list(found.points["status"]) == ["optimal", "invalid", "optimal"]
    reason = found.points.loc[1900, "reason"]
    assert "central_europe_permitted_tanks" in reason and "1883" in reason
    assert set(found.table.index.get_level_values("value")) == {1800, 1850}


def test_a_field_left_at_its_default_can_be_swept():
    """parties.TUR.weight is not written in the file (default 1). Minimax with Turkey's weight
    w ≥ 1: (2000 − F)/2000 = w(F − 1380)/1380, F = 2000·1380(1 + w)/(1380 + 2000w); what
    Russia concedes is shown in ACVs (2000 − F), not in a measure holding w."""
    found = sweep(load_scenario(OLD_TALKS), "parties.TUR.weight", [1, 2, 4], objective="minimax")
    concessions = found.table.xs("concession", level="measure")["number"].unstack("item")
    for w in (1, 2, 4):
        flank = 2000 * 1380 * (1 + w) / (1380 + 2000 * w)
        assert concessions.loc[w, "RUS.flank_acv"] == pytest.approx(2000 - flank, abs=1e-4)
        assert concessions.loc[w, "TUR.flank_acv_no_rise"] == pytest.approx(flank - 1380,
                                                                             abs=1e-4)
    assert found.table.attrs["field_label"] == "Turkey's weight"


@pytest.mark.parametrize(("field", "phrase"), [
    ("parties.RUS.positions.nope.target",
     "no 'nope' in parties.RUS.positions (it has flank_acv, central_europe_permitted_tanks)"),
    ("parties.RUS.positions.flank_ac.target", "(did you mean 'flank_acv'?)"),
    ("parties.TURK.weight", "no 'TURK' in parties (did you mean 'TUR'?)"),
    ("parties.TUR.wieght", "'parties.TUR' has no field 'wieght' (did you mean 'weight'?)"),
    ("parties.RUS.name", "not a number field"),
])
def test_a_wrong_field_names_the_wrong_segment(field, phrase):
    with pytest.raises(CfeOptError) as info:
        sweep(load_scenario(OLD_TALKS), field, [1])
    assert phrase in str(info.value)


def test_sweep_command_writes_its_tables_and_figure(tmp_path, capsys):
    code = main(["sweep", str(OLD_TALKS), "--vary", f"{OLD_FIELD}=1200:2000:400", "--out",
                 str(tmp_path), "--objective", "minimax"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Breakpoints" in out and "at 1,380: from here on" in out
    assert "Ceilings and deployments that move" in out and "TSC RUS.flank acv" in out
    assert "Russia: flank_acv (ACVs)" in out
    assert (tmp_path / "sweep.csv").read_text().startswith("value,measure,item,number,unit")
    assert (tmp_path / "sweep_points.csv").read_text().startswith(
        "value,status,reason,objective\n1200,optimal,,0.0\n")
    assert (tmp_path / "sweep_breakpoints.csv").read_text().startswith(
        "breakpoint,after,before,at,kind,entered,left\n")
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    code = main(["sweep", str(OLD_TALKS), "--vary", "oops"])
    assert code == 2 and "FIELD=FROM:TO:STEP" in capsys.readouterr().err


def test_sweep_figure_draws_gaps_breakpoints_and_moving_ceilings():
    """No package: a gap (NaN in the line, a shaded span named in the legend), never a point
    at 0; the breakpoint as a vertical line; the moving sub-ceiling drawn below in ACVs."""
    import matplotlib.pyplot as plt

    from cfe_opt.plots.sweep import plot_sweep

    scenario = load_scenario(FROZEN / "talks_1998_flank_deadlock.yaml")
    found = sweep(scenario, "parties.RUS.red_lines.flank_acv_floor.value",
                  [1200, 1300, 1400, 1500])
    ax = plot_sweep(found)
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("Russia: flank_acv"))
    y = list(line.get_ydata())
    assert y[:2] == [620, 620] and all(v != v for v in y[2:])  # NaN: gaps, not 0
    labels = ax.get_legend_handles_labels()[1]
    assert "no feasible package (gap)" in labels
    assert "breakpoint (active set changes)" in labels
    assert ax.get_ylabel() == "concession (ACVs)"
    plt.close(ax.figure)

    found = sweep(load_scenario(OLD_TALKS), OLD_FIELD, [1000, 1400, 2000], objective="minimax")
    ax = plot_sweep(found)
    top, bottom = ax.figure.axes
    assert [ln.get_xdata()[0] for ln in top.get_lines() if ln.get_label().startswith(
        "breakpoint")] == [1380]
    assert "Russia: flank sub-ceiling (ACVs)" in bottom.get_legend_handles_labels()[1]
    assert bottom.get_ylabel() == "ceiling (ACVs)"
    plt.close(ax.figure)


def test_sweep_figure_has_sensible_axes_when_nothing_moves():
    """Russia's target below its current 1,380: nobody concedes anything at any value."""
    import matplotlib.pyplot as plt

    from cfe_opt.plots.sweep import plot_sweep

    found = sweep(load_scenario(OLD_TALKS), OLD_FIELD, [1000, 1200])
    ax = plot_sweep(found)
    low, high = ax.get_ylim()
    assert low <= 0 <= high and high - low >= 1  # not a hair-thin band around 0
    assert "nobody concedes anything" in ax.get_legend_handles_labels()[1]
    plt.close(ax.figure)


def test_sweep_command_on_one_case_of_the_bundled_file(tmp_path, capsys):
    """``--case`` picks one case of a file with cases; Russia's active flank target swept from
    500 by 500 (weighted): the active set changes at 580 exactly (see the breakpoint test)."""
    code = main(["sweep", str(TALKS), "--vary", f"{FIELD}=500:1500:500", "--out",
                 str(tmp_path), "--case", "base"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "at 580: from here on" in out
    points = (tmp_path / "sweep_points.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in points[1:]] == [["500", "optimal"],
                                                          ["1000", "optimal"],
                                                          ["1500", "optimal"]]


@pytest.mark.parametrize(("field", "label"), [
    ("limits.crf_no_rise_tanks_artillery.values.tanks",
     "Russia's limit crf_no_rise_tanks_artillery, tanks (tanks)"),
    ("limits.flank_document_removed_oblasts_acv.value",
     "limit flank_document_removed_oblasts_acv (ACVs)"),
])
def test_a_swept_limit_is_labelled_by_its_name_owner_and_unit(field, label, tmp_path, capsys):
    """Not by its raw path: the limit's name as the analyst wrote it, its owner where that is a
    party (Russia owns its CRF no-rise pledge; the Flank Document's sub-limit is no party's),
    and the unit of its category or quantity — in the table's attrs, the terminal's first line,
    and the figure's x axis and title."""
    from cfe_opt.plots.sweep import plot_sweep

    found = sweep(load_scenario(TALKS), field, [1300, 2100])
    assert found.table.attrs["field_label"] == label
    ax = plot_sweep(found)
    axes = ax.figure.get_axes()
    assert label in [a.get_xlabel() for a in axes]
    assert field not in " ".join(a.get_xlabel() for a in axes)
    assert any(label in t.get_text() for t in ax.figure.texts + [a.title for a in axes])
    assert main(["sweep", str(TALKS), "--vary", f"{field}=1300:2100:800", "--out",
                 str(tmp_path / "s")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"Sweep of {label} ({field}): 1,300 to 2,100")
