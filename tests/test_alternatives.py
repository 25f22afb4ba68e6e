"""Near-optimal alternatives (modelling to generate alternatives), derived by hand.

x = NC(AAA, tanks). A wants x ≤ 100, B wants x ≥ 200; AAA holds 80 tanks, its NC is 150 now.
The packages are spread in the quantities the positions name: here both name x, so the space is
x alone (every other ceiling is named by no position and left to the tie-break), scaled by its
room in the near-optimal region (s = hi − lo), so the distance of two packages is |x − x'|/s.
Each package comes from a direction (±x, away from a reference: the centroid, then each earlier
package, to the side with more room, ties up) or from one party's own deviation, then is made
Pareto-optimal (every party kept at least as well off) and moved as close to package 0 as that
allows. A package giving every party what an earlier one gives is not a new one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import make, solve_checked

import cfe_opt.plots  # noqa: F401  (headless backend first)
from cfe_opt import CfeOptError, InfeasibleError, check, load_scenario
from cfe_opt.analysis.alternatives import Alternatives, near_optimal_alternatives
from cfe_opt.plots.alternatives import plot_alternatives

ROOT = Path(__file__).resolve().parent.parent
EPS = 1e-6


def approx(value: float, abs: float = EPS) -> Any:
    return pytest.approx(value, abs=abs)


NC_TANKS = {"of": "national_ceiling", "parties": ["AAA"], "categories": ["tanks"]}


def pull_apart(scale: float | None = None) -> dict[str, Any]:
    extra = {} if scale is None else {"scale": scale}
    return {"name": "test", "categories": ["tanks", "artillery"], "parties": {
        "AAA": {"name": "A", "holdings": {"tanks": 80, "artillery": 40},
                "national_ceiling": {"tanks": 150, "artillery": 80},
                "positions": {"low": {"quantity": NC_TANKS, "direction": "at_most",
                                      "target": 100, **extra}}},
        "BBB": {"name": "B", "holdings": {"tanks": 50, "artillery": 10},
                "positions": {"high": {"quantity": NC_TANKS, "direction": "at_least",
                                       "target": 200, **extra}}},
    }}


def xs(alt: Alternatives) -> list[float]:
    return [float(alt.allocation.at[(i, "AAA", "total", "tanks"), "national_ceiling"])
            for i in alt.summary.index]


def recomputed(positions: pd.DataFrame, mode: str = "weighted") -> float:
    """The objective from target and achieved alone: shortfall below the target for at_least,
    excess for at_most, both for exactly, each over its scale, times the weight."""
    values = []
    for _, row in positions.iterrows():
        under = max(0.0, row["target"] - row["achieved"]) \
            if row["direction"] in ("at_least", "exactly") else 0.0
        over = max(0.0, row["achieved"] - row["target"]) \
            if row["direction"] in ("at_most", "exactly") else 0.0
        values.append(row["weight"] * (under / row["scale_under"] + over / row["scale_over"]))
    if not values:
        return 0.0
    return sum(values) if mode == "weighted" else max(values)


def assert_sound(data: Any, alt: Alternatives) -> None:
    """Every package passes the checker, stays within the share (objective recomputed from
    its who-gives-what table), lies at least min_distance from every earlier package, differs
    from every other in some party's deviation, and is dominated by none (worse for one party
    and better for none)."""
    attrs = alt.summary.attrs
    outcomes = alt.summary[attrs["parties"]]
    for i in outcomes.index:
        for j in outcomes.index:
            if i == j:
                continue
            a, b = outcomes.loc[j], outcomes.loc[i]
            assert (a - b).abs().max() > 1e-6, f"packages {i} and {j} give every party the same"
            assert not ((a <= b + 1e-6).all() and (a < b - 1e-6).any()), \
                f"package {i} is dominated by package {j}"
    assert attrs["returned"] == len(alt.summary) <= attrs["requested"]
    assert list(alt.summary.index) == list(range(len(alt.summary)))
    for i in alt.summary.index:
        report = check(data, *alt.package(i))
        assert report.ok, f"package {i}: {report.summary()}"
        value = recomputed(alt.positions.xs(i, level="package"), attrs["objective"])
        assert value == approx(float(alt.summary.at[i, "objective"]), 1e-5)
        assert value <= attrs["limit"] + 1e-5
        if i > 0:
            assert alt.summary.at[i, "distance"] >= attrs["min_distance"]
    assert math.isnan(alt.summary.at[0, "distance"])


def test_flat_optimum_gives_distinct_packages_with_the_same_objective():
    """scale 100: (x − 100)/100 + (200 − x)/100 = 1 for every 100 ≤ x ≤ 200 (and more outside),
    so with share 0 the region is exactly that interval, s = 100. Package 0 is solve's answer,
    x = 150 (the tie-break keeps the status quo). Round 1: from the centroid 150 the room is 50
    either way → up: x = 200 (A 1, B 0); A's own best, x = 100, is as far (0.5) but comes later.
    Round 2: centroid 175, more room below → x = 100 (A 0, B 1). Round 3: every candidate gives
    the parties what package 1 or 2 gives, so the search stops at 3 packages. All have
    objective 1; distances 50/100 each."""
    data = make(pull_apart(scale=100))
    alt = near_optimal_alternatives(data, k=4, share=0)
    assert_sound(data, alt)
    assert xs(alt) == [approx(150), approx(200), approx(100)]
    assert list(alt.summary["objective"]) == [approx(1), approx(1), approx(1)]
    assert list(alt.summary["distance"])[1:] == [approx(0.5), approx(0.5)]
    assert list(alt.summary["AAA"]) == [approx(0.5), approx(1), approx(0)]
    assert list(alt.summary["BBB"]) == [approx(0.5), approx(0), approx(1)]
    assert "differs in nothing a party cares about" in alt.summary.attrs["stopped"]
    assert alt.summary.attrs["decision_space"] == ["AAA.low"]
    quantity = alt.quantities.loc["AAA.low"]
    assert quantity["positions"] == "AAA.low BBB.high" and quantity["unit"] == "tanks"
    assert (quantity["low"], quantity["high"], quantity["scale"]) == (approx(100), approx(200),
                                                                      approx(100))
    assert bool(quantity["in_space"])
    positions = alt.positions.xs(1, level="package")
    assert positions.at[("AAA", "low"), "deviation"] == approx(100)  # A gives 100 in package 1
    assert positions.at[("AAA", "low"), "unit"] == "tanks"


def test_share_zero_with_a_unique_optimum_gives_one_package():
    """No scale: (x − 100)/100 + (200 − x)/200 has slope 1/200 > 0 on [100, 200], so x = 100 is
    the unique optimum (0.5); with share 0 no quantity can move."""
    data = make(pull_apart())
    alt = near_optimal_alternatives(data, k=4, share=0)
    assert_sound(data, alt)
    assert len(alt.summary) == 1
    assert xs(alt) == [approx(100)]
    assert alt.summary.at[0, "objective"] == approx(0.5)
    assert "no quantity a position names can move" in alt.summary.attrs["stopped"]


def test_no_alternative_is_dominated():
    """No scale, share 0.2: objective ≤ 0.6. On [100, 200] it is 0.5 + (x − 100)/200 → x ≤ 120;
    below 100 it is (200 − x)/200 → x ≥ 80. Region 80 ≤ x ≤ 120, s = 40. Package 0: x = 100
    (A 0, B 0.5); package 1: room 20 either way → up, x = 120 (A 0.2, B 0.4): a trade-off,
    distance 20/40. Next, from the centroid 110 the direction points down to x = 80 (A 0,
    B 0.6): worse for B and better for no one than package 0 — dominated. Made Pareto-optimal
    with every party kept at least as well off it is x = 100, package 0 again, so it is no new
    package and the search stops at two. With k = 2 it stops on its own."""
    data = make(pull_apart())
    alt = near_optimal_alternatives(data, k=4, share=0.2)
    assert_sound(data, alt)
    assert xs(alt) == [approx(100), approx(120)]
    assert list(alt.summary["objective"]) == [approx(0.5), approx(0.6)]
    assert list(alt.summary["AAA"]) == [approx(0), approx(0.2)]
    assert list(alt.summary["BBB"]) == [approx(0.5), approx(0.4)]
    assert list(alt.summary["distance"])[1:] == [approx(0.5)]
    assert "differs in nothing a party cares about" in alt.summary.attrs["stopped"]
    two = near_optimal_alternatives(data, k=2, share=0.2)
    assert xs(two) == [approx(100), approx(120)]
    assert two.summary.attrs["stopped"] is None


def test_minimax_share_is_on_the_level():
    """scale 100, minimax: max((x − 100)/100, (200 − x)/100) is 0.5 at x = 150; share 0.2 →
    level ≤ 0.6 → 140 ≤ x ≤ 160, s = 20. Packages 150, 160 (A 0.6, B 0.4), 140 (A 0.4, B 0.6)
    with levels 0.5, 0.6, 0.6: each a trade-off."""
    data = make(pull_apart(scale=100))
    alt = near_optimal_alternatives(data, k=3, share=0.2, objective="minimax")
    assert_sound(data, alt)
    assert xs(alt) == [approx(150), approx(160), approx(140)]
    assert list(alt.summary["objective"]) == [approx(0.5), approx(0.6), approx(0.6)]


def test_packages_differ_in_what_a_position_names_not_in_free_figures():
    """A free ceiling (AAA's artillery NC, which no position names) is never what packages
    differ in: it stays at its status quo (80) in every package."""
    data = make(pull_apart(scale=100))
    alt = near_optimal_alternatives(data, k=4, share=0)
    for i in alt.summary.index:
        assert float(alt.allocation.at[(i, "AAA", "total", "artillery"),
                                       "national_ceiling"]) == approx(80)


def test_deterministic():
    """No randomness: the same scenario gives the same packages."""
    data = make(pull_apart(scale=100))
    first = near_optimal_alternatives(data, k=4, share=0.1)
    again = near_optimal_alternatives(data, k=4, share=0.1)
    pd.testing.assert_frame_equal(first.summary, again.summary)
    pd.testing.assert_frame_equal(first.allocation, again.allocation)


def test_errors_are_one_line():
    data = make(pull_apart())
    with pytest.raises(CfeOptError, match="weighted or minimax"):
        near_optimal_alternatives(data, objective="lexicographic")  # type: ignore[arg-type]
    with pytest.raises(CfeOptError, match="k must be"):
        near_optimal_alternatives(data, k=0)
    bad = pull_apart()
    bad["limits"] = {"too_many": {"quantity": {"of": "holdings", "parties": ["AAA"],
                                               "categories": ["tanks"]},
                                  "sense": ">=", "value": 100}}
    with pytest.raises(InfeasibleError) as info:
        near_optimal_alternatives(make(bad))
    assert "\n" not in str(info.value)


def test_talks_1998_alternatives(tmp_path):
    """Smoke test: three packages within 20% of the optimum (Russia's flank concession
    1420/2000 plus Poland's and the Czech Republic's cuts beyond their floors, docs/
    talks-1998-model.md §6.5), package 0 exactly the answer solve gives, each sound and
    distinct; the figure draws."""
    data = load_scenario(ROOT / "models" / "talks_1998.yaml")
    optimum = 0.71 + 26 / 1935 + 57.3 / 861.3 + 104.3 / 1230.3 + 63.3 / 690.3
    alt = near_optimal_alternatives(data, k=3, share=0.2)
    assert_sound(data, alt)
    assert alt.summary.attrs["optimum"] == approx(optimum, abs=1e-6)
    assert alt.summary.attrs["limit"] == approx(1.2 * optimum, abs=1e-6)
    assert len(alt.summary) >= 2
    answer = solve_checked(data)
    assert answer.allocation is not None
    pd.testing.assert_frame_equal(alt.allocation.xs(0, level="package"), answer.allocation,
                                  check_flags=False)
    ax = plot_alternatives(alt)
    bars = [p for p in ax.patches]
    conceding = [p for p in ("RUS", "TUR", "NOR", "POL", "CZE", "USA")
                 if (alt.summary[p] > 0).any()]
    assert conceding == ["RUS", "POL", "CZE", "USA"]  # Turkey and Norway get their 580
    assert len(bars) == len(alt.summary) * len(conceding)  # one bar per conceding party
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    # each package named by what differs between them, in units; package 0 is solve's
    poland_acv = float(answer.allocation.at[("POL", "total", "acv"), "territorial_ceiling"])
    assert ticks[0].startswith(f"package 0 (optimum)\nPoland: readiness_acv\n"
                               f"{poland_acv:,.0f} ACVs")
    assert ticks[1].startswith("package 1\n")
    ax.figure.savefig(tmp_path / "alternatives.png")
    assert (tmp_path / "alternatives.png").stat().st_size > 0
