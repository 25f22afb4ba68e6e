"""Exact optima of tiny scenarios, derived by hand.

Every expected value below is derived in the test's docstring from the formulation
(``cfe_opt/model/constraints``, ``cfe_opt/objectives.py``) and the normalisation rule of
``docs/scenario-format.md``: a shortfall is divided by ``target − range.min``, an excess by
``range.max − target``; without a range by ``max(|target|, 1)``; ``scale`` overrides both.

Notation: NC, TC, TD, H are national ceiling, territorial ceiling, temporary deployment and
holdings after the change; "dev" is a normalised deviation, w its weight.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import make, solve_checked

from cfe_opt import CfeOptError, SolverError, SolveStatus, check, solve
from cfe_opt.io import csv_text
from cfe_opt.solve import SOLVERS as CAPABILITIES
from cfe_opt.solve.cbc import make_cbc

EPS = 1e-6


def approx(value: float) -> Any:
    return pytest.approx(value, abs=EPS)


# ---- scenario builders ------------------------------------------------------------------------
def q(of: str, parties: list[str] | None = None, categories: list[str] | None = None,
      **extra: Any) -> dict[str, Any]:
    """One quantity term."""
    term: dict[str, Any] = {"of": of}
    if parties is not None:
        term["parties"] = parties
    if categories is not None:
        term["categories"] = categories
    term.update(extra)
    return term


def position(quantity: dict[str, Any], direction: str, target: float, **extra: Any
             ) -> dict[str, Any]:
    return {"quantity": quantity, "direction": direction, "target": target, **extra}


def scenario(parties: dict[str, Any], categories: tuple[str, ...] = ("tanks",),
             **extra: Any) -> dict[str, Any]:
    return {"name": "test", "categories": list(categories), "parties": parties, **extra}


def alloc(result: Any, party: str, column: str, area: str = "total",
          category: str = "tanks") -> float:
    return float(result.allocation.at[(party, area, category), column])


def achieved(result: Any, party: str, name: str, column: str = "achieved") -> float:
    return float(result.positions.at[(party, name), column])


def stage(result: Any, name: str) -> float:
    values = [s.objective for s in result.stages if s.name == name]
    assert len(values) == 1, [s.name for s in result.stages]
    return float(values[0])


# ---- 1. two parties pulling one number apart: weighted ---------------------------------------
def pull_apart(weight_a: float = 1, weight_b: float = 1, scale: float | None = None,
               third: bool = False) -> dict[str, Any]:
    """A wants NC(AAA, tanks) ≤ 100, B wants it ≥ 200. AAA holds 80 tanks, NC now 150."""
    extra = {} if scale is None else {"scale": scale}
    nc_a = q("national_ceiling", ["AAA"], ["tanks"])
    parties: dict[str, Any] = {
        "AAA": {"name": "A", "holdings": {"tanks": 80, "artillery": 40},
                "national_ceiling": {"tanks": 150, "artillery": 80},
                "positions": {"low": position(nc_a, "at_most", 100, weight=weight_a, **extra)}},
        "BBB": {"name": "B", "holdings": {"tanks": 50, "artillery": 10},
                "positions": {"high": position(nc_a, "at_least", 200, weight=weight_b,
                                               **extra)}},
    }
    if third:
        # C wants AAA's artillery ceiling at most 50 (now 80, holdings 40): free to meet.
        parties["CCC"] = {"name": "C", "holdings": {"tanks": 10, "artillery": 10},
                          "positions": {"art": position(
                              q("national_ceiling", ["AAA"], ["artillery"]), "at_most", 50,
                              scale=100)}}
    return scenario(parties, categories=("tanks", "artillery"))


def test_weighted_relative_scales_larger_normalised_pull_wins():
    """x = NC(AAA, tanks); no scale or range, so each side is relative to its own target:
    A's excess scale is 100, B's shortfall scale 200. For 100 ≤ x ≤ 200 the weighted sum is
    (x − 100)/100 + (200 − x)/200, slope 1/100 − 1/200 > 0: A's pull per unit is larger, so
    x = 100 and the objective is B's (200 − 100)/200 = 0.5."""
    r = solve_checked(pull_apart())
    assert r.optimal
    assert alloc(r, "AAA", "national_ceiling") == approx(100)
    assert achieved(r, "AAA", "low", "normalised_deviation") == approx(0)
    assert achieved(r, "BBB", "high", "deviation") == approx(100)
    assert achieved(r, "BBB", "high", "normalised_deviation") == approx(0.5)
    assert r.objective == approx(0.5)


def test_weighted_heavier_weight_flips_the_answer():
    """B's weight 3: slope 1/100 − 3/200 = −1/200 < 0, so x = 200 and the objective is
    A's (200 − 100)/100 · 1 = 1.0 (B's weighted pull 3/200 beats A's 1/100)."""
    r = solve_checked(pull_apart(weight_b=3))
    assert alloc(r, "AAA", "national_ceiling") == approx(200)
    assert achieved(r, "AAA", "low", "normalised_deviation") == approx(1.0)
    assert achieved(r, "BBB", "high", "deviation") == approx(0)
    assert r.objective == approx(1.0)


def test_weighted_equal_scales_tie_broken_towards_status_quo():
    """scale 100 on both: (x − 100)/100 + (200 − x)/100 = 1 for every x in [100, 200], so the
    main objective is 1 and flat; the tie-break keeps NC at its current figure, 150."""
    r = solve_checked(pull_apart(scale=100))
    assert r.objective == approx(1.0)
    assert alloc(r, "AAA", "national_ceiling") == approx(150)
    # NC(BBB) has no current figure: "as low as possible", i.e. at B's holdings.
    assert alloc(r, "BBB", "national_ceiling") == approx(50)


# ---- 2. minimax ----------------------------------------------------------------------------
def test_minimax_midpoint_with_equal_scales():
    """scale 100: minimise max((x − 100)/100, (200 − x)/100) → x = 150, both devs 0.5.
    Stage 2 (weighted sum, level held at 0.5) gives 0.5 + 0.5 = 1.0, the reported objective."""
    r = solve_checked(pull_apart(scale=100), objective="minimax")
    assert alloc(r, "AAA", "national_ceiling") == approx(150)
    assert achieved(r, "AAA", "low", "normalised_deviation") == approx(0.5)
    assert achieved(r, "BBB", "high", "normalised_deviation") == approx(0.5)
    assert stage(r, "minimax") == approx(0.5)
    assert r.objective == approx(0.5)  # the minimax level is the reported objective
    assert stage(r, "weighted") == approx(1.0)


def test_minimax_with_range_gives_the_same_midpoint():
    """A range sets the scales instead: A's range max 200 → excess scale 100; B's range min 100
    → shortfall scale 100. Same problem as above: x = 150, level 0.5."""
    data = pull_apart()
    data["parties"]["AAA"]["positions"]["low"]["range"] = {"max": 200}
    data["parties"]["BBB"]["positions"]["high"]["range"] = {"min": 100}
    r = solve_checked(data, objective="minimax")
    assert alloc(r, "AAA", "national_ceiling") == approx(150)
    assert stage(r, "minimax") == approx(0.5)
    assert r.positions["within_range"].all()


def test_weighted_minimax_point_and_pareto_stage():
    """Weights A:B = 2:1, scale 100: 2(x − 100)/100 = (200 − x)/100 → 3x = 400, x = 400/3;
    level 2/3 (A: dev 1/3 × 2, B: dev 2/3 × 1); weighted sum 2/3 + 2/3 = 4/3.

    A third position (C: NC(AAA, artillery) ≤ 50, scale 100; now 80, holdings 40) is free to
    meet. Stage 1 alone would accept any value up to 50 + 100·(2/3), and the ceiling tie-break
    would pull it back to its current 80; stage 2 (weighted sum under the held level) makes
    the package Pareto-optimal: the artillery ceiling goes to 50 and C's deviation is 0."""
    r = solve_checked(pull_apart(weight_a=2, scale=100, third=True), objective="minimax")
    assert alloc(r, "AAA", "national_ceiling") == approx(400 / 3)
    assert achieved(r, "AAA", "low", "weighted_deviation") == approx(2 / 3)
    assert achieved(r, "BBB", "high", "weighted_deviation") == approx(2 / 3)
    assert stage(r, "minimax") == approx(2 / 3)
    assert r.objective == approx(2 / 3)
    assert stage(r, "weighted") == approx(4 / 3)
    assert achieved(r, "CCC", "art", "deviation") == approx(0)
    assert alloc(r, "AAA", "national_ceiling", category="artillery") == approx(50)


# ---- 3. lexicographic ------------------------------------------------------------------------
def test_lexicographic_priority_one_is_met_first():
    """A (priority 1, weight 1): x ≤ 100; B (priority 2, weight 10): x ≥ 200; scale 100.

    Lexicographic: stage 1 minimises A's dev alone → x = 100 (dev 0), held; stage 2 can only
    keep x = 100, so B's dev is 1.0 and its weighted sum (the reported objective) is 10.
    Weighted with the same weights: (x − 100)/100 + 10(200 − x)/100, slope −9/100 → x = 200,
    A's dev 1.0, objective 1.0 — the opposite answer."""
    data = pull_apart(weight_b=10, scale=100)
    data["parties"]["BBB"]["positions"]["high"]["priority"] = 2
    lex = solve_checked(data, objective="lexicographic")
    assert alloc(lex, "AAA", "national_ceiling") == approx(100)
    assert achieved(lex, "AAA", "low", "deviation") == approx(0)
    assert achieved(lex, "BBB", "high", "normalised_deviation") == approx(1.0)
    assert stage(lex, "priority_1") == approx(0)
    assert stage(lex, "priority_2") == approx(10)
    assert lex.objective == approx(0)  # the top priority level is the reported objective

    weighted = solve_checked(data, objective="weighted")
    assert alloc(weighted, "AAA", "national_ceiling") == approx(200)
    assert achieved(weighted, "AAA", "low", "normalised_deviation") == approx(1.0)
    assert weighted.objective == approx(1.0)


# ---- 4. a regional limit forcing reductions shared by size ------------------------------------
def zone_cap(limit: float = 800, mode_owner: str = "adapted_cfe") -> dict[str, Any]:
    """AAA/BBB/CCC hold 600/300/100 tanks, all in zone CENTRE whose tanks must be ≤ limit;
    each wants holdings ≥ current (no range, so the scale is its own holdings)."""
    parties = {}
    for code, held in (("AAA", 600), ("BBB", 300), ("CCC", 100)):
        parties[code] = {"name": code, "holdings": {"tanks": held}, "positions": {
            "keep": position(q("holdings", [code], ["tanks"]), "at_least", held)}}
    return scenario(parties, zones={"CENTRE": {"members": ["AAA", "BBB", "CCC"]}},
                    limits={"zone_cap": {"owner": mode_owner, "sense": "<=", "value": limit,
                                         "quantity": q("equipment", areas=["CENTRE"])}})


def test_zone_limit_minimax_equal_relative_cuts():
    """Cut shares s_i = (H⁰_i − H_i)/H⁰_i; the zone needs 600s₁ + 300s₂ + 100s₃ ≥ 200.
    Minimax: min max s_i → all equal, 1000s = 200, s = 0.2: holdings 480/240/80, reductions
    120/60/20. Stage 2 (Σ s_i with every s_i ≤ 0.2 and the cut still ≥ 200) forces s_i = 0.2
    each, so the weighted sum is 0.6."""
    r = solve_checked(zone_cap(), objective="minimax")
    for code, after, cut in (("AAA", 480, 120), ("BBB", 240, 60), ("CCC", 80, 20)):
        assert alloc(r, code, "holdings_after") == approx(after)
        assert alloc(r, code, "reduction") == approx(cut)
        assert alloc(r, code, "on_territory_after") == approx(after)
        assert achieved(r, code, "keep", "normalised_deviation") == approx(0.2)
    assert stage(r, "minimax") == approx(0.2)
    assert r.objective == approx(0.2)
    assert stage(r, "weighted") == approx(0.6)
    row = r.constraints.loc["limit.zone_cap"]
    assert row["owner"] == "adapted_cfe"
    assert row["kind"] == "treaty_rule"
    assert bool(row["binding"])
    assert row["lhs"] == approx(800)
    assert row["slack"] == approx(0)


def test_zone_limit_weighted_cuts_the_biggest_holder():
    """Weighted: min s₁ + s₂ + s₃ = c₁/600 + c₂/300 + c₃/100 with c₁ + c₂ + c₃ ≥ 200. The
    cheapest unit is AAA's (1/600), so c = (200, 0, 0): holdings 400/300/100, objective 1/3."""
    r = solve_checked(zone_cap(), objective="weighted")
    for code, after, cut in (("AAA", 400, 200), ("BBB", 300, 0), ("CCC", 100, 0)):
        assert alloc(r, code, "holdings_after") == approx(after)
        assert alloc(r, code, "reduction") == approx(cut)
    assert r.objective == approx(1 / 3)
    assert bool(r.constraints.at["limit.zone_cap", "binding"])


# ---- 5. reciprocity -----------------------------------------------------------------------------
def reciprocity(weight_b: float = 1, with_limit: bool = True) -> dict[str, Any]:
    """A: TC now 100 (20 tanks on territory), wants TC(A) ≤ 60 (scale 40); its red line allows
    that cut only with a comparable cut share by B. B: TC now 200 (10 tanks), wants TC(B) ≥ 200
    (relative scale 200), weight weight_b."""
    a: dict[str, Any] = {
        "name": "A", "holdings": {"tanks": 20}, "territorial_ceiling": {"tanks": 100},
        "positions": {"cut_tc": position(q("territorial_ceiling", ["AAA"]), "at_most", 60,
                                         scale=40)}}
    if with_limit:
        a["red_lines"] = {"only_if_b_cuts": {
            "type": "reciprocity", "measure": "share", "ratio": 1,
            "subject": q("territorial_ceiling", ["AAA"]),
            "reference": q("territorial_ceiling", ["BBB"])}}
    b = {"name": "B", "holdings": {"tanks": 10}, "territorial_ceiling": {"tanks": 200},
         "positions": {"keep_tc": position(q("territorial_ceiling", ["BBB"]), "at_least", 200,
                                           weight=weight_b)}}
    return scenario({"AAA": a, "BBB": b})


def test_reciprocity_without_the_limit_a_cuts_alone():
    """No reciprocity: TC(A) = 60, TC(B) = 200, every position met, objective 0."""
    r = solve_checked(reciprocity(with_limit=False))
    assert alloc(r, "AAA", "territorial_ceiling") == approx(60)
    assert alloc(r, "BBB", "territorial_ceiling") == approx(200)
    assert r.objective == approx(0)


def test_reciprocity_weighted_b_gives_way():
    """Cut shares s = (100 − a)/100, t = (200 − b)/200, red line s ≤ t.
    A's dev = (a − 60)/40 = 1 − 2.5s (s ≤ 0.4), B's dev = t ≥ s, so at best t = s and the
    objective is 1 − 2.5s + s = 1 − 1.5s → s = 0.4: TC(A) = 60, TC(B) = 120, objective 0.4."""
    r = solve_checked(reciprocity())
    assert alloc(r, "AAA", "territorial_ceiling") == approx(60)
    assert alloc(r, "BBB", "territorial_ceiling") == approx(120)
    assert achieved(r, "BBB", "keep_tc", "normalised_deviation") == approx(0.4)
    assert r.objective == approx(0.4)
    row = r.constraints.loc["reciprocity.AAA.only_if_b_cuts"]
    assert (row["owner"], row["kind"], bool(row["binding"])) == ("AAA", "red_line", True)


def test_reciprocity_weighted_b_resists():
    """B's weight 3: objective 1 − 2.5s + 3s = 1 + 0.5s → s = 0: nobody cuts, A's dev is 1."""
    r = solve_checked(reciprocity(weight_b=3))
    assert alloc(r, "AAA", "territorial_ceiling") == approx(100)
    assert alloc(r, "BBB", "territorial_ceiling") == approx(200)
    assert achieved(r, "AAA", "cut_tc", "normalised_deviation") == approx(1.0)
    assert r.objective == approx(1.0)


def test_reciprocity_minimax():
    """Minimax: max(1 − 2.5s, t) with t ≥ s → 1 − 2.5s = s, s = 2/7: TC(A) = 500/7,
    TC(B) = 1000/7, level 2/7; stage 2 keeps s = t = 2/7, weighted sum 4/7."""
    r = solve_checked(reciprocity(), objective="minimax")
    assert alloc(r, "AAA", "territorial_ceiling") == approx(500 / 7)
    assert alloc(r, "BBB", "territorial_ceiling") == approx(1000 / 7)
    assert stage(r, "minimax") == approx(2 / 7)
    assert r.objective == approx(2 / 7)
    assert stage(r, "weighted") == approx(4 / 7)


# ---- 6. temporary deployments -----------------------------------------------------------------
def deployments(peak: float, weight_usa: float = 1) -> dict[str, Any]:
    """POL: 500 tanks, TC now 700 and wants TC exactly 700 (weight 10, relative scale 700);
    it may host a temporary deployment of up to 153 tanks above TC. USA (no territory; its 0
    tanks stationed in POL) wants the peak level TC(POL) + TD(POL) ≥ peak (scale 100)."""
    peak_level = {"terms": [q("territorial_ceiling", ["POL"]), q("temporary_deployment",
                                                                  ["POL"])]}
    return scenario({
        "POL": {"name": "Poland", "holdings": {"tanks": 500}, "territorial_ceiling":
                {"tanks": 700}, "national_ceiling": {"tanks": 800},
                "positions": {"tc": position(q("territorial_ceiling", ["POL"]), "exactly", 700,
                                             weight=10)}},
        "USA": {"name": "USA", "territory": False, "holdings": {"tanks": 0},
                "stationed": {"POL": {"tanks": 0}},
                "positions": {"peak": position(peak_level, "at_least", peak, scale=100,
                                               weight=weight_usa)}},
    }, temporary_deployments={"btd": {"hosts": ["POL"], "allowance": {"tanks": 153},
                                      "owner": "adapted_cfe"}})


def test_temporary_deployment_takes_exactly_what_is_needed():
    """Peak 800: TC stays 700 (any move costs POL 10/700 per unit), TD ∈ [100, 153] all meet
    the peak; the tie-break keeps TD as low as possible: exactly 100. Objective 0; the
    allowance row is slack by 53."""
    r = solve_checked(deployments(800))
    assert alloc(r, "POL", "territorial_ceiling") == approx(700)
    assert alloc(r, "POL", "temporary_deployment") == approx(100)
    assert achieved(r, "USA", "peak") == approx(800)
    assert r.objective == approx(0)
    row = r.constraints.loc["temporary_deployment.POL.tanks"]
    assert row["owner"] == "adapted_cfe"
    assert row["slack"] == approx(53)


def test_temporary_deployment_over_demand():
    """Peak 1000: TD is capped at 153. Raising TC costs POL 10/700 = 1/70 per unit, more than
    the 1/100 USA saves, so TC stays 700 and USA is short by 1000 − 853 = 147: dev 1.47,
    objective 1.47. The binding allowance is worth −1/100 per extra tank (shadow price)."""
    r = solve_checked(deployments(1000))
    assert alloc(r, "POL", "territorial_ceiling") == approx(700)
    assert alloc(r, "POL", "temporary_deployment") == approx(153)
    assert achieved(r, "USA", "peak", "deviation") == approx(147)
    assert r.objective == approx(1.47)
    row = r.constraints.loc["temporary_deployment.POL.tanks"]
    assert bool(row["binding"])
    assert row["shadow_price"] == approx(-0.01)


def test_temporary_deployment_over_demand_heavier_user():
    """USA weight 2: it saves 2/100 = 1/50 per unit of TC, more than POL's 1/70, so TC rises to
    1000 − 153 = 847; POL's excess 147/700 × 10 = 2.1 is the objective. TD is still 153."""
    r = solve_checked(deployments(1000, weight_usa=2))
    assert alloc(r, "POL", "territorial_ceiling") == approx(847)
    assert alloc(r, "POL", "temporary_deployment") == approx(153)
    assert achieved(r, "USA", "peak", "deviation") == approx(0)
    assert r.objective == approx(2.1)


# ---- 7. active vs storage in an area ----------------------------------------------------------
def flank() -> dict[str, Any]:
    """RUS: 3000 ACVs, 200 in storage; its flank area holds 1500 (the 200 stored ones among
    them): before, flank active 1300, flank storage 200, main active 1500, main storage 0.
    TUR's red line: RUS active ACVs in the flank ≤ 1000. RUS wants flank active ACVs ≥ 1500
    (relative scale 1500) and flank ACVs of any status ≥ 1800."""
    in_flank = {"of": "equipment", "areas": ["RUS.flank"], "owners": ["RUS"],
                "categories": ["acv"]}
    return scenario({
        "RUS": {"name": "Russia", "holdings": {"acv": 3000}, "storage": {"acv": 200},
                "areas": {"flank": {"holdings": {"acv": 1500}, "storage": {"acv": 200}}},
                "positions": {
                    "flank_active": position({**in_flank, "status": "active"}, "at_least", 1500),
                    "flank_total": position(in_flank, "at_least", 1800)}},
        "TUR": {"name": "Turkey", "holdings": {"acv": 100}, "red_lines": {
            "rus_flank_active": {"quantity": {**in_flank, "status": "active"}, "sense": "<=",
                                 "value": 1000}}},
    }, categories=("acv",))


def test_flank_storage_absorbs_what_active_units_may_not_hold():
    """Active ≤ 1000 leaves flank_active short by 500: dev 500/1500 = 1/3 = the objective;
    flank_total is met by storage: 1800 − 1000 = 800 stored in the flank. Tie-break (least
    movement): holdings stay 3000, flank active 1000 (not less: each unit less costs twice),
    main keeps 3000 − 1800 = 1200, all active (moving main ACVs to storage costs extra)."""
    r = solve_checked(flank())
    assert r.objective == approx(1 / 3)
    assert achieved(r, "RUS", "flank_active") == approx(1000)
    assert achieved(r, "RUS", "flank_total") == approx(1800)
    assert alloc(r, "RUS", "active_in_area_after", "flank", "acv") == approx(1000)
    assert alloc(r, "RUS", "storage_in_area_after", "flank", "acv") == approx(800)
    assert alloc(r, "RUS", "in_area_after", "flank", "acv") == approx(1800)
    assert alloc(r, "RUS", "active_in_area_after", "main", "acv") == approx(1200)
    assert alloc(r, "RUS", "storage_in_area_after", "main", "acv") == approx(0)
    # the state row holds the state's total, the area rows their parts: summing a column over
    # every row of a party never counts the same equipment twice
    assert alloc(r, "RUS", "on_territory_after", "total", "acv") == approx(3000)
    assert math.isnan(alloc(r, "RUS", "on_territory_after", "flank", "acv"))  # a state column
    assert math.isnan(alloc(r, "RUS", "in_area_after", "total", "acv"))  # an area column
    rows = r.allocation.xs("RUS", level="party")
    assert rows["in_area_after"].sum() == rows["on_territory_after"].sum() == approx(3000)
    assert alloc(r, "RUS", "holdings_after", category="acv") == approx(3000)
    assert alloc(r, "RUS", "reduction", category="acv") == approx(0)
    row = r.constraints.loc["limit.TUR.rus_flank_active"]
    assert (row["owner"], row["kind"], bool(row["binding"])) == ("TUR", "red_line", True)
    assert row["lhs"] == approx(1000)


# ---- 8. freeze and equal treatment ------------------------------------------------------------
def test_freeze_makes_a_position_unreachable():
    """AAA: NC now 1000, holdings 800, wants NC ≥ 1200 (relative scale 1200); a freeze keeps
    NC ≤ 1000. Best NC = 1000, shortfall 200, dev 200/1200 = 1/6 = objective."""
    data = scenario({"AAA": {"name": "A", "holdings": {"tanks": 800},
                             "national_ceiling": {"tanks": 1000},
                             "positions": {"more": position(q("national_ceiling", ["AAA"]),
                                                            "at_least", 1200)}}},
                    limits={"no_rise": {"type": "freeze", "of": "national_ceiling",
                                        "parties": ["AAA"]}})
    r = solve_checked(data)
    assert alloc(r, "AAA", "national_ceiling") == approx(1000)
    assert achieved(r, "AAA", "more", "deviation") == approx(200)
    assert r.objective == approx(1 / 6)
    row = r.constraints.loc["freeze.no_rise.AAA.tanks"]
    assert bool(row["binding"])
    assert row["shadow_price"] == approx(-1 / 1200)


def equal_treatment(with_limit: bool = True) -> dict[str, Any]:
    """CCC wants NC(AAA) ≤ 800 (AAA's NC now 1000, holdings 500; scale 200). BBB: NC now 500,
    holdings 300, wants NC(BBB) ≥ 500 (relative scale 500). Equal treatment: AAA's cut share
    of its NC may not exceed BBB's ("no separate rule for AAA")."""
    data = scenario({
        "AAA": {"name": "A", "holdings": {"tanks": 500}, "national_ceiling": {"tanks": 1000}},
        "BBB": {"name": "B", "holdings": {"tanks": 300}, "national_ceiling": {"tanks": 500},
                "positions": {"keep": position(q("national_ceiling", ["BBB"]), "at_least",
                                               500)}},
        "CCC": {"name": "C", "holdings": {"tanks": 10},
                "positions": {"cut_a": position(q("national_ceiling", ["AAA"]), "at_most",
                                                800, scale=200)}},
    })
    if with_limit:
        data["limits"] = {"alike": {"type": "equal_treatment", "of": "national_ceiling",
                                    "subject": ["AAA"], "reference": ["BBB"]}}
    return data


def test_equal_treatment_forces_the_other_member_to_cut_alike():
    """Without the limit: NC(AAA) = 800, NC(BBB) = 500, objective 0. With it: cut shares
    a = (1000 − NC_A)/1000 ≤ b = (500 − NC_B)/500. C's dev = (200 − 1000a)/200 = 1 − 5a
    (a ≤ 0.2), B's dev = b ≥ a; objective 1 − 5a + a = 1 − 4a → a = b = 0.2:
    NC(AAA) = 800, NC(BBB) = 400 (still ≥ its 300 tanks), objective 0.2."""
    free = solve_checked(equal_treatment(with_limit=False))
    assert alloc(free, "BBB", "national_ceiling") == approx(500)
    assert free.objective == approx(0)

    r = solve_checked(equal_treatment())
    assert alloc(r, "AAA", "national_ceiling") == approx(800)
    assert alloc(r, "BBB", "national_ceiling") == approx(400)
    assert achieved(r, "BBB", "keep", "normalised_deviation") == approx(0.2)
    assert r.objective == approx(0.2)
    row = r.constraints.loc["equal_treatment.alike.AAA.BBB.tanks"]
    assert (row["owner"], row["kind"], bool(row["binding"])) == ("treaty", "treaty_rule", True)


# ---- 9. shadow-price sign convention -----------------------------------------------------------
def cbc_available() -> bool:
    try:
        make_cbc(False)
    except SolverError:
        return False
    return True


DUAL_SOLVERS = ["highs", pytest.param("cbc", marks=pytest.mark.skipif(
    not cbc_available() or not CAPABILITIES["cbc"].duals,
    reason="CBC is not installed, or its duals are not read reliably (PuLP 4)"))]


@pytest.mark.parametrize("solver", DUAL_SOLVERS)
def test_shadow_price_of_binding_upper_limit(solver):
    """Weighted zone case (test 4): objective(b) = (1000 − b)/600 for the zone cap b ≤ 1000
    (AAA, the cheapest, absorbs the whole cut), so d objective/d b = −1/600 < 0: relaxing the
    `<=` limit lowers the objective, and the shadow price is −1/600. Re-solving with b = 801
    lowers the objective by exactly 1/600."""
    r = solve_checked(zone_cap(800), solver=solver)
    r1 = solve_checked(zone_cap(801), solver=solver)
    price = float(r.constraints.at["limit.zone_cap", "shadow_price"])
    assert r.duals_available
    assert price == approx(-1 / 600)
    assert price < 0
    assert stage(r1, "weighted") - stage(r, "weighted") == approx(price)


def test_shadow_price_highs_and_cbc_agree():
    """Both solvers give the same sign and value on every binding hard limit of test 6."""
    if not cbc_available():
        pytest.skip("CBC is not installed")
    h = solve_checked(deployments(1000), solver="highs")
    c = solve_checked(deployments(1000), solver="cbc")
    assert h.objective == approx(c.objective)
    name = "temporary_deployment.POL.tanks"
    assert h.constraints.at[name, "shadow_price"] == approx(-0.01)
    if CAPABILITIES["cbc"].duals:
        assert c.constraints.at[name, "shadow_price"] == approx(-0.01)
    else:  # PuLP 4 reads CBC's duals back wrongly: cfe-opt reports none rather than wrong ones
        assert not c.duals_available
        assert c.constraints["shadow_price"].isna().all()
        assert any("no shadow prices" in note for note in c.notes)


def test_pulp_cbc_duals_are_wrong_under_pulp_4():
    """Pin the reason CBC's duals are not used under PuLP 4: on min 2x + 3y s.t. x + y ≥ 10,
    x ≤ 4 the duals are 3 and −1 (HiGHS says so); PuLP 4's COIN_CMD reports something else.
    If a PuLP release fixes this, this test fails and cfe_opt.solve.SOLVERS['cbc'].duals can
    be True again."""
    import pulp

    if not cbc_available():
        pytest.skip("CBC is not installed")
    problem = pulp.LpProblem("pin", pulp.LpMinimize)
    x = problem.add_variable("x", lowBound=0)
    y = problem.add_variable("y", lowBound=0)
    problem.setObjective(2 * x + 3 * y)
    problem.addConstraint(x + y >= 10, name="cover")
    problem.addConstraint(x <= 4, name="xcap")
    problem.solve(make_cbc(integer=False))
    rows = problem.constraints() if callable(problem.constraints) else problem.constraints
    items = rows.items() if hasattr(rows, "items") else ((r.name, r) for r in rows)
    duals = {name: row.pi for name, row in items}
    correct = duals["cover"] == approx(3) and duals["xcap"] == approx(-1)
    assert correct == CAPABILITIES["cbc"].duals


def test_shadow_price_minimax_matches_resolve():
    """Minimax zone case: the level is s = (1000 − b)/1000, the reported objective (the first
    stage's optimum), so d/db = −0.001; the shadow price, read from that stage's LP, must equal
    the objective's change on re-solving with b + 1."""
    r = solve_checked(zone_cap(800), objective="minimax")
    r1 = solve_checked(zone_cap(801), objective="minimax")
    price = float(r.constraints.at["limit.zone_cap", "shadow_price"])
    assert r1.objective - r.objective == approx(-0.001)
    assert price == approx(r1.objective - r.objective)


# ---- 10. --integer ------------------------------------------------------------------------------
def test_integer_rounds_the_fractional_minimax_point():
    """LP (weights 2:1, scale 100): x = 400/3 = 133.333333, reported unrounded.
    MILP: NC whole. Level max(2(x − 100)/100, (200 − x)/100): x = 133 → max(0.66, 0.67) =
    0.67; x = 134 → max(0.68, 0.66) = 0.68; so x = 133, level 0.67, and stage 2 (level held)
    leaves only x = 133: weighted sum 0.66 + 0.67 = 1.33. No shadow prices for a MILP."""
    lp = solve_checked(pull_apart(weight_a=2, scale=100), objective="minimax")
    assert alloc(lp, "AAA", "national_ceiling") == approx(133.333333)
    assert not lp.constraints["shadow_price"].isna().all()

    mip = solve_checked(pull_apart(weight_a=2, scale=100), objective="minimax", integer=True)
    assert mip.optimal and mip.integer
    assert alloc(mip, "AAA", "national_ceiling") == approx(133)
    assert stage(mip, "minimax") == approx(0.67)
    assert mip.objective == approx(0.67)
    assert stage(mip, "weighted") == approx(1.33)
    assert not mip.duals_available
    assert mip.constraints["shadow_price"].isna().all()


def test_integer_zone_cut_shares():
    """Zone cap 799 (cut 201 from 600/300/100). LP minimax: s = 0.201, holdings
    479.4/239.7/79.9. MILP: need ⌊600s⌋ + ⌊300s⌋ + ⌊100s⌋ ≥ 201; at s = 0.201 the floors give
    120 + 60 + 20 = 200, the next breakpoint is 600s = 121: level 121/600, cuts 121/60/20
    (the only split with every share ≤ 121/600), holdings 479/240/80."""
    lp = solve_checked(zone_cap(799), objective="minimax")
    for code, after in (("AAA", 479.4), ("BBB", 239.7), ("CCC", 79.9)):
        assert alloc(lp, code, "holdings_after") == approx(after)
    mip = solve_checked(zone_cap(799), objective="minimax", integer=True)
    assert stage(mip, "minimax") == approx(121 / 600)
    for code, after in (("AAA", 479), ("BBB", 240), ("CCC", 80)):
        assert alloc(mip, code, "holdings_after") == approx(after)
    assert mip.objective == approx(121 / 600)
    assert stage(mip, "weighted") == approx(121 / 600 + 60 / 300 + 20 / 100)


# ---- 11. infeasible red lines -----------------------------------------------------------------
def clash(rus_acv: int = 3000, rus_flank: int = 2500) -> dict[str, Any]:
    """TUR red line: RUS flank ACVs ≤ 1380; RUS red line: RUS flank ACVs ≥ 2000."""
    in_flank = {"of": "equipment", "areas": ["RUS.flank"], "owners": ["RUS"],
                "categories": ["acv"]}
    return scenario({
        "RUS": {"name": "Russia", "holdings": {"acv": rus_acv},
                "areas": {"flank": {"holdings": {"acv": rus_flank}}},
                "red_lines": {"flank_floor": {"quantity": in_flank, "sense": ">=",
                                              "value": 2000}}},
        "TUR": {"name": "Turkey", "holdings": {"acv": 100},
                "red_lines": {"flank_cap": {"quantity": in_flank, "sense": "<=",
                                            "value": 1380}}},
    }, categories=("acv",))


TUR_CAP = "limit.TUR.flank_cap"
RUS_FLOOR = "limit.RUS.flank_floor"


def test_infeasible_red_lines_smallest_concession():
    """x ≤ 1380 and x ≥ 2000 cannot both hold. Elastic: x − e₁ ≤ 1380, x + e₂ ≥ 2000, min
    e₁ + e₂ = 620 (any split; a vertex moves one line by all of it). Only these two lines can
    move, and after the move the cap must be at least the floor."""
    r = solve(make(clash()))
    assert r.status is SolveStatus.INFEASIBLE
    assert r.positions is None
    c = r.concession
    assert c is not None and len(c) >= 1
    assert set(c.index) <= {TUR_CAP, RUS_FLOOR}
    assert c["change"].abs().sum() == approx(620)
    assert set(c["owner"]) <= {"TUR", "RUS"}
    assert (c["kind"] == "red_line").all()
    assert (c["relaxed_rhs"] == c["rhs"] + c["change"]).all()
    cap = c.at[TUR_CAP, "relaxed_rhs"] if TUR_CAP in c.index else 1380
    floor = c.at[RUS_FLOOR, "relaxed_rhs"] if RUS_FLOOR in c.index else 2000
    assert cap >= floor - EPS
    if TUR_CAP in c.index:
        assert c.at[TUR_CAP, "change"] > 0  # a `<=` limit is relaxed upwards
    if RUS_FLOOR in c.index:
        assert c.at[RUS_FLOOR, "change"] < 0  # a `>=` limit is relaxed downwards


def test_infeasible_with_unequal_holdings():
    """RUS holds only 1300 ACVs (all in the flank); holdings cannot rise, so x ≤ 1300 always.
    The floor must drop to 1300 (e₂ ≥ 700) and then the cap (1380) already holds: the unique
    smallest concession is RUS's floor 2000 → 1300, total 700 — not 620."""
    r = solve(make(clash(rus_acv=1300, rus_flank=1300)))
    assert r.status is SolveStatus.INFEASIBLE
    c = r.concession
    assert list(c.index) == [RUS_FLOOR]
    assert c.at[RUS_FLOOR, "owner"] == "RUS"
    assert c.at[RUS_FLOOR, "sense"] == ">="
    assert c.at[RUS_FLOOR, "rhs"] == approx(2000)
    assert c.at[RUS_FLOOR, "relaxed_rhs"] == approx(1300)
    assert c.at[RUS_FLOOR, "change"] == approx(-700)


# ---- 12. determinism ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["weighted", "minimax", "lexicographic"])
@pytest.mark.parametrize("build", [lambda: deployments(1000), flank, lambda: zone_cap(799),
                                   lambda: reciprocity()], ids=["td", "flank", "zone", "recip"])
def test_same_scenario_twice_gives_identical_tables(build, mode):
    """Two solves of the same scenario: byte-identical CSV for every table."""
    first = solve_checked(build(), objective=mode)
    second = solve_checked(build(), objective=mode)
    assert first.objective == second.objective
    one, two = first.tables(), second.tables()
    assert set(one) == set(two) == {"allocation", "equipment", "positions", "constraints"}
    for name in one:
        assert csv_text(one[name]) == csv_text(two[name]), name


def test_infeasible_concession_is_deterministic():
    first, second = solve(make(clash())), solve(make(clash()))
    assert set(first.tables()) == set(second.tables()) == {"concession"}
    assert csv_text(first.concession) == csv_text(second.concession)


# ---- numerical tolerance of held stage optima ---------------------------------------------------
def test_tie_break_never_degrades_a_met_position():
    """BBB wants NC(BBB) ≥ 10000 (now 5000; relative scale 10000) — free to meet, so the main
    optimum has NC(BBB) = 10000 exactly. CCC wants holdings ≥ 1000 (scale 1, weight 10⁴) but
    holds 100 and cannot rise: an unavoidable 900 × 10⁴ = 9·10⁶. The tie-break (NC close to
    5000) may only choose among optimal packages, so NC(BBB) must stay 10000.
    (Observed: hold slack 1e-11 × 9·10⁶ = 9·10⁻⁵, worth 0.9 units at BBB's 10⁻⁴ per unit.)"""
    data = scenario({
        "BBB": {"name": "B", "holdings": {"tanks": 100}, "national_ceiling": {"tanks": 5000},
                "positions": {"big": position(q("national_ceiling", ["BBB"]), "at_least",
                                              10000)}},
        "CCC": {"name": "C", "holdings": {"tanks": 100},
                "positions": {"more": position(q("holdings", ["CCC"]), "at_least", 1000,
                                               scale=1, weight=10_000)}},
    })
    r = solve_checked(data)
    assert r.objective == approx(9e6)
    assert alloc(r, "BBB", "national_ceiling") == approx(10000)
    assert achieved(r, "BBB", "big", "deviation") == approx(0)


# ---- the independent checker rejects perturbed solutions ----------------------------------------
def tampered(result: Any, allocation: dict[tuple, dict[str, float]] | None = None,
             equipment: dict[tuple, float] | None = None) -> tuple[Any, Any]:
    """Copies of a result's solution tables with some cells changed."""
    a, e = result.allocation.copy(), result.equipment.copy()
    for key, cells in (allocation or {}).items():
        for column, value in cells.items():
            a.at[key, column] = value
    for key, value in (equipment or {}).items():
        e.at[key, "after"] = value
    return a, e


def failed_limits(data: dict[str, Any], tables: tuple[Any, Any]) -> set[str]:
    report = check(make(data), *tables)
    return {v.limit for v in report.violations}


def test_checker_accepts_the_optimum_and_rejects_one_tank_too_many():
    """Zone case, weighted optimum 400/300/100 exactly on the cap 800 (AAA's NC and TC, with no
    current figure, sit at its 400 tanks). Keeping a 401st tank with holdings and reduction
    consistent breaks the zone cap and AAA's ceilings; raising the ceilings too leaves only
    the zone cap broken."""
    data = zone_cap()
    r = solve_checked(data)
    assert failed_limits(data, tampered(r)) == set()
    kept = {"holdings_after": 401, "reduction": 199}
    one_more = {("AAA", "AAA", "main", "tanks", "active"): 401}
    bad = tampered(r, allocation={("AAA", "total", "tanks"): kept}, equipment=one_more)
    assert failed_limits(data, bad) == {"limits.zone_cap", "national_ceiling",
                                        "territorial_ceiling"}
    ceilings = {"national_ceiling": 401, "territorial_ceiling": 401}
    bad = tampered(r, allocation={("AAA", "total", "tanks"): {**kept, **ceilings}},
                   equipment=one_more)
    assert failed_limits(data, bad) == {"limits.zone_cap"}


def test_checker_rejects_broken_reciprocity_equal_treatment_and_freeze():
    """One unit past each limit of tests 5 and 8: TC(A) 60 → 59 is a cut share 0.41 > B's 0.4;
    NC(BBB) 400 → 401 is a cut share 0.198 < A's 0.2; a frozen NC 1000 → 1001."""
    data = reciprocity()
    r = solve_checked(data)
    bad = tampered(r, allocation={("AAA", "total", "tanks"): {"territorial_ceiling": 59}})
    assert failed_limits(data, bad) == {"parties.AAA.red_lines.only_if_b_cuts"}

    data = equal_treatment()
    r = solve_checked(data)
    bad = tampered(r, allocation={("BBB", "total", "tanks"): {"national_ceiling": 401}})
    assert failed_limits(data, bad) == {"limits.alike"}


def test_checker_rejects_deployments_beyond_the_allowance_and_active_flank_excess():
    data = deployments(1000)
    r = solve_checked(data)
    bad = tampered(r, allocation={("POL", "total", "tanks"): {"temporary_deployment": 154}})
    assert failed_limits(data, bad) == {"temporary_deployments.btd"}

    data = flank()
    r = solve_checked(data)
    bad = tampered(r, equipment={("RUS", "RUS", "flank", "acv", "active"): 1001,
                                 ("RUS", "RUS", "flank", "acv", "storage"): 799})
    assert failed_limits(data, bad) == {"parties.TUR.red_lines.rus_flank_active"}


def test_checker_rejects_a_negative_temporary_deployment():
    """Test 6's over-demand optimum has TC 700, TD 153. Rewriting it as TC 903, TD −50 keeps
    TC + TD ≥ the 500 tanks on territory and TD ≤ 153, but a deployment cannot be negative
    (TD ≥ 0 in the model): the checker must report it."""
    data = deployments(1000)
    r = solve_checked(data)
    bad = tampered(r, allocation={("POL", "total", "tanks"): {"territorial_ceiling": 903,
                                                               "temporary_deployment": -50}})
    assert failed_limits(data, bad) != set()


# ---- input handling found while building the scenarios above -------------------------------------
def test_area_storage_without_party_storage_has_a_sane_status_quo():
    """RUS: 3000 ACVs, flank area 1500 of them with 200 in storage, no party-level `storage`.
    Either the scenario is rejected (party storage 0 < the area's 200) or the status quo is
    read consistently: main holds 1500 active, 0 stored — never a negative count."""
    data = scenario({"RUS": {"name": "Russia", "holdings": {"acv": 3000}, "areas": {
        "flank": {"holdings": {"acv": 1500}, "storage": {"acv": 200}}}}}, categories=("acv",))
    try:
        sc = make(data)
    except CfeOptError:
        return
    r = solve_checked(sc)
    assert (r.equipment["before"] >= 0).all(), r.equipment


def test_station_twice_at_the_same_location():
    """USA (no territory) holds 30 tanks: 10 listed under POL and 20 under POL.main, which is
    the same location. Either reject the scenario, or solve with all 30 in POL's main area."""
    data = scenario({
        "POL": {"name": "Poland", "holdings": {"tanks": 100}},
        "USA": {"name": "USA", "territory": False, "holdings": {"tanks": 30},
                "stationed": {"POL": {"tanks": 10}, "POL.main": {"tanks": 20}}}})
    try:
        sc = make(data)
    except CfeOptError:
        return
    r = solve_checked(sc)
    assert r.optimal
    usa = r.equipment.xs("USA", level="owner")
    assert usa["before"].sum() == approx(30)
    assert alloc(r, "POL", "on_territory_before") == approx(130)
