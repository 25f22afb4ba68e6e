"""Near-optimal alternatives (modelling to generate alternatives), derived by hand.

x = NC(AAA, tanks). A wants x ≤ 100, B wants x ≥ 200; AAA holds 80 tanks, its NC is 150 now.
The decision space is the figures a range bounds inside the near-optimal region; here only x
(every other ceiling can rise without limit and is left out). Its scale is
s = max(status quo 150, optimal value, range width, 1) = 150 in every case below, so the
distance of two packages is |x − x'|/150. Each later package maximises ±x/s, pointing to the
side of the reference (the centroid, then each earlier package) with more room; ties go up.
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
    its who-gives-what table) and lies at least min_distance from every earlier package."""
    attrs = alt.summary.attrs
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
    so with share 0 the region is exactly that interval. Package 0 is solve's answer, x = 150
    (the tie-break keeps the status quo). Package 1: centroid 150, room 50 either way → up:
    x = 200. Package 2: centroid 175, more room below → x = 100. Package 3: centroid 150 →
    200 again; away from 100 → 200, from 200 → 100, from 150 → 200: all repeats, so the search
    stops at 3 packages. All have objective 1; distances 50/150 = 1/3 each."""
    data = make(pull_apart(scale=100))
    alt = near_optimal_alternatives(data, k=4, share=0)
    assert_sound(data, alt)
    assert xs(alt) == [approx(150), approx(200), approx(100)]
    assert list(alt.summary["objective"]) == [approx(1), approx(1), approx(1)]
    assert list(alt.summary["distance"])[1:] == [approx(1 / 3), approx(1 / 3)]
    assert list(alt.summary["AAA"]) == [approx(0.5), approx(1), approx(0)]
    assert list(alt.summary["BBB"]) == [approx(0.5), approx(0), approx(1)]
    assert alt.summary.attrs["stopped"] is not None
    assert alt.summary.attrs["decision_space"] == ["national_ceiling.AAA.tanks"]
    figure = alt.figures.loc[("national_ceiling", "AAA", "total", "tanks")]
    assert (figure["low"], figure["high"], figure["scale"]) == (approx(100), approx(200),
                                                                approx(150))
    assert bool(figure["in_space"])
    positions = alt.positions.xs(1, level="package")
    assert positions.at[("AAA", "low"), "deviation"] == approx(100)  # A gives 100 in package 1


def test_share_zero_with_a_unique_optimum_gives_one_package():
    """No scale: (x − 100)/100 + (200 − x)/200 has slope 1/200 > 0 on [100, 200], so x = 100 is
    the unique optimum (0.5); with share 0 no figure can move."""
    data = make(pull_apart())
    alt = near_optimal_alternatives(data, k=4, share=0)
    assert_sound(data, alt)
    assert len(alt.summary) == 1
    assert xs(alt) == [approx(100)]
    assert alt.summary.at[0, "objective"] == approx(0.5)
    assert "no negotiated figure can move" in alt.summary.attrs["stopped"]


def test_share_widens_the_region_by_hand():
    """No scale, share 0.2: objective ≤ 0.6. On [100, 200] it is 0.5 + (x − 100)/200 → x ≤ 120;
    below 100 it is (200 − x)/200 → x ≥ 80. Region 80 ≤ x ≤ 120. Package 0: x = 100; package 1:
    room 20 either way → up, 120; package 2: centroid 110, more room below → 80. Objectives
    0.5, 0.6, 0.6; distances 20/150 and min(20, 40)/150. With k = 2 only the first two."""
    data = make(pull_apart())
    alt = near_optimal_alternatives(data, k=4, share=0.2)
    assert_sound(data, alt)
    assert xs(alt) == [approx(100), approx(120), approx(80)]
    assert list(alt.summary["objective"]) == [approx(0.5), approx(0.6), approx(0.6)]
    assert list(alt.summary["distance"])[1:] == [approx(20 / 150), approx(20 / 150)]
    two = near_optimal_alternatives(data, k=2, share=0.2)
    assert xs(two) == [approx(100), approx(120)]
    assert two.summary.attrs["stopped"] is None


def test_minimax_share_is_on_the_level():
    """scale 100, minimax: max((x − 100)/100, (200 − x)/100) is 0.5 at x = 150; share 0.2 →
    level ≤ 0.6 → 140 ≤ x ≤ 160. Packages 150, 160, 140 with levels 0.5, 0.6, 0.6."""
    data = make(pull_apart(scale=100))
    alt = near_optimal_alternatives(data, k=3, share=0.2, objective="minimax")
    assert_sound(data, alt)
    assert xs(alt) == [approx(150), approx(160), approx(140)]
    assert list(alt.summary["objective"]) == [approx(0.5), approx(0.6), approx(0.6)]


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
    pd.testing.assert_frame_equal(alt.allocation.xs(0, level="package"), answer.allocation)
    ax = plot_alternatives(alt)
    assert len(ax.patches) == len(alt.summary) * len(alt.summary.attrs["parties"])
    ax.figure.savefig(tmp_path / "alternatives.png")
    assert (tmp_path / "alternatives.png").stat().st_size > 0
