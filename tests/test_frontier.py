"""The Pareto frontier between two sides: exact breakpoints, derived by hand and checked against
brute-force ε-constraint solves.

Notation: x is the one number the parties pull apart (AAA's national ceiling for tanks, unless
said otherwise); D_A, D_B the sides' weighted normalised deviations. A position's deviation is
divided by its ``scale``. AAA holds 80 tanks (and 40 artillery), so x can be anything ≥ 0: the
holdings can be cut to 0 and no hard limit caps the ceiling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make

from cfe_opt import CfeOptError, InfeasibleError, Scenario, check, load_scenario
from cfe_opt.analysis.core import add_limit, compiled, optimise, party_deviation
from cfe_opt.analysis.frontier import frontier_package, mode_points, pareto_frontier
from cfe_opt.plots.frontier import plot_frontier
from cfe_opt.results import allocation_table, equipment_table
from cfe_opt.solve import CompiledModel, SolveStatus

EPS = 1e-6
ROOT = Path(__file__).resolve().parent.parent
TALKS = ROOT / "models" / "talks_1998.yaml"
# packages in units are checked on the frozen pre-issue-7 talks file (hand-derived there)
FROZEN_TALKS = ROOT / "tests" / "fixtures" / "talks_1998_before_issue_7" / "talks_1998.yaml"


def approx(value: Any) -> Any:
    return pytest.approx(value, abs=EPS)


# ---- scenario builders ------------------------------------------------------------------------
def nc(party: str = "AAA", category: str = "tanks", **extra: Any) -> dict[str, Any]:
    return {"of": "national_ceiling", "parties": [party], "categories": [category], **extra}


def pos(quantity: dict[str, Any], direction: str, target: float, scale: float,
        **extra: Any) -> dict[str, Any]:
    return {"quantity": quantity, "direction": direction, "target": target, "scale": scale,
            **extra}


def party(positions: dict[str, Any] | None = None, tanks: int = 10, **extra: Any
          ) -> dict[str, Any]:
    return {"name": "p", "holdings": {"tanks": tanks, "artillery": 10},
            "positions": positions or {}, **extra}


def scenario(a: dict[str, Any], b: dict[str, Any], **extra: Any) -> Scenario:
    """AAA (positions a) holds 80 tanks and 40 artillery, NC now 150 / 80; BBB (positions b)."""
    parties = {"AAA": party(a, tanks=80, national_ceiling={"tanks": 150, "artillery": 80}),
               "BBB": party(b)}
    parties.update(extra.pop("parties", {}))
    return make({"name": "frontier test", "categories": ["tanks", "artillery"],
                 "parties": parties, **extra})


def pull_apart() -> Scenario:
    """A wants x ≤ 100 (scale 50), B wants x ≥ 200 (scale 100)."""
    return scenario({"low": pos(nc(), "at_most", 100, 50)},
                    {"high": pos(nc(), "at_least", 200, 100)})


def three_points() -> Scenario:
    """A wants x ≤ 100 (scale 100); B wants x ≥ 200 (scale 100) and x ≥ 150 (scale 50)."""
    return scenario({"low": pos(nc(), "at_most", 100, 100)},
                    {"high": pos(nc(), "at_least", 200, 100),
                     "mid": pos(nc(), "at_least", 150, 50)})


def four_points() -> Scenario:
    """A wants x ≤ 100 (scale 100) and x ≤ 120 (scale 20); B wants x ≥ 150 (scale 50) and
    x ≥ 200 (scale 100)."""
    return scenario({"low": pos(nc(), "at_most", 100, 100),
                     "lower": pos(nc(), "at_most", 120, 20)},
                    {"mid": pos(nc(), "at_least", 150, 50),
                     "high": pos(nc(), "at_least", 200, 100)})


def points(frame: Any) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in zip(frame["deviation_a"], frame["deviation_b"],
                                                 strict=True)]


def assert_points(frame: Any, expected: list[tuple[float, float]]) -> None:
    """The frame's (deviation_a, deviation_b) rows are the expected points, within 1e-6."""
    got = points(frame)
    assert len(got) == len(expected), got
    assert [c for p in got for c in p] == approx([c for p in expected for c in p]), got


def assert_checked(scenario: Scenario, cm: CompiledModel) -> None:
    """The independent checker accepts the package the compiled model holds."""
    report = check(scenario, allocation_table(cm.model, cm.x), equipment_table(cm.model, cm.x))
    assert report.ok, report.summary()


# ---- hand-derived frontiers -------------------------------------------------------------------
def test_two_parties_pulling_one_number_apart_give_one_segment():
    """D_A = max(0, x − 100)/50, D_B = max(0, 200 − x)/100. Below 100 only B loses, above 200
    only A: the frontier is x ∈ [100, 200], a straight segment from (0, 100/100) = (0, 1) at
    x = 100 to ((200 − 100)/50, 0) = (2, 0) at x = 200; no breakpoint in between."""
    s = pull_apart()
    f = pareto_frontier(s, ["AAA"], ["BBB"])
    assert f.index.name == "point"
    assert list(f.index) == [0, 1]
    assert_points(f, [(0, 1), (2, 0)])
    assert f.attrs["side_a"] == "AAA"
    assert f.attrs["side_b"] == "BBB"
    cm = frontier_package(s, ["AAA"], ["BBB"], (1.0, 0.0))
    assert allocation_table(cm.model, cm.x).at[("AAA", "total", "tanks"),
                                               "national_ceiling"] == approx(100)
    assert_checked(s, cm)


def test_three_positions_give_a_middle_breakpoint():
    """On x ∈ [100, 200]: D_A = (x − 100)/100, D_B = (200 − x)/100 + max(0, 150 − x)/50.
    x = 100: (0, 1 + 1) = (0, 2); x = 150: (0.5, 0.5); x = 200: (1, 0). Slopes −3 then −1:
    (0.5, 0.5) is a breakpoint."""
    f = pareto_frontier(three_points(), "AAA", "BBB")
    assert_points(f, [(0, 2), (0.5, 0.5), (1, 0)])


def test_four_breakpoints():
    """D_A = (x − 100)/100 + max(0, x − 120)/20, D_B = max(0, 150 − x)/50 + (200 − x)/100:
    x = 100: (0, 1 + 1) = (0, 2); x = 120: (0.2, 0.6 + 0.8) = (0.2, 1.4);
    x = 150: (0.5 + 1.5, 0.5) = (2, 0.5); x = 200: (1 + 4, 0) = (5, 0).
    Slopes −3, −0.5, −1/6: each is a vertex."""
    f = pareto_frontier(four_points(), "AAA", "BBB")
    assert_points(f, [(0, 2), (0.2, 1.4), (2, 0.5), (5, 0)])


def test_groups_and_two_numbers_trade_at_different_rates():
    """Two numbers: t = NC(AAA, tanks), r = NC(AAA, artillery). A wants both ≤ 100 (scale 100);
    side B is the group OTHERS = {BBB, CCC}: BBB wants t ≥ 200 (scale 100), CCC wants r ≥ 200
    (scale 50). Giving up one unit of D_A on r saves B two units; on t one. So the frontier
    goes from (0, 1 + 2) = (0, 3) by conceding r first to (1, 1), then t to (2, 0)."""
    s = scenario({"t": pos(nc(), "at_most", 100, 100),
                  "r": pos(nc(category="artillery"), "at_most", 100, 100)},
                 {"t": pos(nc(), "at_least", 200, 100)},
                 parties={"CCC": party({"r": pos(nc(category="artillery"), "at_least", 200,
                                                 50)})},
                 groups={"OTHERS": {"name": "others", "members": ["BBB", "CCC"]}})
    by_group = pareto_frontier(s, ["AAA"], ["OTHERS"])
    by_string = pareto_frontier(s, "AAA", "BBB+CCC")
    assert_points(by_group, [(0, 3), (1, 1), (2, 0)])
    assert points(by_string) == points(by_group)
    assert by_group.attrs["side_b"] == "OTHERS"
    assert by_group.attrs["parties_b"] == ["BBB", "CCC"]
    assert by_string.attrs["side_b"] == "BBB+CCC"


def test_no_conflict_gives_a_single_point():
    """A wants x ≤ 100, B wants x ≥ 50: any x in [50, 100] meets both, so (0, 0) is the whole
    frontier."""
    s = scenario({"low": pos(nc(), "at_most", 100, 50)},
                 {"high": pos(nc(), "at_least", 50, 100)})
    f = pareto_frontier(s, ["AAA"], ["BBB"])
    assert_points(f, [(0, 0)])


def test_mode_points_sit_on_the_frontier():
    """A: x ≤ 100 (scale 100, priority 1); B: x ≥ 200 (scale 100, weight 3, priority 2).
    Frontier: D_A = (x − 100)/100, D_B = 3(200 − x)/100 on [100, 200]: (0, 3) to (1, 0).
    weighted: slope (1 − 3)/100 < 0, x = 200 → (1, 0). minimax: (x − 100)/100 = 3(200 − x)/100
    at x = 175 → (0.75, 0.75), on the frontier (3·(1 − 0.75) = 0.75). lexicographic: A's
    priority-1 position first, x ≤ 100, then B's, x = 100 → (0, 3)."""
    s = scenario({"low": pos(nc(), "at_most", 100, 100, priority=1)},
                 {"high": pos(nc(), "at_least", 200, 100, weight=3, priority=2)})
    f = pareto_frontier(s, ["AAA"], ["BBB"])
    assert_points(f, [(0, 3), (1, 0)])
    modes = mode_points(s, ["AAA"], ["BBB"])
    assert list(modes.index) == ["weighted", "minimax", "lexicographic"]
    assert modes.index.name == "objective"
    assert_points(modes, [(1, 0), (0.75, 0.75), (0, 3)])
    for a, b in points(modes):
        assert np.interp(a, f["deviation_a"], f["deviation_b"]) == approx(b)


# ---- brute force: ε-constraint solves -----------------------------------------------------------
def epsilon_solve(s: Scenario, parties_a: list[str], parties_b: list[str], eps: float
                  ) -> tuple[float, CompiledModel]:
    """min D_B s.t. D_A ≤ ε and every hard limit, directly."""
    cm = compiled(s)
    add_limit(cm, ("epsilon",), party_deviation(cm.model, parties_a), "<=", eps, "D_A ≤ ε")
    status, value = optimise(cm, party_deviation(cm.model, parties_b))
    assert status is SolveStatus.OPTIMAL
    assert value is not None
    return value, cm


@pytest.mark.parametrize("case", ["talks_1998", "four_points", "three_points"])
def test_breakpoints_match_brute_force_epsilon_constraint(case):
    """For 30 evenly spaced ε in [min D_A, max D_A] and the midpoint of every segment, the
    ε-constraint optimum min {D_B : D_A ≤ ε} equals the frontier's linear interpolation at ε:
    every ε-point lies on the piecewise-linear frontier, so no breakpoint is missing (a missing
    vertex would put the true frontier strictly below the chord on the whole segment). The
    breakpoints are vertices: the slopes strictly increase.

    talks_1998 (RUS against TUR+NOR) by hand: y = Russia's active ACV sub-ceiling in the flank;
    RUS wants y ≥ 2000 (relative scale 2000), TUR y ≤ 580 (scale 580), a position Norway holds
    jointly: one position, counted once for the side. On [580, 2000] D_A = (2000 − y)/2000 and
    D_B = (y − 580)/580: one segment from (0, 1420/580) to (1420/2000, 0) = (0.71, 0)."""
    if case == "talks_1998":
        s, side_a, side_b = load_scenario(TALKS), ["RUS"], ["TUR", "NOR"]
    else:
        s, side_a, side_b = {"four_points": four_points, "three_points": three_points}[case](
        ), ["AAA"], ["BBB"]
    f = pareto_frontier(s, side_a, side_b)
    a = f["deviation_a"].to_numpy(dtype=float)
    b = f["deviation_b"].to_numpy(dtype=float)
    if case == "talks_1998":
        assert_points(f, [(0, 1420 / 580), (0.71, 0)])
    slopes = np.diff(b) / np.diff(a)
    assert np.all(np.diff(slopes) > 1e-6), slopes
    grid = [*np.linspace(a[0], a[-1], 30), *((a[:-1] + a[1:]) / 2)]
    for eps in grid:
        value, _ = epsilon_solve(s, side_a, side_b, float(eps))
        assert value == approx(float(np.interp(eps, a, b))), eps
    for x, y in zip(a, b, strict=True):  # every breakpoint is itself a frontier point
        value, model = epsilon_solve(s, side_a, side_b, float(x))
        assert value == approx(y)
    assert_checked(s, model)
    assert_checked(s, frontier_package(s, side_a, side_b, (1.0, 1.0)))


# ---- errors -----------------------------------------------------------------------------------
def test_side_without_positions_is_an_error_naming_it():
    s = scenario({"low": pos(nc(), "at_most", 100, 50)}, {},
                 parties={"CCC": party({"high": pos(nc(), "at_least", 200, 100)})})
    with pytest.raises(CfeOptError, match=r"side B \(BBB\) states no position") as err:
        pareto_frontier(s, ["AAA"], ["BBB"])
    assert "\n" not in str(err.value)
    with pytest.raises(CfeOptError, match="'ZZZ' is not a party or group"):
        pareto_frontier(s, ["AAA"], ["ZZZ"])
    with pytest.raises(CfeOptError, match="side A names no party"):
        mode_points(s, [], ["CCC"])


def test_infeasible_scenario_raises_one_line():
    """A treaty rule x ≥ 100 and a red line of BBB x ≤ 50 cannot both hold."""
    s = scenario({"low": pos(nc(), "at_most", 100, 50)},
                 {"high": pos(nc(), "at_least", 200, 100)},
                 limits={"floor": {"quantity": nc(), "sense": ">=", "value": 100}},
                 parties={"BBB": party({"high": pos(nc(), "at_least", 200, 100)}, red_lines={
                     "cap": {"quantity": nc(), "sense": "<=", "value": 50}})})
    with pytest.raises(InfeasibleError) as err:
        pareto_frontier(s, ["AAA"], ["BBB"])
    assert "\n" not in str(err.value)
    with pytest.raises(InfeasibleError):
        pareto_frontier(load_scenario(ROOT / "models" / "talks_1998_flank_deadlock.yaml"),
                        ["RUS"], ["TUR", "NOR"])
    with pytest.raises(InfeasibleError):
        mode_points(s, ["AAA"], ["BBB"])


# ---- figure -----------------------------------------------------------------------------------
def test_frontier_packages_in_units_and_the_figure(tmp_path):
    """Russia against Turkey + Norway on Russia's flank ACVs F: the two breakpoints are
    F = 2,000 (Russia gives nothing) and F = 1,380 (Turkey and Norway give nothing); the
    minimax answer lies between, at 2·1380·2000/3380 ≈ 1,633.14. Each breakpoint's package is
    given in ACVs, the rest of it settled (the parties on neither side as well served as the
    trade-off allows: NATO's national ceilings at its targets)."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    from cfe_opt.analysis.frontier import mode_packages, solve_frontier

    s = load_scenario(FROZEN_TALKS)
    found = solve_frontier(s, ["RUS"], ["TUR", "NOR"])
    positions = found.positions
    assert positions.at[(0, "RUS", "flank_acv"), "achieved"] == pytest.approx(2000)
    assert positions.at[(1, "TUR", "flank_acv_no_rise"), "achieved"] == pytest.approx(1380)
    assert positions.at[(0, "RUS", "flank_acv"), "unit"] == "ACVs"
    for point in (0, 1):
        assert positions.at[(point, "NATO_OTHERS", "nc_artillery"), "achieved"] == \
            pytest.approx(17976)
    modes, mode_positions = mode_packages(s, ["RUS"], ["TUR", "NOR"])
    assert mode_positions.at[("minimax", "RUS", "flank_acv"), "achieved"] == pytest.approx(
        2 * 1380 * 2000 / 3380, abs=1e-5)
    ax = plot_frontier(found, modes, mode_positions=mode_positions)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel().startswith("deviation of Russia")
    assert ax.get_ylabel().startswith("deviation of Turkey + Norway")
    texts = [t.get_text() for t in ax.texts]
    assert "breakpoint 0\nRussia: flank_acv: 2,000 ACVs" in texts
    assert any(" ".join(t.split()).startswith(
        "breakpoint 1 = the weighted, lexicographic answer Russia: flank_acv: 1,380 ACVs")
        for t in texts)
    assert "the minimax answer\nRussia: flank_acv: 1,633.14 ACVs" in texts
    ax.figure.savefig(tmp_path / "frontier.png")
    assert (tmp_path / "frontier.png").stat().st_size > 0
    single = plot_frontier(found.points.iloc[:1])
    single.figure.savefig(tmp_path / "single.png")
    assert (tmp_path / "single.png").stat().st_size > 0
    plt.close("all")
