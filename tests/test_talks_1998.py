"""The December 1998 talks as the letter of 21 December 1998 puts them (models/talks_1998*.yaml).

For each point of the letter (L1–L14 of docs/talks-1998-model.md §5) and each finding of issue
7, a test that the bundled scenarios exercise it: the row that expresses it binds in some case or
variant, or removing it changes the answer by an amount derived here by hand. Then the key
numbers (flank active and total, Poland's ceilings, the mandated-cuts conflict set, the
one-size-fits-all gap), the robustness band, the date rule, and the history check against the
figures signed in November 1999 (read here straight from the data tables)."""

from __future__ import annotations

import copy
import csv
import datetime
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import solve_checked
from pytest import approx

from cfe_opt import load_scenario, scenario_from_dict
from cfe_opt.analysis.conflict import conflict_set
from cfe_opt.api import robustness
from cfe_opt.cli import main
from cfe_opt.errors import CfeOptError, ScenarioError, ScenarioErrors
from cfe_opt.history import history
from cfe_opt.scenario import scenario_cases

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
DATA = MODELS / "data"
TALKS = MODELS / "talks_1998.yaml"
AS_OF = datetime.date(1998, 12, 21)

TC0 = {"POL": {"tanks": 1730, "acv": 2150, "artillery": 1610},
       "CZE": {"tanks": 957, "acv": 1367, "artillery": 767}}
BTD = {"tanks": 153, "acv": 241, "artillery": 140}  # 1990 Art V.1(C), assumed NATO's basic
ETD = {"tanks": 459, "acv": 723, "artillery": 420}  # 1990 Art V.1(B), assumed NATO's ETD
GROUND = ("tanks", "acv", "artillery")

# flank, active ACVs a: Russia wants a ≥ 2,000 (scale 2,000), Turkey (with Norway) a ≤ 580
# (scale 580). Minimax: (2,000 − a)/2,000 = (a − 580)/580.
MINIMAX_A = 2 / (1 / 2000 + 1 / 580)  # 899.2248
MINIMAX_Z = (2000 - MINIMAX_A) / 2000  # 0.550388
STORAGE_ACV = 800  # Russia's flank storage (the Art IV.1 cap, assumed in full use)
# Central Europe: with the proviso TC + BTD ≤ TC⁰ and the USA's TD at the allowance, each new
# member's TC = TC⁰ − BTD; beyond its readiness floor 0.9·TC⁰ it loses (floor − TC)/floor
CEE_DEVIATION = {(p, c): max(0.0, (0.9 * TC0[p][c] - (TC0[p][c] - BTD[c])) / (0.9 * TC0[p][c]))
                 for p in TC0 for c in GROUND}
WEIGHTED = 0.71 + sum(CEE_DEVIATION.values())


def talks(case: str = "base"):
    return load_scenario(TALKS, case=case)


def variant(name: str):
    return load_scenario(MODELS / f"talks_1998_{name}.yaml")


def without(scenario, *path: str):
    """The scenario with the field at ``path`` removed (a point of the letter taken out)."""
    data = copy.deepcopy(scenario.data)
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return scenario_from_dict(data, name=f"{scenario.display} without {'.'.join(path)}")


def national(result, party: str, category: str, column: str) -> float:
    return result.allocation.at[(party, "total", category), column]


def area(result, party: str, name: str, category: str, column: str) -> float:
    return result.allocation.at[(party, name, category), column]


@pytest.fixture(scope="module")
def base():
    return solve_checked(talks())


@pytest.fixture(scope="module")
def base_minimax():
    return solve_checked(talks(), objective="minimax")


# ---- the key numbers --------------------------------------------------------------------------
def test_weighted_optimum_is_the_sum_of_the_blocks(base):
    """0.71 (Russia's shortfall 1,420/2,000) + Poland's ACV 26/1,935 + the Czech Republic's
    57.3/861.3 + 104.3/1,230.3 + 63.3/690.3 = 0.966440 (design §6.5)."""
    assert base.objective == approx(WEIGHTED, abs=2e-6)
    assert CEE_DEVIATION[("POL", "acv")] == approx(26 / 1935)
    assert CEE_DEVIATION[("POL", "tanks")] == 0 and CEE_DEVIATION[("POL", "artillery")] == 0


def test_flank_active_and_total(base, base_minimax):
    """Weighted: moving a up costs 1/580 (Turkey) and gains 1/2,000 (Russia): a = 580; the
    800 in storage stay and the total keeps its current 1,380 (tie-breaks). Minimax: a =
    899.2248 and the total a + 800 (design §6.1–6.2)."""
    assert base.outcomes["flank_acv_active"] == approx(580)
    assert base.outcomes["flank_acv_total"] == approx(1380)
    assert base_minimax.outcomes["flank_acv_active"] == approx(MINIMAX_A, abs=1e-5)
    assert base_minimax.outcomes["flank_acv_total"] == approx(MINIMAX_A + STORAGE_ACV, abs=1e-5)
    assert base_minimax.objective == approx(MINIMAX_Z, abs=1e-6)
    # stage 2 (the weighted sum with Z held): Russia and the joint Turkish-Norwegian position
    # at Z each, plus Central Europe
    assert base_minimax.stages[1].objective == approx(2 * MINIMAX_Z + WEIGHTED - 0.71,
                                                      abs=1e-5)


def test_polands_ceilings(base):
    for c in GROUND:
        assert national(base, "POL", c, "territorial_ceiling") == approx(TC0["POL"][c] - BTD[c])
        assert national(base, "CZE", c, "territorial_ceiling") == approx(TC0["CZE"][c] - BTD[c])
        assert national(base, "POL", c, "temporary_deployment") == approx(BTD[c])


# ---- finding 1 and L14: the contested ceilings have equipment behind them -----------------------
def test_russias_flank_sub_ceilings_bind_and_the_excess_leaves(base, base_minimax):
    """Russia's 1996 freeze holdings 1,897 / 4,397 / 2,422 exceed every flank sub-ceiling:
    weighted it removes 597 / 3,017 / 742 (to 1,300 / 1,380 / 1,680); minimax 4,397 − 1,699.22
    ACVs. Full compliance (L14) is the sub-ceiling rows binding."""
    for c, held, ceiling in (("tanks", 1897, 1300), ("acv", 4397, 1380),
                             ("artillery", 2422, 1680)):
        assert national(base, "RUS", c, "reduction") == approx(held - ceiling)
        row = base.constraints.loc[f"territorial_subceiling.RUS.flank.{c}"]
        assert bool(row.binding) and row.slack == approx(0)
        assert bool(base.constraints.at[f"active_subceiling.RUS.flank.{c}", "binding"])
    assert national(base_minimax, "RUS", "acv", "reduction") == approx(
        4397 - MINIMAX_A - STORAGE_ACV, abs=1e-5)


def test_with_russias_1999_holdings_the_removals_are_the_excess_aca_reported():
    """A check of the construction with the later stand-ins: 1,560 / 2,880 / 1,880 in the
    reduced area, 1,060 ACVs in the removed oblasts: Russia removes 260 / 1,500 / 200 from the
    reduced area (ACA: "approximately 260 tanks, 1,500 ACVs and 200 artillery pieces")."""
    r = solve_checked(variant("russia_1999_holdings"))
    for c, excess in (("tanks", 260), ("acv", 1500), ("artillery", 200)):
        before = area(r, "RUS", "flank", c, "in_area_before")
        after = area(r, "RUS", "flank", c, "in_area_after")
        assert before - after == approx(excess)


# ---- L3 with F0: the US approach, freeze and real reductions -----------------------------------
def test_us_approach_reductions_are_real_and_the_freeze_is_slack(base):
    """Each new member's TC falls by the basic deployment and, since a deployment is no room
    for permanent equipment (F0), its holdings fall with it: 153 / 241 / 140 each, the
    territorial-ceiling rows binding. The freeze itself is slack by the same amounts: Russia's
    proviso already caps TC + TD at today's level and no party in the data asks for more."""
    for p in TC0:
        for c in GROUND:
            assert national(base, p, c, "reduction") == approx(BTD[c])
            assert national(base, p, c, "territorial_ceiling_cut_national") == approx(BTD[c])
            assert national(base, p, c, "territorial_ceiling_cut_mandated") == approx(0)
            assert bool(base.constraints.at[f"territorial_ceiling.{p}.{c}", "binding"])
            freeze = base.constraints.loc[f"freeze.us_approach_freeze_{p.lower()}.{p}.{c}"]
            assert freeze.slack == approx(BTD[c])


# ---- L1 / finding 5: Russia's proviso and the ETD levels ---------------------------------------
def test_the_proviso_binds_in_every_category(base):
    """Shadow prices: a unit more of permitted level in the Czech Republic is a unit less cut
    beyond its floor (−1/861.3, −1/1,230.3, −1/690.3); in Poland only ACVs are cut beyond the
    floor (−1/1,935); its tanks and artillery stay inside the floor (price 0)."""
    prices = base.constraints["shadow_price"]
    for p in TC0:
        for c in GROUND:
            assert bool(base.constraints.at[f"limit.russia_proviso_{p.lower()}.{c}", "binding"])
    assert prices["limit.russia_proviso_cze.tanks"] == approx(-1 / 861.3)
    assert prices["limit.russia_proviso_cze.acv"] == approx(-1 / 1230.3)
    assert prices["limit.russia_proviso_cze.artillery"] == approx(-1 / 690.3)
    assert prices["limit.russia_proviso_pol.acv"] == approx(-1 / 1935)
    assert prices["limit.russia_proviso_pol.tanks"] == approx(0)


def test_russias_acceptance_of_the_etd_levels_is_worth_306_482_280_to_poland():
    accepted = solve_checked(talks("etd_accepted"))
    refused = solve_checked(talks("etd_refused"))
    for c in GROUND:
        assert national(accepted, "POL", c, "territorial_ceiling") == approx(
            TC0["POL"][c] - BTD[c])
        assert national(accepted, "POL", c, "temporary_deployment_exceptional") == approx(ETD[c])
        assert national(refused, "POL", c, "territorial_ceiling") == approx(
            TC0["POL"][c] - ETD[c])
        assert (national(refused, "POL", c, "territorial_ceiling")
                - national(accepted, "POL", c, "territorial_ceiling")) == approx(-(ETD[c]
                                                                                    - BTD[c]))


def test_removing_the_proviso_leaves_polands_ceilings_uncut():
    """Without Russia's proviso for Poland nothing asks for a cut: TC stays at 1,730 / 2,150 /
    1,610 (+153 / +241 / +140) and Poland keeps its holdings."""
    r = solve_checked(without(talks(), "limits", "russia_proviso_pol"))
    for c in GROUND:
        assert national(r, "POL", c, "territorial_ceiling") == approx(TC0["POL"][c])
        assert national(r, "POL", c, "reduction") == approx(0)


# ---- L2 / finding 4: the US red line is on the legal form ---------------------------------------
def test_mandated_cuts_clash_with_the_us_red_line():
    """Russia demands, as a treaty rule, the very cuts the base reaches by national decision.
    The conflict set: one RUS row (a new member, a category) against the US red line for the
    same new member, with only that member's other mandated cuts' bounds (≥ 0) beside them."""
    conflict = conflict_set(variant("mandated_cuts"))
    hard = conflict[conflict["kind"] == "red_line"]
    russian = [n for n in hard.index if n.startswith("limit.RUS.mandated_cuts_designated.")]
    american = [n for n in hard.index if n.startswith("limit.USA.no_separate_rules_for_new_")]
    assert len(russian) == 1 and len(american) == 1 and len(hard) == 2
    party = russian[0].split(".")[3]
    assert american[0] == f"limit.USA.no_separate_rules_for_new_members.{party}"
    others = conflict[conflict["kind"] != "red_line"]
    assert all(n.startswith(f"bound.ceiling_cut.mandated.territorial_ceiling.{party}.")
               for n in others.index)
    assert (others["owner"] == party).all()


def test_the_model_tells_a_mandated_cut_from_a_national_one():
    """Without the US red line Russia's demand is met by the same ceilings as the base (TC =
    TC⁰ − BTD), now cut by the mandated form; the base has no mandated cut at all. The
    smallest concession of the clash moves 2 × (153 + 241 + 140) = 1,068 units."""
    scenario = variant("mandated_cuts")
    data = copy.deepcopy(scenario.data)
    del data["parties"]["USA"]["red_lines"]
    r = solve_checked(scenario_from_dict(data))
    for p in TC0:
        for c in GROUND:
            assert national(r, p, c, "territorial_ceiling") == approx(TC0[p][c] - BTD[c])
            assert national(r, p, c, "territorial_ceiling_cut_mandated") == approx(BTD[c])
            assert national(r, p, c, "territorial_ceiling_cut_national") == approx(0)
    infeasible = solve_checked(scenario)
    moved = (infeasible.concession["relaxed_rhs"] - infeasible.concession["rhs"]).abs().sum()
    assert moved == approx(2 * sum(BTD.values()))


# ---- L4, L5b: each new member's readiness, by its own decision ----------------------------------
def test_readiness_positions(base):
    deviation = base.positions["normalised_deviation"]
    assert deviation[("CZE", "readiness_tanks")] + deviation[("CZE", "readiness_acv")] + (
        deviation[("CZE", "readiness_artillery")]) == approx(0.243003, abs=1e-6)
    assert deviation[("POL", "readiness_acv")] == approx(26 / 1935)


# ---- L5: comparable restraint of neighbours ---------------------------------------------------
def test_comparable_restraint_binds_and_the_neighbours_cut():
    """Poland's cut share per category ≤ its neighbours' (ratio 1). A unit of Poland's tank cut
    costs Ukraine 7,141/1,730/4,080 = 0.001012 of deviation, less than the USA's 1/153 for a
    unit of deployment: so the neighbours cut and Poland's ceilings stay where the base has
    them. Ukraine cuts (153/1,730)·7,141 tanks, Germany (241/2,150)·2,679 ACVs and
    (140/1,610)·2,056 artillery."""
    r = solve_checked(variant("comparable_restraint"))
    for name in ("tanks", "acv", "artillery"):
        row = r.constraints.loc[f"reciprocity.comparable_restraint_{name}"]
        assert bool(row.binding) and row.shadow_price < 0
    ukr = 153 / 1730 * 7141
    deu_acv, deu_art = 241 / 2150 * 2679, 140 / 1610 * 2056
    assert national(r, "UKR", "tanks", "reduction") == approx(ukr, abs=1e-4)
    assert national(r, "DEU", "tanks", "reduction") == approx(0)
    assert national(r, "DEU", "acv", "reduction") == approx(deu_acv, abs=1e-4)
    assert national(r, "DEU", "artillery", "reduction") == approx(deu_art, abs=1e-4)
    for c in GROUND:
        assert national(r, "POL", c, "territorial_ceiling") == approx(TC0["POL"][c] - BTD[c])
    assert r.objective == approx(WEIGHTED + ukr / 4080 + deu_acv / 2679 + deu_art / 2056,
                                 abs=2e-6)


# ---- L6: one size fits all ----------------------------------------------------------------------
def test_one_size_fits_all_costs_poland_0_229566(base):
    """Equal cut shares: the smaller military sets the share s = BTD/TC⁰(CZE); Poland's TC =
    TC⁰(1 − s) and its deviation beyond the 10 % floor (s − 0.1)/0.9 per category. Against
    the differentiated base: Poland +0.229566, every other party 0."""
    from cfe_opt.results import party_deviations

    uniform = solve_checked(variant("uniform_cut"))
    gap = 0.0
    for c in GROUND:
        s = BTD[c] / TC0["CZE"][c]
        assert national(uniform, "POL", c, "territorial_ceiling") == approx(
            TC0["POL"][c] * (1 - s), abs=1e-4)
        gap += (s - 0.1) / 0.9 - CEE_DEVIATION[("POL", c)]
    assert gap == approx(0.229566, abs=1e-6)
    before, after = party_deviations(base.positions), party_deviations(uniform.positions)
    for party in after.index:
        expected = gap if party == "POL" else 0.0
        assert after[party] - before[party] == approx(expected, abs=1e-6), party
    assert uniform.objective - base.objective == approx(gap, abs=2e-6)


# ---- L7, L9, L11: the flank positions; Turkey and Norway counted once ---------------------------
def test_turkeys_stance_decides_the_flank(base):
    """Removing Turkey's (and Norway's) stance leaves Russia unopposed: every a ≥ 2,000 meets
    every position, and the holdings tie-break keeps as much of Russia's equipment as the
    rules allow — the Flank Document's 3,700 ACVs in the original area, 800 of them in
    storage: a = 2,900, total 3,700 (+2,320 active), that rule binding."""
    assert area(base, "RUS", "flank", "acv", "active_subceiling_before") == 580  # L11
    r = solve_checked(without(talks(), "parties", "TUR", "positions"))
    assert r.objective == approx(WEIGHTED - 0.71, abs=2e-6)
    assert r.outcomes["flank_acv_active"] == approx(3700 - STORAGE_ACV)
    assert r.outcomes["flank_acv_total"] == approx(3700)
    assert bool(r.constraints.at["limit.flank_document_original_area.acv", "binding"])
    assert r.outcomes["flank_acv_active"] - base.outcomes["flank_acv_active"] == approx(2320)


def test_turkey_and_norway_count_once_and_twice_only_on_purpose(base, base_minimax):
    from cfe_opt.results import party_deviations

    assert base.positions.at[("TUR", "no_new_flank_numbers_acv"), "joint_with"] == "NOR"
    assert party_deviations(base_minimax.positions)["NOR"] == approx(MINIMAX_Z, abs=1e-6)
    twice_w = solve_checked(variant("flank_side_twice"))
    twice_m = solve_checked(variant("flank_side_twice"), objective="minimax")
    assert twice_w.objective == approx(base.objective, abs=1e-9)  # weighted: already at 580
    assert twice_m.outcomes["flank_acv_active"] == approx(MINIMAX_A, abs=1e-5)
    assert twice_m.stages[1].objective - base_minimax.stages[1].objective == approx(
        MINIMAX_Z, abs=1e-6)


# ---- L8: legally binding and durable ------------------------------------------------------------
def test_durability_is_worth_319_active_acvs_to_russia(base_minimax):
    r = solve_checked(talks("not_durable"), objective="minimax")
    assert r.outcomes["flank_acv_active"] == approx(580)
    assert r.outcomes["flank_acv_total"] == approx(1380)
    assert base_minimax.outcomes["flank_acv_active"] - r.outcomes["flank_acv_active"] == approx(
        MINIMAX_A - 580, abs=1e-5)
    assert r.objective == approx(0.71)
    assert bool(r.constraints.at["limit.TUR.no_new_flank_numbers_active.acv", "binding"])


# ---- L10: no increase in tanks and artillery, presuming a CRF solution ---------------------------
def test_the_crf_case_pair(base):
    """Solved (the base): Russia's own commitment holds tanks and artillery at 1,300 / 1,680
    total, 700 / 1,280 active, per category (its rows bind). Not solved: the commitment goes,
    Russia seeks 1,800 / 2,400 (the Flank Document's original-area levels) and gets them, +500
    / +720; the Flank Document's rule on the original area then binds, and Russia removes only
    1,897 − 1,800 = 97 tanks and 2,422 − 2,400 = 22 artillery."""
    for row in ("crf_no_rise_tanks_artillery.tanks", "crf_no_rise_tanks_artillery.artillery",
                "crf_no_rise_tanks_artillery_active.tanks",
                "crf_no_rise_tanks_artillery_active.artillery"):
        assert base.constraints.at[f"limit.{row}", "owner"] == "RUS"
        assert bool(base.constraints.at[f"limit.{row}", "binding"])
    r = solve_checked(talks("crf_unsolved"))
    assert r.outcomes["flank_tanks_total"] - base.outcomes["flank_tanks_total"] == approx(500)
    assert r.outcomes["flank_artillery_total"] - base.outcomes["flank_artillery_total"] == (
        approx(720))
    assert national(r, "RUS", "tanks", "reduction") == approx(97)
    assert national(r, "RUS", "artillery", "reduction") == approx(22)
    for c in ("tanks", "artillery"):
        assert bool(r.constraints.at[f"limit.flank_document_original_area.{c}", "binding"])


# ---- L12: the Moscow figures ---------------------------------------------------------------
def test_a_higher_moscow_figure_moves_the_minimax_answer():
    t = 2800
    r = solve_checked(variant("moscow_figure"), objective="minimax")
    assert r.outcomes["flank_acv_active"] == approx(2 * 580 * t / (580 + t), abs=1e-5)
    assert r.objective == approx((t - 2 * 580 * t / (580 + t)) / t, abs=1e-6)
    assert solve_checked(variant("moscow_figure")).outcomes["flank_acv_active"] == approx(580)


def test_flexibility_inside_the_flank():
    """Russia's 2,000 read as permanent plus temporary active units, with a basic deployment
    of 241 ACVs allowed into the flank area: weighted a = 580 and TD 241; minimax
    (2,000 − 241 − a)/2,000 = (a − 580)/580."""
    w = solve_checked(variant("flank_flexibility"))
    assert w.outcomes["flank_acv_active"] == approx(580)
    assert area(w, "RUS", "flank", "acv", "temporary_deployment_in_area") == approx(241)
    m = solve_checked(variant("flank_flexibility"), objective="minimax")
    a = (1759 / 2000 + 1) / (1 / 2000 + 1 / 580)
    assert m.outcomes["flank_acv_active"] == approx(a, abs=1e-5)


def test_the_deadlock_names_both_red_lines():
    conflict = conflict_set(variant("flank_deadlock"))
    assert set(conflict.index) == {"limit.RUS.flank_acv_active_floor",
                                   "limit.TUR.no_new_flank_numbers_active"}


# ---- finding 3: normalisation, and the robustness band -------------------------------------------
def test_robustness_band_of_the_flank():
    """Minimax a = (2,000 r + 580)/(r + 1) with r = (w_R/s_R)/(w_T/s_T) = 0.29 by default:
    Russia ×½ (or Turkey ×2) gives r = 0.145, a = 759.83; Russia ×2 (or Turkey ×½) r = 0.58,
    a = 1,101.27. Poland's, the Czech Republic's and the USA's weights and scales do not move
    the flank. No multiplier in the band gives the signed 2,140 − 800 = 1,340."""
    table = robustness(talks(), objective="minimax")
    active = table.xs("flank_acv_active", level="outcome")["value"]

    def a(r: float) -> float:
        return (2000 * r + 580) / (r + 1)

    for party, factor, m, r in (("RUS", "weight", 0.5, 0.145), ("RUS", "scale", 2.0, 0.145),
                                ("RUS", "weight", 2.0, 0.58), ("RUS", "scale", 0.5, 0.58),
                                ("TUR", "weight", 2.0, 0.145), ("TUR", "weight", 0.5, 0.58)):
        assert active[(party, factor, m)] == approx(a(r), abs=1e-4), (party, factor, m)
    for party in ("POL", "CZE", "USA"):
        assert active.xs(party, level="party").to_numpy() == approx(MINIMAX_A, abs=1e-5)
    assert (table.xs("poland_tc_tanks", level="outcome")["value"] == 1577).all()
    assert not (abs(active - 1340) < 1).any()


# ---- finding 6: tanks and artillery per category, owned by Russia --------------------------------
def test_no_increase_is_per_category_and_russias_own(base):
    limit = talks().spec.limits["crf_no_rise_tanks_artillery"]
    assert limit.owner == "RUS" and limit.per == ["category"]
    assert set(limit.values) == {"tanks", "artillery"}


# ---- finding 7: data and dates ----------------------------------------------------------------
def test_polands_figures_carry_their_conflict_and_the_1999_targets_are_no_inputs():
    spec = talks().spec
    assert "CONFLICT" in spec.parties["POL"].national_ceiling["tanks"].confidence
    values = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "value" in node and isinstance(node["value"], int):
                values.append(node["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in MODELS.glob("talks_1998*.yaml"):
        walk(yaml.safe_load(path.read_text()))
    assert 1577 not in values and 1370 not in values  # Poland's 1999 Final Act targets
    allowance = spec.temporary_deployments["basic"].allowance
    assert all(f.source == "td_1990" and f.assumption and f.date == "1990-11-19"
               for f in allowance.values())


def _end(text: str) -> datetime.date:
    parts = [int(p) for p in str(text).split("-")]
    if len(parts) == 1:
        return datetime.date(parts[0], 12, 31)
    if len(parts) == 2:
        following = datetime.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return following - datetime.timedelta(days=1)
    return datetime.date(*parts)


def _dated_mappings(node: Any, path: tuple = ()) -> list[tuple[tuple, dict]]:
    out = []
    if isinstance(node, dict):
        if "date" in node:
            out.append((path, node))
        for key, value in node.items():
            out.extend(_dated_mappings(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_dated_mappings(value, (*path, i)))
    return out


@pytest.mark.parametrize("path", sorted(MODELS.glob("talks_1998*.yaml")), ids=lambda p: p.name)
def test_date_rule_no_unflagged_input_after_the_letter(path):
    """Read straight from the file (not through the loader): every date after 21 December 1998
    (a partial date counts as its last day) sits on an input flagged stand_in with a note, and
    every stand-in is dated after it. The file as merged says as_of 1998-12-21 and validates."""
    raw = yaml.safe_load(path.read_text())
    for where, node in _dated_mappings(raw):
        later = _end(node["date"]) > AS_OF
        assert later == bool(node.get("stand_in")), where
        if later:
            assert node.get("note"), where
    scenario = load_scenario(path)
    assert scenario.spec.as_of == "1998-12-21"


EXPECTED_STAND_INS = {f"parties.CZE.{f}.{c}" for f in ("holdings", "national_ceiling",
                                                       "territorial_ceiling") for c in GROUND}
EXPECTED_STAND_INS |= {f"limits.russia_proviso_cze.values.{c}" for c in GROUND}


def test_exactly_the_expected_later_stand_ins():
    """The Czech figures (no Czech figure of the time is in the data) everywhere; Russia's
    1999 flank holdings as well in the variant that uses them."""
    from cfe_opt.results import later_stand_ins

    for path in MODELS.glob("talks_1998*.yaml"):
        scenarios = [load_scenario(path)]
        scenarios += list(scenario_cases(scenarios[0]).values())
        for scenario in scenarios:
            fields = {s["field"] for s in later_stand_ins(scenario)}
            expected = set(EXPECTED_STAND_INS)
            if path.name == "talks_1998_russia_1999_holdings.yaml":
                expected |= {f"parties.RUS.holdings.{c}" for c in GROUND}
                expected |= {f"parties.RUS.areas.flank.holdings.{c}" for c in GROUND}
            assert fields == expected, (path.name, scenario.case)


def test_removing_a_stand_in_flag_is_refused(tmp_path):
    text = TALKS.read_text()
    flagged = "tanks: {value: 957, source: \"cze_nc_1999; hc295_mlh\", assumption: true, " \
              "date: 1999-11-19, stand_in: true,"
    assert flagged in text
    models = tmp_path / "models"
    models.mkdir()
    (models / "talks_1998.yaml").write_text(text.replace(flagged, flagged.replace(
        " stand_in: true,", ""), 1))
    with pytest.raises((ScenarioError, ScenarioErrors)) as info:
        load_scenario(models / "talks_1998.yaml")
    assert ("parties.CZE.holdings.tanks.date: 1999-11-19 is after the scenario's as_of "
            "1998-12-21; mark it stand_in: true with a note") in str(info.value)


# ---- history: the 1998 answer against the figures signed in 1999 --------------------------------
def _csv_row(source_row: str) -> dict[str, str]:
    name, _, number = source_row.partition(" row ")
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[int(number) - 2]  # the header is row 1


def _history(tmp_path: Path, args: list[str]):
    out = tmp_path / "solved"
    assert main(["solve", str(args[0]), *args[1:], "--out", str(out), "--quiet"]) == 0
    return history(out)


def test_history_figures_are_the_data_tables_and_the_gaps_are_model_minus_signed(tmp_path):
    table = _history(tmp_path, [TALKS, "--case", "base"])
    assert len(table) > 20
    for (party, figure, _area, category), row in table.iterrows():
        source = _csv_row(row.source_row)
        assert float(source["value"]) == row.signed
        assert source.get("iso3", source.get("state_iso3")) == party
        assert source["category"] == category
        if figure == "national_ceiling":
            assert source["ceiling_type"] == "NC" and source["status"].startswith("final")
        assert row.gap == approx(row.model - row.signed, abs=1e-6)
    flank = table.loc[("RUS", "territorial_subceiling", "flank", "acv")]
    assert (flank.model, flank.signed, flank.gap) == (1380, 2140, -760)
    assert (flank.zone_min, flank.zone_max, flank.inside) == (0, float("inf"), "yes, unbounded")
    assert (flank.face_min, flank.face_max) == (580, float("inf"))  # the 1,380 is the tie-break's
    assert flank.status == "compared" and flank.later_inputs == ""
    poland = table.loc[("POL", "territorial_ceiling", "total", "tanks")]
    assert (poland.model, poland.signed, poland.signed_kind) == (1577, 1577, "political")
    assert (poland.face_min, poland.face_max) == (1557, 1577)
    assert poland.later_inputs == ""
    artillery = table.loc[("POL", "territorial_ceiling", "total", "artillery")]
    assert (artillery.model, artillery.signed, artillery.gap) == (1470, 1370, 100)
    czech = table.xs("CZE", level="party")
    assert (czech["status"] == "circular").all() and len(czech) == 3
    assert table.loc[("DEU", "territorial_ceiling", "total", "tanks"), "status"] == (
        "not determined")
    assert table.loc[("RUS", "national_ceiling", "total", "tanks"), "status"] == "not determined"


def test_history_headline_2140_is_outside_the_zone_when_not_durable(tmp_path):
    table = _history(tmp_path, [TALKS, "--case", "not_durable", "--objective", "minimax"])
    flank = table.loc[("RUS", "territorial_subceiling", "flank", "acv")]
    assert (flank.zone_min, flank.zone_max, flank.inside) == (0, 1380, "no")
    assert flank.model == approx(1380)


def test_history_lists_the_czech_stand_ins_where_a_rule_ties_poland_to_them(tmp_path):
    table = _history(tmp_path, [MODELS / "talks_1998_uniform_cut.yaml"])
    later = table.loc[("POL", "territorial_ceiling", "total", "tanks"), "later_inputs"]
    assert "parties.CZE.territorial_ceiling.tanks" in later.split("; ")
    assert table.loc[("RUS", "territorial_subceiling", "flank", "acv"), "later_inputs"] == ""


def test_history_refuses_a_changed_scenario_and_a_failed_solve(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("talks_1998.yaml", "adapted_1999.yaml"):
        (models / name).write_text((MODELS / name).read_text())
    import shutil

    shutil.copytree(DATA, models / "data")
    out = tmp_path / "solved"
    assert main(["solve", str(models / "talks_1998.yaml"), "--case", "base", "--out", str(out),
                 "--quiet"]) == 0
    history(out)  # as solved: fine
    text = (models / "talks_1998.yaml").read_text()
    (models / "talks_1998.yaml").write_text(text.replace("target: 2000", "target: 2001", 1))
    with pytest.raises(CfeOptError, match="the scenario changed since"):
        history(out)
    (models / "talks_1998.yaml").write_text(text)
    adapted = (models / "adapted_1999.yaml").read_text()
    signed = "acv: {value: 2140, source: tsc1999_rus_flank_acv"
    assert signed in adapted
    (models / "adapted_1999.yaml").write_text(adapted.replace(signed, signed.replace(
        "2140", "2141")))
    with pytest.raises(CfeOptError, match="the signed figures disagree"):
        history(out)
    deadlock = tmp_path / "deadlock"
    assert main(["solve", str(MODELS / "talks_1998_flank_deadlock.yaml"), "--out",
                 str(deadlock), "--quiet"]) == 1
    with pytest.raises(CfeOptError, match="the solve ended infeasible"):
        history(deadlock)


def test_history_command_writes_the_table(tmp_path, capsys):
    out = tmp_path / "solved"
    assert main(["solve", str(TALKS), "--case", "base", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["history", str(out)]) == 0
    text = capsys.readouterr().out
    assert "against the figures signed in November 1999" in text
    written = tmp_path / "solved-history"  # its own set, beside the solve's
    table = pd.read_csv(written / "history.csv").set_index(["party", "figure", "area",
                                                            "category"])
    assert table.at[("RUS", "territorial_subceiling", "flank", "acv"), "signed"] == 2140
    assert json.loads((written / "run.json").read_text())["command"] == "history"
    listed = json.loads((out / "run.json").read_text())["files"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*listed, "run.json"])  # untouched
    assert main(["history", str(tmp_path / "nowhere")]) == 2
    assert "cannot read the solve's summary" in capsys.readouterr().err
