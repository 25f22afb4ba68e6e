"""The bundled 1998 scenarios: each validates, solves (or is infeasible as designed), passes the
independent checker, and gives the answers derived by hand below."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import solve_checked

from cfe_opt import load_scenario, solve, verify
from cfe_opt.io import csv_text

MODELS = Path(__file__).resolve().parent.parent / "models"
FEASIBLE = ["talks_1998.yaml", "talks_1998_moscow_figure.yaml", "talks_1998_mandated_cuts.yaml",
            "talks_1998_etd.yaml"]


@pytest.fixture(scope="module")
def talks():
    return load_scenario(MODELS / "talks_1998.yaml")


@pytest.mark.parametrize("name", FEASIBLE)
@pytest.mark.parametrize("objective", ["weighted", "minimax", "lexicographic"])
def test_bundled_scenarios_solve_and_pass_the_checker(name, objective):
    scenario = load_scenario(MODELS / name)
    result = solve_checked(scenario, objective=objective)
    assert result.optimal
    report = verify(scenario, result)
    assert report.ok, report.summary()
    assert report.checked > 50


def _achieved(result, party, position):
    return result.positions.loc[(party, position), "achieved"]


def test_talks_weighted_flank_goes_to_turkey_and_norway(talks):
    # Flank ACV sub-ceiling x: RUS wants x ≥ 2000 (scale 2000), TUR and NOR x ≤ 1380 (scale
    # 1380 each). Weighted: moving x up by 1 costs 2/1380 and saves 1/2000 → x = 1380, and RUS's
    # normalised shortfall 620/2000 = 0.31 is the whole objective (everything else can be met).
    result = solve_checked(talks)
    assert _achieved(result, "RUS", "flank_acv") == pytest.approx(1380)
    assert result.objective == pytest.approx(0.31, abs=1e-9)


def test_talks_minimax_splits_the_flank(talks):
    # Minimax: (2000 - x)/2000 = (x - 1380)/1380 → x = 2·2000·1380/3380 = 1633.136…
    result = solve_checked(talks, objective="minimax")
    x = 2 * 2000 * 1380 / 3380
    assert _achieved(result, "RUS", "flank_acv") == pytest.approx(x, abs=1e-5)
    assert result.objective == pytest.approx((2000 - x) / 2000, abs=1e-6)  # the level
    # stage 2 is the weighted sum with the level held: RUS + TUR + NOR deviations
    assert result.stages[1].objective == pytest.approx(3 * (2000 - x) / 2000, abs=1e-6)


def test_talks_central_europe_fits_one_basic_deployment(talks):
    # Poland goes from 1,730 to its own floor 1,577; one basic deployment of 153 tanks on top
    # keeps permitted levels at 1,730 — Russia's assumed acceptable level.
    result = solve_checked(talks)
    national = result.allocation.xs("total", level="area")
    assert national.loc[("POL", "tanks"), "territorial_ceiling"] == pytest.approx(1577)
    assert national.loc[("POL", "tanks"), "temporary_deployment"] == pytest.approx(153)
    assert result.positions["deviation"].drop(("RUS", "flank_acv")).abs().max() < 1e-6


def test_talks_nato_ceilings_are_the_january_1999_proposal(talks):
    result = solve_checked(talks)
    national = result.allocation.xs("total", level="area")
    expected = {("USA", "tanks"): 1812, ("USA", "acv"): 3037, ("USA", "artillery"): 1553,
                ("NATO_OTHERS", "tanks"): 19096 - 1812, ("NATO_OTHERS", "acv"): 31787 - 3037,
                ("NATO_OTHERS", "artillery"): 19529 - 1553}
    for key, value in expected.items():
        assert national.loc[key, "national_ceiling"] == pytest.approx(value)
    # NATO's proposal needs no actual cuts: holdings stay as they are
    assert national["reduction"].fillna(0).abs().max() == 0


def test_mandated_cut_spreads_to_germany():
    # Poland's TC is mandated at 1,577 (a cut share of 153/1730); equal treatment makes
    # Germany's share at least as large: 4,704 · 1577/1730.
    scenario = load_scenario(MODELS / "talks_1998_mandated_cuts.yaml")
    result = solve_checked(scenario)
    national = result.allocation.xs("total", level="area")
    assert national.loc[("DEU", "tanks"), "territorial_ceiling"] == pytest.approx(
        4704 * 1577 / 1730, abs=1e-5)
    binding = result.constraints[result.constraints["binding"]]
    assert "equal_treatment.USA.no_separate_rules_for_new_members.POL.DEU.tanks" in binding.index


def test_flank_deadlock_is_infeasible_and_russia_concedes_620():
    scenario = load_scenario(MODELS / "talks_1998_flank_deadlock.yaml")
    result = solve(scenario)
    assert result.status.value == "infeasible"
    concession = result.concession
    # moving Russia's floor by 620 beats moving both Turkey's and Norway's caps by 620 each
    assert list(concession.index) == ["limit.RUS.flank_acv_floor"]
    row = concession.iloc[0]
    assert (row.owner, row.kind, row.sense, row.rhs, row.relaxed_rhs) == (
        "RUS", "red_line", ">=", 2000, 1380)


def test_moscow_figure_widens_the_gap():
    base = solve_checked(load_scenario(MODELS / "talks_1998.yaml"), objective="minimax")
    higher = solve_checked(load_scenario(MODELS / "talks_1998_moscow_figure.yaml"),
                           objective="minimax")
    assert higher.stages[0].objective > base.stages[0].objective
    x = 2 * 2800 * 1380 / (2800 + 1380)  # (2800 - x)/2800 = (x - 1380)/1380
    assert _achieved(higher, "RUS", "flank_acv") == pytest.approx(x, abs=1e-5)


def test_assumptions_are_listed(talks):
    result = solve_checked(talks)
    assert any("stationed.NATO_OTHERS.tanks" in a for a in result.assumptions)
    assert any("RUS.positions.central_europe_permitted_tanks" in a for a in result.assumptions)


def test_same_scenario_gives_byte_identical_tables(talks):
    first = solve_checked(talks)
    second = solve_checked(load_scenario(MODELS / "talks_1998.yaml"))
    for name, frame in first.tables().items():
        assert csv_text(frame) == csv_text(second.tables()[name]), name


def test_cbc_agrees_with_highs(talks):
    pytest.importorskip("pulp")
    from cfe_opt.errors import SolverError
    from cfe_opt.solve.cbc import make_cbc

    try:
        make_cbc(integer=False)
    except SolverError:
        pytest.skip("CBC is not installed")
    highs = solve_checked(talks, objective="minimax")
    cbc = solve_checked(talks, objective="minimax", solver="cbc")
    assert verify(talks, cbc).ok
    assert cbc.objective == pytest.approx(highs.objective, abs=1e-6)
    # CBC runs as a separate program and hands back values as text with ~8 significant
    # digits, so the held optima are looser: agreement to a hundredth of a unit.
    diff = (cbc.positions["achieved"] - highs.positions["achieved"]).abs().max()
    assert diff < 1e-2


def test_integer_mode_gives_whole_numbers(talks):
    result = solve_checked(talks, objective="minimax", integer=True)
    assert result.optimal
    assert verify(talks, result).ok  # the checker also checks integrality
    values = result.allocation.select_dtypes("number").to_numpy().ravel()
    values = values[~(values != values)]
    assert all(abs(v - round(v)) < 1e-6 for v in values)
    assert math.isnan(result.constraints["shadow_price"].iloc[0])
    # the best whole flank figure under minimax is 1,633 (the LP optimum is 1,633.14)
    assert _achieved(result, "RUS", "flank_acv") == pytest.approx(1633)
