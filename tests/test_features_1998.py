"""The model features the December 1998 scenarios need (docs/talks-1998-model.md §7), each on a
small scenario whose answer is derived by hand: deployments are no room for permanent equipment
(F0), active-unit sub-ceilings (F1), deployments into an area and several kinds per host (F2),
ceiling cuts by legal form (F3), joint positions (F4), cases (F5), dates (F6), default scales and
the robustness table (F7), named outcomes (F8). Every solve goes through the independent
checker; every refusal is checked by its message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make, solve_checked
from pytest import approx

from cfe_opt.api import robustness, solve_cases
from cfe_opt.check import check
from cfe_opt.cli import main
from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.scenario import load_scenario, scenario_cases


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises((ScenarioError, ScenarioErrors)) as info:
        make(data)
    exc = info.value
    return [str(e) for e in exc.errors] if isinstance(exc, ScenarioErrors) else [str(exc)]


def alloc(result, party: str, column: str, area: str = "total", category: str = "tanks"):
    return result.allocation.at[(party, area, category), column]


def tampered(result, allocation=None, equipment=None):
    a, e = result.allocation.copy(), result.equipment.copy()
    for key, values in (allocation or {}).items():
        for column, value in values.items():
            a.loc[key, column] = value
    for key, value in (equipment or {}).items():
        e.loc[key, "after"] = value
    return a, e


def failed(data, tables) -> set[str]:
    report = check(make(data), *tables)
    return {v.limit for v in report.violations}


# ---- F0: a temporary deployment is no room for permanent equipment ------------------------------
def host(holdings: int = 600) -> dict[str, Any]:
    """POL holds `holdings` tanks; its territorial ceiling is frozen at 500; it may host a basic
    deployment of 153; the USA wants that deployment (TD ≥ 153, scale 153)."""
    return {
        "name": "host", "categories": ["tanks"],
        "parties": {
            "POL": {"name": "Poland", "holdings": {"tanks": holdings},
                    "territorial_ceiling": {"tanks": 500}},
            "USA": {"name": "USA", "territory": False, "categories": [],
                    "positions": {"td": {"quantity": {"of": "temporary_deployment",
                                                      "parties": ["POL"]},
                                         "direction": "at_least", "target": 153}}}},
        "limits": {"freeze": {"type": "freeze", "of": "territorial_ceiling",
                              "parties": ["POL"]}},
        "temporary_deployments": {"btd": {"hosts": ["POL"], "allowance": {"tanks": 153}}},
    }


def test_a_deployment_is_no_room_for_the_hosts_own_equipment():
    """600 tanks on a territory frozen at 500 with 153 of temporary deployment allowed: the
    permanent 600 must fall to 500 (the deployment is a permitted level above the ceiling, not
    room for the host's own equipment); TD 153 meets the USA (objective 0)."""
    r = solve_checked(host())
    assert alloc(r, "POL", "territorial_ceiling") == approx(500)
    assert alloc(r, "POL", "temporary_deployment") == approx(153)
    assert alloc(r, "POL", "reduction") == approx(100)
    assert alloc(r, "POL", "on_territory_after") == approx(500)
    assert r.objective == approx(0)
    # a package keeping the 600 within TC + TD = 653 is what the checker now refuses
    bad = tampered(r, allocation={("POL", "total", "tanks"): {"holdings_after": 600,
                                                              "reduction": 0},
                                  ("POL", "main", "tanks"): {}},
                   equipment={("POL", "POL", "main", "tanks", "active"): 600})
    assert "territorial_ceiling" in failed(host(), bad)


# ---- F1: the active-unit sub-ceiling of an area ----------------------------------------------
def flank(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """RUS holds 150 ACVs in its flank area, 30 in storage; the area's sub-ceiling is 100 of
    which 60 in active units. RUS wants active ≥ 100, TUR active ≤ 60 (default scales 100, 60)."""
    active = {"of": "territorial_ceiling", "areas": ["RUS.flank"], "categories": ["acv"],
              "status": "active"}
    def q(**more: Any) -> dict[str, Any]:
        return {**copy.deepcopy(active), **more}

    data = {
        "name": "flank", "categories": ["acv"],
        "parties": {
            "RUS": {"name": "Russia", "holdings": {"acv": 150},
                    "areas": {"flank": {"holdings": {"acv": 150}, "storage": {"acv": 30},
                                        "territorial_subceiling": {"acv": 100},
                                        "active_subceiling": {"acv": 60}}},
                    "positions": {"more": {"quantity": q(), "direction": "at_least",
                                           "target": 100}}},
            "TUR": {"name": "Turkey", "categories": [],
                    "positions": {"no_more": {"quantity": q(), "direction": "at_most",
                                              "target": 60}}}},
        "outcomes": {
            "active": {"quantity": q()},
            "storage": {"quantity": q(status="storage")},
            "total": {"quantity": q(status="any")}},
    }
    for key, value in (extra or {}).items():
        data[key] = value
    return data


def test_active_subceiling_weighted_goes_to_the_steeper_slope():
    """Weighted: moving a up costs 1/60 (TUR) and saves 1/100 (RUS), so a = 60, RUS short by
    40/100 = 0.4. The storage kept at 30 (holdings tie-break) fits in TSC = 100 (its current
    figure, ceilings tie-break): storage part 40. Equipment: 60 active + 30 stored, 60 removed."""
    r = solve_checked(flank())
    assert r.outcomes == {"active": approx(60), "storage": approx(40), "total": approx(100)}
    assert r.objective == approx(0.4)
    assert alloc(r, "RUS", "active_subceiling", "flank", "acv") == approx(60)
    assert alloc(r, "RUS", "active_subceiling_before", "flank", "acv") == 60
    assert alloc(r, "RUS", "active_in_area_after", "flank", "acv") == approx(60)
    assert alloc(r, "RUS", "storage_in_area_after", "flank", "acv") == approx(30)
    assert alloc(r, "RUS", "reduction", "total", "acv") == approx(60)
    rows = r.constraints
    assert bool(rows.at["active_subceiling.RUS.flank.acv", "binding"])
    assert not bool(rows.at["subceiling_split.RUS.flank.acv", "binding"])


def test_active_subceiling_minimax_splits_and_lifts_the_total():
    """Minimax: (100 − a)/100 = (a − 60)/60 ⇒ a = 2/(1/100 + 1/60) = 75, level 0.25. The 30 in
    storage stay (holdings tie-break), so the total must be 75 + 30 = 105 > 100."""
    r = solve_checked(flank(), objective="minimax")
    assert r.outcomes["active"] == approx(75)
    assert r.outcomes["total"] == approx(105)
    assert r.outcomes["storage"] == approx(30)
    assert r.objective == approx(0.25)


def test_checker_refuses_active_equipment_above_the_active_subceiling():
    data = flank()
    r = solve_checked(data)
    bad = tampered(r, equipment={("RUS", "RUS", "flank", "acv", "active"): 61,
                                 ("RUS", "RUS", "flank", "acv", "storage"): 29})
    assert failed(data, bad) == {"active_subceiling"}
    bad = tampered(r, allocation={("RUS", "flank", "acv"): {"active_subceiling": 101}})
    assert "subceiling_split" in failed(data, bad)


def test_freeze_of_the_active_part():
    """A freeze of the active part holds a at 60 even in minimax (no more splitting)."""
    data = flank({"limits": {"no_rise": {"type": "freeze", "of": "territorial_ceiling",
                                          "areas": ["RUS.flank"], "status": "active"}}})
    r = solve_checked(data, objective="minimax")
    assert r.outcomes["active"] == approx(60)
    assert r.constraints.at["freeze.no_rise.RUS.flank.active.acv", "rhs"] == 60


def test_active_subceiling_refusals():
    data = flank()
    del data["parties"]["RUS"]["areas"]["flank"]["territorial_subceiling"]
    assert any("active_subceiling: an active-unit sub-ceiling needs the area's total "
               "sub-ceiling" in e for e in errors_of(data))
    data = flank()
    data["parties"]["RUS"]["areas"]["flank"]["active_subceiling"] = {"acv": 101}
    assert any("active_subceiling.acv: 101 in active units is above the area's total "
               "sub-ceiling of 100" in e for e in errors_of(data))
    data = flank()
    data["parties"]["RUS"]["positions"]["more"]["quantity"] = {
        "of": "territorial_ceiling", "parties": ["RUS"], "status": "active"}
    assert any("positions.more.quantity.status: 'status' applies to equipment and to the "
               "sub-ceilings of areas" in e for e in errors_of(data))
    data = flank()
    data["parties"]["RUS"]["areas"]["flank"]["active_subceiling"] = {}
    assert any("'RUS.flank' has no active-unit sub-ceiling" in e for e in errors_of(data))


# ---- F2: deployments into an area; several kinds per host -------------------------------------
def kinds(refused: bool = False) -> dict[str, Any]:
    """POL: 1,000 tanks, TC 1,000 (cut only, by form). Basic TD ≤ 100, exceptional ≤ 300. The
    USA wants both at their allowance (scale = target). RUS's proviso: TC + TD(kind) ≤ 1,000,
    the kind basic (accepted) or exceptional (refused). POL wants TC ≥ 900 (scale 900)."""
    kind = "exceptional" if refused else "basic"
    return {
        "name": "kinds", "categories": ["tanks"],
        "parties": {
            "POL": {"name": "Poland", "holdings": {"tanks": 1000},
                    "territorial_ceiling": {"tanks": 1000}, "cuts": ["territorial_ceiling"],
                    "positions": {"keep": {"quantity": {"of": "territorial_ceiling",
                                                        "parties": ["POL"]},
                                           "direction": "at_least", "target": 900}}},
            "USA": {"name": "USA", "territory": False, "categories": [],
                    "positions": {
                        f"td_{k}": {"quantity": {"of": "temporary_deployment",
                                                 "parties": ["POL"], "kinds": [k]},
                                    "direction": "at_least", "target": t}
                        for k, t in (("basic", 100), ("exceptional", 300))}},
            "RUS": {"name": "Russia", "categories": [],
                    "red_lines": {"proviso": {"quantity": {"terms": [
                        {"of": "territorial_ceiling", "parties": ["POL"]},
                        {"of": "temporary_deployment", "parties": ["POL"], "kinds": [kind]}]},
                        "sense": "<=", "value": 1000}}}},
        "temporary_deployments": {
            "btd": {"hosts": ["POL"], "allowance": {"tanks": 100}},
            "etd": {"kind": "exceptional", "hosts": ["POL"], "allowance": {"tanks": 300}}},
    }


def test_two_kinds_on_one_host_and_a_proviso_on_one_kind():
    """Accepted: the proviso counts the basic kind: TC = 1,000 − 100 = 900 (POL's floor, no
    loss), both deployments at their allowances, objective 0. Refused: it counts the
    exceptional kind: TC = 700 (a unit of deployment is worth 1/300 to the USA, more than POL's
    1/900 for a unit of cut), POL short by 200/900."""
    r = solve_checked(kinds())
    assert alloc(r, "POL", "territorial_ceiling") == approx(900)
    assert alloc(r, "POL", "temporary_deployment") == approx(100)
    assert alloc(r, "POL", "temporary_deployment_exceptional") == approx(300)
    assert r.objective == approx(0)
    assert r.constraints.at["temporary_deployment.exceptional.POL.tanks", "rhs"] == 300
    r = solve_checked(kinds(refused=True))
    assert alloc(r, "POL", "territorial_ceiling") == approx(700)
    assert r.objective == approx(200 / 900)
    bad = tampered(r, allocation={("POL", "total", "tanks"): {
        "temporary_deployment_exceptional": 301}})
    assert "temporary_deployments.etd" in failed(kinds(refused=True), bad)


def test_deployment_kinds_refusals():
    data = kinds()
    data["temporary_deployments"]["etd"]["kind"] = "basic"
    assert any("'POL' already takes the basic allowance 'btd'; a host takes one allowance of "
               "each kind" in e for e in errors_of(data))
    data = kinds()
    del data["temporary_deployments"]["etd"]
    assert any("kinds[0]: no temporary_deployments entry is of kind exceptional" in e
               for e in errors_of(data))
    data = kinds()
    data["temporary_deployments"]["etd"]["hosts"] = ["POL.north"]
    assert any("'POL' has no area 'north'" in e for e in errors_of(data))
    data = kinds()
    data["parties"]["POL"]["areas"] = {"north": {}}
    data["temporary_deployments"]["etd"]["hosts"] = ["POL.north"]
    assert any("'POL.north' has no territorial sub-ceiling to deploy above" in e
               for e in errors_of(data))


def test_a_deployment_into_an_area_is_read_by_area_quantities():
    """The flank of F1 with a basic deployment of 20 allowed into it; RUS's position counts
    permanent plus temporary active units. Weighted: TD = 20 (free for TUR, whose position
    names the permanent part) and a = 60: RUS short by (100 − 80)/100 = 0.2."""
    data = flank()
    data["temporary_deployments"] = {"into": {"hosts": ["RUS.flank"],
                                              "allowance": {"acv": 20}}}
    data["parties"]["RUS"]["positions"]["more"]["quantity"] = {"terms": [
        data["parties"]["RUS"]["positions"]["more"]["quantity"],
        {"of": "temporary_deployment", "areas": ["RUS.flank"], "categories": ["acv"]}]}
    r = solve_checked(data)
    assert alloc(r, "RUS", "temporary_deployment_in_area", "flank", "acv") == approx(20)
    assert r.outcomes["active"] == approx(60)
    assert r.objective == approx(0.2)
    assert "temporary_deployment.RUS.flank.acv" in r.constraints.index


# ---- F3: ceiling cuts by legal form ------------------------------------------------------------
def test_a_cut_is_national_unless_a_limit_requires_the_mandated_form():
    """kinds(): POL's cut of 100 is made by national decision (the ceilings tie-break prefers
    no mandated cut). A RUS demand of a mandated cut ≥ 40 makes 40 of it mandated, the rest
    national; a US red line 'no mandated cut' with it is infeasible."""
    r = solve_checked(kinds())
    assert alloc(r, "POL", "territorial_ceiling_cut_national") == approx(100)
    assert alloc(r, "POL", "territorial_ceiling_cut_mandated") == approx(0)
    demand = {"quantity": {"of": "ceiling_cut", "ceiling": "territorial_ceiling",
                           "form": "mandated", "parties": ["POL"]}, "sense": ">=", "value": 40}
    data = kinds()
    data["parties"]["RUS"]["red_lines"]["mandated"] = demand
    r = solve_checked(data)
    assert alloc(r, "POL", "territorial_ceiling") == approx(900)
    assert alloc(r, "POL", "territorial_ceiling_cut_mandated") == approx(40)
    assert alloc(r, "POL", "territorial_ceiling_cut_national") == approx(60)
    bad = tampered(r, allocation={("POL", "total", "tanks"): {
        "territorial_ceiling_cut_national": 70}})
    assert failed(data, bad) == {"cut_by_form"}
    data["parties"]["USA"]["red_lines"] = {"no_mandate": {**demand, "sense": "<=", "value": 0}}
    assert solve_checked(data).status.value == "infeasible"


def test_a_ceiling_with_cuts_cannot_rise():
    """POL wants TC ≥ 1,100 with no proviso: a ceiling cut by form only falls, so it stays at
    1,000 and POL is short by 100/1,100."""
    data = kinds()
    del data["parties"]["RUS"]
    data["parties"]["POL"]["positions"]["keep"]["target"] = 1100
    r = solve_checked(data)
    assert alloc(r, "POL", "territorial_ceiling") == approx(1000)
    assert r.objective == approx(100 / 1100)


def test_cuts_refusals():
    data = kinds()
    del data["parties"]["POL"]["territorial_ceiling"]
    assert any("parties.POL.cuts[0]: POL has no current territorial_ceiling for tanks to cut "
               "from" in e for e in errors_of(data))
    data = kinds()
    data["parties"]["RUS"]["red_lines"]["m"] = {
        "quantity": {"of": "ceiling_cut", "form": "mandated", "parties": ["POL"]},
        "sense": "<=", "value": 0}
    assert any("a ceiling_cut names its ceiling" in e for e in errors_of(data))
    data = kinds()
    data["parties"]["RUS"]["red_lines"]["m"] = {
        "quantity": {"of": "ceiling_cut", "ceiling": "national_ceiling", "parties": ["POL"]},
        "sense": "<=", "value": 0}
    assert any("none of these parties cuts its national_ceiling by form" in e
               for e in errors_of(data))
    data = kinds()
    data["parties"]["POL"]["positions"]["keep"]["quantity"]["form"] = "mandated"
    assert any("'form' applies to ceiling_cut, not territorial_ceiling" in e
               for e in errors_of(data))
    data = kinds()
    data["parties"]["USA"]["cuts"] = ["territorial_ceiling"]
    assert any("has no territorial ceiling to cut" in e for e in errors_of(data))


# ---- F4: a position held jointly ---------------------------------------------------------------
def test_a_joint_position_counts_once_in_every_objective_and_for_each_holder():
    """flank() with TUR's position held jointly with NOR: the same answer as TUR alone (a = 60
    weighted, 75 minimax: one row, one weight); NOR's deviation is TUR's. Two separate copies
    instead count twice in the weighted sum: moving a up then costs 2/60, still a = 60, but
    minimax's second stage sums 0.25 three times."""
    data = flank()
    data["parties"]["NOR"] = {"name": "Norway", "categories": []}
    data["parties"]["TUR"]["positions"]["no_more"]["joint_with"] = ["NOR"]
    r = solve_checked(data, objective="minimax")
    assert r.outcomes["active"] == approx(75)
    assert r.stages[1].objective == approx(0.5)  # RUS 0.25 + the joint position 0.25
    assert r.positions.at[("TUR", "no_more"), "joint_with"] == "NOR"
    from cfe_opt.results import party_deviations

    by_party = party_deviations(r.positions)
    assert by_party["NOR"] == approx(0.25) and by_party["TUR"] == approx(0.25)
    twice = copy.deepcopy(data)
    del twice["parties"]["TUR"]["positions"]["no_more"]["joint_with"]
    twice["parties"]["NOR"]["positions"] = copy.deepcopy(twice["parties"]["TUR"]["positions"])
    r2 = solve_checked(twice, objective="minimax")
    assert r2.outcomes["active"] == approx(75)
    assert r2.stages[1].objective == approx(0.75)


def test_joint_with_refusals():
    data = flank()
    data["parties"]["TUR"]["positions"]["no_more"]["joint_with"] = ["XXX"]
    assert any("joint_with[0]: 'XXX' is not a party or group" in e for e in errors_of(data))
    data["parties"]["TUR"]["positions"]["no_more"]["joint_with"] = ["TUR"]
    assert any("'TUR' includes TUR, the position's owner" in e for e in errors_of(data))
    data["parties"]["NOR"] = {"name": "Norway", "categories": []}
    data["parties"]["TUR"]["positions"]["no_more"]["joint_with"] = ["NOR", "NOR"]
    assert any("joint_with[1]: 'NOR' names a holder already listed" in e
               for e in errors_of(data))


# ---- F5: cases of a scenario -----------------------------------------------------------------
CASES = """\
name: cased
categories: [acv]
parties:
  RUS:
    name: Russia
    holdings: {acv: 150}
    areas:
      flank:
        holdings: {acv: 150}
        storage: {acv: 30}
        territorial_subceiling: {acv: 100}
        active_subceiling: {acv: 60}
    positions:
      more:
        quantity: {of: territorial_ceiling, areas: [RUS.flank], status: active}
        direction: at_least
        target: 100
  TUR:
    name: Turkey
    categories: []
    positions:
      no_more:
        quantity: {of: territorial_ceiling, areas: [RUS.flank], status: active}
        direction: at_most
        target: 60
outcomes:
  active: {quantity: {of: territorial_ceiling, areas: [RUS.flank], status: active}}
cases:
  durable:
    description: the file as written
  not_durable:
    description: Turkey's stance is a red line
    changes:
      parties:
        TUR:
          positions: {no_more: null}
          red_lines:
            cap:
              quantity: {of: territorial_ceiling, areas: [RUS.flank], status: active}
              sense: "<="
              value: 60
  lower:
    changes:
      parties: {TUR: {positions: {no_more: {target: 50}}}}
"""


def test_cases_are_the_file_with_their_changes(models_dir):
    path = models_dir / "cased.yaml"
    path.write_text(CASES)
    scenario = load_scenario(path)
    cases = scenario_cases(scenario)
    assert list(cases) == ["durable", "not_durable", "lower"]
    assert cases["durable"].case == "durable"
    assert "cap" in cases["not_durable"].spec.parties["TUR"].red_lines
    assert not cases["not_durable"].spec.parties["TUR"].positions
    results = solve_cases(path, objective="minimax")
    # durable: a = 75 (F1); red line: a ≤ 60 and RUS alone, a = 60; target 50: Z: (100 − a)/100
    # = (a − 50)/50 ⇒ a = 2/(1/100 + 1/50) = 66.67
    assert {k: r.outcomes["active"] for k, r in results.items()} == {
        "durable": approx(75), "not_durable": approx(60), "lower": approx(200 / 3)}


def test_solve_writes_each_case_and_the_cases_table(models_dir, tmp_path, capsys):
    path = models_dir / "cased.yaml"
    path.write_text(CASES)
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Case not_durable: Turkey's stance is a red line" in text
    for case in ("durable", "not_durable", "lower"):
        summary = json.loads((out / case / "summary.json").read_text())
        assert summary["scenario"]["case"] == case
        assert summary["check"]["ok"] is True
    import pandas as pd

    table = pd.read_csv(out / "cases" / "cases.csv").set_index("case")
    assert table.loc["not_durable", "active"] == approx(60)
    for folder in ("durable", "not_durable", "lower", "cases"):  # each its own output set
        record = json.loads((out / folder / "run.json").read_text())
        assert record["command"] == "solve"
    # the same question again replaces each set (a folder of sets is not refused)
    assert main(["solve", str(path), "--out", str(out), "--quiet"]) == 0
    assert "replacing the set" in capsys.readouterr().out
    assert table.loc["durable", "deviation_TUR"] == approx(0)  # weighted: a = 60
    assert main(["solve", str(path), "--case", "lower", "--out", str(tmp_path / "one"),
                 "--quiet"]) == 0
    assert json.loads((tmp_path / "one" / "summary.json").read_text())["scenario"]["case"] == (
        "lower")
    assert main(["check", str(path), "--solution", str(out / "not_durable")]) == 0
    assert main(["solve", str(path), "--case", "nope"]) == 2
    assert "no case 'nope' (its cases: durable, not_durable, lower)" in capsys.readouterr().err


def test_an_error_inside_a_case_names_the_case_at_its_line(models_dir):
    path = models_dir / "cased.yaml"
    text = CASES.replace("value: 60\n", "value: -1\n")
    path.write_text(text)
    with pytest.raises((ScenarioError, ScenarioErrors)) as info:
        load_scenario(path)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "value: -1" in row)
    assert f"cased.yaml:{line}: cases.not_durable.changes.parties.TUR.red_lines.cap.value" in (
        str(info.value))
    path.write_text(CASES.replace("no_more: {target: 50}", "no_more: {target: 50, scale: 0}"))
    with pytest.raises((ScenarioError, ScenarioErrors), match=r"cases\.lower\.changes\.parties"
                       r"\.TUR\.positions\.no_more\.scale"):
        load_scenario(path)
    path.write_text(CASES.replace("      parties: {TUR:", "      extends: x.yaml\n      parties: "
                                  "{TUR:"))
    with pytest.raises((ScenarioError, ScenarioErrors),
                       match=r"cases\.lower\.changes\.extends: a case may not change 'extends'"):
        load_scenario(path)


def test_cases_is_not_a_case_name(models_dir):
    path = models_dir / "cased.yaml"
    path.write_text(CASES.replace("  lower:\n", "  cases:\n"))
    with pytest.raises((ScenarioError, ScenarioErrors), match="'cases' is reserved"):
        load_scenario(path)


def test_an_extending_file_does_not_inherit_cases(models_dir):
    (models_dir / "cased.yaml").write_text(CASES)
    (models_dir / "child.yaml").write_text("name: child\nextends: cased.yaml\n")
    assert not load_scenario(models_dir / "child.yaml").spec.cases


# ---- F6: dates and the cut-off -----------------------------------------------------------------
def dated(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "dated", "as_of": "1998-12-21", "categories": ["tanks"],
        "parties": {"POL": {"name": "Poland",
                            "holdings": {"tanks": {"value": 100, "source": "s",
                                                   "date": "1995-11-17"}},
                            "positions": {"p": {"quantity": {"of": "holdings",
                                                             "parties": ["POL"]},
                                                "direction": "at_least", "target": 90,
                                                "date": "1998-11"}}}},
    }
    fig = data["parties"]["POL"]["holdings"]["tanks"]
    fig.update(changes)
    return data


def test_every_input_is_dated_on_or_before_as_of_or_a_flagged_stand_in():
    assert make(dated()).spec.as_of == "1998-12-21"
    errors = errors_of(dated(date="1999-11-19"))
    assert any("parties.POL.holdings.tanks.date: 1999-11-19 is after the scenario's as_of "
               "1998-12-21; mark it stand_in: true with a note" in e for e in errors)
    # a partial date counts as its last day
    assert any("1998-12 is after the scenario's as_of" in e
               for e in errors_of(dated(date="1998-12")))
    assert make(dated(date="1998-11"))
    ok = make(dated(date="1999-11-19", stand_in=True, note="the 1999 figure stands in"))
    r = solve_checked(ok)
    assert r.later_stand_ins == [{"field": "parties.POL.holdings.tanks", "date": "1999-11-19",
                                  "note": "the 1999 figure stands in"}]
    assert any("stand_in: 1995-11-17 is not after as_of 1998-12-21" in e
               for e in errors_of(dated(stand_in=True, note="x")))
    assert any("a later stand-in needs its date and a note" in e
               for e in errors_of(dated(date="1999-11-19", stand_in=True)))
    assert any("is not a date of the calendar" in e for e in errors_of(dated(date="1998-02-30")))
    assert any("a date is written YYYY, YYYY-MM or YYYY-MM-DD" in e
               for e in errors_of(dated(date="21.12.1998")))
    bare = dated()
    bare["parties"]["POL"]["holdings"]["tanks"] = 100
    assert any("parties.POL.holdings.tanks.date: needed in a scenario with as_of" in e
               and "write the figure as {value: ..., source: ..., date: ...}" in e
               for e in errors_of(bare))
    undated = dated()
    del undated["parties"]["POL"]["positions"]["p"]["date"]
    assert any("parties.POL.positions.p.date: needed in a scenario with as_of" in e
               for e in errors_of(undated))


def test_without_as_of_dates_are_optional():
    data = dated(date="2005")
    del data["as_of"]
    assert make(data).spec.parties["POL"].holdings["tanks"].date == "2005"


# ---- F7: default scales and the robustness table ------------------------------------------------
def test_positions_say_where_each_scale_comes_from_and_default_deciders_are_assumptions():
    r = solve_checked(flank())
    assert r.positions.at[("RUS", "more"), "scale_under_source"] == "default"
    assert r.positions.at[("RUS", "more"), "scale_over_source"] == ""
    # RUS is missed (by 40) and TUR holds the answer back (its row binds, price −1/100): both
    # default scales decide the answer
    listed = [a for a in r.assumptions if "default scale" in a]
    assert any(a.startswith("parties.RUS.positions.more: the default scale 100") for a in listed)
    assert any(a.startswith("parties.TUR.positions.no_more: the default scale 60") for a in listed)
    data = flank()
    data["parties"]["RUS"]["positions"]["more"]["range"] = {"min": 20}
    r = solve_checked(data)
    assert r.positions.at[("RUS", "more"), "scale_under_source"] == "range"
    assert not any(a.startswith("parties.RUS.positions.more") for a in r.assumptions)


def test_robustness_table_by_hand():
    """Minimax on flank(): a = (w_R + w_T)/(w_R/100 + w_T/60) with scales s_R = 100, s_T = 60.
    RUS weight ×2 (or its scale ×½): 3/(0.02 + 1/60) = 81.818; ×½ (or scale ×2): 1.5/(0.005 +
    1/60) = 69.231; TUR ×2: 3/(0.01 + 2/60) = 69.231; TUR ×½: 1.5/(0.01 + 0.5/60) = 81.818."""
    table = robustness(make(flank()), objective="minimax")
    value = table["value"]
    for party, factor, m, expected in (
            ("RUS", "weight", 2.0, 3 / (0.02 + 1 / 60)), ("RUS", "scale", 0.5, 3 / (0.02 + 1 / 60)),
            ("RUS", "weight", 0.5, 1.5 / (0.005 + 1 / 60)),
            ("RUS", "scale", 2.0, 1.5 / (0.005 + 1 / 60)),
            ("TUR", "weight", 2.0, 3 / (0.01 + 2 / 60)), ("TUR", "weight", 0.5,
                                                          1.5 / (0.01 + 0.5 / 60))):
        assert value[(party, factor, m, "active")] == approx(expected, abs=1e-5)
    assert table.loc[("RUS", "weight", 2.0, "active"), "base"] == approx(75)
    assert table.loc[("RUS", "weight", 2.0, "active"), "change"] == approx(
        3 / (0.02 + 1 / 60) - 75, abs=1e-5)
    # weighted, a corner: a = 60 while w_R/s_R < w_T/s_T, else 100. RUS ×2 (2/100 > 1/60), its
    # scale ×½ (1/50), TUR ×½ (0.5/60 < 1/100) or TUR's scale ×2 (1/120) flip it to 100: then
    # the 30 in storage stay and the total is 130 (storage part 30); the others leave a = 60.
    weighted = robustness(make(flank()))["value"].unstack("outcome")
    flipped = {("RUS", "weight", 2.0), ("RUS", "scale", 0.5), ("TUR", "weight", 0.5),
               ("TUR", "scale", 2.0)}
    for key, row in weighted.iterrows():
        if key in flipped:
            assert (row["active"], row["storage"], row["total"]) == approx((100, 30, 130)), key
        else:
            assert (row["active"], row["storage"], row["total"]) == approx((60, 40, 100)), key


def test_solve_with_robustness_writes_the_table(tmp_path):
    path = tmp_path / "flank.yaml"
    import yaml

    path.write_text(yaml.safe_dump(flank()))
    out = tmp_path / "out"
    assert main(["solve", str(path), "--objective", "minimax", "--robustness", "--out",
                 str(out), "--quiet"]) == 0
    import pandas as pd

    table = pd.read_csv(out / "robustness_band.csv")
    assert len(table) == 2 * 2 * 2 * 3  # parties × factors × multipliers × outcomes
    summary = json.loads((out / "summary.json").read_text())
    assert any("moves an outcome over the robustness band" in a for a in summary["assumptions"])


# ---- F8: named outcomes --------------------------------------------------------------------------
def test_outcomes_are_reported_and_checked_like_quantities(tmp_path):
    data = flank()
    data["outcomes"]["bad"] = {"quantity": {"of": "holdings", "parties": ["TUR"]}}
    assert any("outcomes.bad.quantity: selects nothing" in e for e in errors_of(data))
    data = flank()
    data["outcomes"]["status"] = data["outcomes"]["active"]
    assert any("outcomes.status: 'status' is a column cases.csv gives itself" in e
               for e in errors_of(data))
    path = tmp_path / "flank.yaml"
    import yaml

    path.write_text(yaml.safe_dump(flank()))
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["outcomes"] == {"active": 60, "storage": 40, "total": 100}


def test_a_case_file_round_trips_through_check(models_dir, tmp_path):
    """The checker reads the case a written solution is for from its summary.json."""
    path = models_dir / "cased.yaml"
    path.write_text(CASES)
    out = tmp_path / "o"
    assert main(["solve", str(path), "--case", "not_durable", "--out", str(out), "--quiet"]) == 0
    assert main(["check", str(path), "--solution", str(out)]) == 0
    assert Path(out / "summary.json").exists()
