"""What a quantity selects: `per` expands only over what exists; a quantity selecting nothing,
or equipment located on a party with no territory, is refused with its field path."""

from __future__ import annotations

import pytest
from conftest import make, solve_checked

from cfe_opt.errors import ScenarioErrors


def base() -> dict:
    return {"name": "sel", "categories": ["tanks", "combat_aircraft"], "parties": {
        "AAA": {"name": "A", "holdings": {"tanks": 120, "combat_aircraft": 10},
                "territorial_ceiling": {"tanks": 150}},
        "USA": {"name": "U", "territory": False, "holdings": {"tanks": 30, "combat_aircraft": 5},
                "stationed": {"AAA": {"tanks": 30}}},
        "TUR": {"name": "T", "categories": []}}}


def test_per_category_skips_categories_the_quantity_cannot_have():
    """A floor on AAA's territorial ceiling per category covers tanks only (aircraft have no
    territorial ceiling): feasible, with one row."""
    data = base()
    data["limits"] = {"tc_floor": {"quantity": {"of": "territorial_ceiling", "parties": ["AAA"]},
                                   "per": ["category"], "sense": ">=", "value": 100}}
    result = solve_checked(data)
    assert result.optimal
    rows = [n for n in result.constraints.index if n.startswith("limit.tc_floor")]
    assert rows == ["limit.tc_floor.tanks"]


def test_per_category_values_need_only_the_categories_covered():
    data = base()
    data["limits"] = {"tc_cap": {"quantity": {"of": "territorial_ceiling", "parties": ["AAA"]},
                                 "per": ["category"], "sense": "<=", "values": {"tanks": 160}}}
    assert solve_checked(data).optimal


def test_per_party_skips_parties_without_the_quantity():
    """Every party's territorial ceiling ≥ 50: the USA has no territory, so it gets no row;
    AAA and TUR (a state with territory, whose ceiling this limit puts in play) do."""
    data = base()
    data["limits"] = {"tc_floor": {"quantity": {"of": "territorial_ceiling"}, "per": ["party"],
                                   "sense": ">=", "value": 50}}
    result = solve_checked(data)
    assert result.optimal
    rows = [n for n in result.constraints.index if n.startswith("limit.tc_floor")]
    assert rows == ["limit.tc_floor.AAA", "limit.tc_floor.TUR"]


def test_equipment_on_a_party_without_territory_is_refused():
    data = base()
    data["limits"] = {"usa_cap": {"quantity": {"of": "equipment", "parties": ["USA"]},
                                  "sense": "<=", "value": 100}}
    with pytest.raises(ScenarioErrors) as info:
        make(data)
    assert ("limits.usa_cap.quantity.parties[0]: 'USA' has no territory: for equipment, "
            "'parties' names where it stands; use 'owners'") in str(info.value)


def test_owners_select_whose_equipment_it_is():
    """Written with owners, the cap on US equipment holds: 30 → at most 10 (reduced)."""
    data = base()
    data["limits"] = {"usa_cap": {"quantity": {"of": "equipment", "owners": ["USA"]},
                                  "sense": "<=", "value": 10}}
    result = solve_checked(data)
    assert result.allocation.loc[("USA", "total", "tanks"), "holdings_after"] <= 10 + 1e-9


@pytest.mark.parametrize(("where", "entry"), [
    ("limits", {"nothing": {"quantity": {"of": "holdings", "parties": ["TUR"]}, "sense": ">=",
                            "value": 1}}),
    ("positions", {"nothing": {"quantity": {"of": "national_ceiling", "parties": ["TUR"]},
                               "direction": "at_least", "target": 5}}),
])
def test_a_quantity_selecting_nothing_is_refused(where, entry):
    data = base()
    if where == "limits":
        data["limits"] = entry
        field = "limits.nothing.quantity"
    else:
        data["parties"]["AAA"]["positions"] = entry
        field = "parties.AAA.positions.nothing.quantity"
    with pytest.raises(ScenarioErrors) as info:
        make(data)
    assert f"{field}: selects nothing in this scenario" in str(info.value)


def test_a_zone_of_areas_names_their_sub_ceilings():
    data = base()
    data["parties"]["AAA"]["areas"] = {"north": {"territorial_subceiling": {"tanks": 40}}}
    data["zones"] = {"FLANK": {"members": ["AAA.north"]}}
    data["limits"] = {"cap": {"quantity": {"of": "territorial_ceiling", "areas": ["FLANK"]},
                              "sense": "<=", "value": 30}}
    result = solve_checked(data)
    assert result.allocation.loc[("AAA", "north", "tanks"), "territorial_subceiling"] <= 30


def test_bargaining_takes_groups():
    from pathlib import Path

    from cfe_opt import load_scenario
    from cfe_opt.analysis.bargaining import bargaining_solutions

    talks = load_scenario(Path(__file__).resolve().parent.parent / "models" / "talks_1998.yaml")
    table = bargaining_solutions(talks, parties=["RUS", "FLANK_CONCERNED"])
    assert set(table.attrs["parties"]) == {"RUS", "TUR", "NOR"}
    # Norway holds only Turkey's joint stance: one side with Turkey
    assert set(table.index.get_level_values("party")) == {"RUS", "TUR+NOR"}
