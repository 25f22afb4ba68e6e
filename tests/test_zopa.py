"""Zone of possible agreement: ranges and polygons of quantities under the hard limits, derived
by hand.

Notation: x = NC(AAA, tanks), y = NC(BBB, tanks), z = NC(CCC, tanks) (national ceilings after
the change). A national ceiling is ≥ the holdings after, which can be cut to 0, so every ceiling
is ≥ 0 and has no other floor; it has a cap only where a hard limit gives one. Positions never
narrow the zone (they are soft).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import make

from cfe_opt import CfeOptError, InfeasibleError, Scenario, check, load_scenario
from cfe_opt.analysis.agreement import agreement_region, agreement_zone
from cfe_opt.analysis.frontier import lexicographic_minimum
from cfe_opt.analysis.zopa import feasible_region, preferred_points, quantity_range
from cfe_opt.plots.zopa import plot_range, plot_region
from cfe_opt.results import allocation_table, equipment_table
from cfe_opt.scenario import with_changes
from cfe_opt.solve import CompiledModel

EPS = 1e-6
ROOT = Path(__file__).resolve().parent.parent
# the zone is tested on the frozen pre-issue-7 talks files (hand-derived there)
FROZEN = ROOT / "tests" / "fixtures" / "talks_1998_before_issue_7"
TALKS = FROZEN / "talks_1998.yaml"
BUNDLED = ROOT / "models" / "talks_1998.yaml"  # the rebuilt December 1998 scenario
DEADLOCK = FROZEN / "talks_1998_flank_deadlock.yaml"


def approx(value: Any) -> Any:
    return pytest.approx(value, abs=EPS)


def nc(party: str, **extra: Any) -> dict[str, Any]:
    return {"of": "national_ceiling", "parties": [party], "categories": ["tanks"], **extra}


def box(extra_limits: dict[str, Any] | None = None) -> dict[str, Any]:
    """AAA holds 5 tanks (NC now 6), BBB 3 (NC now 7), CCC 2 (NC now 4). Limits: AAA's and
    BBB's tank ceilings frozen (x ≤ 6, y ≤ 7); x + y ≤ 10. CCC's ceiling has no cap.
    Positions: BBB wants x ≥ 8, AAA wants y ≤ 2, CCC wants 2x ≤ 10 and −z ≥ −3. DDD's
    equipment is not modelled and nothing names its territorial ceiling: it is not in play."""
    parties = {
        "AAA": {"name": "A", "holdings": {"tanks": 5}, "national_ceiling": {"tanks": 6},
                "positions": {"cap_b": {"quantity": nc("BBB"), "direction": "at_most",
                                        "target": 2}}},
        "BBB": {"name": "B", "holdings": {"tanks": 3}, "national_ceiling": {"tanks": 7},
                "positions": {"more_a": {"quantity": nc("AAA"), "direction": "at_least",
                                         "target": 8}}},
        "CCC": {"name": "C", "holdings": {"tanks": 2}, "national_ceiling": {"tanks": 4},
                "positions": {
                    "double_a": {"quantity": nc("AAA", coefficient=2), "direction": "at_most",
                                 "target": 10},
                    "own": {"quantity": nc("CCC", coefficient=-1), "direction": "at_least",
                            "target": -3}}},
        "DDD": {"name": "D", "categories": []},  # takes part only through ceilings
    }
    limits: dict[str, Any] = {
        "freeze": {"type": "freeze", "of": "national_ceiling", "parties": ["AAA", "BBB"]},
        "sum": {"quantity": {"of": "national_ceiling", "parties": ["AAA", "BBB"],
                             "categories": ["tanks"]}, "sense": "<=", "value": 10},
    }
    limits.update(extra_limits or {})
    return {"name": "zopa test", "categories": ["tanks"], "parties": parties, "limits": limits}


def vertices(frame: Any) -> list[float]:
    return [c for x, y in zip(frame["x"], frame["y"], strict=True) for c in (float(x), float(y))]


def flat(points: list[tuple[float, float]]) -> list[float]:
    return [c for p in points for c in p]


def assert_checked(scenario: Scenario, first: tuple[float, float], second: tuple[float, float],
                   qx: dict[str, Any], qy: dict[str, Any], expected: tuple[float, float]
                   ) -> None:
    """Solve for the vertex maximising first·(x, y), then second·(x, y), check that it is the
    expected one, and run the independent checker on the package."""
    def objective(d: tuple[float, float]) -> Any:
        return lambda m: (-d[0] * m.expression(_form(scenario, qx))
                          - d[1] * m.expression(_form(scenario, qy)))

    outcome = lexicographic_minimum(CompiledModel(scenario), [objective(first),
                                                              objective(second)])
    assert outcome.optimal
    cm = outcome.compiled
    point = (cm.value(cm.model.expression(_form(scenario, qx))),
             cm.value(cm.model.expression(_form(scenario, qy))))
    assert list(point) == approx(list(expected))
    report = check(scenario, allocation_table(cm.model, cm.x), equipment_table(cm.model, cm.x))
    assert report.ok, report.summary()


def _form(scenario: Scenario, quantity: dict[str, Any]) -> dict:
    from cfe_opt.scenario.quantities import linear_form
    from cfe_opt.scenario.schema import Quantity

    return linear_form(scenario.index, Quantity.model_validate(quantity))


# ---- one quantity -----------------------------------------------------------------------------
def test_range_of_one_quantity_under_known_limits():
    """x: the freeze caps it at 6 (and x + y ≤ 10 with y ≥ 0 allows 6); floor 0 → [0, 6],
    although BBB wants x ≥ 8 (a position does not narrow the zone). x + y: [0, 10] (the sum
    limit binds, e.g. x = 6, y = 4). AAA's holdings after: cut to 0 at most, never above the 5
    held → [0, 5]. z (CCC's ceiling): no cap → [0, inf]; −z → [−inf, 0]."""
    s = make(box())
    r = quantity_range(s, nc("AAA"))
    assert r.index.name == "quantity"
    assert list(r.columns) == ["minimum", "maximum"]
    assert [r["minimum"].iloc[0], r["maximum"].iloc[0]] == approx([0, 6])
    assert r.attrs["quantity"] == "national_ceiling AAA tanks"
    total = {"of": "national_ceiling", "parties": ["AAA", "BBB"], "categories": ["tanks"]}
    assert list(quantity_range(s, total).iloc[0]) == approx([0, 10])
    held = {"of": "holdings", "parties": ["AAA"]}
    assert list(quantity_range(s, held).iloc[0]) == approx([0, 5])
    assert list(quantity_range(s, nc("CCC")).iloc[0]) == [0, float("inf")]
    assert list(quantity_range(s, nc("CCC", coefficient=-1)).iloc[0]) == [float("-inf"), 0]
    # a position names its quantity: BBB.more_a is x, CCC.double_a is 2x → [0, 12]
    assert list(quantity_range(s, "BBB.more_a").iloc[0]) == approx([0, 6])
    assert list(quantity_range(s, "CCC.double_a").iloc[0]) == approx([0, 12])
    assert quantity_range(s, "BBB.more_a").index[0] == "BBB.more_a"
    difference = {"terms": [nc("AAA", coefficient=-1), nc("BBB", coefficient=2)]}
    r = quantity_range(s, difference)  # 2y − x: min at (6, 0), max at (0, 7)
    assert list(r.iloc[0]) == approx([-6, 14])
    assert r.index[0] == "−national_ceiling AAA tanks + 2·national_ceiling BBB tanks"


def test_preferred_points_match_forms_up_to_a_factor():
    """On (x, y): BBB's target x ≥ 8; AAA's y ≤ 2; CCC's 2x ≤ 10 is x ≤ 5 on the x axis. CCC's
    −z ≥ −3 is on neither axis. On (z) alone: −z ≥ −3 is z ≤ 3 (the factor −1 flips it)."""
    s = make(box())
    p = preferred_points(s, nc("AAA"), nc("BBB"))
    assert list(p.index) == ["AAA", "BBB", "CCC"]
    assert p.at["AAA", "y"] == approx(2)
    assert p.at["AAA", "direction_y"] == "at_most"
    assert p.at["AAA", "position_x"] == ""
    assert p.at["BBB", "x"] == approx(8)
    assert p.at["BBB", "direction_x"] == "at_least"
    assert p.at["CCC", "x"] == approx(5)
    assert (p.at["CCC", "position_x"], p.at["CCC", "direction_x"]) == ("double_a", "at_most")
    assert p["x"].isna().tolist() == [True, False, False]
    assert p["y"].isna().tolist() == [False, True, True]
    z = preferred_points(s, nc("CCC"))
    assert list(z.index) == ["CCC"]
    assert (z.at["CCC", "x"], z.at["CCC", "direction_x"]) == (approx(3), "at_most")


# ---- two quantities ---------------------------------------------------------------------------
def test_polygon_with_known_vertices():
    """x ≤ 6, y ≤ 7, x + y ≤ 10, x, y ≥ 0: counter-clockwise from (0, 0): (0, 0), (6, 0),
    (6, 10 − 6) = (6, 4), (10 − 7, 7) = (3, 7), (0, 7)."""
    s = make(box())
    poly = feasible_region(s, nc("AAA"), nc("BBB"))
    assert poly.index.name == "vertex"
    assert list(poly.columns) == ["x", "y"]
    assert vertices(poly) == approx(flat([(0, 0), (6, 0), (6, 4), (3, 7), (0, 7)]))
    assert (poly.attrs["x"], poly.attrs["y"]) == ("national_ceiling AAA tanks",
                                                  "national_ceiling BBB tanks")
    assert (poly.attrs["unit_x"], poly.attrs["unit_y"]) == ("tanks", "tanks")
    # the package behind vertex (6, 4): max x, then max y
    assert_checked(s, (1, 0), (0, 1), nc("AAA"), nc("BBB"), (6, 4))


def test_polygon_edges_found_between_the_axis_extremes():
    """Adding x + 2y ≤ 16 cuts the corner (3, 7) off: x + y = 10 and x + 2y = 16 meet at
    (4, 6); x + 2y = 16 and y = 7 at (2, 7). Neither is an axis extreme, so both come from the
    edge search: (0, 0), (6, 0), (6, 4), (4, 6), (2, 7), (0, 7)."""
    slant = {"slant": {"quantity": {"terms": [nc("AAA"), nc("BBB", coefficient=2)]},
                       "sense": "<=", "value": 16}}
    s = make(box(slant))
    poly = feasible_region(s, nc("AAA"), nc("BBB"))
    assert vertices(poly) == approx(flat([(0, 0), (6, 0), (6, 4), (4, 6), (2, 7), (0, 7)]))
    assert_checked(s, (1, 2), (1, -1), nc("AAA"), nc("BBB"), (4, 6))


def test_degenerate_regions_segment_and_point():
    """(x, 2x) with x ∈ [0, 6]: the segment (0, 0)–(6, 12). With x fixed at 4 by an equality
    limit, (x, 2x) is the single point (4, 8)."""
    s = make(box())
    seg = feasible_region(s, nc("AAA"), nc("AAA", coefficient=2))
    assert vertices(seg) == approx(flat([(0, 0), (6, 12)]))
    fixed = make(box({"fix": {"quantity": nc("AAA"), "sense": "==", "value": 4}}))
    point = feasible_region(fixed, nc("AAA"), nc("AAA", coefficient=2))
    assert vertices(point) == approx([4, 8])


def test_unbounded_direction_is_named_in_one_line():
    """z = NC(CCC, tanks) has no cap: the polygon (x, z) is unbounded above in z."""
    s = make(box())
    with pytest.raises(CfeOptError, match="national_ceiling CCC tanks is unbounded above") as err:
        feasible_region(s, nc("AAA"), nc("CCC"))
    assert "\n" not in str(err.value)
    with pytest.raises(CfeOptError, match="national_ceiling CCC tanks is unbounded below"):
        feasible_region(s, nc("CCC", coefficient=-1), nc("AAA"))


def test_bad_quantities_and_infeasible_scenarios():
    s = make(box())
    for bad, message in [
        ("AAA.nothing", "AAA has no position 'nothing'"),
        ("ZZZ.more_a", "'ZZZ' is not a party"),
        ("AAA", "expected PARTY.position"),
        ({"of": "national_ceiling", "parties": ["ZZZ"]}, "'ZZZ'"),
        ({"of": "bogus"}, "quantity"),
        ({"of": "territorial_ceiling", "parties": ["DDD"]}, "DDD/tanks are not in play"),
        ({"of": "holdings", "parties": ["DDD"]}, "selects nothing the model includes"),
    ]:
        with pytest.raises(CfeOptError, match=message) as err:
            quantity_range(s, bad)
        assert "\n" not in str(err.value)
    infeasible = make(box({"floor": {"quantity": nc("AAA"), "sense": ">=", "value": 7}}))
    with pytest.raises(InfeasibleError):
        quantity_range(infeasible, nc("AAA"))
    with pytest.raises(InfeasibleError):
        feasible_region(infeasible, nc("AAA"), nc("BBB"))


# ---- the bundled scenario ---------------------------------------------------------------------
def test_talks_1998_flank_acv_range():
    """Russia's active-unit ACV sub-ceiling in the flank (the quantity of RUS.flank_acv_active):
    no hard limit caps it (Turkey's 580, held jointly with Norway, is a position; Russia's
    commitment on active units covers tanks and artillery), and it only has to be ≥ 0 (Russia
    may remove all its active ACVs) → [0, inf]. Read as a red line (case not_durable) → [0,
    580]; with Russia's floor of 2,000 too (the deadlock variant) there is no package.
    Targets: RUS ≥ 2,000; TUR ≤ 580 and NOR, holding it jointly, the same."""
    talks = load_scenario(BUNDLED)
    assert list(quantity_range(talks, "RUS.flank_acv_active").iloc[0]) == [0, float("inf")]
    p = preferred_points(talks, "RUS.flank_acv_active")
    assert list(p.index) == ["RUS", "TUR", "NOR"]
    assert list(p["x"]) == [2000, 580, 580]
    assert list(p["direction_x"]) == ["at_least", "at_most", "at_most"]
    assert p.at["NOR", "position_x"] == "TUR.no_new_flank_numbers_acv"
    capped = load_scenario(BUNDLED, case="not_durable")
    active = {"of": "territorial_ceiling", "areas": ["RUS.flank"], "categories": ["acv"],
              "status": "active"}
    assert list(quantity_range(capped, active).iloc[0]) == approx([0, 580])
    total = {**active, "status": "any"}
    assert list(quantity_range(capped, total).iloc[0]) == approx([0, 1380])
    with pytest.raises(InfeasibleError):
        quantity_range(load_scenario(ROOT / "models" / "talks_1998_flank_deadlock.yaml"),
                       "RUS.flank_acv_active")


def test_talks_1998_polands_permanent_and_temporary_polygon():
    """x = Poland's territorial ceiling (tanks), y = its basic temporary deployment: the cut by
    form caps x at 1,730 (it cannot rise), the allowance y at 153, Russia's proviso x + y at
    1,730; both ≥ 0 (Poland may reduce all its tanks). Vertices (0, 0), (1730, 0), (1577, 153),
    (0, 153). Preferred: Poland's readiness floor 1,557 on x, the USA's 153 on y."""
    talks = load_scenario(BUNDLED)
    qx = {"of": "territorial_ceiling", "parties": ["POL"], "categories": ["tanks"]}
    qy = {"of": "temporary_deployment", "parties": ["POL"], "categories": ["tanks"],
          "kinds": ["basic"]}
    poly = feasible_region(talks, qx, qy)
    assert vertices(poly) == approx(flat([(0, 0), (1730, 0), (1577, 153), (0, 153)]))
    assert_checked(talks, (1, 1), (1, 0), qx, qy, (1730, 0))
    p = preferred_points(talks, qx, qy)
    assert p.at["POL", "x"] == 1557
    assert p.at["USA", "y"] == 153


# ---- the zone of possible agreement over the stated ranges -------------------------------------
FLANK = "parties.{}.positions.{}.range"


def flank_ranges(rus_min: float | None, tur_max: float | None,
                 nor_max: float | None = None) -> Scenario:
    """The 1998 talks with acceptable ranges on the flank ACV sub-ceiling F (the quantity of
    Russia's, Turkey's and Norway's positions): Russia's minimum, Turkey's and Norway's maxima.
    No hard limit stops F above 0."""
    changes: dict[str, Any] = {}
    for code, name, key, value in (("RUS", "flank_acv", "min", rus_min),
                                   ("TUR", "flank_acv_no_rise", "max", tur_max),
                                   ("NOR", "flank_acv_no_rise", "max", nor_max)):
        if value is not None:
            changes[FLANK.format(code, name)] = {key: value}
    return with_changes(load_scenario(TALKS), changes)


def test_zone_is_the_overlap_of_the_stated_ranges():
    """Russia accepts F ≥ 1,700, Turkey F ≤ 1,800, Norway F ≤ 2,100: the zone is 1,700..1,800
    (Russia's minimum to Turkey's maximum), inside the hard limits' 0..∞, which stays
    reported beside it."""
    zone = agreement_zone(flank_ranges(1700, 1800, 2100), "RUS.flank_acv")
    assert list(zone.ranges.loc["hard limits", ["minimum", "maximum"]]) == [0, float("inf")]
    assert list(zone.ranges.loc["stated ranges", ["minimum", "maximum"]]) == approx([1700, 1800])
    assert zone.ranges.loc["stated ranges", "status"] == "zone"
    assert zone.ranges.attrs["unit"] == "ACVs"
    assert dict(zone.edges["bounds"]) == {("RUS", "flank_acv", "min"): "min",
                                          ("TUR", "flank_acv_no_rise", "max"): "max",
                                          ("NOR", "flank_acv_no_rise", "max"): ""}
    assert zone.clashes.empty and not zone.empty


def test_no_stated_range_narrows_nothing():
    zone = agreement_zone(load_scenario(TALKS), "RUS.flank_acv")
    assert list(zone.ranges.loc["stated ranges", ["minimum", "maximum"]]) == [0, float("inf")]
    assert zone.edges.empty


def test_clashing_ranges_are_named_with_the_gap_and_the_smallest_widening():
    """Russia's minimum 1,700 against Turkey's maximum 1,600: 100 ACVs apart; Norway's 1,800
    clashes with nobody. The smallest widening moves one of the two edges by 100 (a total of
    100 either way; which one is the solver's deterministic choice) and the zone is then the
    point 1,700 or 1,600."""
    zone = agreement_zone(flank_ranges(1700, 1600, 1800), "RUS.flank_acv")
    assert zone.empty
    assert zone.ranges.loc["stated ranges", "status"] == "empty"
    assert set(zone.clashes.index.get_level_values("clash")) == {1}
    members = {(p, e) for _c, p, _n, e in zone.clashes.index}
    assert members == {("RUS", "min"), ("TUR", "max")}
    assert set(zone.clashes["apart"]) == {100}
    assert zone.clashes.attrs["phrases"] == [
        "Russia's minimum 1,700 (flank_acv) against Turkey's maximum 1,600 "
        "(flank_acv_no_rise): 100 ACVs apart"]
    assert zone.edges["widening"].sum() == approx(100)
    assert zone.edges.loc[("NOR", "flank_acv_no_rise", "max"), "widening"] == approx(0)
    widened = zone.ranges.loc["once widened"]
    assert widened["status"] == "point" and widened["minimum"] in (approx(1600), approx(1700))


def test_two_clashes_are_both_listed():
    """Turkey's 1,600 and Norway's 1,650 each clash with Russia's 1,700 (100 and 50 apart);
    opening a zone needs 100 in all (Russia's minimum down to 1,600, or both maxima up)."""
    zone = agreement_zone(flank_ranges(1700, 1600, 1650), "RUS.flank_acv")
    apart = {c: set(zone.clashes.xs(c, level="clash")["apart"])
             for c in set(zone.clashes.index.get_level_values("clash"))}
    assert sorted(v.pop() for v in apart.values()) == [50, 100]
    assert zone.edges["widening"].sum() == approx(100)


def test_zone_of_two_quantities_inside_the_ranges():
    """x = NC(USA, tanks), y = NC(NATO_OTHERS, tanks) under the hard limits: the polygon
    (0, 0), (13300, 0), (13300, 9364), (0, 22664). With the USA accepting x in 1,700..2,000
    and NATO_OTHERS y in 17,000..17,500, the zone is that box (inside the polygon)."""
    talks = with_changes(load_scenario(TALKS), {
        "parties.USA.positions.nc_tanks.range": {"min": 1700, "max": 2000},
        "parties.NATO_OTHERS.positions.nc_tanks.range": {"min": 17000, "max": 17500}})
    poly = agreement_region(talks, nc("USA"), nc("NATO_OTHERS"))
    assert poly is not None
    assert vertices(poly) == approx(flat([(1700, 17000), (2000, 17000), (2000, 17500),
                                          (1700, 17500)]))
    clash = with_changes(talks, {"parties.USA.positions.nc_tanks.range": {"min": 1800,
                                                                         "max": 2000},
                                 "parties.USA.positions.nc_tanks.target": 1900,
                                 "parties.NATO_OTHERS.positions.nc_tanks.range": {
                                     "min": 22000, "max": 23000},
                                 "parties.NATO_OTHERS.positions.nc_tanks.target": 22500})
    assert agreement_region(clash, nc("USA"), nc("NATO_OTHERS")) is None  # x + y ≤ 22,664


# ---- figures ----------------------------------------------------------------------------------
def test_plots_smoke(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    s = make(box())
    ax = plot_range(quantity_range(s, nc("AAA")), preferred_points(s, nc("AAA")))
    assert isinstance(ax, Axes)
    ax.figure.savefig(tmp_path / "range.png")
    talks = load_scenario(BUNDLED)
    ax = plot_range(agreement_zone(talks, "RUS.flank_acv_active"),
                    preferred_points(talks, "RUS.flank_acv_active"))  # open upper end
    ax.figure.savefig(tmp_path / "range_open.png")
    for name, poly in [("region", feasible_region(s, nc("AAA"), nc("BBB"))),
                       ("segment", feasible_region(s, nc("AAA"), nc("AAA", coefficient=2)))]:
        ax = plot_region(poly, preferred_points(s, nc("AAA"), nc("BBB")))
        assert isinstance(ax, Axes)
        assert ax.get_xlabel() == "national_ceiling A tanks (tanks)"  # the party's name
        ax.figure.savefig(tmp_path / f"{name}.png")
    for name in ("range", "range_open", "region", "segment"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
    plt.close("all")


def test_zone_figure_shows_each_range_and_the_zone_or_the_gap():
    import matplotlib.pyplot as plt

    s = flank_ranges(1700, 1800, 2100)
    ax = plot_range(agreement_zone(s, "RUS.flank_acv"), preferred_points(s, "RUS.flank_acv"))
    labels = ax.get_legend_handles_labels()[1]
    assert "zone of possible agreement 1,700..1,800" in labels
    assert "Russia: acceptable range 1,700.." in labels
    assert "Turkey: acceptable range ..1,800" in labels
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hard limits", "Russia", "Turkey",
                                                             "Norway"]
    assert ax.get_xlabel() == "Russia's flank_acv (ACVs)"
    plt.close(ax.figure)
    s = flank_ranges(1700, 1600, 1800)
    ax = plot_range(agreement_zone(s, "RUS.flank_acv"), preferred_points(s, "RUS.flank_acv"))
    assert "the ranges clash: 100 ACVs apart" in ax.get_legend_handles_labels()[1]
    plt.close(ax.figure)
