"""The adapted Treaty as signed (models/adapted_1999.yaml), cross-checked against the data it cites.

The scenario's positions ask for exactly the signed figures and its hard limits are the
Treaty rules as encoded, so the solve must reproduce the signed ceilings with no deviation and
the independent checker must accept them. The signed figures are read here straight from the
CSVs in ``models/data/``, so that the YAML and the CSVs check each other.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cfe_opt import Result, Scenario, load_scenario, scenario_from_dict, solve, verify
from cfe_opt.concession import smallest_concession

ROOT = Path(__file__).parent.parent
SCENARIO = ROOT / "models" / "adapted_1999.yaml"
DATA = ROOT / "models" / "data"
CATEGORIES = ("tanks", "acv", "artillery", "combat_aircraft", "attack_helicopters")
GROUND = ("tanks", "acv", "artillery")
TOTAL = "total"
SUFFICIENCY_NC = "art6_sufficiency_national_ceilings"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def signed_national_ceilings() -> dict[tuple[str, str], dict[str, str]]:
    """(state, category) → CSV row, for the signed (final) NCs in the five categories."""
    return {(r["iso3"], r["category"]): r for r in _rows("national_ceilings_1999.csv")
            if r["ceiling_type"] == "NC" and r["status"].startswith("final")
            and r["category"] in CATEGORIES}


def signed_territorial_ceilings(kind: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["state_iso3"], r["category"]): r for r in _rows("territorial_ceilings_1999.csv")
            if r["kind"] == kind and r["status"].startswith("final")}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> Result:
    return solve(scenario)


def test_solves_to_the_signed_figures_with_no_deviation(result: Result) -> None:
    assert result.optimal, result.status
    deviations = result.positions["deviation"]
    assert len(deviations) > 0
    for key, deviation in deviations.items():
        assert deviation == pytest.approx(0, abs=1e-6), key


def test_scope_is_the_states_whose_signed_ncs_are_complete(scenario: Scenario) -> None:
    signed = signed_national_ceilings()
    complete = {s for (s, _) in signed if all((s, c) in signed for c in CATEGORIES)}
    assert set(scenario.index.parties) == complete
    assert scenario.index.categories == CATEGORIES


def test_national_ceilings_are_the_signed_figures(scenario: Scenario, result: Result) -> None:
    parties = scenario.spec.parties
    checked = 0
    for (state, category), row in signed_national_ceilings().items():
        if state not in parties:  # incomplete rows (GBR tanks) are out of scope, see above
            continue
        value = int(row["value"])
        figure = parties[state].national_ceiling[category]
        assert figure.value == value, (state, category)
        assert figure.confidence == row["confidence"], (state, category)
        solved = result.allocation.at[(state, TOTAL, category), "national_ceiling"]
        assert solved == pytest.approx(value, abs=1e-6), (state, category)
        checked += 1
    assert checked == len(parties) * len(CATEGORIES)


def test_territorial_ceilings_are_the_signed_figures(scenario: Scenario, result: Result) -> None:
    parties = scenario.spec.parties
    tcs = {k: r for k, r in signed_territorial_ceilings("territorial_ceiling").items()
           if k[0] in parties}
    assert {state for (state, _) in tcs} == {"DEU"}
    for (state, category), row in tcs.items():
        assert parties[state].territorial_ceiling[category].value == int(row["value"])
        solved = result.allocation.at[(state, TOTAL, category), "territorial_ceiling"]
        assert solved == pytest.approx(int(row["value"]), abs=1e-6), (state, category)


def test_russian_flank_subceiling_is_the_signed_figure(scenario: Scenario,
                                                       result: Result) -> None:
    tsc = signed_territorial_ceilings("territorial_subceiling_flank")
    assert {c for (state, c) in tsc if state == "RUS"} == set(GROUND)
    flank = scenario.spec.parties["RUS"].areas["flank"]
    for category in GROUND:
        value = int(tsc[("RUS", category)]["value"])
        assert flank.territorial_subceiling[category].value == value
        solved = result.allocation.at[("RUS", "flank", category), "territorial_subceiling"]
        assert solved == pytest.approx(value, abs=1e-6), category


def test_independent_checker_accepts_the_signed_treaty(scenario: Scenario,
                                                       result: Result) -> None:
    report = verify(scenario, result)
    assert report.ok, report.summary()
    assert report.checked > 0


# ---- every figure is sourced or marked as an assumption ---------------------------------------
STRUCTURAL = {"weight", "priority", "scale", "coefficient", "ratio"}  # model settings, not data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _figures(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every numeric figure in the raw YAML: (path, the mapping that carries it), or
    (path, None) for a bare number outside such a mapping."""
    if isinstance(node, dict):
        if _is_number(node.get("value")) or _is_number(node.get("target")):
            yield path, node
        for key, child in node.items():
            if key in STRUCTURAL or (key in ("value", "target") and _is_number(child)):
                continue
            yield from _figures(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _figures(child, (*path, i))
    elif _is_number(node):
        yield path, None


def test_every_figure_is_sourced_or_an_assumption(raw: dict[str, Any]) -> None:
    sources = raw["sources"]
    figures = list(_figures(raw))
    assert len(figures) > 100
    for path, figure in figures:
        where = ".".join(map(str, path))
        assert figure is not None, f"{where}: a bare number, with no source or assumption"
        if figure.get("assumption") is True:
            assert figure.get("note"), f"{where}: an assumption needs a note"
            continue
        assert figure.get("source") in sources, f"{where}: source {figure.get('source')!r}"
        if "value" in figure:
            assert figure.get("confidence"), f"{where}: no confidence label"


# ---- a signed NC above the sufficiency rule is caught -----------------------------------------
def test_an_nc_above_the_sufficiency_rule_is_reported(raw: dict[str, Any]) -> None:
    """Raise Russia's tank NC to 14,000, above the 1990 single-state maximum of 13,300.

    Positions are soft, so a raised target alone would only show up as a deviation. Here
    Russia insists on the raised figure as a red line. The copy must be infeasible, and the
    smallest concession must be a 700-tank move of one side of that conflict. The two sides
    cost the same, so which one the solver moves is arbitrary. Once Russia's red line weighs
    more than the treaty's rules, the concession must name the rule.
    """
    data = copy.deepcopy(raw)
    rus = data["parties"]["RUS"]
    raised = {"value": 14000, "assumption": True, "note": "test: raised above Art VI"}
    rus["national_ceiling"]["tanks"] = raised
    rus["positions"]["nc_tanks"]["target"] = 14000
    rus["red_lines"] = {"raised_nc_tanks": {
        "quantity": {"of": "national_ceiling", "parties": ["RUS"], "categories": ["tanks"]},
        "sense": ">=", "value": raised}}
    variant = scenario_from_dict(data, name="adapted_1999 with RUS tanks NC 14,000")

    result = solve(variant)
    assert result.status.value == "infeasible"
    rule_row = f"limit.{SUFFICIENCY_NC}.RUS.tanks"
    moved = result.concession
    assert len(moved) == 1
    assert set(moved.index) <= {rule_row, "limit.RUS.raised_nc_tanks"}
    assert abs(moved["change"]).sum() == pytest.approx(700, abs=1e-6)

    firm = smallest_concession(variant, weights={"RUS": 10})
    assert list(firm.index) == [rule_row]
    assert firm.at[rule_row, "owner"] == "CFE_Treaty_1990"
    assert firm.at[rule_row, "relaxed_rhs"] == pytest.approx(14000, abs=1e-6)
    assert firm.at[rule_row, "field"] == f"limits.{SUFFICIENCY_NC}.values.tanks"
