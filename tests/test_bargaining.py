"""Bargaining solutions on tiny scenarios, derived by hand.

Notation as in ``tests/test_optima.py``: x = NC(AAA, tanks), y = NC(AAA, artillery); D_p is
party p's weighted normalised deviation, I_p its ideal, W_p its worst (payoff-table nadir),
g_p = W_p − D_p its gain. A shortfall is divided by ``target − range.min`` (or ``scale``), an
excess by ``range.max − target``; with neither, by max(|target|, 1).

Nash tolerances: where the Nash point is derived in closed form, the package is only
guaranteed to be within the stated bound b of the optimal Σ ln g (``nash_error_bound``); each
test turns b into a tolerance on the deviations in its docstring.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make
from matplotlib.colors import to_hex

import cfe_opt.plots  # noqa: F401  (headless backend first)
from cfe_opt import CfeOptError, InfeasibleError, check, load_scenario
from cfe_opt.analysis.bargaining import (
    bargaining_solutions,
    nash_breakpoints,
    solve_bargaining,
    tangent_gap,
)
from cfe_opt.plots._common import party_colours
from cfe_opt.plots.bargaining import plot_bargaining

ROOT = Path(__file__).resolve().parent.parent
EPS = 1e-6


def approx(value: float, abs: float = EPS) -> Any:
    return pytest.approx(value, abs=abs)


def q(of: str, parties: list[str], categories: list[str]) -> dict[str, Any]:
    return {"of": of, "parties": parties, "categories": categories}


def position(quantity: dict[str, Any], direction: str, target: float, **extra: Any
             ) -> dict[str, Any]:
    return {"quantity": quantity, "direction": direction, "target": target, **extra}


NC_TANKS = q("national_ceiling", ["AAA"], ["tanks"])
NC_ART = q("national_ceiling", ["AAA"], ["artillery"])


def parties(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """AAA holds 80 tanks and 40 artillery (NC now 150, 80); BBB and CCC hold a little."""
    out: dict[str, Any] = {
        "AAA": {"name": "A", "holdings": {"tanks": 80, "artillery": 40},
                "national_ceiling": {"tanks": 150, "artillery": 80}, "positions": a},
        "BBB": {"name": "B", "holdings": {"tanks": 50, "artillery": 10}, "positions": b},
    }
    if c is not None:
        out["CCC"] = {"name": "C", "holdings": {"tanks": 10, "artillery": 10}, "positions": c}
    return out


def scenario(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any] | None = None,
             **extra: Any) -> dict[str, Any]:
    return {"name": "test", "categories": ["tanks", "artillery"], "parties": parties(a, b, c),
            **extra}


def pull_apart(c: dict[str, Any] | None = None) -> dict[str, Any]:
    """A wants x ≤ 100 (excess scale 100), B wants x ≥ 200 (shortfall scale 200)."""
    return scenario({"low": position(NC_TANKS, "at_most", 100)},
                    {"high": position(NC_TANKS, "at_least", 200)}, c)


def x_of(result: Any, solution: str) -> float:
    return float(result.allocation.at[(solution, "AAA", "total", "tanks"), "national_ceiling"])


def y_of(result: Any, solution: str) -> float:
    return float(result.allocation.at[(solution, "AAA", "total", "artillery"),
                                      "national_ceiling"])


def assert_checked(data: Any, result: Any) -> None:
    """Every solution's package passes the independent checker."""
    for solution in result.allocation.index.unique("solution"):
        report = check(data, *result.package(solution))
        assert report.ok, f"{solution}: {report.summary()}"


def outcome(table: Any, party: str, solution: str, column: str = "deviation") -> float:
    return float(table.at[(party, solution), column])


# ---- the tangent envelope ---------------------------------------------------------------------
@pytest.mark.parametrize("ratio", [1.01, 1.3, 2.0, 5.0])
def test_tangent_gap_is_the_largest_gap_between_two_tangents(ratio):
    """δ(r) = ρ − 1 − ln ρ, ρ = r ln r/(r − 1): checked against min(T_a, T_ra) − ln on a fine
    grid over [a, r·a] (a = 3; the gap does not depend on a)."""
    a = 3.0
    g = np.linspace(a, ratio * a, 200_001)
    envelope = np.minimum(np.log(a) + (g - a) / a, np.log(ratio * a) + (g - ratio * a)
                          / (ratio * a))
    on_grid = float((envelope - np.log(g)).max())  # the grid misses the crossing by < a step
    assert on_grid <= tangent_gap(ratio) + 1e-15
    assert on_grid == pytest.approx(tangent_gap(ratio), rel=1e-5)


@pytest.mark.parametrize(("low", "high", "eps"), [(0.5, 1.0, 1e-3), (0.1, 0.3, 1e-4),
                                                  (2.0, 20.0, 0.05)])
def test_breakpoints_are_geometric_and_as_few_as_the_bound_allows(low, high, eps):
    """a_1 = low, a_K = high, constant ratio r with δ(r) ≤ ε, and one step fewer would not do."""
    points, gap = nash_breakpoints(low, high, eps)
    assert points[0] == approx(low) and points[-1] == approx(high)
    ratios = [b / a for a, b in itertools.pairwise(points)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)
    assert gap == pytest.approx(tangent_gap(ratios[0]), rel=1e-12)
    assert gap <= eps
    steps = len(points) - 1
    if steps > 1:
        assert tangent_gap((high / low) ** (1 / (steps - 1))) > eps


# ---- two parties, one number --------------------------------------------------------------------
def test_two_parties_linear_trade_off():
    """D_A = (x − 100)/100, D_B = (200 − x)/200 on 100 ≤ x ≤ 200 (outside it one party loses
    and the other gains nothing).

    Ideals I_A = I_B = 0. Payoff table: x^A minimises D_A (x ≤ 100), then D_A + D_B → x = 100,
    D_B = 0.5; x^B: x ≥ 200, then the sum → x = 200, D_A = 1. So W_A = 1, W_B = 0.5.
    * utilitarian: D_A + D_B has slope 1/100 − 1/200 > 0 → x = 100: D = (0, 0.5) (an endpoint).
    * Kalai–Smorodinsky: (x − 100)/100 / 1 = (200 − x)/200 / 0.5 → x = 150: D = (0.5, 0.25),
      both concede half of what they could.
    * Nash: g_A = (200 − x)/100, g_B = (x − 100)/200; g_A·g_B ∝ (200 − x)(x − 100), largest at
      x = 150: gains (0.5, 0.25), the midpoint of each party's possible gain.
      Σ ln g at x = 150 + h is ln((2500 − h²)/20000), short of the optimum by
      −ln(1 − h²/2500) ≥ h²/2500; within the bound b that gives |h| ≤ 50·√b, so
      |D_A − 0.5| ≤ 0.5·√b and |D_B − 0.25| ≤ 0.25·√b.
    """
    data = make(pull_apart())
    result = solve_bargaining(data)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["AAA", "BBB"]
    assert list(table.index.unique("solution")) == ["utilitarian", "kalai_smorodinsky", "nash"]
    for party, worst in (("AAA", 1.0), ("BBB", 0.5)):
        assert outcome(table, party, "nash", "ideal") == approx(0)
        assert outcome(table, party, "nash", "worst") == approx(worst)
    assert x_of(result, "utilitarian") == approx(100)
    assert outcome(table, "AAA", "utilitarian") == approx(0)
    assert outcome(table, "BBB", "utilitarian") == approx(0.5)
    assert outcome(table, "BBB", "utilitarian", "gain") == approx(0)
    assert x_of(result, "kalai_smorodinsky") == approx(150)
    assert outcome(table, "AAA", "kalai_smorodinsky") == approx(0.5)
    assert outcome(table, "BBB", "kalai_smorodinsky") == approx(0.25)
    assert outcome(table, "AAA", "kalai_smorodinsky", "concession") == approx(0.5)
    assert outcome(table, "BBB", "kalai_smorodinsky", "concession") == approx(0.5)
    bound = table.attrs["nash_error_bound"]
    assert 0 < bound <= table.attrs["nash_tolerance"] == 1e-3
    assert outcome(table, "AAA", "nash") == approx(0.5, 0.5 * math.sqrt(bound) + EPS)
    assert outcome(table, "BBB", "nash") == approx(0.25, 0.25 * math.sqrt(bound) + EPS)
    assert outcome(table, "AAA", "nash", "gain") == approx(0.5, 0.5 * math.sqrt(bound) + EPS)
    assert table.attrs["no_bargain"] == []


def test_a_party_with_nothing_to_bargain_over_gains_nothing():
    """C wants y = NC(AAA, artillery) ≤ 50 (scale 100); AAA holds 40 artillery, so every
    package of the payoff table meets it: I_C = W_C = 0, gain 0, and C is left out of the
    KS and Nash objectives. A and B get what they get without C (previous test)."""
    data = make(pull_apart({"art": position(NC_ART, "at_most", 50, scale=100)}))
    result = solve_bargaining(data)
    table = result.table
    assert_checked(data, result)
    assert table.attrs["no_bargain"] == ["CCC"]
    for solution in ("utilitarian", "kalai_smorodinsky", "nash"):
        assert outcome(table, "CCC", solution) == approx(0)
        assert outcome(table, "CCC", solution, "gain") == approx(0)
        assert math.isnan(outcome(table, "CCC", solution, "concession"))
    assert x_of(result, "kalai_smorodinsky") == approx(150)
    assert x_of(result, "utilitarian") == approx(100)


# ---- an asymmetric case: three positions, two numbers -----------------------------------------
def asymmetric() -> dict[str, Any]:
    """A wants x + y ≤ 200 (scale 100); B wants x ≥ 200 (scale 200) and y ≥ 300 (scale 50);
    hard limits x ≥ 100 and y ≥ 100."""
    both = {"terms": [NC_TANKS, NC_ART]}
    return scenario(
        {"sum": position(both, "at_most", 200, scale=100)},
        {"x": position(NC_TANKS, "at_least", 200, scale=200),
         "y": position(NC_ART, "at_least", 300, scale=50)},
        limits={
            "x_floor": {"quantity": NC_TANKS, "sense": ">=", "value": 100},
            "y_floor": {"quantity": NC_ART, "sense": ">=", "value": 100},
        })


def test_asymmetric_three_positions():
    """D_A = (x + y − 200)/100, D_B = (200 − x)/200 + (300 − y)/50 (parts clipped at 0).

    A's only ideal package is x = y = 100 (D_B = 0.5 + 4 = 4.5 = W_B); B's ideal x ≥ 200,
    y ≥ 300, then least D_A: x = 200, y = 300, D_A = 3 = W_A. I = (0, 0).
    Per unit A concedes (1/100 either way), B gains 2/100 on y but 1/200 on x, so the
    Pareto frontier raises y first: x = 100, D_A = s = (y − 100)/100 ∈ [0, 2], D_B = 4.5 − 2s;
    then x: D_A = 2 + u, D_B = 0.5 − u/2, u = (x − 100)/100 ∈ [0, 1].
    * utilitarian: D_A + D_B falls by 1/100 per unit of y and rises by 1/200 per unit of x →
      x = 100, y = 300: D = (2, 0.5).
    * Kalai–Smorodinsky: s/3 = (4.5 − 2s)/4.5 → s = 9/7: y = 100 + 900/7, D = (9/7, 27/14),
      concession 3/7 each.
    * Nash: on the y-part (3 − s)·2s is largest at s = 1.5 (value 4.5); on the x-part
      (1 − u)(4 + u/2) ≤ 4. So y = 250: D = (1.5, 1.5), gains (1.5, 3).
      Σ ln g at s = 1.5 + h is ln(2(2.25 − h²)), short by −ln(1 − h²/2.25) ≥ h²/2.25, so
      |h| ≤ 1.5·√b; the package stays on the frontier (Σ D is minimised after the Nash stage),
      so D_B = 4.5 − 2·D_A and x = 100.
    """
    data = make(asymmetric())
    result = solve_bargaining(data)
    table = result.table
    assert_checked(data, result)
    assert outcome(table, "AAA", "nash", "worst") == approx(3)
    assert outcome(table, "BBB", "nash", "worst") == approx(4.5)
    assert (x_of(result, "utilitarian"), y_of(result, "utilitarian")) == (approx(100),
                                                                         approx(300))
    assert outcome(table, "AAA", "utilitarian") == approx(2)
    assert outcome(table, "BBB", "utilitarian") == approx(0.5)
    assert x_of(result, "kalai_smorodinsky") == approx(100)
    assert y_of(result, "kalai_smorodinsky") == approx(100 + 900 / 7)
    assert outcome(table, "AAA", "kalai_smorodinsky") == approx(9 / 7)
    assert outcome(table, "BBB", "kalai_smorodinsky") == approx(27 / 14)
    assert outcome(table, "BBB", "kalai_smorodinsky", "concession") == approx(3 / 7)
    bound = table.attrs["nash_error_bound"]
    d_a = outcome(table, "AAA", "nash")
    assert d_a == approx(1.5, 1.5 * math.sqrt(bound) + EPS)
    assert outcome(table, "BBB", "nash") == approx(4.5 - 2 * d_a)
    assert x_of(result, "nash") == approx(100)


# ---- the Nash approximation against a fine grid ------------------------------------------------
def three_on_one_number() -> dict[str, Any]:
    """A wants x ≤ 100 (scale 100), B x ≥ 200 (scale 200), C x ≥ 180 (scale 80)."""
    return pull_apart({"mid": position(NC_TANKS, "at_least", 180, scale=80)})


def deviations(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"AAA": np.maximum(0, x - 100) / 100, "BBB": np.maximum(0, 200 - x) / 200,
            "CCC": np.maximum(0, 180 - x) / 80}


@pytest.mark.parametrize("tolerance", [1e-3, 0.05, 0.3])
def test_nash_within_its_bound_of_a_fine_grid(tolerance):
    """Payoff table: x^A = 100 (D = 0, 0.5, 1), x^B = 200 (D = 1, 0, 0), x^C: x ≥ 180, then
    least D_A + D_B → x = 180 (D = 0.8, 0.1, 0). So W = (1, 0.5, 1), I = 0. Every package
    outside 100 ≤ x ≤ 200 is dominated, so the reference is the best of
    Σ_p ln(W_p − D_p(x)) over 10,001 grid points on [100, 200] (the true optimum,
    (200 − x)(x − 100)² largest at x = 100 + 200/3, is smooth and inside, so a coarse
    tolerance shows a real error). The package's own Σ ln g (from its x, directly) must be
    within the stated bound of the reference, and above it by no more than the grid's own
    error (spacing 0.01 near a smooth top)."""
    data = make(three_on_one_number())
    result = solve_bargaining(data, nash_tolerance=tolerance)
    table = result.table
    assert_checked(data, result)
    worst = {"AAA": 1.0, "BBB": 0.5, "CCC": 1.0}
    for p, w in worst.items():
        assert outcome(table, p, "nash", "worst") == approx(w)
        assert outcome(table, p, "nash", "ideal") == approx(0)
    grid = np.linspace(100, 200, 10_001)
    dev = deviations(grid)
    with np.errstate(divide="ignore"):
        f_grid = sum(np.log(worst[p] - dev[p]) for p in worst)
    reference = float(f_grid.max())
    x = np.array([x_of(result, "nash")])
    f_package = float(sum(np.log(worst[p] - deviations(x)[p]) for p in worst)[0])
    bound = table.attrs["nash_error_bound"]
    assert 0 < bound <= tolerance
    assert f_package >= reference - bound - EPS
    assert f_package <= reference + 1e-4
    assert table.attrs["nash_log_product"]["at_package"] == approx(f_package, 1e-4)


# ---- errors -------------------------------------------------------------------------------------
def test_one_party_is_not_a_bargain():
    data = make(pull_apart())
    with pytest.raises(CfeOptError, match="at least two parties") as info:
        bargaining_solutions(data, parties=["AAA"])
    assert "\n" not in str(info.value)
    with pytest.raises(CfeOptError, match="unknown party"):
        bargaining_solutions(data, parties=["AAA", "ZZZ"])
    with pytest.raises(CfeOptError, match="nash_tolerance"):
        bargaining_solutions(data, nash_tolerance=0)


def test_infeasible_scenario_is_one_line():
    """AAA's tank holdings cannot rise above 80, yet a limit asks for 100."""
    data = pull_apart()
    data["limits"] = {"too_many": {"quantity": q("holdings", ["AAA"], ["tanks"]),
                                   "sense": ">=", "value": 100}}
    with pytest.raises(InfeasibleError) as info:
        bargaining_solutions(make(data))
    assert "\n" not in str(info.value)
    assert "no package" in str(info.value)


# ---- parties holding the same positions: one side --------------------------------------------
def joint(c_positions: dict[str, Any] | None = None) -> dict[str, Any]:
    """A wants x ≤ 100 (scale 100) and holds it jointly with C; B wants x ≥ 200 (scale 200).
    C holds nothing else unless ``c_positions`` says so."""
    return scenario({"low": position(NC_TANKS, "at_most", 100, scale=100, joint_with=["CCC"])},
                    {"high": position(NC_TANKS, "at_least", 200, scale=200)},
                    c_positions or {})


def test_a_co_holder_with_no_position_of_its_own_bargains_with_the_owner():
    """C holds only A's position, so D_C = D_A = (x − 100)/100 in every package: A and C are
    one side "A + C" facing B, D_B = (200 − x)/200, and the answers are those of the two-party
    test (``test_two_parties_linear_trade_off``): W = (1, 0.5); utilitarian x = 100; KS and
    Nash x = 150 (Nash within |x − 150| ≤ 50·√b)."""
    data = make(joint())
    result = solve_bargaining(data)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["AAA+CCC", "BBB"]
    assert table.attrs["parties"] == ["AAA", "CCC", "BBB"]  # by the positions' order
    assert table.attrs["sides"] == {"AAA+CCC": ["AAA", "CCC"], "BBB": ["BBB"]}
    [why] = table.attrs["merged"]
    assert why.startswith("A + C bargain as one side: they hold the same positions (A's low, "
                          "held jointly with C)")
    assert "--separate-holders" in why
    assert outcome(table, "AAA+CCC", "nash", "worst") == approx(1)
    assert outcome(table, "BBB", "nash", "worst") == approx(0.5)
    assert x_of(result, "utilitarian") == approx(100)
    assert x_of(result, "kalai_smorodinsky") == approx(150)
    assert outcome(table, "AAA+CCC", "kalai_smorodinsky") == approx(0.5)
    bound = table.attrs["nash_error_bound"]
    assert 0 < bound <= 1e-3
    assert x_of(result, "nash") == approx(150, 50 * math.sqrt(bound) + EPS)


def test_holders_apart_give_the_joint_stance_two_votes_in_the_nash_product():
    """``merge_identical=False``: A, B and C bargain apart, g_A = g_C = (200 − x)/100 and
    g_B = (x − 100)/200 (W = 1, 0.5, 1 as above; x^C = x^A = 100). Utilitarian and KS do
    not move: Σ D counts the one position once (x = 100), and C's KS row repeats A's (x = 150).
    Nash: f(x) = 2 ln(200 − x) + ln(x − 100) (+ a constant), f' = 0 at x − 100 = (200 − x)/2,
    x* = 400/3: f(x*) = ln(66⅔² · 33⅓) = ln 148,148.1. f(140) = ln(60² · 40) = ln 144,000 and
    f(127) = ln(73² · 27) = ln 143,883 are short of it by ln 1.02881 = 0.0284 and
    ln 1.02964 = 0.0292, both more than the bound b ≤ 10⁻³; f is concave, so the package's
    x lies in (127, 140) — well away from 150, where f is short by ln(32/27) = 0.170."""
    data = make(joint())
    result = solve_bargaining(data, merge_identical=False)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["AAA", "CCC", "BBB"]
    assert table.attrs["merged"] == [] and table.attrs["merge_identical"] is False
    assert x_of(result, "utilitarian") == approx(100)
    assert x_of(result, "kalai_smorodinsky") == approx(150)
    x = x_of(result, "nash")

    def f(v: float) -> float:
        return 2 * math.log(200 - v) + math.log(v - 100)

    assert f(x) >= f(400 / 3) - table.attrs["nash_error_bound"] - EPS
    assert 127 < x < 140
    assert outcome(table, "CCC", "nash") == approx(outcome(table, "AAA", "nash"))


def test_a_copy_or_a_position_of_its_own_keeps_a_party_apart():
    """A copy: C holds x ≤ 100 (scale 100) as a position of its own, not A's. Its utility is
    A's, but the scenario says the stance is held twice (as talks_1998_flank_side_twice.yaml
    does on purpose), so C stays a bargainer: Nash as in the test above, x in (127, 140).
    A position of its own beside the joint one (C also wants y = NC(AAA, artillery) ≤ 50):
    C's positions differ from A's, so no side is merged."""
    copy = scenario({"low": position(NC_TANKS, "at_most", 100, scale=100)},
                    {"high": position(NC_TANKS, "at_least", 200, scale=200)},
                    {"low": position(NC_TANKS, "at_most", 100, scale=100)})
    result = solve_bargaining(make(copy))
    assert list(result.table.index.unique("party")) == ["AAA", "BBB", "CCC"]
    assert result.table.attrs["merged"] == []
    assert 127 < x_of(result, "nash") < 140
    own = joint({"art": position(NC_ART, "at_most", 50, scale=100)})
    table = bargaining_solutions(make(own))
    assert list(table.index.unique("party")) == ["AAA", "CCC", "BBB"]
    assert table.attrs["merged"] == []


def test_one_side_is_not_a_bargain():
    """A and C alone are one side: refused, naming them and the way to count them apart."""
    data = make(joint())
    with pytest.raises(CfeOptError) as info:
        bargaining_solutions(data, parties=["AAA", "CCC"])
    message = str(info.value)
    assert "at least two sides" in message and "AAA and CCC hold the same positions" in message
    assert "--separate-holders" in message and "\n" not in message
    table = bargaining_solutions(data, parties=["AAA", "CCC"], merge_identical=False)
    assert list(table.index.unique("party")) == ["AAA", "CCC"]


# ---- the 1998 talks and the figure --------------------------------------------------------------
TALKS = ROOT / "models" / "talks_1998.yaml"


def test_talks_1998_flank_bargain(tmp_path):
    """Russia, Turkey and Norway bargain over one number, a = Russia's active ACV sub-ceiling in
    the flank: D_RUS = (2000 − a)/2000; Turkey's stance is held jointly with Norway and Norway
    holds nothing else, so D_TUR = D_NOR = (a − 580)/580 on 580 ≤ a ≤ 2000: Turkey + Norway is
    ONE side. W_RUS = 1420/2000 = 0.71 (the side's ideal a = 580), W_TUR+NOR = 1420/580
    (Russia's ideal a = 2000); I = 0.
    * utilitarian: the joint position pulls 1/580 per unit against Russia's 1/2000 → a = 580.
    * KS: (2000 − a)/1420 = (a − 580)/1420 → a = 1290: D_RUS = 0.355, D_TUR+NOR = 710/580.
    * Nash: gains (a − 580)/2000 and (2000 − a)/580; at a = 1290 + h their log product is
      ln((710² − h²)/(2000 · 580)), largest at h = 0 (a = 1,290, the KS package: two sides with
      linear, opposed outcomes meet at the middle of the range) and short of it by
      −ln(1 − h²/710²) ≥ h²/710²: within the bound b, |h| ≤ 710·√b, so
      |D_RUS − 0.355| ≤ 0.355·√b.
    Counted apart (next test) the flank side had two votes and Nash gave a = 1,053.33."""
    data = load_scenario(TALKS)
    result = solve_bargaining(data, parties=["RUS", "TUR", "NOR"], include_weighted=True)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["RUS", "TUR+NOR"]
    assert list(table.index.unique("solution")) == ["utilitarian", "kalai_smorodinsky", "nash",
                                                    "weighted"]
    assert table.attrs["sides"] == {"RUS": ["RUS"], "TUR+NOR": ["TUR", "NOR"]}
    assert table.attrs["merged"][0].startswith(
        "Turkey + Norway bargain as one side: they hold the same positions (Turkey's "
        "no_new_flank_numbers_acv, held jointly with Norway)")
    assert outcome(table, "RUS", "nash", "worst") == approx(0.71)
    assert outcome(table, "TUR+NOR", "nash", "worst") == approx(1420 / 580)
    assert outcome(table, "RUS", "utilitarian") == approx(0.71)
    assert outcome(table, "TUR+NOR", "utilitarian") == approx(0)
    assert outcome(table, "RUS", "kalai_smorodinsky") == approx(0.355)
    assert outcome(table, "TUR+NOR", "kalai_smorodinsky") == approx(710 / 580)
    bound = table.attrs["nash_error_bound"]
    assert 0 < bound <= 1e-3
    assert outcome(table, "RUS", "nash") == approx(0.355, 0.355 * math.sqrt(bound) + EPS)
    # the package itself, in ACVs: KS gives a = 1,290, utilitarian 580, Nash 1,290 ± 710·√b
    positions = result.positions
    ks = ("kalai_smorodinsky", "RUS", "flank_acv_active")
    assert positions.at[ks, "achieved"] == approx(1290)
    assert positions.at[ks, "unit"] == "ACVs"
    assert positions.at[("utilitarian", "TUR", "no_new_flank_numbers_acv"),
                        "achieved"] == approx(580)
    assert positions.at[("nash", "RUS", "flank_acv_active"), "achieved"] == approx(
        1290, 710 * math.sqrt(bound) + EPS)
    ax = plot_bargaining(result)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[:2] == ["utilitarian\nRussia:\nflank_acv_active\n580 ACVs",
                         "Kalai–Smorodinsky\nRussia:\nflank_acv_active\n1,290 ACVs"]
    bars = {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in ax.containers}
    colours = party_colours(list(data.spec.parties))
    assert bars == {"Russia": colours["RUS"].lower(), "Turkey + Norway": colours["TUR"].lower()}
    notes = [h.get_text() for h in ax.get_legend().get_texts()]
    assert any(n.startswith("Turkey + Norway: one side") for n in notes)
    ax.figure.savefig(tmp_path / "bargaining.png")
    assert (tmp_path / "bargaining.png").stat().st_size > 0


def test_talks_1998_flank_holders_apart():
    """``merge_identical=False``: Norway bargains apart with Turkey's utility, so the flank stance
    has two votes: D_TUR = D_NOR = (a − 580)/580, W_TUR = W_NOR = 1420/580, W_RUS = 0.71.
    Utilitarian (a = 580) and KS (a = 1,290) as in the test above. Nash: gains
    (a − 580)/2000 for Russia and (2000 − a)/580 for each of Turkey and Norway:
    ln(a − 580) + 2 ln(2000 − a) is largest where 1/(a − 580) = 2/(2000 − a), a = 580 + 1420/3
    = 1,053.33; the package's own Σ ln g is within the bound of that."""
    data = load_scenario(TALKS)
    result = solve_bargaining(data, parties=["RUS", "TUR", "NOR"], merge_identical=False)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["RUS", "TUR", "NOR"]
    assert outcome(table, "NOR", "nash", "worst") == approx(1420 / 580)
    assert outcome(table, "RUS", "kalai_smorodinsky") == approx(0.355)
    assert outcome(table, "NOR", "kalai_smorodinsky") == approx(710 / 580)

    def f(y: float) -> float:
        return math.log((y - 580) / 2000) + 2 * math.log((2000 - y) / 580)

    y = 2000 - 2000 * outcome(table, "RUS", "nash")
    assert f(y) >= f(580 + 1420 / 3) - table.attrs["nash_error_bound"] - EPS


def test_talks_1998_every_party_counts_the_joint_stance_once():
    """Every party with positions (the default): Russia, Turkey + Norway, Poland, the Czech
    Republic, the United States — five sides. No hard limit links Russia's flank to Central
    Europe, so the feasible packages are a product of the two blocks and Σ ln g splits into
    a flank part and a Central-European part. The flank's W: every Central-European party's
    ideal package settles the flank by the least Σ D, a = 580 (1/580 against 1/2000), which is
    also Turkey + Norway's ideal; Russia's is a = 2000. So W_RUS = 0.71, W_TUR+NOR = 1420/580 as
    in the flank-alone test, and the flank part of the Nash product is the flank-alone one,
    largest at a = 1,290. The package's whole Σ ln g is within b of the best and its
    Central-European part is at most that block's best, so its flank part is within b of
    ln(710²/(2000·580)): |a − 1290| ≤ 710·√b (the flank-alone test). Counted apart, Norway's
    second vote pulls a to 1,053.33 (ln(a − 580) + 2 ln(2000 − a), within its bound)."""
    data = load_scenario(TALKS)
    result = solve_bargaining(data)
    table = result.table
    assert_checked(data, result)
    assert list(table.index.unique("party")) == ["RUS", "TUR+NOR", "POL", "CZE", "USA"]
    assert outcome(table, "RUS", "nash", "worst") == approx(0.71)
    assert outcome(table, "TUR+NOR", "nash", "worst") == approx(1420 / 580)
    bound = table.attrs["nash_error_bound"]
    a = float(result.positions.at[("nash", "RUS", "flank_acv_active"), "achieved"])
    assert a == approx(1290, 710 * math.sqrt(bound) + EPS)
    assert math.log((a - 580) / 2000) + math.log((2000 - a) / 580) >= math.log(
        710**2 / (2000 * 580)) - bound - EPS
    apart = solve_bargaining(data, merge_identical=False)
    assert list(apart.table.index.unique("party")) == ["RUS", "TUR", "NOR", "POL", "CZE", "USA"]
    b = float(apart.positions.at[("nash", "RUS", "flank_acv_active"), "achieved"])

    def f(y: float) -> float:
        return math.log((y - 580) / 2000) + 2 * math.log((2000 - y) / 580)

    assert f(b) >= f(580 + 1420 / 3) - apart.table.attrs["nash_error_bound"] - EPS
    assert b < 1200  # f(1200) is short of f(1053.33) by more than 0.05 ≫ b
